package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/hierarchy"
	"github.com/miacct/miacct/flows/ui"
)

// Steps of delete-account: the seed's steps 7-12, on Xiaomi's account
// site in the phone's own browser, so nothing on the computer ever
// contacts the network.
const (
	StepOpenCloud      = "open-cloud"
	StepOpenDeletePage = "open-delete-page"
	StepApprove        = "approve"
	StepDelete         = "delete"
	StepVerifyCode     = "verify-code"
	StepConfirmDelete  = "confirm-delete"
)

// Addresses of the account site.
const (
	AccountSiteURL = "https://account.xiaomi.com/"
	DeletePageURL  = "https://account.xiaomi.com/pass/del"
)

// ErrWrongCode: the site rejected the verification code (wrong or expired).
var ErrWrongCode = errors.New("wrong verification code")

// ErrNeedsHand: the site shows something only a person can answer (a
// captcha, "too many attempts", an unknown page).
var ErrNeedsHand = errors.New("the site needs a person")

// knownBrowsers are browsers found on Xiaomi phones, in order of
// preference: naming one in the intent avoids the "Open with" chooser.
var knownBrowsers = [...]string{
	"com.android.chrome",
	"com.mi.globalbrowser",
	"com.android.browser",
	"org.mozilla.firefox",
	"com.microsoft.emmx",
	"com.opera.browser",
	"com.brave.browser",
}

func deleteSteps() []stepDef {
	const flow = FlowDeleteAccount
	return []stepDef{
		{StepInfo{StepOpenCloud, 7, "open the account site in the phone's browser, sign in if asked", flow},
			(*Session).openCloud, "open " + AccountSiteURL + " in the phone's browser and sign in with the account id and password if the site asks", true},
		{StepInfo{StepOpenDeletePage, 8, "open the delete-account page", flow},
			(*Session).openDeletePage, "open " + DeletePageURL + " (signing in again if asked)", true},
		{StepInfo{StepApprove, 9, "tick the approval box above the delete button", flow},
			(*Session).approve, `tick "Yes, I want to permanently delete my Mi Account and all its data"`, true},
		{StepInfo{StepDelete, 10, `press "Delete Mi Account"`, flow},
			(*Session).pressDelete, `press "Delete Mi Account"; the site mails a verification code`, false},
		{StepInfo{StepVerifyCode, 11, "enter the verification code mailed to the account's e-mail", flow},
			(*Session).verifyCode, "ask for the code sent to the account's e-mail, type it, submit", false},
		{StepInfo{StepConfirmDelete, 12, "confirm, and see the success message", flow},
			(*Session).confirmDelete, "press Delete on the confirmation and read the success message", false},
	}
}

// ManualSteps is what a person does on the phone after `delete-account
// --manual` opened the delete page.
func ManualSteps() []string {
	return []string{
		"Sign in with the Xiaomi Account id and password if the page asks.",
		`Tick "Yes, I want to permanently delete my Mi Account and all its data".`,
		`Press "Delete Mi Account".`,
		"Enter the verification code Xiaomi mails to the account's e-mail (or sends to its phone number).",
		"Confirm with Delete; the page says the request was submitted.",
	}
}

// OpenDeletePage only opens the delete page in the phone's browser, for
// people who finish by hand (--manual).
func (s *Session) OpenDeletePage(ctx context.Context) error {
	return s.openURL(ctx, DeletePageURL)
}

// chooseBrowser picks an installed browser (one round trip, cached).
func (s *Session) chooseBrowser(ctx context.Context) (string, error) {
	if s.browser != "" {
		return s.browser, nil
	}
	res, err := s.dev.Shell(ctx, "pm list packages")
	if err != nil {
		return "", fmt.Errorf("list installed apps: %w", err)
	}
	installed := map[string]bool{}
	for _, line := range strings.Split(res.String(), "\n") {
		if p, ok := strings.CutPrefix(strings.TrimSpace(line), "package:"); ok {
			installed[p] = true
		}
	}
	for _, b := range knownBrowsers {
		if installed[b] {
			s.browser = b
			return b, nil
		}
	}
	return "", nil // none known: Android asks which app opens the page
}

