package flows

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/flows/ui"
)

// verdict is what a step makes of the screen the phone shows.
type verdict int

const (
	// notYet: the screen is not one the step acts on; read it again
	// (the phone may still be drawing), within the settle time.
	notYet verdict = iota
	// acted: the step sent an action or learned something; read again.
	acted
	// reached: the step's goal is reached.
	reached
)

// turn lets a step act on the screen the phone shows.
type turn func(ctx context.Context, v *ui.View) (verdict, error)

// goal is how every step on the phone works, the way a person would:
// look at the screen, do what it asks for toward the goal, look again.
// The phone decides the order: a dialog is answered whenever it shows.
type goal struct {
	step step
	// want names the screens of the goal; wantText, when set, says it in
	// a few words for messages instead of listing their titles.
	want     []string
	wantText string
	// done reports the goal reached without reading the screen (what the
	// step learned from the account manager, say).
	done func() bool
	// turn acts on a screen.
	turn turn
	// stuck decides what a screen that stayed too long means; nil: a
	// screen the step did not expect.
	stuck func(ctx context.Context, v *ui.View) error
	// detail ends the message of an unexpected screen.
	detail string
}

// maxTurns bounds the actions of one step: a phone that keeps asking
// (pop-ups coming back) ends the run rather than looping.
const maxTurns = 24

// maxDismissed bounds the pop-ups of other apps one step closes.
const maxDismissed = 5

// progressPatience: a progress message ("Signing out…") may wait for
// Xiaomi's servers; it gets this many times the settle time.
const progressPatience = 4

// progressLook: a wait on the phone during a progress message lasts at
// most the settle time over this, then the screen is read again.
const progressLook = 2

// reach drives the phone until the goal. Pop-ups of other apps are dismissed, the
// lock screen stops the run (it cannot be passed over ADB), and a screen
// that stays longer than the settle time (on the phone's clock) without
// the step acting on it ends the run as unexpected.
func (s *Session) reach(ctx context.Context, d goal) error {
	patience := s.ui.NewPatience(1)
	prev := "\x00"
	turns, first := 0, true
	var actedOn []byte
	for {
		if d.done != nil && d.done() {
			return nil
		}
		v, err := s.ui.Current(ctx)
		if err != nil {
			return err
		}
		if v.Is(screenLock) {
			return errLocked()
		}
		if first && s.alone && !d.step.anywhere && v.Screen != nil && !v.Is(d.step.from...) && !v.Is(d.want...) {
			if d.done == nil || !d.done() {
				return s.precondition(d.step, v)
			}
		}
		first = false
		// A screen just acted on that still looks the same is the phone
		// not having drawn the next one yet (a slow phone): wait for it
		// rather than act twice.
		if actedOn != nil && bytes.Equal(actedOn, v.Raw) {
			if patience.Over(v) {
				return s.explain(d.unexpected(s, v, "(nothing changed after "+d.step.name+" acted on it)"))
			}
			s.ui.Invalidate()
			continue
		}
		actedOn = nil
		vd, err := d.turn(ctx, v)
		if err != nil {
			return s.explain(err)
		}
		switch vd {
		case reached:
			return nil
		case acted:
			if turns++; turns > maxTurns {
				return fmt.Errorf("%w: the phone keeps asking (%d actions in %s); last seen: %s", ui.ErrUnexpectedScreen, turns, d.step.name, v.Title())
			}
			if _, fresh := s.ui.Last(); !fresh {
				actedOn = v.Raw // input was sent: the next dump must differ
			}
			patience.Restart()
			prev = "\x00"
			continue
		}
		if s.book.foreign(v, s.browser) {
			if err := s.dismiss(ctx, v); err != nil {
				return err
			}
			patience.Restart()
			prev = "\x00"
			continue
		}
		if v.Name() != prev {
			patience = s.ui.NewPatience(1)
			if v.Is(screenProgress) {
				patience = s.ui.NewPatience(progressPatience)
			}
			prev = v.Name()
		}
		if patience.Over(v) {
			if d.stuck != nil {
				return s.explain(d.stuck(ctx, v))
			}
			return s.explain(d.unexpected(s, v, d.detail))
		}
		if v.Is(screenProgress) {
			if err := s.waitProgress(ctx, patience.Left(v)); err != nil {
				return err
			}
		}
		s.ui.Invalidate() // look again
	}
}

