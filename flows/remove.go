package flows

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/hierarchy"
	"github.com/miacct/miacct/flows/ui"
)

// Intents the flow starts.
const (
	actionSettings    = "android.settings.SETTINGS"
	actionAccountSync = "android.settings.XIAOMI_ACCOUNT_SYNC_SETTINGS"
)

// accountIntent opens the Xiaomi Account screen on MIUI 12+ and HyperOS
// (Settings' own header uses it: real-miui.md 2.2, 2.5).
func accountIntent() adb.Intent { return adb.Intent{Action: actionAccountSync} }

// signOutState is what happened between tapping Sign out and the account
// being gone. The phone shows its dialogs in an order of its own, so the
// steps of that stretch share it: a dialog is answered by whichever step
// meets it, and each step reports what happened.
type signOutState struct {
	tapped     bool   // Sign out was tapped in this run
	findDevice bool   // "Turn off Find device?" was answered
	data       string // the data dialog's answer: "Remove", "Keep"
	// typed: the password was typed. It is never typed twice in a run:
	// accounts lock after a few wrong attempts.
	typed     bool
	typedBy   string // the step that typed it
	inFlight  bool   // typing or confirming: a lost connection leaves it unknown
	signedOut bool   // the account manager no longer lists the account
	followUps []string
	// checkedAt is the view the account manager was last asked about, so
	// one screen costs at most one question.
	checkedAt *ui.View
}

// preflight checks the phone can be driven and gets it ready: awake, and
// kept awake while plugged in.
func (s *Session) preflight(ctx context.Context) (string, error) {
	p := s.phone
	if !p.IsXiaomi() {
		return "", &NotReadyError{
			Reason: fmt.Sprintf("%s is not a Xiaomi phone with MIUI or HyperOS (manufacturer %q, %s)", p.Label(), p.Manufacturer, p.OS),
			Fix:    "miacct works on Xiaomi, Redmi and POCO phones",
		}
	}
	st := s.state
	if st == nil {
		var err error
		if st, err = s.Inspect(ctx); err != nil {
			return "", err
		}
	}
	desc := fmt.Sprintf("%s, %s, Android %s", p.Name, p.OS, p.Android)
	if st.Account == "" && s.requireAccount {
		s.nothingToDo = true
		return "nothing to remove: no Xiaomi account is signed in (" + desc + ")", nil
	}
	if st.Account != "" {
		desc += ", Xiaomi Account " + MaskID(st.Account)
	}
	if s.words.Lang == "" {
		desc += "; no language file covers locale " + strconv.Quote(p.Locale) + ": screens are read by ids and every language's words"
	}
	if st.Awake && st.Locked {
		return "", errLocked()
	}
	if s.opts.DryRun {
		if !st.Awake {
			desc += "; the screen is off: a real run wakes it"
		}
		return desc, nil
	}
	// The screen is on: no key is needed. Input injection is then proven
	// by the first tap, which comes before anything changes (opening a
	// screen is not a change). The site's steps alone prove it first: a
	// phone restarted without an account may refuse input (HyperOS), and
	// the user is then told what to do by hand.
	if s.job.RunsFlow() == FlowDeleteAccount && st.Awake {
		if err := s.ui.Input(ctx, adb.KeyEvent(adb.KeyWakeup)); err != nil {
			if errors.Is(err, adb.ErrInjectionDenied) {
				return "", errNoInjectionForSite()
			}
			return "", fmt.Errorf("test input: %w", err)
		}
	}
	if !st.Awake {
		if err := s.ui.Input(ctx, adb.KeyEvent(adb.KeyWakeup)); err != nil {
			return "", fmt.Errorf("wake the screen: %w", s.explain(err))
		}
		// Waking may show the lock screen; a secure one cannot be passed.
		res, err := s.dev.Shell(ctx, "dumpsys window")
		if err != nil {
			return "", fmt.Errorf("read lock state: %w", err)
		}
		if locked(res.String()) {
			return "", errLocked()
		}
		st.Awake = true
		desc += "; woke the screen"
	}
	if err := s.keepAwake(ctx, st); err != nil {
		return "", err
	}
	return desc, nil
}

