package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/hierarchy"
)

// Engine reads the screen of one device and acts on it. It remembers the
// last dump until an action may have changed the screen, so a step that
// checks where the phone is right after the previous step waited for that
// screen costs no extra dump.
//
// Waits are bounded in time on the phone, not in dumps: every dump also
// reads the phone's uptime, so a slow phone that draws a screen several
// dumps late still gets the same patience as a fast one, and tests on the
// fake phone (whose clock is simulated) never sleep.
type Engine struct {
	dev     adb.Device
	screens []Screen
	settle  time.Duration

	last  *View
	fresh bool // last reflects the screen: no action since
}

// View is one reading of the screen.
type View struct {
	// H is the hierarchy; Raw the XML it was parsed from.
	H   *hierarchy.Hierarchy
	Raw []byte
	// Screen is the known screen shown; nil when none matches.
	Screen *Screen
	// At is when the dump was taken, on the phone's clock when the phone
	// told it (its uptime), else on the computer's.
	At time.Duration
}

// Name is the screen's name, "" when it is unknown.
func (v *View) Name() string {
	if v == nil || v.Screen == nil {
		return ""
	}
	return v.Screen.Name
}

// Is reports whether the view shows one of the named screens.
func (v *View) Is(names ...string) bool { return slices.Contains(names, v.Name()) }

// Title describes what the view shows: the known screen's title, else
// the outline of the unknown one.
func (v *View) Title() string {
	if v.Screen != nil {
		return v.Screen.Title
	}
	return OutlineOf(v.H).String()
}

// Part finds a named part of the known screen (see Screen.Parts).
func (v *View) Part(name string) *hierarchy.Node {
	if v.Screen == nil {
		return nil
	}
	return v.Screen.Part(v.H, name)
}

// Engine limits.
const (
	// dumpAttempts bounds retries of one dump that failed transiently
	// (idle state, truncated or empty output).
	dumpAttempts = 5
	// DefaultSettle is how long, in time on the phone, a screen may keep
	// showing something other than what an action should bring before
	// the wait gives up. A dump takes 1 to 3 s on a phone and the first
	// after an activity start up to 4 s, so this covers a screen drawn
	// three or more dumps late.
	DefaultSettle = 10 * time.Second
	// maxScrolls bounds the swipes ScrollTo makes.
	maxScrolls = 6
	// swipeDuration is slow enough to scroll without a fling.
	swipeDuration = 300 * time.Millisecond
)

// NewEngine returns an engine recognising screens (in order) on dev,
// waiting at most settle (0: DefaultSettle) for a screen to come.
func NewEngine(dev adb.Device, screens []Screen, settle time.Duration) *Engine {
	if settle <= 0 {
		settle = DefaultSettle
	}
	return &Engine{dev: dev, screens: screens, settle: settle}
}

// Device is the device the engine drives.
func (e *Engine) Device() adb.Device { return e.dev }

// Screens returns the known screens.
func (e *Engine) Screens() []Screen { return e.screens }

// Settle is how long a wait lasts, in time on the phone.
func (e *Engine) Settle() time.Duration { return e.settle }

// Last returns the most recent view and whether nothing was done since.
func (e *Engine) Last() (*View, bool) { return e.last, e.fresh && e.last != nil }

// LastXML returns the raw XML of the most recent dump.
func (e *Engine) LastXML() []byte {
	if e.last == nil {
		return nil
	}
	return e.last.Raw
}

// Invalidate marks the last dump stale: something outside the engine may
// have changed the screen (an activity start, a reboot).
func (e *Engine) Invalidate() { e.fresh = false }

