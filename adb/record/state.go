package record

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/adb/hierarchy"
)

// recording is what was seen so far, sanitised: the screens, the events
// between them, the recorded commands and the measured durations. The
// fixture is built from it (build.go) after every call.
type recording struct {
	calls    int
	dumps    int // dump attempts, numbered as the fake numbers them
	complete bool

	screens []*screen
	byXML   map[string]int
	last    int // the screen of the last dump; -1 unknown

	events []event

	props           map[string]string
	accounts        []fixture.Account
	accountsKnown   bool
	initialSignIn   bool
	injectionDenied bool

	commands []*fixture.Command
	cmdIndex map[string]int

	durations map[latKind][]time.Duration

	idleDumps      []int
	truncatedDumps []int
	timeouts       []timeout

	shots        []string // PNG files kept, in screens/
	shotsKept    int
	shotsDropped int
	// passwordTyped: text went into a password field since the last dump.
	passwordTyped bool
}

// screen is one distinct dump.
type screen struct {
	name string
	xml  []byte
	h    *hierarchy.Hierarchy
}

// timeout is a command that never answered.
type timeout struct {
	cmd  string // as recorded
	args []string
}

type latKind int

const (
	latShell latKind = iota
	latDump
	latInput
	latAmStart
	latScreencap
	latSync
)

type eventKind int

const (
	evDump eventKind = iota
	evAction
	evReboot
	evAccounts
)

type event struct {
	kind     eventKind
	screen   int    // evDump
	act      action // evAction
	signedIn bool   // evAccounts
}

type actKind int

const (
	actTap actKind = iota
	actKey
	actSwipe
	actStart
	actText    // typing: never a transition
	actDisplay // a key that only turns the display on or off
)

// action is one input event or activity start, with what it acted on.
type action struct {
	kind   actKind
	sel    fixture.Selector  // actTap: the identity of the element hit
	field  bool              // actTap: on a text field (it takes focus)
	key    string            // actKey
	swipe  fixture.Direction // actSwipe: the finger's direction
	intent fixture.Activity  // actStart, without Screen
}

// changes reports whether the action may change the screen.
func (a action) changes() bool {
	return a.kind == actTap || a.kind == actKey || a.kind == actSwipe || a.kind == actStart
}

// trigger identifies the action for grouping its outcomes.
func (a action) trigger() string {
	switch a.kind {
	case actTap:
		return "tap " + a.sel.String()
	case actKey:
		return "key " + a.key
	case actSwipe:
		return "swipe " + string(a.swipe)
	case actStart:
		return "start " + describeIntent(a.intent)
	}
	return ""
}

func (s *recording) init() {
	s.byXML = map[string]int{}
	s.cmdIndex = map[string]int{}
	s.durations = map[latKind][]time.Duration{}
	s.last = -1
}

func (s *recording) addDuration(k latKind, d time.Duration) {
	s.durations[k] = append(s.durations[k], d)
}

// addScreen returns the screen of a sanitised dump, new or seen before.
func (s *recording) addScreen(h *hierarchy.Hierarchy) (*screen, bool) {
	xml := h.Marshal()
	key := string(xml)
	isNew := false
	i, ok := s.byXML[key]
	if !ok {
		i = len(s.screens)
		s.screens = append(s.screens, &screen{name: s.screenName(h), xml: xml, h: h})
		s.byXML[key] = i
		isNew = true
	}
	s.last = i
	s.passwordTyped = false
	s.events = append(s.events, event{kind: evDump, screen: i})
	return s.screens[i], isNew
}

func (s *recording) dumpFailed(n int, failure string) {
	switch failure {
	case "idle":
		s.idleDumps = append(s.idleDumps, n)
	case "truncated":
		s.truncatedDumps = append(s.truncatedDumps, n)
	}
}

func (s *recording) reboot() {
	s.last = -1
	s.passwordTyped = false
	s.events = append(s.events, event{kind: evReboot})
}

func (s *recording) lastScreen() *screen {
	if s.last < 0 {
		return nil
	}
	return s.screens[s.last]
}

// passwordScreen reports whether the screen shows a password field: text
// typed there is treated as the password.
func (s *recording) passwordScreen() bool {
	sc := s.lastScreen()
	if sc == nil {
		return false
	}
	found := false
	sc.h.Walk(func(n *hierarchy.Node) bool {
		found = found || n.Password
		return !found
	})
	return found
}