func errLocked() error {
	return &NotReadyError{Reason: "the phone is locked", Fix: "unlock it and keep the screen on, then run again"}
}

func errNoInjection() error {
	return &NotReadyError{
		Reason: "the phone does not allow input from ADB",
		Fix:    `in Developer options turn on "USB debugging (Security settings)", restart the phone, then run again`,
	}
}

// errNoInjectionForSite: the phone refuses input, so the site's steps
// must be done by hand.
func errNoInjectionForSite() error {
	return &NotReadyError{
		Reason: "the phone does not allow input from ADB (on HyperOS this happens once the phone restarted without a Xiaomi account)",
		Fix:    "finish by hand, on the phone or any other device: open " + DeletePageURL + ". " + strings.Join(ManualSteps(), " "),
	}
}

// keepAwake turns on "stay awake while charging over USB" unless it is on,
// remembering the old value for Close, on the phone first: a run killed
// before Close leaves it there, and the next run puts back that value,
// not the "on" it finds.
func (s *Session) keepAwake(ctx context.Context, st *State) error {
	original := st.StayOn
	if st.SavedStayOn != "" {
		original = st.SavedStayOn
		s.note("put back the stay-awake setting an earlier, interrupted run left on")
	}
	if v, err := strconv.Atoi(st.StayOn); err == nil && v&2 != 0 {
		if st.SavedStayOn != "" {
			s.stayOn.before, s.stayOn.changed = original, true // Close repairs it
		}
		return nil // already on for USB
	}
	res, err := s.dev.Shell(ctx, "echo "+shellWord(original)+" > "+stayOnFile+" && svc power stayon usb")
	if err != nil {
		return fmt.Errorf("keep the screen awake: %w", err)
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("keep the screen awake: svc exited %d", res.ExitCode)
	}
	s.stayOn.before, s.stayOn.changed = original, true
	return nil
}

// shellWord keeps a value read from the phone to one plain word for the
// shell (a stay-awake value is a number or "null").
func shellWord(v string) string {
	if validStayOn(v) {
		return v
	}
	return "0"
}

// openSettings is step 1 of the guide: start Settings and find the Xiaomi
// Account row (Global ROMs keep it near the end of the list).
func (s *Session) openSettings(ctx context.Context) (string, error) {
	if err := s.startSettings(ctx); err != nil {
		return "", err
	}
	st, _ := lookup(StepOpenSettings)
	if err := s.reach(ctx, goal{step: st, want: []string{screenSettings}, detail: "after starting Settings",
		turn: func(_ context.Context, v *ui.View) (verdict, error) {
			if v.Is(screenSettings) {
				return reached, nil
			}
			return notYet, nil
		}}); err != nil {
		return "", err
	}
	row, swipes, err := s.ui.ScrollTo(ctx, func(v *ui.View) *hierarchy.Node { return v.Part("account-row") })
	if err != nil {
		return "", err
	}
	switch {
	case row == nil && s.words.Lang == "":
		return "Settings is open; the Xiaomi Account row was not found (no language file covers this phone's locale: add one with --texts)", nil
	case row == nil:
		return "Settings is open; no Xiaomi Account row was found in it", nil
	case swipes > 0:
		return fmt.Sprintf("Settings is open; scrolled %d times to the Xiaomi Account row", swipes), nil
	}
	return "Settings is open, showing the Xiaomi Account row", nil
}

func (s *Session) startSettings(ctx context.Context) error {
	err := adb.StartActivity(ctx, s.dev, adb.Intent{Action: actionSettings})
	s.ui.Invalidate()
	if err != nil {
		return fmt.Errorf("start Settings: %w", err)
	}
	return nil
}

