package phone

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/adb/hierarchy"
)

// shellQuote quotes s for the phone's shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// typePassword types pw the way a careful client must: quoted chunks
// that hold no space and no "%s", and spaces as key events.
func typePassword(t *testing.T, p *Phone, pw string) {
	t.Helper()
	var chunk strings.Builder
	flush := func() {
		if chunk.Len() > 0 {
			sh(t, p, "input text "+shellQuote(chunk.String()))
			chunk.Reset()
		}
	}
	runes := []rune(pw)
	for i, r := range runes {
		if r == ' ' {
			flush()
			sh(t, p, "input keyevent 62")
			continue
		}
		chunk.WriteRune(r)
		if r == '%' && i+1 < len(runes) && runes[i+1] == 's' {
			flush()
		}
	}
	flush()
}

// dump takes one dump through exec: and parses it.
func dump(t *testing.T, p *Phone) *hierarchy.Hierarchy {
	t.Helper()
	out, err := serve(t, p, "exec:uiautomator dump /dev/tty")
	if err != nil {
		t.Fatal(err)
	}
	xml, ok := strings.CutSuffix(out, "UI hierchary dumped to: /dev/tty\n")
	if !ok {
		t.Fatalf("dump output does not end with the status line: %q", out)
	}
	h, err := hierarchy.Parse([]byte(xml))
	if err != nil {
		t.Fatalf("parse dump: %v", err)
	}
	return h
}

// findText is the first node with text s.
func findText(h *hierarchy.Hierarchy, s string) *hierarchy.Node {
	for _, n := range h.Nodes() {
		if n.Text == s {
			return n
		}
	}
	return nil
}

// tapText taps the center of the node showing s in the phone's current
// screen (as the fixture defines it, so settle does not matter).
func tapText(t *testing.T, p *Phone, s string) {
	t.Helper()
	p.mu.Lock()
	n := findText(p.renderLocked(p.ui.screen), s)
	p.mu.Unlock()
	if n == nil {
		t.Fatalf("no %q on screen %s", s, p.Screen())
	}
	x, y := n.Bounds.Center()
	if out := sh(t, p, "input tap "+strconv.Itoa(x)+" "+strconv.Itoa(y)); out != "" {
		t.Fatalf("input tap printed %q", out)
	}
}

// goToPassword walks the test phone to the password dialog.
func goToPassword(t *testing.T, p *Phone) {
	t.Helper()
	tapText(t, p, "Settings")
	tapText(t, p, "Xiaomi Account")
	tapText(t, p, "Sign out")
	tapText(t, p, "Remove")
	if p.Screen() != "password" {
		t.Fatalf("screen = %q, want password", p.Screen())
	}
}

func TestDemoPasswordHash(t *testing.T) {
	sum := sha256.Sum256([]byte(demoPassword))
	if hex.EncodeToString(sum[:]) != demoPasswordSHA256 {
		t.Fatal("demo password and its hash disagree")
	}
}

func TestSignOutFlowWithDemoPassword(t *testing.T) {
	p := newTestPhone(t)
	goToPassword(t, p)
	if p.DataChoice() != "remove" {
		t.Errorf("DataChoice = %q, want remove", p.DataChoice())
	}
	typePassword(t, p, demoPassword)
	if got := p.TypedText(); got != demoPassword {
		t.Fatalf("TypedText = %q, want the demo password", got)
	}
	h := dump(t, p)
	field := findText(h, strings.Repeat("•", len([]rune(demoPassword))))
	if field == nil || !field.Password || !field.Focused {
		t.Fatalf("password field does not show %d bullets focused:\n%s", len([]rune(demoPassword)), h.Marshal())
	}
	if strings.Contains(string(h.Marshal()), "pa$$") {
		t.Fatal("dump shows the typed password")
	}
	tapText(t, p, "OK")
	if p.Screen() != "settings" {
		t.Errorf("screen after OK = %q, want settings", p.Screen())
	}
	for _, a := range p.Accounts() {
		if a.Type == "com.xiaomi" {
			t.Errorf("Xiaomi account still there: %v", p.Accounts())
		}
	}
	if p.Reboots() != 0 {
		t.Error("typing $(reboot) rebooted the phone")
	}
	if u := p.Unrecorded(); len(u) != 0 {
		t.Errorf("Unrecorded = %q", u)
	}
	// Signed out now: the account row leads elsewhere.
	tapText(t, p, "Xiaomi Account")
	if p.Screen() != "signed_out" {
		t.Errorf("signed-out account row led to %q", p.Screen())
	}
}