// passwordFocused reports whether a password field has focus now (a
// screenshot would show what is being typed).
func (s *recording) passwordFocused() bool {
	if s.passwordTyped {
		return true
	}
	sc := s.lastScreen()
	if sc == nil {
		return false
	}
	found := false
	sc.h.Walk(func(n *hierarchy.Node) bool {
		found = found || n.Password && n.Focused
		return !found
	})
	return found
}

// shotName names a kept screenshot after the screen it shows.
func (s *recording) shotName() string {
	base := "unknown"
	if sc := s.lastScreen(); sc != nil {
		base = sc.name
	}
	name := base + ".png"
	for i := 2; slices.Contains(s.shots, name); i++ {
		name = fmt.Sprintf("%s.%d.png", base, i)
	}
	return name
}

func (s *recording) act(a action) {
	s.events = append(s.events, event{kind: evAction, act: a})
}

// tap records a tap at x, y against the element it hits on the last dump.
func (s *recording) tap(x, y int) string {
	sc := s.lastScreen()
	if sc == nil {
		return fmt.Sprintf("at %d,%d (no screen known: not recorded)", x, y)
	}
	hit := sc.h.At(x, y)
	if hit == nil {
		return fmt.Sprintf("at %d,%d on nothing (screen %s)", x, y, sc.name)
	}
	target := hit.ClickTarget()
	a := action{kind: actTap, sel: identity(sc.h, target), field: isField(hit) && hit.Enabled || isField(target) && target.Enabled}
	s.act(a)
	return fmt.Sprintf("%s on screen %s", a.sel.String(), sc.name)
}

func (s *recording) swipe(x1, y1, x2, y2 int) string {
	dir, moved := fixture.SwipeDirection(x1, y1, x2, y2)
	if !moved {
		return s.tap(x1, y1)
	}
	s.act(action{kind: actSwipe, swipe: dir})
	return string(dir)
}

func (s *recording) key(code int) string {
	switch {
	case code < 0:
		return "unknown key (not recorded)"
	case displayKey(code):
		s.act(action{kind: actDisplay})
		return fixture.KeyName(code) + " (display)"
	}
	s.act(action{kind: actKey, key: fixture.KeyName(code)})
	return fixture.KeyName(code)
}

func (s *recording) typed(password bool) {
	s.passwordTyped = s.passwordTyped || password
	s.act(action{kind: actText})
}

func (s *recording) start(intent fixture.Activity) {
	s.act(action{kind: actStart, intent: intent})
}

func (s *recording) setProps(props map[string]string) { s.props = props }

// observeAccounts notes a dumpsys account output. The first one gives the
// fixture's accounts; later ones tell when the Xiaomi account went away.
func (s *recording) observeAccounts(accts []fixture.Account, listed, initial bool) {
	if !listed {
		return
	}
	signed := false
	for _, a := range accts {
		signed = signed || a.Xiaomi()
	}
	if !s.accountsKnown {
		s.accountsKnown = true
		s.accounts = accts
		s.initialSignIn = signed
	}
	if !initial {
		s.events = append(s.events, event{kind: evAccounts, signedIn: signed})
	}
}

// addOutput appends one answer of a command, recorded in turn.
func (s *recording) addOutput(service, cmd, out string, exit int, d time.Duration) {
	key := service + "\x00" + cmd
	i, ok := s.cmdIndex[key]
	if !ok {
		i = len(s.commands)
		s.commands = append(s.commands, &fixture.Command{Service: service, Cmd: cmd})
		s.cmdIndex[key] = i
	}
	c := s.commands[i]
	c.Outputs = append(c.Outputs, fixture.Output{Stdout: out, Exit: exit, Duration: d})
}

func (s *recording) timedOut(cmd string, args []string) {
	s.timeouts = append(s.timeouts, timeout{cmd: cmd, args: args})
}

// identity is the selector of a tapped element: its own id, text,
// description and class, plus a descendant's text, id or description
// when those alone also fit another clickable element of the screen.
func identity(h *hierarchy.Hierarchy, target *hierarchy.Node) fixture.Selector {
	sel := fixture.Selector{ID: target.ResourceID, Text: target.Text, Desc: target.ContentDesc, Class: target.Class}
	if !target.Clickable || unique(h, sel, target) {
		return sel
	}
	for _, d := range target.Children {
		stop := false
		d.Walk(func(n *hierarchy.Node) bool {
			changed := false
			if sel.Text == "" && n.Text != "" && !n.Password {
				sel.Text, changed = n.Text, true
			}
			if sel.ID == "" && n.ResourceID != "" {
				sel.ID, changed = n.ResourceID, true
			}
			if sel.Desc == "" && n.ContentDesc != "" {
				sel.Desc, changed = n.ContentDesc, true
			}
			stop = changed && unique(h, sel, target)
			return !stop
		})
		if stop {
			break
		}
	}
	return sel
}

