package phone

import (
	"strings"
	"testing"

	"github.com/miacct/miacct/adb/fake/fixture"
)

func TestGetpropSetprop(t *testing.T) {
	p := newTestPhone(t)
	all := sh(t, p, "getprop")
	lines := strings.Split(strings.TrimSuffix(all, "\n"), "\n")
	for i := 1; i < len(lines); i++ {
		if lines[i-1] >= lines[i] {
			t.Errorf("getprop is not sorted: %q before %q", lines[i-1], lines[i])
		}
	}
	for _, want := range []string{"[ro.product.model]: [Redmi Note 12]", "[sys.boot_completed]: [1]", "[ro.serialno]: [fake0001]"} {
		if !strings.Contains(all, want+"\n") {
			t.Errorf("getprop lacks %q", want)
		}
	}
	cases := []struct {
		cmd  string
		want string
		code int
	}{
		{"getprop ro.miui.ui.version.name", "V140\n", 0},
		{"getprop no.such.prop", "\n", 0},
		{"getprop no.such.prop fallback", "fallback\n", 0},
		{"setprop persist.test.x 5 && getprop persist.test.x", "5\n", 0},
		{"setprop ro.product.model Other", "Failed to set property 'ro.product.model' to 'Other'.\nSee dmesg for error reason.\n", 1},
		{"getprop ro.product.model", "Redmi Note 12\n", 0},
	}
	for _, c := range cases {
		out, code := shExit(t, p, c.cmd)
		if out != c.want || code != c.code {
			t.Errorf("%s: %q exit %d, want %q exit %d", c.cmd, out, code, c.want, c.code)
		}
	}
}

func TestSettingsSvcPmWm(t *testing.T) {
	p := newTestPhone(t)
	cases := []struct {
		cmd  string
		want string
		code int
	}{
		{"settings get global stay_on_while_plugged_in", "0\n", 0},
		{"settings get secure nothing_here", "null\n", 0},
		{"settings put secure my_key 'a b'", "", 0},
		{"settings get secure my_key", "a b\n", 0},
		{"settings list global", "stay_on_while_plugged_in=0\n", 0},
		{"settings get bogus x", "Invalid namespace 'bogus'\n", 1},
		{"svc power stayon usb && settings get global stay_on_while_plugged_in", "2\n", 0},
		{"svc power stayon true && settings get global stay_on_while_plugged_in", "7\n", 0},
		{"svc power stayon ac && settings get global stay_on_while_plugged_in", "1\n", 0},
		{"svc power stayon wireless && settings get global stay_on_while_plugged_in", "4\n", 0},
		{"svc power stayon false && settings get global stay_on_while_plugged_in", "0\n", 0},
		{"pm list packages", "package:com.android.settings\npackage:com.xiaomi.account\npackage:com.miui.cloudservice\n", 0},
		{"pm list packages xiaomi", "package:com.xiaomi.account\n", 0},
		{"pm list packages -3 --user 0 cloud", "package:com.miui.cloudservice\n", 0},
		{"wm size", "Physical size: 1080x2400\n", 0},
		{"wm density", "Physical density: 440\n", 0},
	}
	for _, c := range cases {
		out, code := shExit(t, p, c.cmd)
		if out != c.want || code != c.code {
			t.Errorf("%s: %q exit %d, want %q exit %d", c.cmd, out, code, c.want, c.code)
		}
	}
	if p.Setting("secure", "my_key") != "a b" {
		t.Errorf("Setting = %q", p.Setting("secure", "my_key"))
	}
	sh(t, p, "svc power stayon usb")
	if power := sh(t, p, "dumpsys power"); !strings.Contains(power, "mStayOn=true") || !strings.Contains(power, "mStayOnWhilePluggedInSetting=2") {
		t.Errorf("dumpsys power after stayon usb:\n%s", power)
	}
}