func TestWrongPassword(t *testing.T) {
	p := newTestPhone(t)
	goToPassword(t, p)
	typePassword(t, p, "Mi pa$$ wrong")
	tapText(t, p, "OK")
	if p.Screen() != "password_wrong" {
		t.Fatalf("screen = %q, want password_wrong", p.Screen())
	}
	if len(p.Accounts()) != 2 {
		t.Error("a wrong password removed the account")
	}
	// Back to a fresh dialog: the field is empty again.
	tapText(t, p, "OK")
	typePassword(t, p, demoPassword)
	tapText(t, p, "OK")
	if p.Screen() != "settings" {
		t.Errorf("screen = %q after the right password", p.Screen())
	}
}

func TestMisquotedPasswordIsMangled(t *testing.T) {
	p := newTestPhone(t)
	goToPassword(t, p)
	// Unquoted, the shell splits the words and `input text` types only
	// the first one.
	sh(t, p, "input text "+demoPassword[:strings.Index(demoPassword, " &")])
	if got := p.TypedText(); got != "Mi" {
		t.Errorf("TypedText = %q, want %q", got, "Mi")
	}
	if p.Reboots() != 0 {
		t.Fatal("rebooted too early")
	}
	// And a command substitution in typed text runs on the phone.
	sh(t, p, "input text $(reboot)")
	if p.Reboots() != 1 {
		t.Errorf("unquoted $(reboot) did not reboot the phone")
	}
}

func TestRecordingPasswordAlwaysCorrect(t *testing.T) {
	p := newTestPhone(t, func(fx *fixture.Fixture) { fx.Password = nil })
	goToPassword(t, p)
	sh(t, p, "input text whatever")
	tapText(t, p, "OK")
	if p.Screen() != "settings" {
		t.Errorf("with no password in the fixture, OK led to %q", p.Screen())
	}
}

func TestCodeConditions(t *testing.T) {
	p := newTestPhone(t)
	sh(t, p, "am start -a android.settings.SEARCH")
	tapText(t, p, "Done") // not a field: no focus, recorded as unexplained
	sh(t, p, "input tap 500 200")
	sh(t, p, "input text 4242")
	if p.Screen() != "search" {
		t.Fatalf("a wrong code moved on to %q", p.Screen())
	}
	sh(t, p, "input text 42")
	if p.Screen() != "settings" {
		t.Errorf("the right code did not move on: %q", p.Screen())
	}
}

func TestTapHitTesting(t *testing.T) {
	p := newTestPhone(t)
	tapText(t, p, "Settings")
	// The title text is inside the clickable row: the row takes the tap.
	sh(t, p, "input tap 100 545") // the row's own area, below the title
	if p.Screen() != "account" {
		t.Fatalf("tap inside the row led to %q", p.Screen())
	}
	sh(t, p, "input keyevent KEYCODE_BACK")
	if p.Screen() != "settings" {
		t.Fatalf("BACK (as code 4 in the fixture) led to %q", p.Screen())
	}
	sh(t, p, "input tap 900 200") // the action bar: not clickable, no transition
	sh(t, p, "input tap 100 650") // Wi-Fi row: no transition
	u := p.Unrecorded()
	if len(u) != 2 || u[0] != `unrecorded tap at 900,200 on FrameLayout` || !strings.HasPrefix(u[1], "unrecorded tap at 100,650 on LinearLayout") {
		t.Errorf("Unrecorded = %q", u)
	}
	if p.Counters().Unrecorded != 2 {
		t.Errorf("Counters.Unrecorded = %d", p.Counters().Unrecorded)
	}
}

