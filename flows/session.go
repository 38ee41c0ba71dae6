package flows

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/flows/texts"
	"github.com/miacct/miacct/flows/ui"
)

// DefaultBootTimeout bounds the wait for a phone to restart.
const DefaultBootTimeout = 5 * time.Minute

// DefaultSettle is how long, in time on the phone, a step waits for a
// screen to come after an action before it gives up (--settle).
const DefaultSettle = ui.DefaultSettle

// Options tune a run.
type Options struct {
	// Lang overrides the phone's language: a language code (en, zh-CN,
	// es-US) or an Android locale a language file covers.
	Lang string
	// Texts are the language files: the built-in ones, plus the user's
	// (--texts). Nil means the built-in ones.
	Texts *texts.Catalog
	// Settle bounds each wait for a screen, in time on the phone; 0
	// means DefaultSettle.
	Settle time.Duration
	// KeepData keeps the synced data on the phone instead of removing it.
	KeepData bool
	// NoReboot skips the restart.
	NoReboot bool
	// BootTimeout bounds the restart; 0 means DefaultBootTimeout.
	BootTimeout time.Duration
	// DryRun reads the phone and plans, but sends no input and changes nothing.
	DryRun bool
	// Proof: verify also shows the signed-out account screen, for a
	// report's screenshot (the account manager alone decides).
	Proof bool
	// Password is typed when the phone (or the site) asks for it.
	Password Secret
	// Stop, when closed, ends the run before the next device call.
	Stop <-chan struct{}
	// Observer hears about steps as they start and end; nil hears nothing.
	Observer Observer

	// Account is the account id to sign in to the web site with; empty
	// means the phone's signed-in account, read before anything changes.
	Account string
	// Code asks for the verification code the site sent to sentTo.
	Code func(ctx context.Context, sentTo string) (Secret, error)
}

// Observer follows a run, e.g. to draw progress or write a report.
type Observer interface {
	StepStarted(name string)
	StepFinished(r StepResult)
}

// State is what a read-only look at the phone found.
type State struct {
	Account string // Xiaomi account id; "" when none is signed in
	Awake   bool
	Locked  bool
	StayOn  string // settings global stay_on_while_plugged_in
	// SavedStayOn is the stay-awake value an earlier run saved on the
	// phone before changing it and never put back (it was killed); ""
	// when there is none.
	SavedStayOn string
	// AccountIntent: the account screen's intent resolves, so the
	// account screen opens without Settings. IntentKnown is false when
	// the phone could not say.
	AccountIntent, IntentKnown bool
}

// Session drives one phone through the steps. It is not safe for
// concurrent use; run one session per phone.
type Session struct {
	dev   *adb.CountingDevice
	raw   adb.Device // without the stop gate, for restoring after Ctrl-C
	ui    *ui.Engine
	book  *screenBook
	opts  Options
	phone *Phone
	props map[string]string
	words texts.Table
	state *State
	// signOut is what happened between Sign out and the account being
	// gone; the steps of that stretch share it.
	signing signOutState
	// notes and dismissed are what the current step did beyond its plan.
	notes     []string
	dismissed []string
	// requireAccount: preflight ends the run with "nothing to remove"
	// when no Xiaomi account is signed in.
	requireAccount bool
	// job is what Run runs.
	job Job
	// alone: a single step runs (miacct step NAME).
	alone       bool
	nothingToDo bool
	// readTime is the time spent reading the phone before the steps
	// (Open, Inspect): preflight's time and calls include it, but not
	// the time a person took to confirm.
	readTime time.Duration
	// browser is the package of the browser the web steps use.
	browser string
	// typedCodes are the verification codes typed, for redact.
	typedCodes []Secret
	stayOn     struct {
		before  string
		changed bool
	}
}