func TestDumpsys(t *testing.T) {
	p := newTestPhone(t)
	account := sh(t, p, "dumpsys account")
	want := "User UserInfo{0:Owner:c13}:\n  Accounts: 2\n    Account {name=1234567890, type=com.xiaomi}\n    Account {name=someone@gmail.com, type=com.google}\n"
	if !strings.HasPrefix(account, want) {
		t.Errorf("dumpsys account:\n%s", account)
	}
	sh(t, p, "am start -n com.android.settings/.MiuiSettings")
	window := sh(t, p, "dumpsys window")
	for _, w := range []string{
		"mCurrentFocus=Window{", " u0 com.android.settings/com.android.settings.MiuiSettings}",
		"mFocusedApp=ActivityRecord{", "u0 com.android.settings/.MiuiSettings t12}",
		"mShowingLockscreen=false", "mDreamingLockscreen=false", "isStatusBarKeyguard=false", "mKeyguardShowing=false", "mAwake=true",
	} {
		if !strings.Contains(window, w) {
			t.Errorf("dumpsys window lacks %q", w)
		}
	}
	power := sh(t, p, "dumpsys power")
	for _, w := range []string{"mWakefulness=Awake\n", "mStayOn=false\n", "mStayOnWhilePluggedInSetting=0\n"} {
		if !strings.Contains(power, w) {
			t.Errorf("dumpsys power lacks %q", w)
		}
	}
	battery := sh(t, p, "dumpsys battery")
	for _, w := range []string{"  level: 76\n", "  USB powered: true\n", "  AC powered: false\n", "  status: 2\n"} {
		if !strings.Contains(battery, w) {
			t.Errorf("dumpsys battery lacks %q", w)
		}
	}
	if act := sh(t, p, "dumpsys activity activities"); !strings.Contains(act, "mResumedActivity: ActivityRecord{") || !strings.Contains(act, " u0 com.android.settings/.MiuiSettings t12}") {
		t.Errorf("dumpsys activity activities:\n%s", act)
	}
	if got := sh(t, p, "dumpsys nosuch"); got != "Can't find service: nosuch\n" {
		t.Errorf("dumpsys nosuch = %q", got)
	}
}

func TestAmStart(t *testing.T) {
	p := newTestPhone(t)
	cases := []struct {
		cmd, want, screen string
		code              int
	}{
		{"am start -n com.android.settings/com.android.settings.MiuiSettings", "Starting: Intent { cmp=com.android.settings/.MiuiSettings }\n", "settings", 0},
		{"am start -W -S -n com.android.settings/.MiuiSettings", "Starting: Intent { cmp=com.android.settings/.MiuiSettings }\nStatus: ok\nLaunchState: COLD\nActivity: com.android.settings/com.android.settings.MiuiSettings\nTotalTime: 1200\nWaitTime: 1200\nComplete\n", "settings", 0},
		{"am start -a android.settings.XIAOMI_ACCOUNT_SYNC_SETTINGS -p com.xiaomi.account --es account_type com.xiaomi", "Starting: Intent { act=android.settings.XIAOMI_ACCOUNT_SYNC_SETTINGS pkg=com.xiaomi.account (has extras) }\n", "account", 0},
		{"am start -a android.intent.action.NOPE", "Starting: Intent { act=android.intent.action.NOPE }\nError: Activity not started, unable to resolve Intent { act=android.intent.action.NOPE flg=0x10000000 }\n", "account", 1},
		{"am start -n com.android.settings/.Other", "Starting: Intent { cmp=com.android.settings/.Other }\nError: Activity not started, unable to resolve Intent { flg=0x10000000 cmp=com.android.settings/.Other }\n", "account", 1},
		{"am start --bogus", "Error: Unknown option: --bogus\n", "account", 1},
	}
	for _, c := range cases {
		out, code := shExit(t, p, c.cmd)
		if out != c.want || code != c.code || p.Screen() != c.screen {
			t.Errorf("%s:\n got %q exit %d screen %s\nwant %q exit %d screen %s", c.cmd, out, code, p.Screen(), c.want, c.code, c.screen)
		}
	}
	if got := p.Counters().AmStarts; got != 5 {
		t.Errorf("AmStarts = %d, want 5 (option errors do not count)", got)
	}
	// The condition picks the signed-out screen once the account is gone.
	signedOut := newTestPhone(t, func(fx *fixture.Fixture) { fx.Accounts = fx.Accounts[1:] })
	sh(t, signedOut, "am start -a android.settings.XIAOMI_ACCOUNT_SYNC_SETTINGS")
	if signedOut.Screen() != "signed_out" {
		t.Errorf("signed-out phone started %q", signedOut.Screen())
	}
}