// openAccount opens the Xiaomi Account screen: the intent is one round
// trip and works from anywhere; phones without it get the Settings row.
func (s *Session) openAccount(ctx context.Context) (string, error) {
	if v, fresh := s.ui.Last(); fresh && v.Is(screenAccount) {
		return "the Xiaomi Account screen is already open", nil
	}
	how := "opened with the account intent"
	byIntent := s.state == nil || !s.state.IntentKnown || s.state.AccountIntent
	if byIntent {
		err := adb.StartActivity(ctx, s.dev, accountIntent())
		s.ui.Invalidate()
		switch {
		case errors.Is(err, adb.ErrActivityNotFound):
			byIntent = false
		case err != nil:
			return "", fmt.Errorf("open the account screen: %w", err)
		}
	}
	settingsStarted, rowTapped := false, false
	if !byIntent {
		how = "opened through the Settings row (the account intent does not resolve on this phone)"
		if v, fresh := s.ui.Last(); !fresh || !v.Is(screenSettings) {
			if err := s.startSettings(ctx); err != nil {
				return "", err
			}
			settingsStarted = true
		}
	}
	st, _ := lookup(StepOpenAccount)
	err := s.reach(ctx, goal{step: st, want: []string{screenAccount}, detail: "after opening the account screen",
		turn: func(ctx context.Context, v *ui.View) (verdict, error) {
			switch {
			case v.Is(screenAccount):
				return reached, nil
			case v.Is(signOutDialogs()...):
				how = "already done: the phone shows " + v.Title()
				return reached, nil
			case v.Is(screenAccountSignIn):
				return notYet, fmt.Errorf("%w: the account screen asks to sign in: no Xiaomi account is signed in", ErrPrecondition)
			case !byIntent && !rowTapped && v.Is(screenSettings):
				row, _, err := s.ui.ScrollTo(ctx, func(v *ui.View) *hierarchy.Node { return v.Part("account-row") })
				if err != nil {
					return notYet, err
				}
				if row == nil {
					last, _ := s.ui.Last()
					return notYet, &ui.UnexpectedScreenError{Want: []string{"the Xiaomi Account row of Settings"}, Got: last.Screen, Seen: ui.OutlineOf(last.H), Hierarchy: last.H,
						Detail: "(scrolled to the end of Settings; if the phone's words differ, add them with --texts)"}
				}
				rowTapped = true
				return acted, s.ui.Tap(ctx, row.ClickTarget())
			case !byIntent && !settingsStarted && !rowTapped && !v.Is(screenSettings):
				settingsStarted = true
				return acted, s.startSettings(ctx)
			}
			return notYet, nil
		}})
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(how, "already") {
		return how, nil
	}
	return "Xiaomi Account screen " + how, nil
}

// signOut taps Sign out on the account screen, scrolling to it when it is
// below the fold, and waits for what the phone shows next.
func (s *Session) signOut(ctx context.Context) (string, error) {
	st, _ := lookup(StepSignOut)
	s.signing.tapped = false
	scrolled := 0
	var shown string
	err := s.reach(ctx, goal{step: st, want: signOutDialogs(), wantText: "one of the dialogs that follow Sign out", detail: "after tapping Sign out",
		done: func() bool { return s.signing.signedOut },
		turn: func(ctx context.Context, v *ui.View) (verdict, error) {
			switch {
			case v.Is(signOutDialogs()...):
				shown = v.Title()
				return reached, nil
			case v.Is(screenAccount) && !s.signing.tapped:
				btn, swipes, err := s.ui.ScrollTo(ctx, func(v *ui.View) *hierarchy.Node {
					if !v.Is(screenAccount) {
						return nil
					}
					return v.Part("sign-out")
				})
				if err != nil {
					return notYet, err
				}
				if btn == nil {
					last, _ := s.ui.Last()
					return notYet, &ui.UnexpectedScreenError{Want: []string{"a Sign out button"}, Got: last.Screen, Seen: ui.OutlineOf(last.H), Hierarchy: last.H, Detail: "on the Xiaomi Account screen (scrolled to its end)"}
				}
				scrolled = swipes
				s.signing.tapped = true
				return acted, s.ui.Tap(ctx, btn.ClickTarget())
			case s.signing.tapped && v.Is(screenAccountSignIn, screenSettings, screenLauncher):
				return s.checkSignedOut(ctx, v)
			}
			return notYet, nil
		}})
	if err != nil {
		return "", err
	}
	msg := "tapped Sign out"
	if scrolled > 0 {
		msg += " (scrolled down to it)"
	}
	switch {
	case !s.signing.tapped:
		return "already done: the phone shows " + shown, nil
	case s.signing.signedOut:
		return msg + "; the phone signed out at once", nil
	}
	return msg + "; the phone shows " + shown, nil
}

