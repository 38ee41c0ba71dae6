package adb

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
)

func TestParseShellOutput(t *testing.T) {
	tests := []struct {
		name   string
		out    string
		want   string
		code   int
		wantOK bool
	}{
		{"plain", "hello\n:miacct-exit:0\n", "hello\n", 0, true},
		{"no newline before marker", "abc:miacct-exit:3\n", "abc", 3, true},
		{"empty output", ":miacct-exit:1\n", "", 1, true},
		{"pty", "hello\r\n:miacct-exit:127\r\n", "hello\r\n", 127, true},
		{"marker in output", "x :miacct-exit:9\n:miacct-exit:0\n", "x :miacct-exit:9\n", 0, true},
		{"truncated marker", "hello\n:miacct-ex", "", 0, false},
		{"marker without newline", "hello\n:miacct-exit:0", "", 0, false},
		{"no marker", "hello\n", "", 0, false},
		{"empty", "", "", 0, false},
		{"marker then junk", ":miacct-exit:0\nlater\n", "", 0, false},
		{"non-number", ":miacct-exit:x\n", "", 0, false},
		{"too long", ":miacct-exit:12345\n", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, ok := parseShellOutput([]byte(tt.out))
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tt.wantOK)
			}
			if !ok {
				if string(res.Output) != tt.out {
					t.Errorf("output on failure = %q, want the raw stream", res.Output)
				}
				return
			}
			if string(res.Output) != tt.want || res.ExitCode != tt.code {
				t.Errorf("got (%q, %d), want (%q, %d)", res.Output, res.ExitCode, tt.want, tt.code)
			}
		})
	}
}

// TestWrapShellParses checks the wrapper stays one valid script that
// echoes the marker last, also for commands ending in a comment or &.
func TestWrapShellParses(t *testing.T) {
	for _, cmd := range []string{"ls", "exit 3", "echo hi # comment", "sleep 1 &", "a && b", "case x in x) echo y;; esac"} {
		script := wrapShell(cmd)
		file, err := syntax.NewParser(syntax.Variant(syntax.LangPOSIX)).Parse(strings.NewReader(script), "")
		if err != nil {
			t.Errorf("wrapShell(%q) does not parse: %v", cmd, err)
			continue
		}
		last := file.Stmts[len(file.Stmts)-1]
		call, ok := last.Cmd.(*syntax.CallExpr)
		if !ok || call.Args[0].Lit() != "echo" {
			t.Errorf("wrapShell(%q): last statement is not the marker echo", cmd)
		}
		if _, ok := file.Stmts[0].Cmd.(*syntax.Subshell); !ok {
			t.Errorf("wrapShell(%q): command does not run in a subshell", cmd)
		}
	}
}

func TestDumpCommandReadsUptimeFirst(t *testing.T) {
	if !strings.HasPrefix(DumpCommand, uptimeRead) {
		t.Errorf("DumpCommand %q does not start with %q", DumpCommand, uptimeRead)
	}
}

func TestCommandName(t *testing.T) {
	for cmd, want := range map[string]string{
		"input text 'secret'":        "input",
		"  getprop ro.x":             "getprop",
		"/system/bin/sh -c x":        "/system/bin/sh",
		"'quoted' word":              "command",
		"secret;rm":                  "secret",
		"":                           "command",
		"am start -n com.x/.Y":       "am",
		strings.Repeat("a", 100):     strings.Repeat("a", 40),
		"uiautomator dump /dev/tty":  "uiautomator",
		DumpCommand:                  "uiautomator",
		"cat /proc/uptime":           "cat",
		"echo $(cat /data/password)": "echo",
	} {
		if got := commandName(cmd); got != want {
			t.Errorf("commandName(%q) = %q, want %q", cmd, got, want)
		}
	}
}

