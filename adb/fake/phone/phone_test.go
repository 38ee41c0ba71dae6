package phone

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake"
	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/adb/hierarchy"
)

// The test fixture: a small Xiaomi phone built in Go (no loader), with
// the screens of the sign-out flow.

// demoPassword is the account password of the test fixture: every
// character a shell or `input text` could mangle.
const (
	demoPassword       = `Mi pa$$ %s 'q' "dq" \ & ; | $(reboot)`
	demoPasswordSHA256 = "b4c116286fb76e1ac081f212a80845429c390109c545fbf4bc56149643364c92"
	testAccountID      = "1234567890"
)

// node renders one uiautomator node; attrs is raw XML attributes.
func node(attrs string, children ...string) string {
	if len(children) == 0 {
		return "<node " + attrs + " />"
	}
	return "<node " + attrs + ">" + strings.Join(children, "") + "</node>"
}

// screenXML wraps nodes in a full-screen root of package pkg.
func screenXML(pkg string, nodes ...string) string {
	return `<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation="0">` +
		node(fmt.Sprintf(`index="0" class="android.widget.FrameLayout" package="%s" bounds="[0,0][1080,2400]"`, pkg), nodes...) +
		`</hierarchy>`
}

var testScreens = map[string]string{
	"home": screenXML("com.miui.home",
		node(`index="0" text="Settings" resource-id="com.miui.home:id/icon_title" class="android.widget.TextView" package="com.miui.home" content-desc="Settings" clickable="true" bounds="[100,1800][300,2000]"`),
	),
	"settings": screenXML("com.android.settings",
		node(`index="0" text="Settings" resource-id="miui:id/action_bar_title" class="android.widget.TextView" package="com.android.settings" bounds="[60,150][600,260]"`),
		node(`index="1" class="android.widget.LinearLayout" package="com.android.settings" clickable="true" bounds="[0,400][1080,560]"`,
			node(`index="0" text="Xiaomi Account" resource-id="android:id/title" class="android.widget.TextView" package="com.android.settings" bounds="[60,430][800,530]"`),
		),
		node(`index="2" class="android.widget.LinearLayout" package="com.android.settings" clickable="true" bounds="[0,560][1080,720]"`,
			node(`index="0" text="Wi‑Fi" resource-id="android:id/title" class="android.widget.TextView" package="com.android.settings" bounds="[60,590][800,690]"`),
		),
	),
	"account": screenXML("com.xiaomi.account",
		node(`index="0" text="1234567890" resource-id="com.xiaomi.account:id/user_id" class="android.widget.TextView" package="com.xiaomi.account" bounds="[60,300][1020,400]"`),
		node(`index="1" text="Sign out" resource-id="com.xiaomi.account:id/logout_btn" class="android.widget.Button" package="com.xiaomi.account" clickable="true" bounds="[60,2100][1020,2250]"`),
	),
	"signed_out": screenXML("com.xiaomi.account",
		node(`index="0" text="Sign in to Mi Account" class="android.widget.Button" package="com.xiaomi.account" clickable="true" bounds="[60,1000][1020,1150]"`),
	),
	"data_dialog": screenXML("com.xiaomi.account",
		node(`index="0" text="Delete synced items from this device?" resource-id="android:id/message" class="android.widget.TextView" package="com.xiaomi.account" bounds="[60,1500][1020,1650]"`),
		node(`index="1" text="Keep" resource-id="android:id/button1" class="android.widget.Button" package="com.xiaomi.account" clickable="true" bounds="[60,1900][530,2050]"`),
		node(`index="2" text="Remove" resource-id="android:id/button2" class="android.widget.Button" package="com.xiaomi.account" clickable="true" bounds="[550,1900][1020,2050]"`),
	),
	"password": screenXML("com.xiaomi.account",
		node(`index="0" text="Verify password" class="android.widget.TextView" package="com.xiaomi.account" bounds="[60,1300][1020,1400]"`),
		node(`index="1" text="Enter password" resource-id="com.xiaomi.account:id/password" class="android.widget.EditText" package="com.xiaomi.account" clickable="true" focusable="true" focused="true" password="true" bounds="[60,1500][1020,1650]"`),
		node(`index="2" text="Cancel" resource-id="android:id/button1" class="android.widget.Button" package="com.xiaomi.account" clickable="true" bounds="[60,1900][530,2050]"`),
		node(`index="3" text="OK" resource-id="android:id/button2" class="android.widget.Button" package="com.xiaomi.account" clickable="true" bounds="[550,1900][1020,2050]"`),
	),
	"password_wrong": screenXML("com.xiaomi.account",
		node(`index="0" text="Password is incorrect" class="android.widget.TextView" package="com.xiaomi.account" bounds="[60,1300][1020,1400]"`),
		node(`index="1" text="OK" resource-id="android:id/button2" class="android.widget.Button" package="com.xiaomi.account" clickable="true" bounds="[550,1900][1020,2050]"`),
	),
	"search": screenXML("com.android.settings",
		node(`index="0" text="" resource-id="android:id/search_src_text" class="android.widget.EditText" package="com.android.settings" clickable="true" focusable="true" bounds="[60,150][1020,260]"`),
		node(`index="1" text="Done" class="android.widget.Button" package="com.android.settings" clickable="true" bounds="[60,400][1020,500]"`),
	),
	"lock": screenXML("com.android.systemui",
		node(`index="0" text="12:00" resource-id="com.android.systemui:id/clock" class="android.widget.TextView" package="com.android.systemui" bounds="[300,400][780,600]"`),
	),
}