func (s *Session) openURL(ctx context.Context, url string) error {
	browser, err := s.chooseBrowser(ctx)
	if err != nil {
		return err
	}
	err = adb.StartActivity(ctx, s.dev, adb.Intent{Action: "android.intent.action.VIEW", Data: url, Package: browser})
	s.ui.Invalidate()
	if err != nil {
		if errors.Is(err, adb.ErrActivityNotFound) {
			return &NotReadyError{Reason: "no app on the phone opens " + url, Fix: "install a web browser on the phone, or run with --manual and open the page on another device"}
		}
		return fmt.Errorf("open %s: %w", url, err)
	}
	return nil
}

// webPages are the pages that may follow opening the site.
func webPages() []string {
	return []string{ScreenWebSignIn, ScreenWebSignInError, ScreenWebAccount, ScreenWebDelete, ScreenWebDeleteApproved}
}

// openCloud opens the account site and signs in when it asks.
func (s *Session) openCloud(ctx context.Context) (string, error) {
	if err := s.openURL(ctx, AccountSiteURL); err != nil {
		return "", err
	}
	h, scr, err := s.awaitWeb(ctx, StepOpenCloud, webPages(), "after opening "+AccountSiteURL)
	if err != nil {
		return "", err
	}
	if scr.Name == ScreenWebSignIn || scr.Name == ScreenWebSignInError {
		if _, _, err := s.webSignIn(ctx, h, []string{ScreenWebAccount, ScreenWebDelete, ScreenWebDeleteApproved}); err != nil {
			return "", err
		}
		return "signed in to the account site as " + MaskID(s.webAccount()) + s.browserNote(), nil
	}
	return "the account site is open and signed in" + s.browserNote(), nil
}

func (s *Session) browserNote() string {
	if s.browser == "" {
		return ""
	}
	return " (" + s.browser + ")"
}

// openDeletePage opens the delete page, signing in again if asked.
func (s *Session) openDeletePage(ctx context.Context) (string, error) {
	if err := s.openURL(ctx, DeletePageURL); err != nil {
		return "", err
	}
	h, scr, err := s.awaitWeb(ctx, StepOpenDeletePage, []string{ScreenWebDelete, ScreenWebDeleteApproved, ScreenWebSignIn, ScreenWebSignInError}, "after opening "+DeletePageURL)
	if err != nil {
		return "", err
	}
	if scr.Name == ScreenWebSignIn || scr.Name == ScreenWebSignInError {
		if _, _, err := s.webSignIn(ctx, h, []string{ScreenWebDelete, ScreenWebDeleteApproved}); err != nil {
			return "", err
		}
		return "the delete page is open (signed in first)", nil
	}
	return "the delete page is open", nil
}

// webAccount is the account id the site is signed in with.
func (s *Session) webAccount() string {
	if s.opts.Account != "" {
		return s.opts.Account
	}
	if s.state != nil {
		return s.state.Account
	}
	return ""
}

// webSignIn fills the site's sign-in form in one round trip and waits
// for one of next. A rejected password is never retried.
func (s *Session) webSignIn(ctx context.Context, h *hierarchy.Hierarchy, next []string) (*hierarchy.Hierarchy, *ui.Screen, error) {
	account := s.webAccount()
	if account == "" {
		return nil, nil, fmt.Errorf("%w: the site asks to sign in and no account id is known: pass --account ID", ErrBadPassword)
	}
	if s.opts.Password.IsZero() {
		return nil, nil, fmt.Errorf("%w: the site asks to sign in and no password was given", ErrBadPassword)
	}
	if err := adb.CheckTypable(account); err != nil {
		return nil, nil, fmt.Errorf("account id: %w", err)
	}
	// Fields inside the page: the browser's address bar is an EditText too.
	page := &ui.Selector{Class: "android.webkit.WebView"}
	pw := ui.Selector{Class: "EditText", Password: ui.Flag(true), Inside: page}.Find(h)
	user := ui.Selector{Class: "EditText", Password: ui.Flag(false), Inside: page}.Find(h)
	btn := clickableText(h, s.texts.WebSignIn)
	if pw == nil || user == nil || btn == nil {
		return nil, nil, &ui.UnexpectedScreenError{Want: []string{"a sign-in form (account, password, Sign in)"}, Seen: ui.OutlineOf(h), Hierarchy: h}
	}
	bx, by := btn.ClickTarget().Bounds.Center()
	ux, uy := user.Bounds.Center()
	px, py := pw.Bounds.Center()
	if err := s.ui.Input(ctx, adb.Tap(ux, uy), adb.Text(account), adb.Tap(px, py), adb.Text(s.opts.Password.reveal()), adb.Tap(bx, by)); err != nil {
		if errors.Is(err, adb.ErrUntypable) {
			return nil, nil, fmt.Errorf("%w: %v", ErrBadPassword, err)
		}
		return nil, nil, fmt.Errorf("sign in to the account site: %w", err)
	}
	want := append([]string{ScreenWebSignInError}, next...)
	h, scr, err := s.awaitWeb(ctx, "", want, "after signing in")
	if err != nil {
		return nil, nil, err
	}
	if scr.Name == ScreenWebSignInError {
		return nil, nil, fmt.Errorf("%w: the account site says the account or password is incorrect; it was not retried", ErrWrongPassword)
	}
	return h, scr, nil
}