// accountListed succeeds on the phone while the account manager lists a
// Xiaomi account (what XiaomiAccountIn reads).
const accountListed = `dumpsys account | grep -q 'Account {name=.*, type=com\.xiaomi}'`

// waitProgress lets the phone work while a progress message shows
// ("Checking…", "Signing out…"): it waits on the phone, in one shell
// call, until another window has the focus, the account is gone (once
// Sign out was tapped), or the wait's time is up (left, at most half
// the settle time), rather than reading the message again and
// again at a second or more a look. The next reading then shows what
// follows. The bound keeps a look every few seconds for a phone whose
// message moves on only when its screen is read (the fake's dump-counted
// fixtures).
func (s *Session) waitProgress(ctx context.Context, left time.Duration) error {
	limit := min(left, s.ui.Settle()/progressLook)
	if limit <= 0 {
		return nil
	}
	until := ""
	if s.signing.tapped && !s.signing.signedOut {
		until = "! " + accountListed
	}
	outcome, err := adb.WaitWindow(ctx, s.dev, until, limit)
	switch {
	case err != nil && (deviceLost(err) || errors.Is(err, ErrInterrupted) || ctx.Err() != nil):
		return err
	case err != nil:
		// A phone whose shell cannot run the wait is read again at once,
		// as before.
		return nil
	case outcome == adb.WaitUntilMet:
		s.signing.signedOut, s.signing.inFlight = true, false
	}
	return nil
}

// dismiss closes a pop-up of another app (a system update, low battery,
// a permission): its negative button, else Back; never its positive one,
// which could agree to something.
func (s *Session) dismiss(ctx context.Context, v *ui.View) error {
	if len(s.dismissed) >= maxDismissed {
		return fmt.Errorf("%w: pop-ups keep appearing (%s)", ui.ErrUnexpectedScreen, v.Title())
	}
	what := ui.OutlineOf(v.H).String()
	var err error
	if btn := (ui.Selector{ID: idNegative, Clickable: ui.Flag(true)}).Find(v.H); btn != nil {
		err = s.ui.Tap(ctx, btn)
		what += ", with its negative button"
	} else {
		err = s.ui.Input(ctx, adb.KeyEvent(adb.KeyBack))
		what += ", with Back"
	}
	if err != nil {
		return fmt.Errorf("dismiss a pop-up: %w", err)
	}
	s.dismissed = append(s.dismissed, what)
	s.note("closed a pop-up: %s", what)
	return nil
}

// idNegative is AOSP's negative dialog button (miuix keeps the mapping):
// Cancel, Later, Deny.
const idNegative = "android:id/button2"

// explain turns a lock screen seen instead of the expected one into a
// not-ready error with its fix, and refused input into its fix.
func (s *Session) explain(err error) error {
	var ue *ui.UnexpectedScreenError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ue) && ue.Got != nil && ue.Got.Name == screenLock:
		return errLocked()
	case errors.Is(err, adb.ErrInjectionDenied):
		return errNoInjection()
	}
	return err
}

// tap taps a part of the screen the view shows, or says it is missing.
func (s *Session) tap(ctx context.Context, v *ui.View, part, what string) error {
	n := v.Part(part)
	if n == nil {
		return &ui.UnexpectedScreenError{Want: []string{what + " on " + v.Title()}, Got: v.Screen, Seen: ui.OutlineOf(v.H), Hierarchy: v.H}
	}
	if err := s.ui.Tap(ctx, n.ClickTarget()); err != nil {
		return fmt.Errorf("tap %s: %w", what, err)
	}
	return nil
}

// unexpected is the error for a screen the goal did not expect.
func (d goal) unexpected(s *Session, v *ui.View, detail string) error {
	if d.wantText == "" {
		return s.ui.Unexpected(d.want, v, detail)
	}
	return &ui.UnexpectedScreenError{Want: []string{d.wantText}, Got: v.Screen, Seen: ui.OutlineOf(v.H), Hierarchy: v.H, Detail: detail}
}