// testFixture is a fresh fixture each call (tests change it freely).
func testFixture(t testing.TB) *fixture.Fixture {
	t.Helper()
	yes, no := true, false
	fx := &fixture.Fixture{
		Name:   "test",
		Source: "built-in",
		File: fixture.File{
			Serial:   "fake0001",
			Features: []string{"cmd", "stat_v2"},
			Properties: map[string]string{
				"ro.product.manufacturer": "Xiaomi",
				"ro.product.brand":        "Redmi",
				"ro.product.model":        "Redmi Note 12",
				"ro.product.name":         "tapas_global",
				"ro.product.device":       "tapas",
				"ro.miui.ui.version.name": "V140",
				"ro.build.version.sdk":    "33",
			},
			Settings: map[string]map[string]string{
				"global": {"stay_on_while_plugged_in": "0"},
				"system": {"screen_off_timeout": "30000"},
			},
			Packages: []string{"com.android.settings", "com.xiaomi.account", "com.miui.cloudservice"},
			Accounts: []fixture.Account{
				{Name: testAccountID, Type: "com.xiaomi"},
				{Name: "someone@gmail.com", Type: "com.google"},
			},
			Password: &fixture.Password{SHA256: demoPasswordSHA256},
			Web:      &fixture.Web{Code: "424242"},
			Files:    map[string]string{"/sdcard/Download/note.txt": "hello from the phone\n"},
			Battery:  &fixture.Battery{Level: 76, Charging: true},
			Display:  &fixture.Display{Size: "1080x2400", Density: 440, Start: "home", Awake: &yes, Locked: &no, LockScreen: "lock"},
			Input:    &fixture.Input{Injection: &yes},
			Boot:     &fixture.Boot{Offline: 20 * time.Second, Completed: 45 * time.Second},
			Latency: &fixture.Latency{
				Shell: 30 * time.Millisecond, Dump: 1500 * time.Millisecond, Input: 300 * time.Millisecond,
				AmStart: 800 * time.Millisecond, Transition: 400 * time.Millisecond, Screencap: 700 * time.Millisecond,
				Sync: 20 * time.Millisecond,
			},
			Faults: &fixture.Faults{},
			Activities: []fixture.Activity{
				{Component: "com.android.settings/.MiuiSettings", Screen: "settings"},
				{Action: "android.settings.XIAOMI_ACCOUNT_SYNC_SETTINGS", When: "signed-in", Screen: "account"},
				{Action: "android.settings.XIAOMI_ACCOUNT_SYNC_SETTINGS", When: "signed-out", Screen: "signed_out"},
				{Action: "android.settings.SEARCH", Screen: "search"},
			},
			Screens: map[string]*fixture.Screen{
				"home": {Activity: "com.miui.home/.launcher.Launcher", Transitions: []fixture.Transition{
					{Tap: &fixture.Selector{Text: "Settings"}, Goto: "settings"},
				}},
				"settings": {Activity: "com.android.settings/.MiuiSettings", Settle: 1, Transitions: []fixture.Transition{
					{Tap: &fixture.Selector{Text: "Xiaomi Account"}, When: "signed-in", Goto: "account"},
					{Tap: &fixture.Selector{Text: "Xiaomi Account"}, When: "signed-out", Goto: "signed_out"},
					{Key: "BACK", Goto: "home"},
					{Swipe: "up"},
				}},
				"account": {Activity: "com.xiaomi.account/.ui.AccountSettingsActivity", IdleErrors: 1, Transitions: []fixture.Transition{
					{Tap: &fixture.Selector{ID: "com.xiaomi.account:id/logout_btn"}, Goto: "data_dialog"},
					{Key: "4", Goto: "settings"},
				}},
				"signed_out": {Activity: "com.xiaomi.account/.ui.WelcomeActivity"},
				"data_dialog": {Activity: "com.xiaomi.account/.ui.AccountSettingsActivity", Transitions: []fixture.Transition{
					{Tap: &fixture.Selector{Text: "Remove", Class: "android.widget.Button"}, Goto: "password", Effects: []fixture.Effect{"remove-data"}},
					{Tap: &fixture.Selector{Text: "Keep"}, Goto: "password", Effects: []fixture.Effect{"keep-data"}},
				}},
				"password": {Activity: "com.xiaomi.account/.ui.AccountSettingsActivity", Transitions: []fixture.Transition{
					{Tap: &fixture.Selector{ID: "android:id/button2"}, When: "password-correct", Goto: "settings", Effects: []fixture.Effect{"remove-account"}},
					{Tap: &fixture.Selector{ID: "android:id/button2"}, When: "password-wrong", Goto: "password_wrong"},
					{Tap: &fixture.Selector{Text: "Cancel"}, Goto: "account"},
				}},
				"password_wrong": {Activity: "com.xiaomi.account/.ui.AccountSettingsActivity", Transitions: []fixture.Transition{
					{Tap: &fixture.Selector{Text: "OK"}, Goto: "password"},
				}},
				"search": {Activity: "com.android.settings/.SearchActivity", Transitions: []fixture.Transition{
					{Text: true, When: "code-correct", Goto: "settings"},
				}},
				"lock": {Transitions: []fixture.Transition{{Swipe: "up"}}},
			},
		},
		Dumps: map[string]*hierarchy.Hierarchy{},
	}
	for name, xml := range testScreens {
		h, err := hierarchy.Parse([]byte(xml))
		if err != nil {
			t.Fatalf("test screen %s: %v", name, err)
		}
		fx.Dumps[name] = h
	}
	return fx
}

