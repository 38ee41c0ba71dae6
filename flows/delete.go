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
func knownBrowsers() []string {
	return []string{
		"com.android.chrome",
		"com.mi.globalbrowser",
		"com.android.browser",
		"org.mozilla.firefox",
		"com.microsoft.emmx",
		"com.opera.browser",
		"com.brave.browser",
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
	for _, b := range knownBrowsers() {
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
	return []string{screenWebSignIn, screenWebSignInError, screenWebAccount, screenWebDelete, screenWebDeleteApproved}
}

// openCloud opens the account site and signs in when it asks.
func (s *Session) openCloud(ctx context.Context) (string, error) {
	if err := s.openURL(ctx, AccountSiteURL); err != nil {
		return "", err
	}
	v, err := s.awaitWeb(ctx, webPages(), "after opening "+AccountSiteURL)
	if err != nil {
		return "", err
	}
	if v.Is(screenWebSignIn, screenWebSignInError) {
		if _, err := s.webSignIn(ctx, v, []string{screenWebAccount, screenWebDelete, screenWebDeleteApproved}); err != nil {
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
	v, err := s.awaitWeb(ctx, []string{screenWebDelete, screenWebDeleteApproved, screenWebSignIn, screenWebSignInError}, "after opening "+DeletePageURL)
	if err != nil {
		return "", err
	}
	if v.Is(screenWebSignIn, screenWebSignInError) {
		if _, err := s.webSignIn(ctx, v, []string{screenWebDelete, screenWebDeleteApproved}); err != nil {
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
func (s *Session) webSignIn(ctx context.Context, v *ui.View, next []string) (*ui.View, error) {
	account := s.webAccount()
	if account == "" {
		return nil, fmt.Errorf("%w: the site asks to sign in and no account id is known: pass --account ID", ErrBadPassword)
	}
	if s.opts.Password.IsZero() {
		return nil, fmt.Errorf("%w: the site asks to sign in and no password was given", ErrBadPassword)
	}
	if err := adb.CheckTypable(account); err != nil {
		return nil, fmt.Errorf("account id: %w", err)
	}
	user, pw, btn := v.Part("user"), v.Part("password"), v.Part("sign-in")
	if pw == nil || user == nil || btn == nil {
		return nil, &ui.UnexpectedScreenError{Want: []string{"a sign-in form (account, password, Sign in)"}, Got: v.Screen, Seen: ui.OutlineOf(v.H), Hierarchy: v.H}
	}
	bx, by := btn.ClickTarget().Bounds.Center()
	ux, uy := user.Bounds.Center()
	px, py := pw.Bounds.Center()
	if err := s.ui.Input(ctx, adb.Tap(ux, uy), adb.Text(account), adb.Tap(px, py), adb.Text(s.opts.Password.reveal()), adb.Tap(bx, by)); err != nil {
		if errors.Is(err, adb.ErrUntypable) {
			return nil, fmt.Errorf("%w: %v", ErrBadPassword, err)
		}
		return nil, fmt.Errorf("sign in to the account site: %w", s.explain(err))
	}
	v, err := s.awaitWeb(ctx, append([]string{screenWebSignInError}, next...), "after signing in")
	if err != nil {
		return nil, err
	}
	if v.Is(screenWebSignInError) {
		return nil, fmt.Errorf("%w: the account site says the account or password is incorrect; it was not retried", ErrWrongPassword)
	}
	return v, nil
}

// onPage reads the page and checks a step run alone starts where it
// should: done names the pages that mean the step was already done.
func (s *Session) onPage(ctx context.Context, name string, done ...string) (*ui.View, bool, error) {
	v, err := s.ui.Current(ctx)
	if err != nil {
		return nil, false, err
	}
	st, _ := lookup(name)
	switch {
	case v.Is(done...):
		return v, true, nil
	case v.Is(st.from...):
		return v, false, nil
	}
	return v, false, s.precondition(st, v)
}

// approve ticks the approval box above the delete button.
func (s *Session) approve(ctx context.Context) (string, error) {
	v, done, err := s.onPage(ctx, StepApprove, screenWebDeleteApproved)
	if err != nil || done {
		return "already ticked", err
	}
	if err := s.tap(ctx, v, "approve", "the approval box"); err != nil {
		return "", err
	}
	if _, err := s.awaitWeb(ctx, []string{screenWebDeleteApproved}, "after ticking the approval box"); err != nil {
		return "", err
	}
	return "ticked the approval box", nil
}

// pressDelete presses "Delete Mi Account"; the site then mails a code.
func (s *Session) pressDelete(ctx context.Context) (string, error) {
	v, done, err := s.onPage(ctx, StepDelete, screenWebCode, screenWebWrongCode)
	if err != nil || done {
		return "already done: the site asks for the verification code", err
	}
	// The page title often says the same words: the part is the button.
	if err := s.tap(ctx, v, "delete", `an enabled "Delete Mi Account" button`); err != nil {
		return "", err
	}
	if _, err := s.awaitWeb(ctx, []string{screenWebCode}, "after pressing Delete Mi Account"); err != nil {
		return "", err
	}
	return "pressed Delete Mi Account; the site sent a verification code", nil
}

// verifyCode asks for the code the site mailed and types it.
func (s *Session) verifyCode(ctx context.Context) (string, error) {
	v, err := s.ui.Current(ctx)
	if err != nil {
		return "", err
	}
	st, _ := lookup(StepVerifyCode)
	switch {
	case v.Is(screenWebConfirm):
		return "already done: the site asks to confirm", nil
	case v.Is(screenWebWrongCode):
		return "", fmt.Errorf("%w: the site shows the wrong-code message of an earlier attempt; nothing was typed", ErrWrongCode)
	case !v.Is(screenWebCode):
		return "", s.precondition(st, v)
	}
	if s.opts.Code == nil {
		return "", fmt.Errorf("%w: no way to ask for the verification code", ErrBadPassword)
	}
	code, err := s.opts.Code(ctx, codeSentTo(v.Part("sent-to"), s.words.Get("web_code_sent")))
	if err != nil {
		return "", err
	}
	if err := CheckCode(code.reveal()); err != nil {
		return "", err
	}
	s.typedCodes = append(s.typedCodes, code)
	field, submit := v.Part("field"), v.Part("submit")
	if field == nil || submit == nil {
		return "", &ui.UnexpectedScreenError{Want: []string{"a code field and a Submit button"}, Got: v.Screen, Seen: ui.OutlineOf(v.H), Hierarchy: v.H}
	}
	var actions []adb.InputAction
	if !field.Focused {
		actions = append(actions, adb.Tap(field.Bounds.Center()))
	}
	sx, sy := submit.ClickTarget().Bounds.Center()
	actions = append(actions, adb.Text(code.reveal()), adb.Tap(sx, sy))
	if err := s.ui.Input(ctx, actions...); err != nil {
		return "", fmt.Errorf("type the verification code: %w", s.explain(err))
	}
	v, err = s.awaitWeb(ctx, []string{screenWebConfirm, screenWebWrongCode}, "after submitting the code")
	if err != nil {
		return "", err
	}
	if v.Is(screenWebWrongCode) {
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
func codeSentTo(n *hierarchy.Node, prefixes []string) string {
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
	v, done, err := s.onPage(ctx, StepConfirmDelete, screenWebSuccess)
	if err != nil {
		return "", err
	}
	if done {
		return "already done: " + successText(v, s.words.Get("web_success")), nil
	}
	if err := s.tap(ctx, v, "delete", "a Delete button"); err != nil {
		return "", err
	}
	v, err = s.awaitWeb(ctx, []string{screenWebSuccess}, "after confirming")
	if err != nil {
		return "", err
	}
	return "the site says: " + successText(v, s.words.Get("web_success")), nil
}

// successText is the site's own words: the longest matching text (the
// message rather than its title).
func successText(v *ui.View, prefixes []string) string {
	best := ""
	for _, n := range (ui.Selector{TextPrefix: prefixes}).FindAll(v.H) {
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
func (s *Session) awaitWeb(ctx context.Context, want []string, detail string) (*ui.View, error) {
	v, err := s.ui.Await(ctx, want, ui.AwaitOptions{Popup: s.webPopups(), Detail: detail})
	if err == nil {
		return v, nil
	}
	var ue *ui.UnexpectedScreenError
	if errors.As(err, &ue) {
		what := "a page miacct does not know (" + ue.Seen.String() + ")"
		if ue.Got != nil {
			switch ue.Got.Name {
			case screenWebCaptcha:
				what = "a security check (captcha) that only a person can answer"
			case screenWebTooMany:
				what = `"too many attempts": the site wants you to wait`
			case screenLock:
				return v, errLocked()
			default:
				what = ue.Got.Title
			}
		}
		return v, &HandError{What: what, Err: err}
	}
	return v, s.explain(err)
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

// webPopups answers Android's "Open with" chooser (the first browser
// offered, just once) and dismisses other apps' pop-ups.
func (s *Session) webPopups() ui.PopupHandler {
	chooser := 0
	return func(ctx context.Context, v *ui.View) (bool, error) {
		if !v.Is(screenChooser) {
			if s.book.foreign(v, knownBrowsers()...) {
				return true, s.dismiss(ctx, v)
			}
			return false, nil
		}
		chooser++
		if chooser > 2 {
			return false, fmt.Errorf("%w: the \"Open with\" chooser keeps appearing", ui.ErrUnexpectedScreen)
		}
		once := v.Part("just-once")
		if once == nil {
			return false, nil
		}
		var actions []adb.InputAction
		if item := chooserItem(v, s.words.Get("chooser_title"), s.words.Get("just_once")); item != nil {
			actions = append(actions, adb.Tap(item.ClickTarget().Bounds.Center()))
		}
		actions = append(actions, adb.Tap(once.ClickTarget().Bounds.Center()))
		if err := s.ui.Input(ctx, actions...); err != nil {
			return false, fmt.Errorf("answer the Open with chooser: %w", s.explain(err))
		}
		s.note("chose a browser in the \"Open with\" chooser, just once")
		return true, nil
	}
}

// chooserItem is the first app offered in the chooser.
func chooserItem(v *ui.View, title, once []string) *hierarchy.Node {
	for _, n := range v.H.Nodes() {
		if !n.Clickable || n.ResourceID == "android:id/button_once" || n.ResourceID == "android:id/button_always" {
			continue
		}
		label := ui.LabelOf(n)
		if label == "" || slices.Contains(title, label) || slices.Contains(once, label) {
			continue
		}
		return n
	}
	return nil
}