// removeData answers what the phone asks after Sign out until the synced
// data has been dealt with (Remove, or Keep with --keep-data): Find device
// is turned off when asked, the password typed when it comes first.
func (s *Session) removeData(ctx context.Context) (string, error) {
	st, _ := lookup(StepRemoveData)
	before := len(s.notes)
	err := s.reach(ctx, goal{step: st, want: []string{screenData}, detail: "after Sign out",
		done:  func() bool { return s.signing.data != "" || s.signing.signedOut },
		turn:  func(ctx context.Context, v *ui.View) (verdict, error) { return s.answerSignOut(ctx, v, st) },
		stuck: s.stuckSigningOut})
	if err != nil {
		return "", err
	}
	var msg string
	switch {
	case s.signing.data != "":
		msg = "chose " + s.signing.data
		if s.opts.KeepData {
			msg += " (--keep-data)"
		}
	default:
		msg = "the phone did not ask about the synced data; it signed out"
	}
	return s.since(before) + msg, nil
}

// enterPassword types the password when the phone asks for it (once) and
// answers what follows until the account is gone. A wrong password is
// never retried: accounts lock after a few attempts.
func (s *Session) enterPassword(ctx context.Context) (string, error) {
	if s.opts.Password.IsZero() {
		return "", fmt.Errorf("%w: no password was given", ErrBadPassword)
	}
	st, _ := lookup(StepEnterPassword)
	before := len(s.notes)
	err := s.reach(ctx, goal{step: st, want: []string{screenAccountSignIn, screenSettings, screenLauncher}, detail: "after Sign out",
		done:  func() bool { return s.signing.signedOut },
		turn:  func(ctx context.Context, v *ui.View) (verdict, error) { return s.answerSignOut(ctx, v, st) },
		stuck: s.stuckSigningOut})
	if err != nil {
		return "", err
	}
	var msg string
	switch {
	case !s.signing.typed:
		msg = "the phone did not ask for the password (Find device is off); it signed out"
	case s.signing.typedBy != StepEnterPassword:
		msg = "the password was typed when the phone asked for it (during " + s.signing.typedBy + "); the phone signed out"
	default:
		msg = "the phone accepted the password and signed out"
	}
	return s.since(before) + msg, nil
}

// since lists, in the order they happened, what the step did after its
// first n notes, as the start of its message, and drops those notes (the
// message has them).
func (s *Session) since(n int) string {
	if n >= len(s.notes) {
		return ""
	}
	head := strings.Join(s.notes[n:], "; ") + "; "
	s.notes = s.notes[:n]
	return head
}