// approve ticks the approval box above the delete button.
func (s *Session) approve(ctx context.Context) (string, error) {
	h, scr, err := s.ui.Current(ctx)
	if err != nil {
		return "", err
	}
	switch name(scr) {
	case ScreenWebDeleteApproved:
		return "already ticked", nil
	case ScreenWebDelete:
	default:
		return "", s.precondition(StepApprove, ScreenWebDelete, scr, h, StepOpenDeletePage)
	}
	box := ui.FirstOf(h, ui.Selector{Class: "CheckBox", Checked: ui.Flag(false)}, ui.Selector{Text: s.texts.WebApprove})
	if box == nil {
		return "", &ui.UnexpectedScreenError{Want: []string{"the approval box"}, Got: scr, Seen: ui.OutlineOf(h), Hierarchy: h}
	}
	if err := s.ui.Tap(ctx, box.ClickTarget()); err != nil {
		return "", fmt.Errorf("tick the approval box: %w", err)
	}
	if _, _, err := s.awaitWeb(ctx, StepApprove, []string{ScreenWebDeleteApproved}, "after ticking the approval box", ScreenWebDelete); err != nil {
		return "", err
	}
	return "ticked the approval box", nil
}

// pressDelete presses "Delete Mi Account"; the site then mails a code.
func (s *Session) pressDelete(ctx context.Context) (string, error) {
	h, scr, err := s.ui.Current(ctx)
	if err != nil {
		return "", err
	}
	switch name(scr) {
	case ScreenWebCode, ScreenWebWrongCode:
		return "already done: the site asks for the verification code", nil
	case ScreenWebDeleteApproved:
	default:
		return "", s.precondition(StepDelete, ScreenWebDeleteApproved, scr, h, StepApprove)
	}
	// The page title often says the same words: take the button.
	btn := ui.Selector{Text: s.texts.WebDeleteButton, Enabled: ui.Flag(true), Clickable: ui.Flag(true)}.Find(h)
	if btn == nil {
		return "", &ui.UnexpectedScreenError{Want: []string{`an enabled "Delete Mi Account" button`}, Got: scr, Seen: ui.OutlineOf(h), Hierarchy: h}
	}
	if err := s.ui.Tap(ctx, btn.ClickTarget()); err != nil {
		return "", fmt.Errorf("press Delete Mi Account: %w", err)
	}
	if _, _, err := s.awaitWeb(ctx, StepDelete, []string{ScreenWebCode}, "after pressing Delete Mi Account", ScreenWebDeleteApproved); err != nil {
		return "", err
	}
	return "pressed Delete Mi Account; the site sent a verification code", nil
}