func TestInputText(t *testing.T) {
	p := newTestPhone(t)
	sh(t, p, "am start -a android.settings.SEARCH")
	sh(t, p, "input tap 500 200") // focus the search field
	cases := []struct{ cmd, typed, out string }{
		{`input text hello`, "hello", ""},
		{`input text 'a%sb'`, "a b", ""},
		{`input text '%%s'`, "% ", ""},
		{`input text "it's"`, "it's", ""},
		{`input text 'say "hi"'`, `say "hi"`, ""},
		{`input text 'caf` + "\u00e9" + `'`, "", "Warning: input text: a character cannot be typed with the virtual keyboard; nothing was typed\n"},
		{`input text two words`, "two", ""},
		{`input keyboard text x`, "x", ""},
		{`input keyevent 62 KEYCODE_A 67 KEYCODE_B 29`, " aba", ""},
		{`input text '$(reboot)'`, "$(reboot)", ""},
	}
	typed := ""
	for _, c := range cases {
		out := sh(t, p, c.cmd)
		typed += c.typed
		if out != c.out || p.TypedText() != typed {
			t.Errorf("%s: printed %q typed so far %q, want %q and %q", c.cmd, out, p.TypedText(), c.out, typed)
		}
	}
	if p.Reboots() != 0 {
		t.Error("quoted $(reboot) rebooted")
	}
	// DEL removed an 'a' from the field; TypedText keeps what was typed.
	field := ""
	p.mu.Lock()
	if path, ok := p.focusedFieldLocked("search"); ok {
		field = p.fieldTextLocked("search", path)
	}
	p.mu.Unlock()
	if want := `helloa b% it'ssay "hi"twox ba$(reboot)`; field != want {
		t.Errorf("field holds %q, want %q", field, want)
	}
	if c := p.Counters(); c.Texts != 9 || c.Keys != 5 || c.Inputs != 11 {
		t.Errorf("counters = %+v", c)
	}
}

func TestInputWithoutFocusedField(t *testing.T) {
	p := newTestPhone(t)
	sh(t, p, "input text abc")
	if p.TypedText() != "abc" {
		t.Errorf("TypedText = %q", p.TypedText())
	}
	if u := p.Unrecorded(); len(u) != 1 || u[0] != "unrecorded typed text on home: no focused field" {
		t.Errorf("Unrecorded = %q", u)
	}
}

func TestInputErrors(t *testing.T) {
	p := newTestPhone(t)
	for _, cmd := range []string{"input", "input tap 1", "input tap x y", "input swipe 1 2 3", "input frob"} {
		out, code := shExit(t, p, cmd)
		if code != 1 || !strings.Contains(out, "Usage: input") {
			t.Errorf("%s: exit %d, %q", cmd, code, out)
		}
	}
	denied := newTestPhone(t, func(fx *fixture.Fixture) {
		no := false
		fx.Input.Injection = &no
	})
	out, code := shExit(t, denied, "input tap 200 1900")
	if code != 1 || !strings.HasPrefix(out, "java.lang.SecurityException: Injecting to another application requires INJECT_EVENTS permission\n\tat ") {
		t.Errorf("input without injection: exit %d, %q", code, out)
	}
	if denied.Screen() != "home" || denied.Counters().Inputs != 1 || denied.Counters().Taps != 0 {
		t.Errorf("a refused input had effects: %s %+v", denied.Screen(), denied.Counters())
	}
}