func TestSelectorMatching(t *testing.T) {
	h, err := hierarchy.Parse([]byte(testScreens["settings"]))
	if err != nil {
		t.Fatal(err)
	}
	row := findText(h, "Xiaomi Account").Parent
	cases := []struct {
		sel  fixture.Selector
		want bool
	}{
		{fixture.Selector{}, true},
		{fixture.Selector{Text: "Xiaomi Account"}, true},
		{fixture.Selector{Text: "Xiaomi Account", ID: "android:id/title"}, true},
		{fixture.Selector{Text: "Xiaomi Account", Class: "android.widget.TextView"}, true},
		{fixture.Selector{Text: "Xiaomi Account", Class: "android.widget.LinearLayout"}, true},
		{fixture.Selector{Text: "Xiaomi Account", Class: "android.widget.Button"}, false},
		{fixture.Selector{Text: "Xiaomi Account", Class: "TextView"}, false},
		{fixture.Selector{Class: "android.widget.LinearLayout"}, true},
		{fixture.Selector{Text: "Wi‑Fi"}, false},
		{fixture.Selector{Desc: "x"}, false},
	}
	selectorMatches := func(sel fixture.Selector, target *hierarchy.Node) bool {
		return fixture.Transition{Tap: &sel}.Fires(fixture.TapOn(target), nil)
	}
	// A tap that lands on no clickable node matches only that node.
	if selectorMatches(fixture.Selector{Text: "Xiaomi Account"}, h.Roots[0]) {
		t.Error("the non-clickable root matched a selector of a node inside it")
	}
	if !selectorMatches(fixture.Selector{Text: "Xiaomi Account"}, findText(h, "Xiaomi Account")) {
		t.Error("a non-clickable node does not match itself")
	}
	for _, c := range cases {
		if got := selectorMatches(c.sel, row); got != c.want {
			t.Errorf("selectorMatches(%+v) = %t, want %t", c.sel, got, c.want)
		}
	}
}

func TestSettleAndIdleDumps(t *testing.T) {
	p := newTestPhone(t)
	tapText(t, p, "Settings") // settings settles for one dump
	if h := dump(t, p); findText(h, "Settings") == nil || findText(h, "Xiaomi Account") != nil {
		t.Errorf("first dump after the switch should still show home:\n%s", h.Marshal())
	}
	if h := dump(t, p); findText(h, "Xiaomi Account") == nil {
		t.Errorf("second dump should show settings:\n%s", h.Marshal())
	}
	tapText(t, p, "Xiaomi Account") // account: one idle error
	if out := sh(t, p, "uiautomator dump /dev/tty"); out != "ERROR: could not get idle state.\n" {
		t.Errorf("first dump of the animating screen = %q", out)
	}
	if h := dump(t, p); findText(h, "Sign out") == nil {
		t.Errorf("second dump should show the account:\n%s", h.Marshal())
	}
	if c := p.Counters(); c.Dumps != 4 || c.Taps != 2 || c.Inputs != 2 {
		t.Errorf("counters = %+v", c)
	}
}

func TestDumpFaults(t *testing.T) {
	p := newTestPhone(t, func(fx *fixture.Fixture) {
		fx.Faults.DumpIdleError = []int{2}
		fx.Faults.DumpTruncated = []int{3}
	})
	dump(t, p)
	if out := sh(t, p, "uiautomator dump /dev/tty"); out != "ERROR: could not get idle state.\n" {
		t.Errorf("dump 2 = %q", out)
	}
	out, _ := serve(t, p, "exec:uiautomator dump /dev/tty")
	xml := strings.TrimSuffix(out, "UI hierchary dumped to: /dev/tty\n")
	if _, err := hierarchy.Parse([]byte(xml)); !errors.Is(err, hierarchy.ErrTruncated) {
		t.Errorf("dump 3 parses with %v, want ErrTruncated", err)
	}
	dump(t, p)
}