// Dump reads the screen, retrying transient failures (idle state,
// truncated or empty output).
func (e *Engine) Dump(ctx context.Context) (*View, error) {
	var lastErr error
	for range dumpAttempts {
		d, err := adb.DumpUI(ctx, e.dev)
		if err == nil {
			var h *hierarchy.Hierarchy
			h, err = hierarchy.ParseContext(ctx, d.XML)
			if err == nil {
				v := &View{H: h, Raw: d.XML, Screen: Identify(h, e.screens), At: d.Uptime}
				if v.At == 0 {
					v.At = time.Duration(time.Now().UnixNano())
				}
				e.last, e.fresh = v, true
				return v, nil
			}
		}
		if !transient(err) {
			return nil, fmt.Errorf("read screen: %w", err)
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("read screen: %d attempts failed: %w", dumpAttempts, lastErr)
}

// transient failures are worth another dump.
func transient(err error) bool {
	return errors.Is(err, adb.ErrIdleState) || errors.Is(err, adb.ErrEmptyDump) ||
		errors.Is(err, hierarchy.ErrTruncated) || errors.Is(err, hierarchy.ErrEmpty)
}

// Current returns what the phone shows: the last view when nothing was
// done since, else a fresh dump.
func (e *Engine) Current(ctx context.Context) (*View, error) {
	if e.fresh && e.last != nil {
		return e.last, nil
	}
	return e.Dump(ctx)
}

// Input sends input actions in one round trip; the screen is then stale.
func (e *Engine) Input(ctx context.Context, actions ...adb.InputAction) error {
	e.fresh = false
	return adb.Input(ctx, e.dev, actions...)
}

// Tap taps the centre of a node.
func (e *Engine) Tap(ctx context.Context, n *hierarchy.Node) error {
	x, y := n.Bounds.Center()
	return e.Input(ctx, adb.Tap(x, y))
}

// Patience measures a wait in time on the phone: it starts at the first
// view it is shown and runs out settle later. A screen change restarts
// it when the caller says so.
type Patience struct {
	limit time.Duration
	since time.Duration
	set   bool
}

// NewPatience returns a wait of the engine's settle times factor (a
// progress message may deserve longer than a screen being drawn).
func (e *Engine) NewPatience(factor int) *Patience {
	if factor < 1 {
		factor = 1
	}
	return &Patience{limit: e.settle * time.Duration(factor)}
}

// Over reports whether the wait that started at the first view passed to
// it has lasted longer than its limit by the time of v. A clock that went
// back (the phone restarted) starts the wait again.
func (p *Patience) Over(v *View) bool {
	if !p.set || v.At < p.since {
		p.since, p.set = v.At, true
	}
	return v.At-p.since > p.limit
}

// Left is what is left of the wait by the time of v (the whole of it
// before the first view).
func (p *Patience) Left(v *View) time.Duration {
	if !p.set || v.At < p.since {
		return p.limit
	}
	return p.limit - (v.At - p.since)
}

// Restart begins the wait again at the next view.
func (p *Patience) Restart() { p.set = false }

// PopupHandler gets the chance to deal with a known screen that is not
// what Await waits for (a pop-up over the flow). handled means it acted
// and Await should look again.
type PopupHandler func(ctx context.Context, v *View) (handled bool, err error)

// AwaitOptions tune Await.
type AwaitOptions struct {
	// Popup handles screens that may show up in between; nil handles none.
	Popup PopupHandler
	// Detail ends the error message ("after tapping Sign out").
	Detail string
}

// Await reads the screen until it shows one of want, giving the phone
// the engine's settle time (on its clock) from the moment it waits or
// last saw the screen change. Pop-ups are passed to opt.Popup.
func (e *Engine) Await(ctx context.Context, want []string, opt AwaitOptions) (*View, error) {
	p := e.NewPatience(1)
	var prev []byte
	for {
		v, err := e.Current(ctx)
		if err != nil {
			return nil, err
		}
		if v.Is(want...) {
			return v, nil
		}
		if opt.Popup != nil && v.Screen != nil {
			handled, err := opt.Popup(ctx, v)
			if err != nil {
				return v, err
			}
			if handled {
				p.Restart()
				prev = nil
				continue
			}
		}
		if prev != nil && !bytes.Equal(prev, v.Raw) {
			p.Restart()
		}
		prev = v.Raw
		if p.Over(v) {
			return v, e.Unexpected(want, v, opt.Detail)
		}
		e.fresh = false // look again
	}
}

// Unexpected builds the error for a screen that is not one of want.
func (e *Engine) Unexpected(want []string, v *View, detail string) error {
	var titles []string
	for _, w := range want {
		titles = append(titles, e.TitleOf(w))
	}
	return &UnexpectedScreenError{Want: titles, Got: v.Screen, Seen: OutlineOf(v.H), Hierarchy: v.H, Detail: detail}
}

// TitleOf returns the title of a known screen by name.
func (e *Engine) TitleOf(name string) string {
	for _, s := range e.screens {
		if s.Name == name {
			return s.Title
		}
	}
	return name
}

// ScrollTo looks for the first node matching one of sels on the current
// screen, swiping the largest scrollable container up (content moves
// down) until it appears, the list stops moving, or maxScrolls swipes were
// made. It returns the node (nil when not found) and the swipes made.
func (e *Engine) ScrollTo(ctx context.Context, find func(*View) *hierarchy.Node) (*hierarchy.Node, int, error) {
	v, err := e.Current(ctx)
	if err != nil {
		return nil, 0, err
	}
	for i := 0; ; i++ {
		if n := find(v); n != nil {
			return n, i, nil
		}
		if i == maxScrolls {
			break
		}
		c := largestScrollable(v.H)
		if c == nil {
			break
		}
		before := v.Raw
		r := c.Bounds
		x := (r.Left + r.Right) / 2
		y1 := r.Top + r.Height()*3/4
		y2 := r.Top + r.Height()/4
		if err := e.Input(ctx, adb.Swipe(x, y1, x, y2, swipeDuration)); err != nil {
			return nil, i, fmt.Errorf("scroll: %w", err)
		}
		// A slow phone draws the scrolled list late: the list's end is
		// only reached when it stays still for the settle time.
		p := e.NewPatience(1)
		for {
			if v, err = e.Dump(ctx); err != nil {
				return nil, i + 1, err
			}
			if !bytes.Equal(before, v.Raw) {
				break
			}
			if p.Over(v) {
				return nil, i + 1, nil // the list did not move: its end is reached
			}
		}
	}
	return nil, maxScrolls, nil
}

// largestScrollable is the scrollable node with the largest area.
func largestScrollable(h *hierarchy.Hierarchy) *hierarchy.Node {
	var best *hierarchy.Node
	h.Walk(func(n *hierarchy.Node) bool {
		if n.Scrollable && (best == nil || area(n.Bounds) > area(best.Bounds)) {
			best = n
		}
		return true
	})
	return best
}

func area(r hierarchy.Rect) int { return r.Width() * r.Height() }