// Open starts a session: it reads the phone's properties (one round trip)
// and picks the language of its screens.
func Open(ctx context.Context, dev adb.Device, opts Options) (*Session, error) {
	if opts.BootTimeout <= 0 {
		opts.BootTimeout = DefaultBootTimeout
	}
	if opts.Settle <= 0 {
		opts.Settle = DefaultSettle
	}
	if opts.Texts == nil {
		c, err := texts.Builtin()
		if err != nil {
			return nil, err
		}
		opts.Texts = c
	}
	if opts.Lang != "" {
		if _, ok := opts.Texts.Resolve(opts.Lang); !ok {
			return nil, fmt.Errorf("%w: language %q: no language file covers it; choose one of %s, or add one with --texts FILE", ErrUsage, opts.Lang, strings.Join(opts.Texts.Languages(), ", "))
		}
	}
	counted := adb.Counted(stopGate{Device: dev, stop: opts.Stop})
	s := &Session{dev: counted, raw: dev, opts: opts}
	start := time.Now()
	defer func() { s.readTime += time.Since(start) }()
	phone, props, err := IdentifyPhone(ctx, counted)
	if err != nil {
		return nil, err
	}
	s.phone, s.props = phone, props
	lang := opts.Lang
	if lang == "" {
		lang = phone.Locale
	}
	var known bool
	if s.words, known = opts.Texts.Table(lang); !known {
		// No locale, or one without a file: read the screens with the
		// words of every language; ids and structure come first anyway.
		s.words = opts.Texts.All()
	}
	if s.book, err = loadScreens(s.words); err != nil {
		return nil, err
	}
	s.ui = ui.NewEngine(counted, s.book.screens, opts.Settle)
	return s, nil
}

// Language is the language the session reads the screens in: a code, or
// "" when the phone's locale has no file and every language is tried.
func (s *Session) Language() string { return s.words.Lang }

// Phone describes the phone.
func (s *Session) Phone() *Phone { return s.phone }

// Engine is the UI engine, for reports (last dump).
func (s *Session) Engine() *ui.Engine { return s.ui }

// Counts are the device calls made so far.
func (s *Session) Counts() adb.Counts { return s.dev.Counts() }

// Device is the session's device (counted, stoppable).
func (s *Session) Device() adb.Device { return s.dev }

// sectionMark separates the outputs of the commands Inspect batches.
const sectionMark = ":miacct-section:"

// Inspect looks at the phone without changing anything: the Xiaomi
// account, screen power and lock state, the stay-awake setting, whether
// the account screen's intent resolves. One round trip.
func (s *Session) Inspect(ctx context.Context) (*State, error) {
	start := time.Now()
	defer func() { s.readTime += time.Since(start) }()
	resolve, err := adb.ResolveActivityCommand(accountIntent())
	if err != nil {
		return nil, fmt.Errorf("inspect phone: %w", err)
	}
	res, err := s.dev.Shell(ctx, "dumpsys account; echo "+sectionMark+"; dumpsys power; echo "+sectionMark+
		"; dumpsys window; echo "+sectionMark+"; settings get global stay_on_while_plugged_in; echo "+sectionMark+"; "+resolve+
		"; echo "+sectionMark+"; cat "+stayOnFile+" 2>/dev/null")
	if err != nil {
		return nil, fmt.Errorf("inspect phone: %w", err)
	}
	parts := strings.Split(res.String(), sectionMark)
	for len(parts) < 6 {
		parts = append(parts, "")
	}
	st := &State{
		Account: XiaomiAccountIn(parts[0]),
		Awake:   awake(parts[1]),
		Locked:  locked(parts[2]),
		StayOn:  strings.TrimSpace(parts[3]),
	}
	_, found, unknown := adb.ParseResolveActivity(parts[4])
	st.AccountIntent, st.IntentKnown = found, unknown == nil
	if v := strings.TrimSpace(parts[5]); validStayOn(v) {
		st.SavedStayOn = v
	}
	s.state = st
	return st, nil
}

// State is the last Inspect result, nil before.
func (s *Session) State() *State { return s.state }

// stayOnFile is where a run keeps the stay-awake value it found, on the
// phone itself, before changing it: a run that is killed (kill -9, a
// pulled cable, a crashed computer) cannot put it back, and the next run,
// from any computer, finds it there and does.
const stayOnFile = "/data/local/tmp/miacct-stay-on"

// validStayOn accepts what stay_on_while_plugged_in holds: a small number
// (a bit mask of AC, USB, wireless, dock) or "null" (never set).
func validStayOn(v string) bool {
	if v == "null" {
		return true
	}
	n, err := strconv.Atoi(v)
	return err == nil && n >= 0 && n <= 15
}