func TestSlowFirstDumpAfterAmStart(t *testing.T) {
	p := newTestPhone(t, func(fx *fixture.Fixture) { fx.Faults.SlowFirstDump = 3e9 })
	sh(t, p, "am start -n com.android.settings/.MiuiSettings")
	t0 := p.Elapsed()
	sh(t, p, "uiautomator dump")
	t1 := p.Elapsed()
	sh(t, p, "uiautomator dump")
	t2 := p.Elapsed()
	if first, second := t1-t0, t2-t1; first-second != 3e9 {
		t.Errorf("first dump took %s, second %s: want 3s more for the first", first, second)
	}
}

func TestDisplayAsleepAndLocked(t *testing.T) {
	p := newTestPhone(t)
	sh(t, p, "input keyevent 26")
	if p.Awake() {
		t.Fatal("POWER did not turn the display off")
	}
	if out := sh(t, p, "uiautomator dump /dev/tty"); out != "ERROR: null root node returned by UiTestAutomationBridge.\n" {
		t.Errorf("dump while asleep = %q", out)
	}
	sh(t, p, "input tap 200 1900")
	if p.Screen() != "home" {
		t.Error("a tap while asleep did something")
	}
	if !strings.Contains(sh(t, p, "dumpsys power"), "mWakefulness=Asleep") {
		t.Error("dumpsys power does not say Asleep")
	}
	sh(t, p, "input keyevent KEYCODE_WAKEUP")
	if !p.Awake() || !strings.Contains(sh(t, p, "dumpsys power"), "mWakefulness=Awake") {
		t.Error("WAKEUP did not wake the display")
	}

	locked := newTestPhone(t, func(fx *fixture.Fixture) {
		yes := true
		fx.Display.Locked = &yes
	})
	if h := dump(t, locked); findText(h, "12:00") == nil {
		t.Errorf("locked phone dumps:\n%s", h.Marshal())
	}
	sh(t, locked, "am start -n com.android.settings/.MiuiSettings")
	if locked.Screen() != "settings" {
		t.Errorf("am start while locked: screen %q", locked.Screen())
	}
	if h := dump(t, locked); findText(h, "12:00") == nil {
		t.Error("the lock screen does not cover the started activity")
	}
	win := sh(t, locked, "dumpsys window")
	for _, want := range []string{"mShowingLockscreen=true", "isStatusBarKeyguard=true", "mKeyguardShowing=true", "mCurrentFocus=Window{", "NotificationShade}"} {
		if !strings.Contains(win, want) {
			t.Errorf("dumpsys window of a locked phone lacks %q", want)
		}
	}
	sh(t, locked, "input swipe 540 2000 540 500")
	if !locked.Locked() || len(locked.Unrecorded()) != 0 {
		t.Errorf("swipe on the lock screen: locked %t, unrecorded %q", locked.Locked(), locked.Unrecorded())
	}
}

func TestSwipeDirections(t *testing.T) {
	p := newTestPhone(t)
	sh(t, p, "am start -n com.android.settings/.MiuiSettings")
	sh(t, p, "input swipe 540 2000 540 500 300") // finger moves up
	if u := p.Unrecorded(); len(u) != 0 {
		t.Fatalf("swipe up (a fixture transition) was unrecorded: %q", u)
	}
	sh(t, p, "input touchscreen swipe 540 500 540 2000")
	sh(t, p, "input swipe 900 1000 100 1000")
	u := p.Unrecorded()
	if len(u) != 2 || u[0] != "unrecorded swipe down on settings" || u[1] != "unrecorded swipe left on settings" {
		t.Errorf("Unrecorded = %q", u)
	}
	if p.Counters().Swipes != 3 {
		t.Errorf("Swipes = %d", p.Counters().Swipes)
	}
}