// verifyCode asks for the code the site mailed and types it.
func (s *Session) verifyCode(ctx context.Context) (string, error) {
	h, scr, err := s.ui.Current(ctx)
	if err != nil {
		return "", err
	}
	switch name(scr) {
	case ScreenWebConfirm:
		return "already done: the site asks to confirm", nil
	case ScreenWebWrongCode:
		return "", fmt.Errorf("%w: the site shows the wrong-code message of an earlier attempt; nothing was typed", ErrWrongCode)
	case ScreenWebCode:
	default:
		return "", s.precondition(StepVerifyCode, ScreenWebCode, scr, h, StepDelete)
	}
	if s.opts.Code == nil {
		return "", fmt.Errorf("%w: no way to ask for the verification code", ErrBadPassword)
	}
	sentTo := codeSentTo(h, s.texts.WebCodeSent)
	code, err := s.opts.Code(ctx, sentTo)
	if err != nil {
		return "", err
	}
	if err := CheckCode(code.reveal()); err != nil {
		return "", err
	}
	s.typedCodes = append(s.typedCodes, code)
	page := &ui.Selector{Class: "android.webkit.WebView"}
	field := ui.FirstOf(h,
		ui.Selector{Class: "EditText", Focused: ui.Flag(true), Inside: page},
		ui.Selector{Class: "EditText", ID: "code", Inside: page},
		ui.Selector{Class: "EditText", Inside: page})
	submit := clickableText(h, s.texts.WebSubmit)
	if field == nil || submit == nil {
		return "", &ui.UnexpectedScreenError{Want: []string{"a code field and a Submit button"}, Got: scr, Seen: ui.OutlineOf(h), Hierarchy: h}
	}
	var actions []adb.InputAction
	if !field.Focused {
		actions = append(actions, adb.Tap(field.Bounds.Center()))
	}
	sx, sy := submit.ClickTarget().Bounds.Center()
	actions = append(actions, adb.Text(code.reveal()), adb.Tap(sx, sy))
	if err := s.ui.Input(ctx, actions...); err != nil {
		return "", fmt.Errorf("type the verification code: %w", err)
	}
	_, scr, err = s.awaitWeb(ctx, StepVerifyCode, []string{ScreenWebConfirm, ScreenWebWrongCode}, "after submitting the code", ScreenWebCode)
	if err != nil {
		return "", err
	}
	if scr.Name == ScreenWebWrongCode {
		return "", fmt.Errorf("%w: the site says the code is incorrect or has expired; it was not retried. Run `miacct delete-account --from delete` to get a new code", ErrWrongCode)
	}
	return "the site accepted the verification code", nil
}

// CheckCode refuses input that cannot be a verification code.
func CheckCode(code string) error {
	if code == "" {
		return fmt.Errorf("%w: the verification code is empty", ErrBadPassword)
	}
	if len(code) > 16 {
		return fmt.Errorf("%w: the verification code is longer than 16 characters", ErrBadPassword)
	}
	for _, r := range code {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return fmt.Errorf("%w: the verification code may hold only letters and digits", ErrBadPassword)
		}
	}
	return nil
}

// codeSentTo reads the (masked) address the site says it sent the code to.
func codeSentTo(h *hierarchy.Hierarchy, prefixes []string) string {
	n := ui.Selector{TextPrefix: prefixes}.Find(h)
	if n == nil {
		return ""
	}
	t := strings.TrimSpace(n.Text)
	for _, p := range prefixes {
		if rest, ok := strings.CutPrefix(t, p); ok {
			return strings.Trim(strings.TrimSpace(rest), ".。:：")
		}
	}
	return ""
}

// confirmDelete confirms and reads the success message.
func (s *Session) confirmDelete(ctx context.Context) (string, error) {
	h, scr, err := s.ui.Current(ctx)
	if err != nil {
		return "", err
	}
	switch name(scr) {
	case ScreenWebSuccess:
		return "already done: " + successText(h, s.texts.WebSuccess), nil
	case ScreenWebConfirm:
	default:
		return "", s.precondition(StepConfirmDelete, ScreenWebConfirm, scr, h, StepVerifyCode)
	}
	btn := clickableText(h, s.texts.WebConfirmDelete)
	if btn == nil {
		return "", &ui.UnexpectedScreenError{Want: []string{"a Delete button"}, Got: scr, Seen: ui.OutlineOf(h), Hierarchy: h}
	}
	if err := s.ui.Tap(ctx, btn.ClickTarget()); err != nil {
		return "", fmt.Errorf("confirm: %w", err)
	}
	h, _, err = s.awaitWeb(ctx, StepConfirmDelete, []string{ScreenWebSuccess}, "after confirming", ScreenWebConfirm)
	if err != nil {
		return "", err
	}
	return "the site says: " + successText(h, s.texts.WebSuccess), nil
}