// Close puts back what the session changed (the stay-awake setting) and
// forgets the saved value. It is meant to run also after a failure or an
// interruption, with a context of its own.
func (s *Session) Close(ctx context.Context) error {
	if !s.stayOn.changed {
		return nil
	}
	v := s.stayOn.before
	if _, err := strconv.Atoi(v); err != nil {
		v = "0" // "null": never set, which means off
	}
	cmd := "settings put global stay_on_while_plugged_in " + v + " && rm -f " + stayOnFile
	// Bypass the stop gate: restoring must happen after Ctrl-C too.
	res, err := s.raw.Shell(ctx, cmd)
	if err != nil && deviceLost(err) && s.raw.WaitForDevice(ctx) == nil {
		// The phone dropped off ADB and is back within ctx: once more.
		res, err = s.raw.Shell(ctx, cmd)
	}
	if err != nil {
		return fmt.Errorf("restore stay-awake setting: %w", err)
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("restore stay-awake setting: settings exited %d", res.ExitCode)
	}
	s.stayOn.changed = false
	return nil
}

// Snapshot returns a screenshot and the screen's hierarchy for a report.
// It reuses the last dump when nothing happened since.
func (s *Session) Snapshot(ctx context.Context) (png, xml []byte, err error) {
	if _, err := s.ui.Current(ctx); err != nil {
		return nil, nil, err
	}
	xml = s.redact(s.ui.LastXML())
	png, err = adb.Screenshot(ctx, s.dev)
	return png, xml, err
}

// redact replaces what was typed as a secret (the password, a
// verification code) wherever a dump shows it: a site's code field keeps
// its text until the page changes. A dump escapes & " ' < > in its
// attributes, so each secret is looked for as typed and escaped, for XML
// and for JSON alike.
func (s *Session) redact(xml []byte) []byte {
	for _, secret := range append([]Secret{s.opts.Password}, s.typedCodes...) {
		for _, form := range escapedForms(secret.reveal()) {
			if bytes.Contains(xml, []byte(form)) {
				xml = bytes.ReplaceAll(xml, []byte(form), []byte("[redacted]"))
			}
		}
	}
	return xml
}

// escapedForms are the ways a text shows in a file: as it is, escaped
// for XML (as uiautomator and encoding/xml write it: &amp; &lt; &gt;
// &quot; &apos;, or &#34; &#39;) and inside a JSON string.
func escapedForms(v string) []string {
	if v == "" {
		return nil
	}
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(v))
	forms := []string{
		v,
		b.String(),
		strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(v),
	}
	for _, html := range []bool{true, false} {
		var j strings.Builder
		enc := json.NewEncoder(&j)
		enc.SetEscapeHTML(html)
		_ = enc.Encode(v)
		text := strings.TrimSuffix(j.String(), "\n")
		forms = append(forms, text[1:len(text)-1])
	}
	var out []string
	for _, f := range forms {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// note records something a step did beyond its plan, for the step's
// message.
func (s *Session) note(format string, args ...any) {
	s.notes = append(s.notes, fmt.Sprintf(format, args...))
}

// stopGate ends a run between device calls once stop is closed: a call
// in flight finishes, so the phone is never left with half a command.
type stopGate struct {
	adb.Device
	stop <-chan struct{}
}

func (g stopGate) stopped() error {
	if g.stop == nil {
		return nil
	}
	select {
	case <-g.stop:
		return ErrInterrupted
	default:
		return nil
	}
}

func (g stopGate) Shell(ctx context.Context, cmd string) (adb.ShellResult, error) {
	if err := g.stopped(); err != nil {
		return adb.ShellResult{}, err
	}
	return g.Device.Shell(ctx, cmd)
}

func (g stopGate) Exec(ctx context.Context, cmd string) ([]byte, error) {
	if err := g.stopped(); err != nil {
		return nil, err
	}
	return g.Device.Exec(ctx, cmd)
}

func (g stopGate) Reboot(ctx context.Context) error {
	if err := g.stopped(); err != nil {
		return err
	}
	return g.Device.Reboot(ctx)
}

func (g stopGate) WaitForDevice(ctx context.Context) error {
	if err := g.stopped(); err != nil {
		return err
	}
	return g.Device.WaitForDevice(ctx)
}

// deviceLost reports errors after which the phone may come back.
func deviceLost(err error) bool {
	return errors.Is(err, adb.ErrDeviceLost) || errors.Is(err, adb.ErrOffline) || errors.Is(err, adb.ErrDeviceNotFound)
}

// SetPassword sets the password enter-password types (asked for after
// the user confirmed).
func (s *Session) SetPassword(p Secret) { s.opts.Password = p }

// Languages lists the codes of the built-in language files (for --lang
// and its completion).
func Languages() []string {
	c, err := texts.Builtin()
	if err != nil {
		return nil
	}
	return c.Languages()
}