func TestTransitionEffects(t *testing.T) {
	hang := newTestPhone(t, func(fx *fixture.Fixture) {
		fx.Screens["home"].Transitions[0].Effects = []fixture.Effect{"disconnect"}
	})
	_, err := serve(t, hang, "shell:input tap 200 1900; echo after")
	if err == nil {
		t.Fatal("a disconnect effect did not break the stream")
	}
	if hang.Screen() != "settings" {
		t.Errorf("the tap itself did not happen: screen %q", hang.Screen())
	}
	polls := 0
	for hang.ListState() != "device" {
		polls++
	}
	if polls != 5 {
		t.Errorf("disconnected for %d polls, want the default 5s", polls)
	}

	reboot := newTestPhone(t, func(fx *fixture.Fixture) {
		fx.Screens["home"].Transitions[0].Effects = []fixture.Effect{"reboot"}
	})
	if out := sh(t, reboot, "input tap 200 1900; echo after"); out != "" {
		t.Errorf("output after a reboot effect = %q", out)
	}
	if reboot.Reboots() != 1 || reboot.ListState() != "offline" {
		t.Errorf("reboot effect: reboots %d", reboot.Reboots())
	}
}

func TestKeepData(t *testing.T) {
	p := newTestPhone(t)
	tapText(t, p, "Settings")
	tapText(t, p, "Xiaomi Account")
	tapText(t, p, "Sign out")
	tapText(t, p, "Keep")
	if p.DataChoice() != "keep" {
		t.Errorf("DataChoice = %q", p.DataChoice())
	}
}

// BenchmarkDump is the host cost of one uiautomator dump over exec:.
func BenchmarkDump(b *testing.B) {
	p := newTestPhone(b)
	sh(b, p, "am start -n com.android.settings/.MiuiSettings")
	for b.Loop() {
		out, err := serve(b, p, "exec:uiautomator dump /dev/tty")
		if err != nil || !strings.HasSuffix(out, "UI hierchary dumped to: /dev/tty\n") {
			b.Fatalf("dump: %v %q", err, out)
		}
	}
}

// A screen with After moves on by itself after the dumps that showed it;
// settling and failed dumps do not count.
func TestScreenMovesOnAfterDumps(t *testing.T) {
	p := newTestPhone(t, func(fx *fixture.Fixture) {
		fx.Screens["settings"].After = &fixture.After{Dumps: 2, Goto: "account", Effects: []fixture.Effect{"remove-account"}}
	})
	tapText(t, p, "Settings") // settings settles for one dump
	want := []string{"Settings", "Xiaomi Account", "Xiaomi Account"}
	for i, text := range want {
		if h := dump(t, p); findText(h, text) == nil {
			t.Fatalf("dump %d shows no %q:\n%s", i+1, text, h.Marshal())
		}
		if i < 2 && p.Screen() != "settings" {
			t.Fatalf("after dump %d: screen %s, want settings", i+1, p.Screen())
		}
	}
	if p.Screen() != "account" || strings.Contains(sh(t, p, "dumpsys account"), testAccountID) {
		t.Errorf("after the second dump of settings: screen %s, account still there", p.Screen())
	}
	if out := sh(t, p, "uiautomator dump /dev/tty"); out != "ERROR: could not get idle state.\n" {
		t.Errorf("the account screen's idle error = %q", out)
	}
	if h := dump(t, p); findText(h, "Sign out") == nil {
		t.Errorf("want the account screen:\n%s", h.Marshal())
	}
}

// focusLine is the focused window as dumpsys window prints it.
func focusLine(t *testing.T, p *Phone) string {
	t.Helper()
	for _, line := range strings.Split(sh(t, p, "dumpsys window"), "\n") {
		if strings.Contains(line, "mCurrentFocus=") {
			return strings.TrimSpace(line)
		}
	}
	t.Fatal("dumpsys window shows no mCurrentFocus")
	return ""
}

