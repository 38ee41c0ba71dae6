package flows

import (
	"context"
	"strings"
	"time"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/hierarchy"
)

// lostWait bounds the wait for a phone that dropped off ADB during a step
// that is not simply repeated: only to say exactly where to resume.
const lostWait = 30 * time.Second

// lostError is a connection lost during a step that must not run twice
// by itself (typing the password). It stays a device-lost error (exit 7)
// and carries the step to resume from, found once the phone was back.
type lostError struct {
	err    error
	resume string // the --from step; "" when the phone did not come back
	shows  string // what the phone shows now, for people
}

func (e *lostError) Error() string {
	if e.shows == "" {
		return e.err.Error() + "; the phone did not come back, so where it stopped is unknown"
	}
	return e.err.Error() + "; the phone came back and " + e.shows
}

func (e *lostError) Unwrap() error { return e.err }

// afterLostPassword is called when the phone dropped off ADB while the
// password was being typed and confirmed. The password may or may not
// have reached the phone, so the step is not repeated (a wrong guess
// counts against the account): it waits for the phone, then reads the
// account manager and the screen to name the exact step to resume from.
func (s *Session) afterLostPassword(ctx context.Context, err error) error {
	wctx, cancel := context.WithTimeout(ctx, lostWait)
	defer cancel()
	if werr := s.dev.WaitForDevice(adb.WithCallTimeout(wctx, lostWait)); werr != nil {
		return &lostError{err: err}
	}
	s.ui.Invalidate()
	// A progress message ("Signing out…") means the phone took what was
	// sent and is working: let it finish before deciding.
	p := s.ui.NewPatience(progressPatience)
	for {
		v, derr := s.ui.Dump(ctx)
		if derr != nil || !v.Is(screenProgress) || p.Over(v) {
			break
		}
	}
	id, aerr := XiaomiAccount(ctx, s.dev)
	if aerr == nil && id == "" {
		return &lostError{err: err, resume: StepReboot, shows: "no Xiaomi account is signed in any more: the password was accepted"}
	}
	v, derr := s.ui.Current(ctx)
	if derr != nil {
		return &lostError{err: err, resume: StepSignOut, shows: "its screen could not be read; the account is still signed in"}
	}
	if v.Is(screenProgress) {
		return &lostError{err: err, resume: StepEnterPassword, shows: "shows " + v.Title() + " and the account is still signed in: the phone is still signing out"}
	}
	shows := "shows " + v.Title() + "; the account is still signed in"
	switch {
	case v.Is(screenPassword, screenWrongPassword):
		return &lostError{err: err, resume: StepEnterPassword, shows: shows}
	case v.Is(signOutDialogs()...):
		return &lostError{err: err, resume: StepRemoveData, shows: shows}
	}
	// Anywhere else: from sign-out, each step checks where the phone is.
	return &lostError{err: err, resume: StepSignOut, shows: shows}
}

// clearField returns the key events that delete the text a field shows
// (a password field shows one dot per character): none when it is empty.
func clearField(field *hierarchy.Node) []adb.InputAction {
	n := len([]rune(strings.TrimSpace(field.Text)))
	if n == 0 {
		return nil
	}
	codes := make([]int, n)
	for i := range codes {
		codes[i] = adb.KeyDel
	}
	return []adb.InputAction{adb.KeyEvent(codes...)}
}
