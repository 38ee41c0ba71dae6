package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/miacct/miacct/adb"
)

// demoPassword is the password of every built-in fixture's account.
const demoPassword = `Mi pa$$ %s 'q' "dq" \ & ; | $(reboot)`

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"miacct": func() { os.Exit(Main(SystemIO(), os.Args[1:])) },
		// exits CODE miacct ARGS...: run miacct and succeed only if it
		// exits with CODE, so scripts check the documented exit codes.
		"exits": func() {
			if len(os.Args) < 3 || os.Args[2] != "miacct" {
				fmt.Fprintln(os.Stderr, "usage: exits CODE miacct ARGS...")
				os.Exit(2)
			}
			want, err := strconv.Atoi(os.Args[1])
			if err != nil {
				fmt.Fprintln(os.Stderr, "exits: CODE must be a number")
				os.Exit(2)
			}
			if got := Main(SystemIO(), os.Args[3:]); got != want {
				fmt.Fprintf(os.Stderr, "exits: miacct exited %d, want %d\n", got, want)
				os.Exit(1)
			}
			os.Exit(0)
		},
	})
}

// TestScripts runs the CLI scripts in testdata/script: each runs the real
// miacct binary against fake phones.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("PW", demoPassword)
			env.Setenv("NO_COLOR", "1")
			// The tests must never reach a developer's own adb server.
			env.Setenv("ADB_SERVER_SOCKET", "tcp:127.0.0.1:1")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waitaddr":  cmdWaitAddr,
			"nosecret":  cmdNoSecret,
			"stdinfile": cmdStdinFile,
			"globvar":   cmdGlobVar,
			"samerun":   cmdSameRun,
			"noprivate": cmdNoPrivate,
			"fits":      cmdFits,
			"signal":    cmdSignal,
			"waitlog":   cmdWaitLog,
		},
	})
}

// waitaddr FILE VAR: wait (bounded) until a background `fake serve
// --addr-file FILE` has written its address, and set $VAR to it.
func cmdWaitAddr(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitaddr FILE VAR")
	}
	path := ts.MkAbs(args[0])
	deadline := time.Now().Add(20 * time.Second)
	for {
		data, err := os.ReadFile(path)
		if err == nil && strings.HasSuffix(string(data), "\n") {
			ts.Setenv(args[1], strings.TrimSpace(string(data)))
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("no address in %s after 20s", args[0])
		}
		time.Sleep(10 * time.Millisecond) // waiting for another process, not simulating the phone
	}
}

// nosecret [FILE|DIR...]: fail if stdout, stderr or any given file (all
// files below a directory) contains the demo password in any of the forms
// it could leak in: as typed, quoted for a shell, or %s-encoded.
func cmdNoSecret(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("nosecret does not support !")
	}
	forms := secretForms(demoPassword)
	check := func(name string, data []byte) {
		if f := findSecret(data, forms); f != "" {
			ts.Fatalf("%s contains the password (as %q)", name, f)
		}
	}
	check("stdout", []byte(ts.ReadFile("stdout")))
	check("stderr", []byte(ts.ReadFile("stderr")))
	for _, a := range args {
		root := ts.MkAbs(a)
		err := filepath.Walk(root, func(path string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			check(path, data)
			return nil
		})
		if err != nil {
			ts.Fatalf("nosecret %s: %v", a, err)
		}
	}
}

// secretForms are the ways a password could leak: verbatim, its
// distinctive parts, %s-encoded as `input text` gets it, shell-quoted,
// escaped for double quotes or URLs, and the exact arguments the phone's
// `input text` receives (split where the text holds "%s").
func secretForms(pw string) []string {
	forms := []string{
		pw,
		strings.ReplaceAll(pw, " ", "%s"),
		`pa$$`,
		`pa\$\$`,
		`pa%24%24`,
		`"dq"`,
		`\"dq\"`,
		`'q'`,
		`'\''q'\''`,
		`Mi%spa`,
		`$(reboot)`,
		`%24%28reboot%29`,
	}
	if cmds, err := adb.EncodeText(pw); err == nil {
		for _, c := range cmds {
			forms = append(forms, strings.TrimPrefix(c, "input text "))
		}
	}
	return forms
}

// findSecret returns the first form of the password that data holds, ""
// when it holds none.
func findSecret(data []byte, forms []string) string {
	for _, f := range forms {
		if bytes.Contains(data, []byte(f)) {
			return f
		}
	}
	return ""
}

// stdinfile FILE TEXT: write TEXT and a newline to FILE (for stdin), so
// scripts can feed passwords with any characters.
func cmdStdinFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: stdinfile FILE TEXT...")
	}
	if err := os.WriteFile(ts.MkAbs(args[0]), []byte(strings.Join(args[1:], " ")+"\n"), 0o600); err != nil {
		ts.Fatalf("%v", err)
	}
}

// globvar PATTERN VAR: set $VAR to the one path matching PATTERN (e.g.
// the report directory a failure saved under $TMPDIR); fail unless
// exactly one matches.
func cmdGlobVar(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: globvar PATTERN VAR")
	}
	matches, err := filepath.Glob(ts.MkAbs(args[0]))
	if err != nil {
		ts.Fatalf("globvar: %v", err)
	}
	if len(matches) != 1 {
		ts.Fatalf("globvar: %d paths match %s, want 1: %q", len(matches), args[0], matches)
	}
	ts.Setenv(args[1], matches[0])
}

// fits N stdout|stderr...: fail if a line of the named outputs is wider
// than N columns (colour escapes do not count), so nothing wraps on a
// terminal of N+1 columns.
func cmdFits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: fits N stdout|stderr...")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("fits: %v", err)
	}
	for _, name := range args[1:] {
		for i, line := range strings.Split(ts.ReadFile(name), "\n") {
			if w := textWidth(stripEscapes(line)); w > n {
				ts.Fatalf("%s line %d is %d columns wide, more than %d: %q", name, i+1, w, n, line)
			}
		}
	}
}

// waitlog FILE REGEXP: wait (bounded) until a line of FILE, which a
// background command writes, matches REGEXP.
func cmdWaitLog(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitlog FILE REGEXP")
	}
	re, err := regexp.Compile("(?m)" + args[1])
	if err != nil {
		ts.Fatalf("waitlog: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if data, err := os.ReadFile(ts.MkAbs(args[0])); err == nil && re.Match(data) {
			return
		}
		if time.Now().After(deadline) {
			data, _ := os.ReadFile(ts.MkAbs(args[0]))
			ts.Fatalf("no line of %s matches %s after 20s:\n%s", args[0], args[1], data)
		}
		time.Sleep(10 * time.Millisecond) // waiting for another process, not simulating the phone
	}
}
