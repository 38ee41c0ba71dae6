package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake"
	"github.com/miacct/miacct/adb/fake/faketest"
	"github.com/miacct/miacct/adb/fake/phone"
	"github.com/miacct/miacct/flows"
)

// The scan itself must be able to fail: every way the password could be
// written out is found, and clean output is not flagged.
func TestFindSecretDetectsLeaks(t *testing.T) {
	forms := secretForms(demoPassword)
	cmds, err := adb.EncodeText(demoPassword)
	if err != nil || len(cmds) < 2 {
		t.Fatalf("EncodeText: %v, %d commands (the demo password holds a literal %%s)", err, len(cmds))
	}
	quotedJSON, _ := json.Marshal(demoPassword)
	leaks := map[string]string{
		"verbatim":                  "typed " + demoPassword + " into the field",
		"JSON string":               `{"password": ` + string(quotedJSON) + `}`,
		"Go %q":                     fmt.Sprintf("%q", demoPassword),
		"single-quoted for sh":      "'" + strings.ReplaceAll(demoPassword, "'", `'\''`) + "'",
		"double-quoted for sh":      `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`, "`", "\\`").Replace(demoPassword) + `"`,
		"%s for spaces":             strings.ReplaceAll(demoPassword, " ", "%s"),
		"the input commands":        strings.Join(cmds, " && "),
		"the first input text only": cmds[0],
		"the second input text":     cmds[1],
		"URL query":                 url.QueryEscape(demoPassword),
		"URL path":                  url.PathEscape(demoPassword),
	}
	for name, leak := range leaks {
		if f := findSecret([]byte("13:02:11 step ok\n"+leak+"\nmore log\n"), forms); f == "" {
			t.Errorf("%s: %q was not found", name, leak)
		}
	}
	clean := []string{
		"Done: Xiaomi Account 12******90 is off Redmi Note 12 (6d8f2a41). 8 steps, 27 ADB calls, 8 screen reads, 14ms.",
		`{"password": "[redacted]", "message": "the phone accepted the password and signed out"}`,
		"6d8f2a41 shell: input text\n6d8f2a41 input text (typed; never logged)\n",
		`printf '%s\n' "$PW" | miacct remove --password-stdin`,
	}
	for _, c := range clean {
		if f := findSecret([]byte(c), forms); f != "" {
			t.Errorf("clean output %q flagged (as %q)", c, f)
		}
	}
}

// TestNoSecretAnywhere runs every command, every step and every fault
// fixture with the demo password and searches everything they write for
// it: stdout, stderr (with -v: the in-process fake phone's log), --json,
// every file of --report, --record and the failure reports saved in the
// temporary directory, and the log of a served fake phone and its server.
// (`fake serve`'s own stderr is searched by testdata/script/secrets.txtar.)
// siteCode is the verification code the built-in fixtures' site mails.
const siteCode = "482916"

