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
type Engine struct {
	dev     adb.Device
	screens []Screen

	last    *hierarchy.Hierarchy
	lastRaw []byte
	fresh   bool // last reflects the screen: no action since
}

// Engine limits. A dump costs one to three seconds on a phone, so every
// bound here is in dumps, not in time.
const (
	// dumpAttempts bounds retries of one dump that failed transiently
	// (idle state, truncated or empty output).
	dumpAttempts = 5
	// DefaultAwaitDumps bounds the dumps one Await may take.
	DefaultAwaitDumps = 8
	// fromPatience is how many identical dumps of the previous screen
	// Await accepts before it decides the action had no effect.
	fromPatience = 3
	// maxScrolls bounds the swipes ScrollTo makes.
	maxScrolls = 6
	// swipeDuration is slow enough to scroll without a fling.
	swipeDuration = 300 * time.Millisecond
)

// NewEngine returns an engine recognising screens (in order) on dev.
func NewEngine(dev adb.Device, screens []Screen) *Engine {
	return &Engine{dev: dev, screens: screens}
}

// Device is the device the engine drives.
func (e *Engine) Device() adb.Device { return e.dev }

// SetScreens replaces the known screens (after the language is known).
func (e *Engine) SetScreens(screens []Screen) { e.screens = screens }

// Screens returns the known screens.
func (e *Engine) Screens() []Screen { return e.screens }

// Last returns the most recent dump and whether nothing was done since.
func (e *Engine) Last() (*hierarchy.Hierarchy, bool) { return e.last, e.fresh }

// LastXML returns the raw XML of the most recent dump.
func (e *Engine) LastXML() []byte { return e.lastRaw }

// Invalidate forgets that the last dump is current (something outside the
// engine acted on the phone).
func (e *Engine) Invalidate() { e.fresh = false }