func newTestPhone(t testing.TB, change ...func(*fixture.Fixture)) *Phone {
	t.Helper()
	return newLoggedPhone(t, nil, change...)
}

func newLoggedPhone(t testing.TB, log io.Writer, change ...func(*fixture.Fixture)) *Phone {
	t.Helper()
	fx := testFixture(t)
	for _, f := range change {
		f(fx)
	}
	p, err := New(fx, Options{Log: log})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}

// logWatch is a phone log a test can wait on, line by line.
type logWatch struct{ lines chan string }

func newLogWatch() *logWatch { return &logWatch{lines: make(chan string, 4096)} }

func (l *logWatch) Write(b []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		select {
		case l.lines <- line:
		default: // a test that does not wait drops lines
		}
	}
	return len(b), nil
}

// waitFor blocks until a log line contains s.
func (l *logWatch) waitFor(s string) {
	for line := range l.lines {
		if strings.Contains(line, s) {
			return
		}
	}
}

// testConn is the client side of a service stream: what the service
// writes is collected; reads block until the client hangs up.
type testConn struct {
	in     *io.PipeReader
	hangup *io.PipeWriter
	mu     sync.Mutex
	out    bytes.Buffer
}

func newTestConn() *testConn {
	r, w := io.Pipe()
	return &testConn{in: r, hangup: w}
}

func (c *testConn) Read(b []byte) (int, error) { return c.in.Read(b) }

func (c *testConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.Write(b)
}

func (c *testConn) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.String()
}

// serve opens service on p and runs it to the end, as the server would.
func serve(t testing.TB, p *Phone, service string) (string, error) {
	t.Helper()
	ctx := context.Background()
	svc, err := p.Open(ctx, service)
	if err != nil {
		return "", err
	}
	conn := newTestConn()
	defer conn.hangup.Close()
	err = svc(ctx, conn)
	return conn.output(), err
}

// sh runs cmd through shell: and fails the test on a service error.
func sh(t testing.TB, p *Phone, cmd string) string {
	t.Helper()
	out, err := serve(t, p, "shell:"+cmd)
	if err != nil {
		t.Fatalf("shell %q: %v", cmd, err)
	}
	return out
}