// answerSignOut is one turn between Sign out and the account being gone:
// whatever the phone shows, the answer a person would give.
func (s *Session) answerSignOut(ctx context.Context, v *ui.View, st step) (verdict, error) {
	if s.signing.typed && !v.Is(screenPassword, screenWrongPassword) {
		s.signing.inFlight = false
	}
	switch v.Name() {
	case screenFindDevice:
		// Signing out needs Find device off: a phone sold with it on stays
		// locked to the account.
		if err := s.tap(ctx, v, "turn-off", `a "Turn off" button`); err != nil {
			return notYet, err
		}
		s.signing.findDevice = true
		s.note("turned off Find device")
		return acted, nil
	case screenData:
		if s.signing.data != "" {
			return notYet, nil // answered: the dialog is closing
		}
		part, choice := "remove", "Remove"
		if s.opts.KeepData {
			part, choice = "keep", "Keep"
		}
		if err := s.tap(ctx, v, part, "a "+choice+" button"); err != nil {
			return notYet, err
		}
		s.signing.data = choice
		return acted, nil
	case screenPassword:
		if s.signing.typed {
			return notYet, nil // the phone is checking it; stuckSigningOut decides
		}
		if s.opts.Password.IsZero() {
			return notYet, fmt.Errorf("%w: the phone asks for the account password now; run `miacct step %s`", ErrPrecondition, StepEnterPassword)
		}
		return s.typePassword(ctx, v, st)
	case screenWrongPassword:
		closed := s.cancelPassword(ctx, v)
		if !s.signing.typed {
			return notYet, fmt.Errorf("%w: the phone shows the wrong-password message of an earlier attempt; %s and nothing was typed", ErrWrongPassword, closed)
		}
		return notYet, fmt.Errorf("%w: the phone says the password is incorrect; it was not retried, because accounts lock after several attempts (%s)", ErrWrongPassword, closed)
	case screenTwoStep:
		closed := s.cancelPassword(ctx, v)
		return notYet, fmt.Errorf("%w: the phone asks for a 2-step verification code (sent by SMS or e-mail) besides the password; miacct cannot answer it: sign out on the phone by hand (%s)", ErrNeedsHand, closed)
	case screenNotSynced, screenHQImages, screenBankCards:
		if err := s.tap(ctx, v, "go-on", "a button to go on"); err != nil {
			return notYet, err
		}
		s.signing.followUps = append(s.signing.followUps, v.Title())
		s.note("acknowledged %s", v.Title())
		return acted, nil
	case screenCannotSignOut:
		return notYet, fmt.Errorf("%w: the phone shows %s (%s): it could not sign out; check it is online, then run again from %s", ErrCannotSignOut, v.Title(), ui.OutlineOf(v.H).Title, StepSignOut)
	case screenAccountSignIn, screenSettings, screenLauncher, screenAccount:
		return s.checkSignedOut(ctx, v)
	}
	return notYet, nil
}

// checkSignedOut asks the account manager (one shell call) whether the
// account is gone, once per screen: the phone left the dialogs.
func (s *Session) checkSignedOut(ctx context.Context, v *ui.View) (verdict, error) {
	if s.signing.checkedAt == v {
		return notYet, nil
	}
	s.signing.checkedAt = v
	id, err := XiaomiAccount(ctx, s.dev)
	if err != nil {
		return notYet, err
	}
	if id == "" {
		s.signing.signedOut = true
		return acted, nil
	}
	return notYet, nil
}

// typePassword types the password into the dialog's field and taps OK.
// When the field has no focus yet, it is tapped first and the screen read
// again: the keyboard opening moves the dialog, so OK's place changes.
func (s *Session) typePassword(ctx context.Context, v *ui.View, st step) (verdict, error) {
	field, ok := v.Part("field"), v.Part("ok")
	if field == nil || ok == nil {
		return notYet, &ui.UnexpectedScreenError{Want: []string{"a password field and an OK button"}, Got: v.Screen, Seen: ui.OutlineOf(v.H), Hierarchy: v.H}
	}
	if !field.Focused {
		if err := s.ui.Tap(ctx, field); err != nil {
			return notYet, fmt.Errorf("focus the password field: %w", err)
		}
		nv, err := s.ui.Dump(ctx)
		if err != nil {
			return notYet, err
		}
		if !nv.Is(screenPassword) {
			return acted, nil // something else came up: answer it first
		}
		field, ok = nv.Part("field"), nv.Part("ok")
		if field == nil || ok == nil {
			return notYet, &ui.UnexpectedScreenError{Want: []string{"a password field and an OK button"}, Got: nv.Screen, Seen: ui.OutlineOf(nv.H), Hierarchy: nv.H}
		}
	}
	// Text left by an attempt the phone dropped off ADB during would be
	// typed in front of the password: delete it first. An empty field
	// shows its hint instead, which needs no deleting.
	var actions []adb.InputAction
	if holdsTypedText(field) {
		actions = clearField(field)
	}
	okX, okY := ok.ClickTarget().Bounds.Center()
	actions = append(actions, adb.Text(s.opts.Password.reveal()), adb.Tap(okX, okY))
	// Marked before sending: whatever happens next, never a second time.
	s.signing.typed, s.signing.typedBy, s.signing.inFlight = true, st.name, true
	if err := s.ui.Input(ctx, actions...); err != nil {
		if errors.Is(err, adb.ErrUntypable) {
			s.signing.typed, s.signing.inFlight = false, false // nothing reached the phone
			return notYet, fmt.Errorf("%w: %v", ErrBadPassword, err)
		}
		return notYet, fmt.Errorf("type the password: %w", err)
	}
	if st.name != StepEnterPassword {
		s.note("typed the password when the phone asked for it")
	}
	// The account manager answers in one shell call what a dump would
	// tell in seconds.
	id, err := XiaomiAccount(ctx, s.dev)
	if err != nil {
		return notYet, err
	}
	if id == "" {
		s.signing.signedOut, s.signing.inFlight = true, false
	}
	return acted, nil
}

