package main

import (
	"encoding/json"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/miacct/miacct/adb/fake"
	"github.com/miacct/miacct/adb/fake/faketest"
	"github.com/miacct/miacct/adb/fake/phone"
)

// terminalRun runs miacct in-process as on a terminal: stdin and stderr
// are terminals of 80 columns, answers come from stdin's lines, and the
// password prompt reads password (each prompt is counted).
func terminalRun(t *testing.T, answers, password string, args ...string) (run, int) {
	t.Helper()
	var out, errOut syncBuffer
	var mu sync.Mutex
	prompts := 0
	streams := &IOStreams{
		In: strings.NewReader(answers), Out: &out, ErrOut: &errOut,
		InTTY: true, ErrTTY: true,
		Getenv: func(k string) string { return map[string]string{"NO_COLOR": "1", "TERM": "xterm"}[k] },
		ReadSecret: func() (string, error) {
			mu.Lock()
			defer mu.Unlock()
			prompts++
			return password, nil
		},
		Width: func() int { return 80 },
	}
	code := Main(streams, args)
	mu.Lock()
	defer mu.Unlock()
	return run{args: args, code: code, stdout: out.String(), stderr: errOut.String()}, prompts
}

// Nothing to remove needs no password, and asks nothing: exit 0 where the
// README says 0, also over a fleet of clean phones.
func TestNothingToRemoveNeedsNoPassword(t *testing.T) {
	r := runMain("", nil, "--fake", "miui14-en-no-account", "remove", "--yes")
	if r.code != ExitOK || !strings.Contains(r.stdout, "Nothing to remove") {
		t.Errorf("remove on a phone without an account, no password: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var targets []fake.Target
	for range 3 {
		ph, err := phone.New(loadBuiltin(t, "miui14-en-no-account"), phone.Options{Serial: "clean" + itoa(len(targets))})
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, ph)
	}
	env := faketest.Serve(t, faketest.Options{}, targets...)
	r = runMain("", nil, "--adb", env.Server.Addr(), "remove", "--all", "--yes")
	if r.code != ExitOK || !strings.Contains(r.stdout, "3 nothing-to-do") {
		t.Errorf("remove --all over clean phones, no password: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// On a terminal, the read-only look at the phone comes before any
// question: a locked phone stops with exit 4 before the confirmation and
// the password are asked, a phone with nothing to do asks nothing, and a
// phone with an account is asked about by its account.
func TestPreflightBeforeAnyPrompt(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"--fake", "miui14-en-locked", "remove"}, ExitNotReady},
		{[]string{"--fake", "miui14-en-locked", "delete-account"}, ExitNotReady},
		{[]string{"--fake", "miui14-en-no-account", "remove"}, ExitOK},
		{[]string{"--fake", "miui14-en-no-account", "remove", "--from", "sign-out"}, ExitOK},
	} {
		r, prompts := terminalRun(t, "y\n", demoPassword, tc.args...)
		if r.code != tc.code {
			t.Errorf("%v: exit %d, want %d\n%s", tc.args, r.code, tc.code, r.stderr)
		}
		if prompts > 0 || strings.Contains(r.stderr, "[y/N]") || strings.Contains(r.stderr, "Type the account id") {
			t.Errorf("%v: asked before the read-only look said there is nothing to do (%d password prompts):\n%s", tc.args, prompts, r.stderr)
		}
		if strings.Contains(r.stderr, "Run step  on") {
			t.Errorf("%v: a question without a step name:\n%s", tc.args, r.stderr)
		}
	}
	r, prompts := terminalRun(t, "y\n", demoPassword, "--fake", "miui14-en", "remove")
	if r.code != ExitOK || prompts != 1 {
		t.Fatalf("remove on a terminal: exit %d, %d password prompts\n%s", r.code, prompts, r.stderr)
	}
	if !strings.Contains(r.stderr, "Sign out of Xiaomi Account 12******90 on Redmi Note 12 (6d8f2a41) and remove its data from the phone? [y/N]") {
		t.Errorf("the question does not name the account found:\n%s", r.stderr)
	}
}

// -s HOST:PORT/SERIAL names the server in every command, with one --adb,
// with none, and with several; --adb takes tcp:HOST:PORT as
// $ADB_SERVER_SOCKET writes it; a host name that does not resolve is
// said so.
func TestServerAndSerialForms(t *testing.T) {
	env := faketest.Start(t, loadBuiltin(t, "miui14-en"), faketest.Options{})
	other := faketest.Start(t, loadBuiltin(t, "hyperos2-en"), faketest.Options{})
	addr := env.Server.Addr()
	named := addr + "/6d8f2a41"
	for _, args := range [][]string{
		{"-s", named, "doctor"},
		{"--adb", addr, "-s", named, "doctor"},
		{"--adb", addr, "--adb", other.Server.Addr(), "-s", named, "doctor"},
		{"--adb", "tcp:" + addr, "-s", "6d8f2a41", "doctor"},
		{"-s", named, "remove", "--dry-run"},
		{"--adb", addr, "-s", named, "step", "preflight"},
		{"--adb", "tcp:" + addr, "devices"},
	} {
		r := runMain("", map[string]string{"ADB_SERVER_SOCKET": "tcp:127.0.0.1:1"}, args...)
		if r.code != ExitOK {
			t.Errorf("miacct %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	r := runMain("", nil, "--adb", other.Server.Addr(), "-s", named, "doctor")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "names the ADB server "+addr) {
		t.Errorf("-s naming a server --adb does not give: exit %d\n%s", r.code, r.stderr)
	}
	r = runMain("", nil, "--adb", "no-such-host.invalid:5037", "devices")
	if r.code != ExitNoDevice || !strings.Contains(r.stderr, "the host name no-such-host.invalid could not be resolved") {
		t.Errorf("an unknown host name: exit %d\n%s", r.code, r.stderr)
	}
}

// One JSON vocabulary: every document carries "schema": 1 (each element
// of a list), a phone has the same keys in devices, doctor and remove, a
// failure under --json prints {"schema", "ok": false, "exit_code",
// "error"} on stdout, and fake list uses snake_case keys.
func TestOneJSONVocabulary(t *testing.T) {
	env := faketest.Start(t, loadBuiltin(t, "miui14-en"), faketest.Options{})
	addr := env.Server.Addr()
	decode := func(r run, v any) {
		t.Helper()
		if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
			t.Fatalf("miacct %s: stdout is not JSON: %v\n%s", strings.Join(r.args, " "), err, r.stdout)
		}
	}
	keysOf := func(m map[string]any) []string {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks
	}
	var devices []map[string]any
	decode(runMain("", nil, "--adb", addr, "--json", "devices"), &devices)
	var doctor, remove map[string]any
	decode(runMain("", nil, "--adb", addr, "--json", "doctor"), &doctor)
	decode(runMain(demoPassword+"\n", nil, "--adb", addr, "--json", "remove", "--dry-run"), &remove)
	row := devices[0]
	delete(row, "schema")
	for name, obj := range map[string]map[string]any{"doctor": doctor, "remove": remove} {
		if obj["schema"] != float64(1) {
			t.Errorf("%s --json: schema %v, want 1", name, obj["schema"])
		}
		dev, _ := obj["device"].(map[string]any)
		for _, k := range []string{"serial", "model", "model_code", "os", "android", "account"} {
			if dev[k] != row[k] {
				t.Errorf("%s's device.%s = %v, devices says %v", name, k, dev[k], row[k])
			}
		}
	}
	for _, args := range [][]string{{"steps"}, {"fake", "list"}, {"version"}, {"--adb", addr, "devices"}} {
		var list []map[string]any
		r := runMain("", nil, append([]string{"--json"}, args...)...)
		if strings.HasPrefix(strings.TrimSpace(r.stdout), "[") {
			decode(r, &list)
		} else {
			var one map[string]any
			decode(r, &one)
			list = append(list, one)
		}
		for _, obj := range list {
			if obj["schema"] != float64(1) {
				t.Errorf("miacct --json %s: an object without schema 1: %v", strings.Join(args, " "), keysOf(obj))
			}
			for _, k := range keysOf(obj) {
				if k != strings.ToLower(k) {
					t.Errorf("miacct --json %s: key %q is not snake_case", strings.Join(args, " "), k)
				}
			}
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	for _, args := range [][]string{
		{"--json", "--adb", dead, "remove", "--yes"},
		{"--json", "remove", "--bogus-flag"},
		{"remove", "--bogus-flag", "--json"},
		{"--json", "step", "fly"},
		{"--json", "--fake", "miui99-xx", "devices"},
	} {
		r := runMain("", nil, args...)
		var failure map[string]any
		decode(r, &failure)
		if failure["schema"] != float64(1) || failure["ok"] != false || failure["exit_code"] != float64(r.code) || failure["error"] == "" || r.code == 0 {
			t.Errorf("miacct %s: exit %d, stdout %s; want {schema 1, ok false, exit_code, error}", strings.Join(args, " "), r.code, r.stdout)
		}
	}
}

// Help lists only what a command uses, with value names only where a
// flag takes a value.
func TestHelpListsWhatWorks(t *testing.T) {
	r := runMain("", nil, "fake", "serve", "--help")
	if !regexp.MustCompile(`(?m)^\s+--adbd\s{2,}serve ONE phone`).MatchString(r.stdout) {
		t.Errorf("fake serve --help shows --adbd with a value name:\n%s", r.stdout)
	}
	r = runMain("", nil, "delete-account", "--help")
	for _, flag := range []string{"--keep-data", "--boot-timeout", "--no-reboot", "--dry-run"} {
		if strings.Contains(r.stdout, flag) {
			t.Errorf("delete-account --help lists %s, which does nothing there", flag)
		}
	}
	r = runMain("", nil, "devices", "--help")
	if strings.Contains(r.stdout, "--all") {
		t.Errorf("devices --help lists --all, which changes nothing")
	}
	if r := runMain("", nil, "devices", "--all", "--fake", "miui14-en"); r.code != ExitOK {
		t.Errorf("devices --all is no longer taken: exit %d %s", r.code, r.stderr)
	}
}