// successText is the site's own words: the longest matching text (the
// message rather than its title).
func successText(h *hierarchy.Hierarchy, prefixes []string) string {
	best := ""
	for _, n := range (ui.Selector{TextPrefix: prefixes}).FindAll(h) {
		if t := strings.TrimSpace(n.Text); len(t) > len(best) {
			best = t
		}
	}
	if best == "" {
		return "request submitted"
	}
	return strconv.Quote(best)
}

// awaitWeb waits for a page; pages only a person can answer become
// ErrNeedsHand with what to do.
func (s *Session) awaitWeb(ctx context.Context, step string, want []string, detail string, from ...string) (*hierarchy.Hierarchy, *ui.Screen, error) {
	h, scr, err := s.ui.Await(ctx, want, ui.AwaitOptions{From: append(from, ScreenLauncher, ScreenChooser), Popup: s.webPopups(step), MaxDumps: 10, Detail: detail})
	if err == nil {
		return h, scr, nil
	}
	var ue *ui.UnexpectedScreenError
	if errors.As(err, &ue) {
		what := "a page miacct does not know (" + ue.Seen.String() + ")"
		if ue.Got != nil {
			switch ue.Got.Name {
			case ScreenWebCaptcha:
				what = "a security check (captcha) that only a person can answer"
			case ScreenWebTooMany:
				what = `"too many attempts": the site wants you to wait`
			case ScreenLock:
				return h, scr, errLocked()
			default:
				what = ue.Got.Title
			}
		}
		return h, scr, &HandError{What: what, Err: err}
	}
	return h, scr, err
}

// HandError says the site needs a person, and what they do next.
type HandError struct {
	What string
	Err  error
}

func (e *HandError) Error() string {
	return fmt.Sprintf("%v: the site shows %s. Finish on the phone by hand: %s", ErrNeedsHand, e.What, strings.Join(ManualSteps(), " "))
}

// Unwrap returns the screen error, so the exit code is 6.
func (e *HandError) Unwrap() []error { return []error{ErrNeedsHand, e.Err} }

// webPopups handles the "Open with" chooser: the browser chosen (or the
// first offered), just once.
func (s *Session) webPopups(step string) ui.PopupHandler {
	phone := s.popups(step)
	chooser := 0
	return func(ctx context.Context, h *hierarchy.Hierarchy, scr *ui.Screen) (bool, error) {
		if scr.Name != ScreenChooser {
			return phone(ctx, h, scr)
		}
		chooser++
		if chooser > 2 {
			return false, fmt.Errorf("%w: the \"Open with\" chooser keeps appearing", ui.ErrUnexpectedScreen)
		}
		once := ui.FirstOf(h, ui.ByID("android:id/button_once"), ui.Selector{Text: s.texts.JustOnce, Clickable: ui.Flag(true)})
		if once == nil {
			return false, nil
		}
		var actions []adb.InputAction
		if item := chooserItem(h, s.texts); item != nil {
			actions = append(actions, adb.Tap(item.ClickTarget().Bounds.Center()))
		}
		actions = append(actions, adb.Tap(once.ClickTarget().Bounds.Center()))
		if err := s.ui.Input(ctx, actions...); err != nil {
			return false, fmt.Errorf("answer the Open with chooser: %w", err)
		}
		s.note("chose a browser in the \"Open with\" chooser, just once")
		return true, nil
	}
}

// chooserItem is the first app offered in the chooser.
func chooserItem(h *hierarchy.Hierarchy, t Texts) *hierarchy.Node {
	for _, n := range h.Nodes() {
		if !n.Clickable || n.ResourceID == "android:id/button_once" || n.ResourceID == "android:id/button_always" {
			continue
		}
		label := ui.LabelOf(n)
		if label == "" || slices.Contains(t.ChooserTitle, label) || slices.Contains(t.JustOnce, label) {
			continue
		}
		return n
	}
	return nil
}