// holdsTypedText reports whether a password field shows typed text:
// Android shows it masked, one mask character per character typed, where
// an empty field shows its hint ("Enter password") instead.
func holdsTypedText(field *hierarchy.Node) bool {
	text := strings.TrimSpace(field.Text)
	if text == "" {
		return false
	}
	for _, r := range text {
		if !strings.ContainsRune("•●*·", r) {
			return false
		}
	}
	return true
}

// stuckSigningOut says what a screen that stayed too long between Sign out
// and the end means.
func (s *Session) stuckSigningOut(ctx context.Context, v *ui.View) error {
	switch {
	case v.Is(screenPassword) && s.signing.typed:
		closed := s.cancelPassword(ctx, v)
		return fmt.Errorf("%w: the password dialog stayed open after OK: the phone did not accept the password; it was not retried (%s)", ErrWrongPassword, closed)
	case v.Is(screenProgress):
		return &ui.UnexpectedScreenError{Want: []string{"the end of signing out"}, Got: v.Screen, Seen: ui.OutlineOf(v.H), Hierarchy: v.H, Detail: "for longer than " + (progressPatience * s.ui.Settle()).String() + " on the phone's clock"}
	case v.Is(screenAccount) && s.signing.tapped:
		return &ui.UnexpectedScreenError{Want: []string{"the end of signing out"}, Got: v.Screen, Seen: ui.OutlineOf(v.H), Hierarchy: v.H, Detail: "(the phone went back to the account screen: the sign-out did not go through)"}
	}
	return &ui.UnexpectedScreenError{Want: []string{"one of the dialogs that follow Sign out"}, Got: v.Screen, Seen: ui.OutlineOf(v.H), Hierarchy: v.H, Detail: "after Sign out"}
}

// cancelPassword closes the password prompt and any message over it
// (Cancel, the message's own button, else Back) without submitting
// anything, so the phone is back on the account screen; it says how that
// went, for the message.
func (s *Session) cancelPassword(ctx context.Context, v *ui.View) string {
	for range 3 {
		if !v.Is(screenPassword, screenWrongPassword, screenTwoStep) {
			return "the dialog was closed"
		}
		var err error
		switch btn := ui.FirstOf(v.H, append(v.Screen.Parts["close"], v.Screen.Parts["cancel"]...)...); {
		case btn != nil:
			err = s.ui.Tap(ctx, btn.ClickTarget())
		default:
			err = s.ui.Input(ctx, adb.KeyEvent(adb.KeyBack))
		}
		if err != nil {
			return "closing the dialog failed: " + err.Error()
		}
		// Wait for the screen to change: a slow phone still shows the
		// closed dialog for a while.
		before, p := v.Raw, s.ui.NewPatience(1)
		for {
			if v, err = s.ui.Dump(ctx); err != nil {
				return "the dialog was closed; reading the screen after failed: " + err.Error()
			}
			if !bytes.Equal(before, v.Raw) || p.Over(v) {
				break
			}
		}
	}
	if !v.Is(screenPassword, screenWrongPassword, screenTwoStep) {
		return "the dialog was closed"
	}
	return "the dialog did not close"
}