// shExit runs cmd and returns its output without the exit marker, and
// the exit status, the way a client over shell v1 learns it.
func shExit(t testing.TB, p *Phone, cmd string) (string, int) {
	t.Helper()
	out := sh(t, p, cmd+"; echo :EXIT:$?")
	i := strings.LastIndex(out, ":EXIT:")
	if i < 0 {
		t.Fatalf("shell %q: no exit marker in %q", cmd, out)
	}
	var code int
	if _, err := fmt.Sscanf(out[i:], ":EXIT:%d", &code); err != nil {
		t.Fatalf("shell %q: bad exit marker in %q", cmd, out)
	}
	return out[:i], code
}

func TestNewPhoneAttributesAndState(t *testing.T) {
	p := newTestPhone(t)
	if got := p.Serial(); got != "fake0001" {
		t.Errorf("Serial = %q", got)
	}
	if got := p.ListState(); got != adb.StateDevice {
		t.Errorf("ListState = %q, want device", got)
	}
	attrs := p.Attributes()
	want := fake.Attributes{Product: "tapas_global", Model: "Redmi Note 12", Device: "tapas", Features: []string{"cmd", "stat_v2"}}
	if fmt.Sprint(attrs) != fmt.Sprint(want) {
		t.Errorf("Attributes = %+v, want %+v", attrs, want)
	}
	if p.Screen() != "home" || !p.Awake() || p.Locked() || p.Elapsed() != 0 {
		t.Errorf("fresh phone: screen %q awake %t locked %t elapsed %s", p.Screen(), p.Awake(), p.Locked(), p.Elapsed())
	}
}