// Dump reads the screen, retrying the transient failures uiautomator is
// known for: "could not get idle state", empty or truncated output.
func (e *Engine) Dump(ctx context.Context) (*hierarchy.Hierarchy, error) {
	var lastErr error
	for range dumpAttempts {
		dump, err := adb.DumpUI(ctx, e.dev)
		if err == nil {
			var h *hierarchy.Hierarchy
			h, err = hierarchy.ParseContext(ctx, dump.XML)
			if err == nil {
				e.last, e.lastRaw, e.fresh = h, dump.XML, true
				return h, nil
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

func transient(err error) bool {
	return errors.Is(err, adb.ErrIdleState) || errors.Is(err, adb.ErrEmptyDump) ||
		errors.Is(err, hierarchy.ErrTruncated) || errors.Is(err, hierarchy.ErrEmpty)
}

// Current returns the screen as last read if nothing happened since, else
// reads it.
func (e *Engine) Current(ctx context.Context) (*hierarchy.Hierarchy, *Screen, error) {
	if !e.fresh || e.last == nil {
		if _, err := e.Dump(ctx); err != nil {
			return nil, nil, err
		}
	}
	return e.last, Identify(e.last, e.screens), nil
}

// Input sends input actions in one round trip and marks the screen as
// changed.
func (e *Engine) Input(ctx context.Context, actions ...adb.InputAction) error {
	e.fresh = false
	return adb.Input(ctx, e.dev, actions...)
}

// Tap taps the centre of n's visible part.
func (e *Engine) Tap(ctx context.Context, n *hierarchy.Node) error {
	x, y := n.Bounds.Center()
	return e.Input(ctx, adb.Tap(x, y))
}

// PopupHandler deals with a dialog that interrupts a flow. It returns
// handled=true when it acted on the screen (Await then reads it again).
type PopupHandler func(ctx context.Context, h *hierarchy.Hierarchy, s *Screen) (handled bool, err error)

// AwaitOptions tune Await.
type AwaitOptions struct {
	// From are screens the phone may still show because the action has
	// not taken effect yet; Await keeps reading while they show.
	From []string
	// Popup handles interrupting dialogs; nil handles none.
	Popup PopupHandler
	// MaxDumps bounds the dumps; 0 means DefaultAwaitDumps.
	MaxDumps int
	// Detail is added to errors, e.g. "after tapping Sign out".
	Detail string
}

// Await reads the screen until it shows one of want, and returns it. It
// never sleeps: each dump takes its own time on the phone. The phone is
// taken to have settled on something else when two dumps in a row are
// identical and show neither a wanted nor a From screen; then Await
// returns an *UnexpectedScreenError saying what the phone shows.
func (e *Engine) Await(ctx context.Context, want []string, opt AwaitOptions) (*hierarchy.Hierarchy, *Screen, error) {
	maxDumps := opt.MaxDumps
	if maxDumps <= 0 {
		maxDumps = DefaultAwaitDumps
	}
	var prev []byte
	same := 0
	var h *hierarchy.Hierarchy
	var s *Screen
	for i := 0; ; i++ {
		var err error
		if i == 0 && e.fresh && e.last != nil {
			h = e.last
		} else {
			if i >= maxDumps {
				break
			}
			if h, err = e.Dump(ctx); err != nil {
				return nil, nil, err
			}
		}
		s = Identify(h, e.screens)
		if s != nil && slices.Contains(want, s.Name) {
			return h, s, nil
		}
		if opt.Popup != nil && s != nil {
			handled, err := opt.Popup(ctx, h, s)
			if err != nil {
				return h, s, err
			}
			if handled {
				prev, same = nil, 0
				continue
			}
		}
		if prev != nil && bytes.Equal(prev, e.lastRaw) {
			same++
		} else {
			same = 0
		}
		prev = e.lastRaw
		if s != nil && slices.Contains(opt.From, s.Name) {
			if same+1 >= fromPatience {
				return h, s, e.unexpected(want, h, s, opt.Detail+" (nothing changed)")
			}
			continue
		}
		if same >= 1 {
			return h, s, e.unexpected(want, h, s, opt.Detail)
		}
	}
	return h, s, e.unexpected(want, h, s, opt.Detail)
}

func (e *Engine) unexpected(want []string, h *hierarchy.Hierarchy, s *Screen, detail string) error {
	var titles []string
	for _, w := range want {
		titles = append(titles, e.titleOf(w))
	}
	return &UnexpectedScreenError{Want: titles, Got: s, Seen: OutlineOf(h), Hierarchy: h, Detail: detail}
}

// TitleOf returns the title of a known screen, or its name.
func (e *Engine) titleOf(name string) string {
	for _, s := range e.screens {
		if s.Name == name {
			return s.Title
		}
	}
	return name
}

// ScrollTo returns the node sel finds on the current screen, swiping the
// largest scrollable container upwards (finger moving up, content moving
// down the list) until it appears, the screen stops changing, or
// maxScrolls swipes were made.
// It also returns how many swipes it made.
func (e *Engine) ScrollTo(ctx context.Context, sels ...Selector) (*hierarchy.Node, int, error) {
	h, _, err := e.Current(ctx)
	if err != nil {
		return nil, 0, err
	}
	for i := 0; ; i++ {
		if n := FirstOf(h, sels...); n != nil {
			return n, i, nil
		}
		if i == maxScrolls {
			break
		}
		c := largestScrollable(h)
		if c == nil {
			break
		}
		before := e.lastRaw
		r := c.Bounds
		x := (r.Left + r.Right) / 2
		y1 := r.Top + r.Height()*3/4
		y2 := r.Top + r.Height()/4
		if err := e.Input(ctx, adb.Swipe(x, y1, x, y2, swipeDuration)); err != nil {
			return nil, i, fmt.Errorf("scroll: %w", err)
		}
		if h, err = e.Dump(ctx); err != nil {
			return nil, i + 1, err
		}
		if bytes.Equal(before, e.lastRaw) {
			break // the list did not move: its end is reached
		}
	}
	return nil, maxScrolls, nil
}

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
