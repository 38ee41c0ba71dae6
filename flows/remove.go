package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
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

// passwordField finds the password box of the password dialog.
var passwordField = ui.Selector{Class: "EditText", Password: ui.Flag(true)}

// preflight checks the phone can be driven and gets it ready: awake, and
// kept awake while plugged in. It sends one input event (the wake key),
// which also proves input injection is allowed.
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
	if st.Awake && st.Locked {
		return "", errLocked()
	}
	if s.opts.DryRun {
		if !st.Awake {
			desc += "; the screen is off: a real run wakes it"
		}
		return desc + "; input injection is checked by a real run", nil
	}
	if err := s.ui.Input(ctx, adb.KeyEvent(adb.KeyWakeup)); err != nil {
		if errors.Is(err, adb.ErrInjectionDenied) {
			return "", errNoInjection()
		}
		return "", fmt.Errorf("wake the screen: %w", err)
	}
	if !st.Awake {
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
	if err := s.keepAwake(ctx, st.StayOn); err != nil {
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

// keepAwake turns on "stay awake while charging over USB" unless it is on,
// remembering the old value for Close.
func (s *Session) keepAwake(ctx context.Context, current string) error {
	if v, err := strconv.Atoi(current); err == nil && v&2 != 0 {
		return nil // already on for USB
	}
	res, err := s.dev.Shell(ctx, "svc power stayon usb")
	if err != nil {
		return fmt.Errorf("keep the screen awake: %w", err)
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("keep the screen awake: svc exited %d", res.ExitCode)
	}
	s.stayOn.before, s.stayOn.changed = current, true
	return nil
}

// openSettings starts Settings and waits for its main list.
func (s *Session) openSettings(ctx context.Context) (string, error) {
	from := s.shownNow()
	if err := adb.StartActivity(ctx, s.dev, adb.Intent{Action: actionSettings}); err != nil {
		return "", fmt.Errorf("start Settings: %w", err)
	}
	s.ui.Invalidate()
	_, scr, err := s.await(ctx, StepOpenSettings, []string{ScreenSettings, ScreenSettingsSignOut}, from, "after starting Settings")
	if err != nil {
		return "", err
	}
	if scr.Name == ScreenSettingsSignOut {
		return "Settings is open; it shows no Xiaomi account", nil
	}
	return "Settings is open", nil
}

// openAccount opens the Xiaomi Account screen: the intent is one round
// trip and works from anywhere; phones without it get the Settings row.
func (s *Session) openAccount(ctx context.Context) (string, error) {
	from := s.shownNow()
	if from == ScreenAccount {
		return "the Xiaomi Account screen is already open", nil
	}
	err := adb.StartActivity(ctx, s.dev, adb.Intent{Action: actionAccountSync})
	how := "opened with the account intent"
	switch {
	case errors.Is(err, adb.ErrActivityNotFound):
		if err := s.openAccountFromSettings(ctx); err != nil {
			return "", err
		}
		how = "opened through the Settings row (this phone has no account intent)"
	case err != nil:
		return "", fmt.Errorf("open account screen: %w", err)
	default:
		s.ui.Invalidate()
	}
	_, scr, err := s.await(ctx, StepOpenAccount, []string{ScreenAccount, ScreenAccountSignIn}, from, "after opening the account screen")
	if err != nil {
		return "", err
	}
	if scr.Name == ScreenAccountSignIn {
		return "", fmt.Errorf("%w: the account screen asks to sign in: no Xiaomi account is signed in", ErrPrecondition)
	}
	return "Xiaomi Account screen " + how, nil
}

// openAccountFromSettings taps the account row in Settings, scrolling to
// it, starting Settings first when the phone shows something else.
func (s *Session) openAccountFromSettings(ctx context.Context) error {
	_, scr, err := s.ui.Current(ctx)
	if err != nil {
		return err
	}
	if scr == nil || (scr.Name != ScreenSettings && scr.Name != ScreenSettingsSignOut) {
		from := ""
		if scr != nil {
			from = scr.Name
		}
		if err := adb.StartActivity(ctx, s.dev, adb.Intent{Action: actionSettings}); err != nil {
			return fmt.Errorf("start Settings: %w", err)
		}
		s.ui.Invalidate()
		if _, _, err := s.await(ctx, StepOpenAccount, []string{ScreenSettings, ScreenSettingsSignOut}, from, "after starting Settings"); err != nil {
			return err
		}
	}
	row, _, err := s.ui.ScrollTo(ctx, ui.Selector{Text: s.texts.AccountRow, Package: pkgSettings}, ui.Selector{Text: s.texts.SignInRow, Package: pkgSettings})
	if err != nil {
		return err
	}
	if row == nil {
		h, _ := s.ui.Last()
		return &ui.UnexpectedScreenError{Want: []string{"a Settings row " + quoteList(s.texts.AccountRow)}, Seen: ui.OutlineOf(h), Hierarchy: h, Detail: "(scrolled to the end of Settings)"}
	}
	if err := s.ui.Tap(ctx, row.ClickTarget()); err != nil {
		return fmt.Errorf("tap the account row: %w", err)
	}
	return nil
}

// signOut taps Sign out on the account screen, scrolling to it when it is
// below the fold, and waits for the data dialog.
func (s *Session) signOut(ctx context.Context) (string, error) {
	h, scr, err := s.ui.Current(ctx)
	if err != nil {
		return "", err
	}
	switch name(scr) {
	case ScreenData, ScreenConfirm, ScreenPassword:
		return "already done: the phone shows " + scr.Title, nil
	case ScreenAccount:
	default:
		return "", s.precondition(StepSignOut, ScreenAccount, scr, h, StepOpenAccount)
	}
	btn, swipes, err := s.ui.ScrollTo(ctx,
		ui.ByID(idLogout),
		ui.Selector{Text: s.texts.SignOut, Clickable: ui.Flag(true)},
		ui.ByText(s.texts.SignOut...))
	if err != nil {
		return "", err
	}
	if btn == nil {
		h, _ := s.ui.Last()
		return "", &ui.UnexpectedScreenError{Want: []string{"a Sign out button"}, Seen: ui.OutlineOf(h), Hierarchy: h, Detail: "on the Xiaomi Account screen (scrolled to its end)"}
	}
	scrolled := ""
	if swipes > 0 {
		scrolled = " (scrolled down to it)"
	}
	if err := s.ui.Tap(ctx, btn.ClickTarget()); err != nil {
		return "", fmt.Errorf("tap Sign out: %w", err)
	}
	_, scr, err = s.await(ctx, StepSignOut, []string{ScreenData, ScreenConfirm, ScreenPassword}, ScreenAccount, "after tapping Sign out")
	if err != nil {
		return "", err
	}
	return "tapped Sign out" + scrolled + "; the phone shows " + scr.Title, nil
}

// removeData answers the data dialog (Remove, or Keep with --keep-data)
// and confirms with OK.
func (s *Session) removeData(ctx context.Context) (string, error) {
	h, scr, err := s.ui.Current(ctx)
	if err != nil {
		return "", err
	}
	choice, choiceTexts := "Remove", s.texts.Remove
	if s.opts.KeepData {
		choice, choiceTexts = "Keep", s.texts.Keep
	}
	msg := ""
	switch name(scr) {
	case ScreenPassword:
		return "already done: the phone shows the password dialog", nil
	case ScreenConfirm:
		msg = "the choice was already made; "
	case ScreenData:
		btn := clickableText(h, choiceTexts)
		if btn == nil {
			return "", &ui.UnexpectedScreenError{Want: []string{"a " + choice + " button"}, Got: scr, Seen: ui.OutlineOf(h), Hierarchy: h}
		}
		if err := s.ui.Tap(ctx, btn.ClickTarget()); err != nil {
			return "", fmt.Errorf("tap %s: %w", choice, err)
		}
		if h, scr, err = s.await(ctx, StepRemoveData, []string{ScreenConfirm, ScreenPassword}, ScreenData, "after tapping "+choice); err != nil {
			return "", err
		}
		msg = "chose " + choice + "; "
		if scr.Name == ScreenPassword {
			return msg + "no confirmation was asked", nil
		}
	default:
		return "", s.precondition(StepRemoveData, ScreenData, scr, h, StepSignOut)
	}
	ok := clickableText(h, s.texts.OK)
	if ok == nil {
		ok = ui.ByID(idButton2).Find(h)
	}
	if ok == nil {
		return "", &ui.UnexpectedScreenError{Want: []string{"an OK button"}, Got: scr, Seen: ui.OutlineOf(h), Hierarchy: h}
	}
	if err := s.ui.Tap(ctx, ok.ClickTarget()); err != nil {
		return "", fmt.Errorf("tap OK: %w", err)
	}
	if _, _, err := s.await(ctx, StepRemoveData, []string{ScreenPassword}, ScreenConfirm, "after confirming with OK"); err != nil {
		return "", err
	}
	return msg + "confirmed with OK", nil
}

// enterPassword types the password and taps OK in one round trip, then
// reads the outcome. A wrong password is never retried: accounts lock
// after a few attempts.
func (s *Session) enterPassword(ctx context.Context) (string, error) {
	if s.opts.Password.IsZero() {
		return "", fmt.Errorf("%w: no password was given", ErrBadPassword)
	}
	h, scr, err := s.ui.Current(ctx)
	if err != nil {
		return "", err
	}
	switch name(scr) {
	case ScreenSettingsSignOut, ScreenAccountSignIn:
		return "already done: " + scr.Title + " shows no account", nil
	case ScreenWrongPassword:
		_ = s.cancelDialog(ctx, h)
		return "", fmt.Errorf("%w: the phone shows the wrong-password message of an earlier attempt; it was closed and nothing was typed", ErrWrongPassword)
	case ScreenPassword:
	default:
		return "", s.precondition(StepEnterPassword, ScreenPassword, scr, h, StepRemoveData)
	}
	field := passwordField.Find(h)
	ok := clickableText(h, s.texts.OK)
	if ok == nil {
		ok = ui.ByID(idButton2).Find(h)
	}
	if field == nil || ok == nil {
		return "", &ui.UnexpectedScreenError{Want: []string{"a password field and an OK button"}, Got: scr, Seen: ui.OutlineOf(h), Hierarchy: h}
	}
	var actions []adb.InputAction
	if !field.Focused {
		actions = append(actions, adb.Tap(field.Bounds.Center()))
	}
	// Text left by an attempt the phone dropped off ADB during would be
	// typed in front of the password: delete it first.
	actions = append(actions, clearField(field)...)
	okX, okY := ok.ClickTarget().Bounds.Center()
	actions = append(actions, adb.Text(s.opts.Password.reveal()), adb.Tap(okX, okY))
	if err := s.ui.Input(ctx, actions...); err != nil {
		if errors.Is(err, adb.ErrUntypable) {
			return "", fmt.Errorf("%w: %v", ErrBadPassword, err)
		}
		return "", fmt.Errorf("type the password: %w", err)
	}
	// The account manager answers in one shell call what a dump would
	// tell in seconds; dump only when the account is still there (to
	// read a wrong-password message, or wait for a slow sign-out).
	if id, err := XiaomiAccount(ctx, s.dev); err == nil && id == "" {
		return "the phone accepted the password and signed out (the account manager no longer lists the account)", nil
	}
	h, scr, err = s.ui.Await(ctx,
		[]string{ScreenSettingsSignOut, ScreenAccountSignIn, ScreenLauncher, ScreenSettings, ScreenWrongPassword},
		ui.AwaitOptions{From: []string{ScreenPassword}, Popup: s.popups(StepEnterPassword), MaxDumps: 12, Detail: "after tapping OK"})
	if err != nil {
		return "", s.explain(err)
	}
	if scr.Name == ScreenWrongPassword {
		closed := "the dialog was closed"
		if err := s.cancelDialog(ctx, h); err != nil {
			closed = "closing the dialog failed: " + err.Error()
		}
		return "", fmt.Errorf("%w: the phone says the password is incorrect; it was not retried, because accounts lock after several attempts (%s)", ErrWrongPassword, closed)
	}
	return "the phone accepted the password and signed out", nil
}

// cancelDialog taps Cancel and waits for the account screen.
func (s *Session) cancelDialog(ctx context.Context, h *hierarchy.Hierarchy) error {
	btn := clickableText(h, s.texts.Cancel)
	if btn == nil {
		btn = ui.ByID(idButton1).Find(h)
	}
	var err error
	if btn != nil {
		err = s.ui.Tap(ctx, btn.ClickTarget())
	} else {
		err = s.ui.Input(ctx, adb.KeyEvent(adb.KeyBack))
	}
	if err != nil {
		return err
	}
	_, _, err = s.ui.Await(ctx, []string{ScreenAccount}, ui.AwaitOptions{From: []string{ScreenWrongPassword, ScreenPassword}, MaxDumps: 4})
	return err
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

// verify proves the account is gone: not in the account manager, and the
// Settings row offers to sign in.
func (s *Session) verify(ctx context.Context) (string, error) {
	res, err := s.dev.Shell(ctx, "dumpsys account; echo "+sectionMark+"; dumpsys power")
	if err != nil {
		return "", fmt.Errorf("read accounts: %w", err)
	}
	accounts, power, _ := strings.Cut(res.String(), sectionMark)
	if id := XiaomiAccountIn(accounts); id != "" {
		return "", fmt.Errorf("%w: Xiaomi Account %s is still listed by the account manager", ErrStillSignedIn, MaskID(id))
	}
	if s.opts.DryRun {
		return "no Xiaomi account in dumpsys account", nil
	}
	if !awake(power) {
		if err := s.ui.Input(ctx, adb.KeyEvent(adb.KeyWakeup)); err != nil {
			return "", fmt.Errorf("wake the screen: %w", err)
		}
	}
	if err := adb.StartActivity(ctx, s.dev, adb.Intent{Action: actionSettings}); err != nil {
		return "", fmt.Errorf("start Settings: %w", err)
	}
	_, scr, err := s.ui.Await(ctx, []string{ScreenSettingsSignOut, ScreenSettings, ScreenLock},
		ui.AwaitOptions{From: []string{ScreenLauncher}, Popup: s.popups(StepVerify), Detail: "after starting Settings"})
	if err != nil {
		return "", s.explain(err)
	}
	switch scr.Name {
	case ScreenLock:
		return "no Xiaomi account in dumpsys account; the phone is locked after the restart, so the Settings row was not read", nil
	case ScreenSettings:
		return "", fmt.Errorf("%w: Settings still shows the Xiaomi Account row", ErrStillSignedIn)
	}
	return "no Xiaomi account on the phone; Settings offers to sign in", nil
}

// await waits for want after an action, with the pop-up rules of step; a
// lock screen becomes "not ready" (exit 4) rather than an unknown screen.
func (s *Session) await(ctx context.Context, step string, want []string, from string, detail string) (*hierarchy.Hierarchy, *ui.Screen, error) {
	froms := []string{ScreenLauncher}
	if from != "" {
		froms = append(froms, from)
	}
	h, scr, err := s.ui.Await(ctx, want, ui.AwaitOptions{From: froms, Popup: s.popups(step), Detail: detail})
	if err != nil {
		return h, scr, s.explain(err)
	}
	return h, scr, nil
}

// explain turns a lock screen seen instead of the expected one into a
// not-ready error with its fix.
func (s *Session) explain(err error) error {
	var ue *ui.UnexpectedScreenError
	if errors.As(err, &ue) && ue.Got != nil && ue.Got.Name == ScreenLock {
		return errLocked()
	}
	return err
}

// shownNow names the screen the last dump showed, if nothing was done
// since; "" otherwise.
func (s *Session) shownNow() string {
	h, fresh := s.ui.Last()
	if !fresh {
		return ""
	}
	return name(ui.Identify(h, s.ui.Screens()))
}

func name(scr *ui.Screen) string {
	if scr == nil {
		return ""
	}
	return scr.Name
}

// precondition explains that a step starts on another screen, and which
// step gets the phone there.
func (s *Session) precondition(step, want string, got *ui.Screen, h *hierarchy.Hierarchy, runFirst string) error {
	shows := ui.OutlineOf(h).String()
	if got != nil {
		shows = got.Title
	}
	wantTitle := want
	for _, sc := range s.ui.Screens() {
		if sc.Name == want {
			wantTitle = sc.Title
			break
		}
	}
	return fmt.Errorf("%w: %s starts on %s, but the phone shows %s; run `miacct step %s` first", ErrPrecondition, step, wantTitle, shows, runFirst)
}

// popups returns the pop-up rules for a step: all in one place. Find
// device is turned off only while signing out (the flow needs it off);
// every other known pop-up is dismissed; an unknown one stops the flow
// (Await reports it).
func (s *Session) popups(step string) ui.PopupHandler {
	handled := 0
	return func(ctx context.Context, h *hierarchy.Hierarchy, scr *ui.Screen) (bool, error) {
		var texts []string
		var what string
		switch scr.Name {
		case ScreenFindDevice:
			if step == StepSignOut {
				texts, what = s.texts.TurnOff, `answered "Turn off Find device?" with Turn off`
			} else {
				texts, what = s.texts.KeepOn, `dismissed "Turn off Find device?"`
			}
		case ScreenUpdate:
			texts, what = s.texts.Later, "dismissed a system update prompt"
		case ScreenUSB, ScreenPermission:
			texts, what = s.texts.Deny, "dismissed "+scr.Title
		default:
			return false, nil
		}
		handled++
		if handled > 3 {
			return false, fmt.Errorf("%w: pop-ups keep appearing (%s)", ui.ErrUnexpectedScreen, scr.Title)
		}
		var err error
		if btn := clickableText(h, texts); btn != nil {
			err = s.ui.Tap(ctx, btn.ClickTarget())
		} else {
			err = s.ui.Input(ctx, adb.KeyEvent(adb.KeyBack))
			what += " (with Back)"
		}
		if err != nil {
			return false, fmt.Errorf("%s: %w", what, err)
		}
		s.note("%s", what)
		return true, nil
	}
}

func quoteList(vs []string) string {
	q := slices.Clone(vs)
	for i, v := range q {
		q[i] = strconv.Quote(v)
	}
	if len(q) == 0 {
		return ""
	}
	out := q[0]
	for _, v := range q[1:] {
		out += " or " + v
	}
	return out
}