// A screen with Draw appears that long after the switch, on the phone's
// clock: until then dumps show the previous screen and the focused window
// stays the previous one; `am start -W` returns once it has appeared.
func TestScreenDrawnLate(t *testing.T) {
	p := newTestPhone(t, func(fx *fixture.Fixture) {
		fx.Screens["settings"].Settle = 0
		fx.Screens["account"].IdleErrors = 0
		fx.Screens["account"].Draw = 2 * time.Second
	})
	tapText(t, p, "Settings")
	settings := focusLine(t, p)
	sh(t, p, "am start -a android.settings.XIAOMI_ACCOUNT_SYNC_SETTINGS")
	if got := focusLine(t, p); got != settings {
		t.Errorf("focus right after am start = %q, want Settings' %q", got, settings)
	}
	if h := dump(t, p); findText(h, "Sign out") != nil { // 1.5 s into the 2 s
		t.Errorf("a dump before the account screen appeared shows it:\n%s", h.Marshal())
	}
	sh(t, p, "sleep 0.5")
	if h := dump(t, p); findText(h, "Sign out") == nil {
		t.Errorf("a dump after the account screen appeared does not show it:\n%s", h.Marshal())
	}
	account := focusLine(t, p)
	if account == settings || !strings.Contains(account, "com.xiaomi.account/com.xiaomi.account.ui.AccountSettingsActivity") {
		t.Errorf("focus once the account screen appeared = %q (Settings' %q)", account, settings)
	}

	// The data dialog is a window of the same activity: the title stays,
	// the window does not.
	tapText(t, p, "Sign out")
	if got := focusLine(t, p); got == account {
		t.Errorf("the dialog has the account screen's window %q", got)
	}

	q := newTestPhone(t, func(fx *fixture.Fixture) { fx.Screens["account"].Draw = 2 * time.Second })
	t0 := q.Elapsed()
	out := sh(t, q, "am start -W -a android.settings.XIAOMI_ACCOUNT_SYNC_SETTINGS")
	// shell 30ms + am start 800ms + transition 400ms + drawn 2s later
	if took := q.Elapsed() - t0; took != 3230*time.Millisecond {
		t.Errorf("am start -W took %s, want 3.23s (until the screen appeared)", took)
	}
	if !strings.Contains(out, "TotalTime: 3200") {
		t.Errorf("am start -W printed %q, want TotalTime: 3200", out)
	}
}

// A screen with After.Time moves on by itself that long after it appeared,
// whether or not anything looks at it, with its effects at that moment.
func TestScreenMovesOnAfterTime(t *testing.T) {
	p := newTestPhone(t, func(fx *fixture.Fixture) {
		fx.Screens["settings"].Settle = 0
		fx.Screens["settings"].After = &fixture.After{Time: 3 * time.Second, Goto: "signed_out", Effects: []fixture.Effect{fixture.RemoveAccount}}
	})
	tapText(t, p, "Settings") // settings appears at the end of the tap
	if h := dump(t, p); findText(h, "Xiaomi Account") == nil {
		t.Fatalf("dump 1.5 s into the 3 s shows no settings:\n%s", h.Marshal())
	}
	if !strings.Contains(sh(t, p, "dumpsys account"), testAccountID) {
		t.Fatal("the account went before its time")
	}
	// The rest of the 3 s passes on the phone in a loop, as a client
	// waiting on the phone would spend it.
	out := sh(t, p, `i=0; while dumpsys account | grep -q 'Account {name=.*type=com.xiaomi'; do sleep 0.1; i=$((i+1)); done; echo $i`)
	if n, err := strconv.Atoi(strings.TrimSpace(out)); err != nil || n < 10 || n > 16 {
		t.Errorf("the wait loop went round %q times, want about 14 (1.4 s in steps of 0.1 s)", out)
	}
	if p.Screen() != "signed_out" {
		t.Errorf("screen %s after 3 s, want signed_out", p.Screen())
	}
}