// unique reports whether no clickable element but target (and the
// elements around it) matches sel.
func unique(h *hierarchy.Hierarchy, sel fixture.Selector, target *hierarchy.Node) bool {
	for _, n := range sel.Find(h) {
		if n == target || !n.Clickable || n.Contains(target) || target.Contains(n) {
			continue
		}
		return false
	}
	return true
}

// isField reports whether n takes typed text.
func isField(n *hierarchy.Node) bool {
	return strings.HasSuffix(n.Class, "EditText") || strings.HasSuffix(n.Class, "AutoCompleteTextView")
}

// screenName names a new screen after what it shows: a dialog by its
// title (verify-password), a full screen by its app (settings, account,
// launcher, lock); repeats get -2, -3.
func (s *recording) screenName(h *hierarchy.Hierarchy) string {
	base := baseName(h)
	name := base
	for i := 2; s.hasScreen(name); i++ {
		name = fmt.Sprintf("%s-%d", base, i)
	}
	return name
}

func (s *recording) hasScreen(name string) bool {
	for _, sc := range s.screens {
		if sc.name == name {
			return true
		}
	}
	return false
}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

// appNames name full screens by their package.
var appNames = map[string]string{
	"com.android.settings": "settings",
	"com.xiaomi.account":   "account",
	"com.miui.home":        "launcher",
	"com.android.systemui": "systemui",
}

func baseName(h *hierarchy.Hierarchy) string {
	if len(h.Roots) == 0 {
		return "empty"
	}
	dialog := false
	title := ""
	keyguard := false
	h.Walk(func(n *hierarchy.Node) bool {
		switch {
		case n.ResourceID == "android:id/alertTitle":
			dialog = true
			if title == "" {
				title = n.Text
			}
		case n.ResourceID == "android:id/button1" || n.ResourceID == "android:id/button2":
			dialog = true
		case strings.Contains(n.ResourceID, "keyguard"):
			keyguard = true
		}
		return true
	})
	if dialog {
		if slug := slugWords(title, 3); slug != "" {
			return slug
		}
		return "dialog"
	}
	if keyguard {
		return "lock"
	}
	pkg := h.Roots[0].Package
	if name, ok := appNames[pkg]; ok {
		return name
	}
	if strings.Contains(pkg, "launcher") {
		return "launcher"
	}
	if i := strings.LastIndexByte(pkg, '.'); i >= 0 {
		pkg = pkg[i+1:]
	}
	if slug := slugWords(pkg, 1); slug != "" {
		return slug
	}
	return "screen"
}

// slugWords makes up to n words of s (ASCII letters and digits) a name.
func slugWords(s string, n int) string {
	words := strings.Fields(nonWord.ReplaceAllString(strings.ToLower(s), " "))
	if len(words) > n {
		words = words[:n]
	}
	return strings.Join(words, "-")
}

// Output parsing.

type account struct{ Name, Type string }

var accountLine = regexp.MustCompile(`Account \{name=([^,]*), type=([^}]*)\}`)

// parseAccounts reads the accounts of `dumpsys account` output.
func parseAccounts(out string) []account {
	var accts []account
	seen := map[account]bool{}
	for _, m := range accountLine.FindAllStringSubmatch(out, -1) {
		a := account{Name: strings.TrimSpace(m[1]), Type: strings.TrimSpace(m[2])}
		if !seen[a] {
			seen[a] = true
			accts = append(accts, a)
		}
	}
	return accts
}

// accountsListed reports whether out holds a dumpsys account listing
// (an empty one included), not an error.
func accountsListed(out string) bool {
	return strings.Contains(out, "Accounts:")
}

func describeIntent(a fixture.Activity) string {
	var parts []string
	for _, f := range []struct{ k, v string }{{"action", a.Action}, {"component", a.Component}, {"data", a.Data}, {"package", a.Package}} {
		if f.v != "" {
			parts = append(parts, f.k+" "+f.v)
		}
	}
	if len(parts) == 0 {
		return "(no target)"
	}
	return strings.Join(parts, ", ")
}

func parseNumber(s string) (int, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, err
	}
	return int(f), nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