func TestNoSecretAnywhere(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // failure reports without --report land here
	out := t.TempDir()
	env := map[string]string{"NO_COLOR": "1"}
	pwIn := demoPassword + "\n"
	var runs []run
	do := func(stdin string, env map[string]string, args ...string) run {
		t.Helper()
		r := runMain(stdin, env, args...)
		runs = append(runs, r)
		return r
	}
	mustExit := func(r run, code int) {
		t.Helper()
		if r.code != code {
			t.Errorf("miacct %s: exit %d, want %d\n%s", strings.Join(r.args, " "), r.code, code, r.stderr)
		}
	}

	// Commands that need no phone.
	do("", env, "steps")
	do("", env, "steps", "--json")
	do("", env, "fake", "list")
	do("", env, "fake", "list", "--json")

	// Every command against the clean phone, in-process, with -v.
	for _, extra := range [][]string{nil, {"--json"}} {
		args := append([]string{"--fake", "miui14-en", "-v"}, extra...)
		mustExit(do(pwIn, env, append(args, "devices")...), 0)
		mustExit(do(pwIn, env, append(args, "doctor")...), 0)
		mustExit(do(pwIn, env, append(args, "remove", "--dry-run")...), 0)
		mustExit(do(pwIn, env, append(args, "remove", "--password-stdin", "--yes", "--report", filepath.Join(out, "report"+strings.Join(extra, "")))...), 0)
	}
	withPW := map[string]string{"NO_COLOR": "1", passwordEnv: demoPassword}
	mustExit(do("", withPW, "--fake", "miui14-en", "-v", "remove", "--yes"), 0)
	mustExit(do("", withPW, "--fake", "miui14-en", "-v", "step", flows.StepPreflight), 0)
	// --record writes a fixture of the conversation: secrets replaced.
	recorded := false
	if newRootCmd(&App{IO: &IOStreams{}}).PersistentFlags().Lookup("record") != nil {
		recorded = true
		mustExit(do(pwIn, env, "--fake", "miui14-en", "--record", filepath.Join(out, "record"), "remove", "--password-stdin", "--yes"), 0)
		mustExit(do(pwIn, env, "--fake", "miui14-en-unknown-screen", "--record", filepath.Join(out, "record-failed"), "remove", "--password-stdin", "--yes"), ExitScreen)
	}

	// Every step alone, in order, against a served phone whose log (and
	// its server's) is kept; then the whole job with the web steps.
	log := &syncBuffer{}
	served := faketest.Start(t, loadBuiltin(t, "miui14-en"), faketest.Options{Phone: phone.Options{Log: log}, Server: fake.ServerOptions{Log: log}})
	srv, ph := served.Server, served.Phone
	stdinWithCode := pwIn + "000000\n"
	for _, name := range flows.StepNames() {
		args := []string{"--adb", srv.Addr(), "step", name, "--password-stdin", "--yes", "--report", filepath.Join(out, "step-"+name)}
		if name == flows.StepVerifyCode {
			args = append(args, "--code-stdin")
		}
		do(stdinWithCode, env, args...) // the JSON of a step is remove's, searched above
	}
	if !strings.Contains(ph.TypedText(), demoPassword) {
		t.Errorf("the steps never typed the password: the scan below proves nothing about typing")
	}

	// delete-account types the password into the site and the mailed
	// verification code: neither may show anywhere either.
	codeIn := pwIn + siteCode + "\n"
	mustExit(do(codeIn, env, "--fake", "miui14-en", "-v", "delete-account", "--password-stdin", "--code-stdin", "--yes", "--report", filepath.Join(out, "delete")), 0)
	mustExit(do(codeIn, env, "--fake", "miui14-en", "--json", "remove", "--delete-account", "--password-stdin", "--code-stdin", "--yes"), 0)
	mustExit(do(pwIn+"111111\n", env, "--fake", "miui14-en", "delete-account", "--password-stdin", "--code-stdin", "--yes"), ExitWrongPass)
	mustExit(do(codeIn, env, "--fake", "miui14-en-captcha", "delete-account", "--password-stdin", "--code-stdin", "--yes"), ExitScreen)
	if recorded {
		mustExit(do(codeIn, env, "--fake", "miui14-en", "--record", filepath.Join(out, "record-delete"), "delete-account", "--password-stdin", "--code-stdin", "--yes"), 0)
	}

	// Every fault fixture.
	list, err := fixtureLoader().List()
	if err != nil {
		t.Fatal(err)
	}
	faults := 0
	for _, s := range list {
		if !strings.HasPrefix(s.Description, "Fault: ") {
			continue
		}
		faults++
		args := []string{"--fake", s.Name, "-v", "--timeout", "1s", "remove", "--password-stdin", "--yes"}
		do(pwIn, env, append(args, "--report", filepath.Join(out, "fault-"+s.Name))...)
		do(pwIn, env, append([]string{"--json"}, args...)...)
		do(pwIn, env, "--fake", s.Name, "--timeout", "1s", "doctor", "--json")
	}
	if faults < 10 {
		t.Errorf("%d fault fixtures found, want 10", faults)
	}

	// The search: the password in every form, and the code.
	forms := append(secretForms(demoPassword), siteCode)
	for _, r := range runs {
		for stream, data := range map[string]string{"stdout": r.stdout, "stderr": r.stderr} {
			if f := findSecret([]byte(data), forms); f != "" {
				t.Errorf("miacct %s: %s holds the password (as %q)", strings.Join(r.args, " "), stream, f)
			}
		}
	}
	if f := findSecret([]byte(log.String()), forms); f != "" {
		t.Errorf("the fake phone's and server's log holds the password (as %q)", f)
	}
	files := 0
	for _, root := range []string{out, tmp} {
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files++
			if f := findSecret(data, forms); f != "" {
				t.Errorf("%s holds the password (as %q)", path, f)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// What was searched is really there: reports, failure reports, recordings.
	for _, p := range []string{"report/report.json", "report--json/05-enter-password.xml", "fault-miui14-en-unknown-screen/index.html", "step-enter-password/report.json"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Errorf("expected %s to be searched: %v", p, err)
		}
	}
	if reports, _ := filepath.Glob(filepath.Join(tmp, "miacct-report-*", "report.json")); len(reports) == 0 {
		t.Errorf("no failure report was saved under TMPDIR for the unknown screen")
	}
	if recorded {
		if entries, err := os.ReadDir(filepath.Join(out, "record")); err != nil || len(entries) == 0 {
			t.Errorf("--record wrote nothing to search: %v", err)
		}
	}
	t.Logf("%d runs, %d files, %d bytes of fake log searched", len(runs), files, len(log.String()))
}