func TestParseDevices(t *testing.T) {
	text := "" +
		"R58M123ABC             device usb:1-1.2 product:venus_global model:M2011K2G device:venus transport_id:3\n" +
		"127.0.0.1:5555         unauthorized transport_id:4\n" +
		"emulator-5554          offline product:sdk model:Android_SDK device:generic transport_id:1\n" +
		"0123456789ABCDEF       no permissions (missing udev rules? user is in the plugdev group); see [http://developer.android.com/tools/device.html] usb:1-3 transport_id:7\n" +
		"\n"
	got := parseDevices(text, "127.0.0.1:5037")
	want := []DeviceInfo{
		{Serial: "R58M123ABC", State: StateDevice, Product: "venus_global", Model: "M2011K2G", Device: "venus", Server: "127.0.0.1:5037"},
		{Serial: "127.0.0.1:5555", State: StateUnauthorized, Server: "127.0.0.1:5037"},
		{Serial: "emulator-5554", State: StateOffline, Product: "sdk", Model: "Android_SDK", Device: "generic", Server: "127.0.0.1:5037"},
		{Serial: "0123456789ABCDEF", State: "no permissions (missing udev rules? user is in the plugdev group); see [http://developer.android.com/tools/device.html]", Server: "127.0.0.1:5037"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseDevices:\n got %+v\nwant %+v", got, want)
	}
	// host:devices (no -l) form.
	got = parseDevices("abc\tdevice\ndef\trecovery\n", "s")
	if len(got) != 2 || got[0].State != StateDevice || got[1].State != StateRecovery || got[1].Serial != "def" {
		t.Errorf("host:devices form: %+v", got)
	}
}

func TestParseProps(t *testing.T) {
	out := "[ro.product.model]: [M2011K2G]\n" +
		"[ro.empty]: []\r\n" +
		"[persist.sys.locale]: [en-US]\r\n" +
		"[ro.multi]: [line one\nline two]\n" +
		"[ro.brackets]: [a]b]\n" +
		"garbage line\n" +
		"[ro.last]: [x]"
	got := ParseProps(out)
	want := map[string]string{
		"ro.product.model":   "M2011K2G",
		"ro.empty":           "",
		"persist.sys.locale": "en-US",
		"ro.multi":           "line one\nline two",
		"ro.brackets":        "a]b",
		"ro.last":            "x",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseProps:\n got %q\nwant %q", got, want)
	}
}

func TestExtractDump(t *testing.T) {
	xml := `<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation="0"><node index="0" /></hierarchy>`
	tests := []struct {
		name    string
		out     string
		want    string
		wantErr error
	}{
		{"status line sic", xml + "UI hierchary dumped to: /dev/tty\n", xml, nil},
		{"status line spelled", xml + "\nUI hierarchy dumped to: /dev/tty\n", xml, nil},
		{"no status", xml, xml, nil},
		{"no declaration", `<hierarchy rotation="1"></hierarchy>` + "UI hierchary dumped to: /dev/tty", `<hierarchy rotation="1"></hierarchy>`, nil},
		{"idle", "ERROR: could not get idle state.\n", "", ErrIdleState},
		{"null root", "ERROR: null root node returned by UiTestAutomationBridge.\n", "", ErrEmptyDump},
		{"empty", "", "", ErrEmptyDump},
		{"truncated", xml[:60], "", ErrEmptyDump},
		{"killed", "Killed\n", "", ErrEmptyDump},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := extractDump([]byte(tt.out))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Errorf("got (%q, %v), want %q", got, err, tt.want)
			}
		})
	}
}

func TestFailError(t *testing.T) {
	tests := []struct {
		reason string
		want   error
	}{
		{"device 'abc' not found", ErrDeviceNotFound},
		{"device offline", ErrOffline},
		{"device still connecting", ErrOffline},
		{"device unauthorized.\nThis adb server's $ADB_VENDOR_KEYS is not set", ErrUnauthorized},
		{"device still authorizing", ErrUnauthorized},
		{"no devices/emulators found", ErrNoDevice},
		{"closed", ErrFailed},
		{"unknown host service", ErrFailed},
	}
	for _, tt := range tests {
		if err := failError(tt.reason); !errors.Is(err, tt.want) {
			t.Errorf("failError(%q) = %v, want %v", tt.reason, err, tt.want)
		}
	}
	if err := failError("closed"); !strings.Contains(err.Error(), "closed") {
		t.Errorf("failError(closed) = %q: reason lost", err)
	}
}

func TestCountTools(t *testing.T) {
	tests := []struct {
		cmd  string
		want Counts
	}{
		{"input tap 1 2 && input text 'input tap' && input keyevent 4", Counts{Inputs: 3}},
		{"uiautomator dump /dev/tty", Counts{Dumps: 1}},
		{"uiautomator events", Counts{}},
		{"screencap -p", Counts{Screenshots: 1}},
		{"getprop", Counts{}},
		{"echo input", Counts{}},
		{"input text 'unterminated", Counts{Inputs: 1}},
	}
	for _, tt := range tests {
		if got := countTools(tt.cmd); got != tt.want {
			t.Errorf("countTools(%q) = %+v, want %+v", tt.cmd, got, tt.want)
		}
	}
}

func TestAmStartCommand(t *testing.T) {
	in := Intent{
		Action:    "android.settings.XIAOMI_ACCOUNT_SYNC_SETTINGS",
		Component: "com.xiaomi.account/.ui.AccountSettingsActivity",
		Data:      "https://account.xiaomi.com/pass/del?a=1&b=2",
		Package:   "com.xiaomi.account",
		Extras:    map[string]string{"z": "last one", "account_type": "com.xiaomi", "q": `it's $(x)`},
	}
	cmd, err := amStartCommand(in)
	if err != nil {
		t.Fatal(err)
	}
	file, err := syntax.NewParser(syntax.Variant(syntax.LangPOSIX)).Parse(strings.NewReader(cmd), "")
	if err != nil || len(file.Stmts) != 1 {
		t.Fatalf("command does not parse as one statement: %v", err)
	}
	args, err := expand.Fields(&expand.Config{}, file.Stmts[0].Cmd.(*syntax.CallExpr).Args...)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"am", "start",
		"-a", in.Action, "-d", in.Data, "-n", in.Component,
		"--es", "account_type", "com.xiaomi", "--es", "q", `it's $(x)`, "--es", "z", "last one",
		"com.xiaomi.account"}
	if !reflect.DeepEqual(args, want) {
		t.Errorf("args:\n got %q\nwant %q", args, want)
	}
	if _, err := amStartCommand(Intent{}); err == nil {
		t.Error("empty intent: no error")
	}
}