func TestPhoneOptionsMakeCopies(t *testing.T) {
	fx := testFixture(t)
	var log bytes.Buffer
	p, err := New(fx, Options{Serial: "copy2", AccountID: "5550001", Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if p.Serial() != "copy2" {
		t.Errorf("Serial = %q", p.Serial())
	}
	if got := sh(t, p, "getprop ro.serialno"); got != "copy2\n" {
		t.Errorf("ro.serialno = %q", got)
	}
	accts := p.Accounts()
	if accts[0].Name != "5550001" || accts[1].Name != "someone@gmail.com" {
		t.Errorf("Accounts = %v", accts)
	}
	if fx.Accounts[0].Name != testAccountID {
		t.Errorf("New changed the fixture's accounts: %v", fx.Accounts)
	}
	sh(t, p, "am start -a android.settings.XIAOMI_ACCOUNT_SYNC_SETTINGS")
	sh(t, p, "uiautomator dump /dev/tty") // idle error
	dump := sh(t, p, "uiautomator dump /dev/tty")
	if !strings.Contains(dump, `text="5550001"`) || strings.Contains(dump, testAccountID) {
		t.Errorf("account screen of the copy does not show its account id:\n%s", dump)
	}
	if !strings.Contains(log.String(), "copy2 shell: am") {
		t.Errorf("log lacks the service line:\n%s", log.String())
	}
}

func TestOpenRefusesUnknownServices(t *testing.T) {
	p := newTestPhone(t)
	for _, svc := range []string{"tcpip:5555", "framebuffer:", "shell:", "jdwp"} {
		if _, err := p.Open(context.Background(), svc); err == nil || err.Error() != "closed" {
			t.Errorf("Open(%q) = %v, want closed", svc, err)
		}
	}
}

func TestUnauthorizedPhone(t *testing.T) {
	p := newTestPhone(t, func(fx *fixture.Fixture) { fx.State = "unauthorized" })
	for range 3 {
		if got := p.ListState(); got != adb.StateUnauthorized {
			t.Fatalf("ListState = %q", got)
		}
	}
	if _, err := p.Open(context.Background(), "shell:id"); err == nil {
		t.Error("Open on an unauthorized phone succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.WaitOnline(ctx); err == nil {
		t.Error("WaitOnline on an unauthorized phone returned nil")
	}
}

func TestRebootTimeline(t *testing.T) {
	p := newTestPhone(t)
	bootBefore := sh(t, p, "cat /proc/sys/kernel/random/boot_id")
	sh(t, p, "am start -n com.android.settings/.MiuiSettings")
	sh(t, p, "settings put global stay_on_while_plugged_in 2")

	start := p.Elapsed()
	if _, err := serve(t, p, "reboot:"); err != nil {
		t.Fatalf("reboot: %v", err)
	}
	if p.Reboots() != 1 || p.Counters().Reboot != 1 {
		t.Fatalf("Reboots = %d, counters %+v", p.Reboots(), p.Counters())
	}
	if st := p.ListState(); st != adb.StateOffline {
		t.Fatalf("ListState after reboot = %q, want offline", st)
	}
	if _, err := p.Open(context.Background(), "shell:id"); err == nil {
		t.Fatal("Open on an offline phone succeeded")
	}
	if err := p.WaitOnline(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := p.Elapsed() - start; got != 20*time.Second {
		t.Errorf("back online after %s, want Boot.Offline 20s", got)
	}
	if st := p.ListState(); st != adb.StateDevice {
		t.Fatalf("ListState after WaitOnline = %q", st)
	}
	if got := sh(t, p, "getprop sys.boot_completed"); got != "0\n" {
		t.Errorf("sys.boot_completed right after boot = %q, want 0", got)
	}
	out := sh(t, p, `n=0; while [ "$(getprop sys.boot_completed)" != 1 ]; do sleep 1; n=$((n+1)); done; echo booted after $n polls`)
	if !strings.HasPrefix(out, "booted after ") {
		t.Fatalf("boot wait loop printed %q", out)
	}
	if p.Elapsed()-start < 45*time.Second {
		t.Errorf("boot completed at %s after the reboot, want >= 45s", p.Elapsed()-start)
	}
	if bootAfter := sh(t, p, "cat /proc/sys/kernel/random/boot_id"); bootAfter == bootBefore || len(bootAfter) != 37 {
		t.Errorf("boot id before %q, after %q: want a new UUID", bootBefore, bootAfter)
	}
	if p.Screen() != "home" {
		t.Errorf("screen after reboot = %q, want the start screen", p.Screen())
	}
	if p.Setting("global", "stay_on_while_plugged_in") != "2" || len(p.Accounts()) != 2 {
		t.Error("reboot lost settings or accounts")
	}
}

func TestListStatePollsMoveTheClock(t *testing.T) {
	p := newTestPhone(t)
	sh(t, p, "reboot")
	polls := 0
	for p.ListState() != adb.StateDevice {
		polls++
		if polls > 100 {
			t.Fatal("phone never came back")
		}
	}
	if polls != 20 {
		t.Errorf("offline for %d polls, want 20 (one simulated second each)", polls)
	}
}

func TestRebootDeterministicBootID(t *testing.T) {
	a, b := bootID("s1", 1), bootID("s1", 1)
	if a != b || a == bootID("s1", 2) || a == bootID("s2", 1) {
		t.Errorf("boot ids not derived from serial and count: %s %s", a, bootID("s1", 2))
	}
}

func TestRebootEndsTheCommand(t *testing.T) {
	p := newTestPhone(t)
	out := sh(t, p, "echo before; svc power reboot; echo after")
	if out != "before\n" {
		t.Errorf("output = %q, want only what came before the reboot", out)
	}
	if p.Reboots() != 1 {
		t.Errorf("Reboots = %d", p.Reboots())
	}
}

func TestLogNamesCommandsNotText(t *testing.T) {
	fx := testFixture(t)
	var log bytes.Buffer
	p, err := New(fx, Options{Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	goToPassword(t, p)
	typePassword(t, p, "s3cret-Value")
	sh(t, p, "secretcommand-xyz; input text 'other-secret'")
	got := log.String()
	for _, secret := range []string{"s3cret", "other-secret"} {
		if strings.Contains(got, secret) {
			t.Errorf("log holds typed text %q:\n%s", secret, got)
		}
	}
	if !strings.Contains(got, "input text (12 chars)") {
		t.Errorf("log lacks the input text line:\n%s", got)
	}
}

func TestSleepMovesOnlyTheSimulatedClock(t *testing.T) {
	p := newTestPhone(t)
	before := p.Elapsed()
	sh(t, p, "sleep 3600; sleep 0.5")
	if got := p.Elapsed() - before; got != time.Hour+500*time.Millisecond+30*time.Millisecond {
		t.Errorf("sleep 3600; sleep 0.5 took %s of simulated time, want 1h0m0.53s (with the shell latency)", got)
	}
}

func TestWaitOnlineHonoursDoneContext(t *testing.T) {
	p := newTestPhone(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.WaitOnline(ctx); err == nil {
		t.Error("WaitOnline with a done context returned nil")
	}
	if err := p.WaitOnline(context.Background()); err != nil {
		t.Errorf("WaitOnline on an online phone: %v", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	p := newTestPhone(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch i % 4 {
			case 0:
				sh(t, p, "uiautomator dump /dev/tty")
			case 1:
				sh(t, p, "input tap 200 1900")
			case 2:
				sh(t, p, "getprop; dumpsys window")
			case 3:
				_ = p.ListState()
				_ = p.Counters()
			}
		}()
	}
	wg.Wait()
	if c := p.Counters(); c.Shell != 6 {
		t.Errorf("Shell calls = %d, want 6", c.Shell)
	}
}