func TestKeyEvents(t *testing.T) {
	p := newTestPhone(t)
	sh(t, p, "input keyevent 3")
	if u := p.Unrecorded(); len(u) != 1 || u[0] != "unrecorded key HOME on home" {
		t.Errorf("Unrecorded = %q", u)
	}
	tapText(t, p, "Settings")
	sh(t, p, "input keyevent BACK")
	if p.Screen() != "home" {
		t.Errorf("BACK by name (fixture says BACK) led to %q", p.Screen())
	}
	sh(t, p, "input keyevent 0 224 KEYCODE_NOPE")
	if len(p.Unrecorded()) != 1 {
		t.Errorf("UNKNOWN or WAKEUP keys were unrecorded: %q", p.Unrecorded())
	}
}

func TestUiautomatorDumpToFile(t *testing.T) {
	p := newTestPhone(t)
	if out := sh(t, p, "uiautomator dump"); out != "UI hierchary dumped to: /sdcard/window_dump.xml\n" {
		t.Errorf("dump to the default file printed %q", out)
	}
	if out := sh(t, p, "uiautomator dump --compressed /data/local/tmp/d.xml && cat /data/local/tmp/d.xml"); !strings.HasPrefix(out, "UI hierchary dumped to: /data/local/tmp/d.xml\n<?xml") || !strings.HasSuffix(out, "</hierarchy>") {
		t.Errorf("dump to a file, then cat: %q", out)
	}
	if data, err := p.fsys.ReadFile("/sdcard/window_dump.xml"); err != nil || !strings.Contains(string(data), `text="Settings"`) {
		t.Errorf("default dump file: %v %q", err, data)
	}
	if out, _ := shExit(t, p, "uiautomator"); !strings.HasPrefix(out, "Usage: uiautomator") {
		t.Errorf("uiautomator alone = %q", out)
	}
}

func TestResolveActivity(t *testing.T) {
	p, err := New(loadBuiltin(t, "miui14-en"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ cmd, want string }{
		{"cmd package resolve-activity --brief -a android.settings.XIAOMI_ACCOUNT_SYNC_SETTINGS",
			"priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 isDefault=true\ncom.xiaomi.account/.ui.AccountSettingsActivity\n"},
		{"cmd package resolve-activity --brief -n com.android.settings/.MiuiSettings",
			"priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 isDefault=true\ncom.android.settings/.MiuiSettings\n"},
		{"cmd package resolve-activity --brief -a android.intent.action.VIEW -d https://account.xiaomi.com/ -p com.android.chrome",
			"priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 isDefault=true\ncom.android.chrome/org.chromium.chrome.browser.ChromeTabbedActivity\n"},
		{"cmd package resolve-activity --brief -a android.intent.action.VIEW -d https://account.xiaomi.com/ -p com.other.browser", "No activity found\n"},
		{"cmd package resolve-activity --brief -a no.such.ACTION", "No activity found\n"},
		{"pm resolve-activity --brief -a android.settings.SETTINGS",
			"priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 isDefault=true\ncom.android.settings/.MiuiSettings\n"},
	} {
		out, code := shExit(t, p, tc.cmd)
		if out != tc.want || code != 0 {
			t.Errorf("%s:\n got %q (exit %d)\nwant %q", tc.cmd, out, code, tc.want)
		}
	}
	if p.Screen() != "launcher" || p.Counters().AmStarts != 0 {
		t.Errorf("resolving started something: screen %s, %d am starts", p.Screen(), p.Counters().AmStarts)
	}
	// `when:` is honoured: signed out, the account action resolves to the
	// sign-in activity.
	p.mu.Lock()
	p.accounts = nil
	p.mu.Unlock()
	out := sh(t, p, "cmd package resolve-activity --brief -a android.settings.XIAOMI_ACCOUNT_SYNC_SETTINGS")
	if !strings.HasSuffix(out, "com.xiaomi.account/.ui.WelcomeActivity\n") {
		t.Errorf("signed out: %q", out)
	}
	if out, code := shExit(t, p, "cmd package resolve-activity -W"); code == 0 || !strings.Contains(out, "Unknown option: -W") {
		t.Errorf("bad option: %q, exit %d", out, code)
	}
	if out, code := shExit(t, p, "cmd nosuch"); code == 0 || !strings.Contains(out, "Can't find service: nosuch") {
		t.Errorf("unknown service: %q, exit %d", out, code)
	}
}