// reboot restarts the phone through adbd and waits until it has booted:
// a new boot id and sys.boot_completed=1, waited for on the phone itself.
func (s *Session) reboot(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.BootTimeout)
	defer cancel()
	start := time.Now()
	err := adb.RebootAndWait(adb.WithCallTimeout(ctx, s.opts.BootTimeout), s.dev, s.opts.BootTimeout)
	s.ui.Invalidate()
	if err != nil {
		if errors.Is(err, adb.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
			return "", fmt.Errorf("the phone did not finish booting within %s (raise --boot-timeout): %w", s.opts.BootTimeout, err)
		}
		return "", fmt.Errorf("restart: %w", err)
	}
	return fmt.Sprintf("restarted; booted after %s", time.Since(start).Round(100*time.Millisecond)), nil
}

// verify proves the account is gone by the account manager, the phone's
// own record of its accounts. With Proof (a report is written), it also
// opens the account screen, which then offers to sign in, for the
// report's screenshot.
func (s *Session) verify(ctx context.Context) (string, error) {
	res, err := s.dev.Shell(ctx, "dumpsys account; echo "+sectionMark+"; dumpsys power")
	if err != nil {
		return "", fmt.Errorf("read accounts: %w", err)
	}
	accounts, power, _ := strings.Cut(res.String(), sectionMark)
	if id := XiaomiAccountIn(accounts); id != "" {
		return "", fmt.Errorf("%w: Xiaomi Account %s is still listed by the account manager", ErrStillSignedIn, MaskID(id))
	}
	const gone = "no Xiaomi account in the account manager"
	if s.opts.DryRun || !s.opts.Proof {
		return gone, nil
	}
	if !awake(power) {
		if err := s.ui.Input(ctx, adb.KeyEvent(adb.KeyWakeup)); err != nil {
			return "", fmt.Errorf("wake the screen: %w", s.explain(err))
		}
	}
	err = adb.StartActivity(ctx, s.dev, accountIntent())
	s.ui.Invalidate()
	if errors.Is(err, adb.ErrActivityNotFound) {
		return gone + " (this phone has no account intent, so no screen was shown)", nil
	}
	if err != nil {
		return "", fmt.Errorf("open the account screen: %w", err)
	}
	v, err := s.ui.Await(ctx, []string{screenAccountSignIn, screenAccount, screenLock}, ui.AwaitOptions{Detail: "after opening the account screen"})
	if err != nil {
		var ue *ui.UnexpectedScreenError
		if errors.As(err, &ue) {
			return gone + "; the account screen showed " + v.Title(), nil
		}
		return "", err
	}
	switch v.Name() {
	case screenLock:
		return gone + "; the phone is locked after the restart, so the account screen was not shown", nil
	case screenAccount:
		return "", fmt.Errorf("%w: the account screen still shows the account", ErrStillSignedIn)
	}
	return gone + "; the account screen offers to sign in", nil
}

// awake reads `dumpsys power`.
func awake(dumpsysPower string) bool {
	for _, line := range strings.Split(dumpsysPower, "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "mWakefulness="); ok {
			return strings.TrimSpace(v) == "Awake"
		}
	}
	return true // not reported: assume awake, the dumps will tell
}

// locked reads the keyguard flags that `dumpsys window` shows on the
// Android versions MIUI and HyperOS are built on.
func locked(dumpsysWindow string) bool {
	for _, key := range []string{"mShowingLockscreen=true", "mDreamingLockscreen=true", "isStatusBarKeyguard=true", "mKeyguardShowing=true"} {
		if strings.Contains(dumpsysWindow, key) {
			return true
		}
	}
	return false
}
