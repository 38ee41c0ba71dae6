package main

import (
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// Every command miacct runs says its exit codes and its --json shape in
// its help, and no entry documents a command that does not exist.
func TestEveryCommandDocumented(t *testing.T) {
	root := newRootCmd(&App{IO: &IOStreams{Getenv: func(string) string { return "" }}})
	docs := commandDocs()
	seen := map[string]bool{}
	walkCommands(root, func(cmd *cobra.Command) {
		if !documentedCommand(cmd) {
			return
		}
		key := commandKey(cmd)
		seen[key] = true
		doc, ok := docs[key]
		if !ok {
			t.Errorf("miacct %s has no entry in commandDocs", key)
			return
		}
		if !strings.Contains(cmd.Long, "\nExit codes:\n") || !strings.Contains(cmd.Long, "\nJSON:") {
			t.Errorf("miacct %s --help lacks the Exit codes or JSON section:\n%s", key, cmd.Long)
		}
		if strings.Count(cmd.Long, "Exit codes:") != 1 {
			t.Errorf("miacct %s --help names its exit codes more than once: keep them in commandDocs only", key)
		}
		for code := range doc.notes {
			if !slices.Contains(doc.exits, code) {
				t.Errorf("miacct %s: a note for exit %d, which it does not list", key, code)
			}
		}
		for _, code := range doc.exits {
			if !slices.ContainsFunc(exitCodeTable(), func(e exitCodeDoc) bool { return e.Code == code }) {
				t.Errorf("miacct %s: exit %d is not in exitCodeTable", key, code)
			}
		}
	})
	for key := range docs {
		if !seen[key] {
			t.Errorf("commandDocs documents %q, which is no command", key)
		}
	}
}

// The README's exit-code table and the one in the code list the same
// codes, so a new code cannot be documented in one place only.
func TestExitCodeTableMatchesREADME(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n## Exit codes\n")
	if !ok {
		t.Fatal("README.md has no ## Exit codes section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var readme []int
	for _, m := range regexp.MustCompile(`(?m)^\| *(\d+) *\|`).FindAllStringSubmatch(section, -1) {
		n, _ := strconv.Atoi(m[1])
		readme = append(readme, n)
	}
	var code []int
	for _, e := range exitCodeTable() {
		code = append(code, e.Code)
	}
	if !slices.Equal(readme, code) {
		t.Errorf("README.md's exit codes %v, exitCodeTable's %v", readme, code)
	}
}

// What a command prints with --json has the keys its help names.
func TestHelpJSONShapeMatchesOutput(t *testing.T) {
	for _, args := range [][]string{
		{"--fake", "miui14-en", "devices", "--json"},
		{"--fake", "miui14-en", "doctor", "--json"},
		{"--fake", "miui14-en", "remove", "--dry-run", "--json"},
		{"steps", "--json"},
		{"fake", "list", "--json"},
		{"fake", "check", "miui14-en", "--json"},
		{"version", "--json"},
		{"--fake", "miui14-en", "connect", "127.0.0.1:40009", "--json"},
	} {
		r := runMain("", nil, args...)
		var v any
		if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
			t.Errorf("miacct %s: not JSON (%v):\n%s%s", strings.Join(args, " "), err, r.stdout, r.stderr)
			continue
		}
		root := newRootCmd(&App{IO: &IOStreams{Getenv: func(string) string { return "" }}})
		cmd, _, err := root.Find(args)
		if err != nil {
			t.Fatal(err)
		}
		help := cmd.Long[strings.Index(cmd.Long, "\nJSON:"):]
		for _, key := range jsonKeys(v) {
			if !strings.Contains(help, strconv.Quote(key)) {
				t.Errorf("miacct %s prints %q, which its help's JSON section does not name:\n%s", strings.Join(args, " "), key, help)
			}
		}
	}
}

// jsonKeys lists every object key in v, at any depth.
func jsonKeys(v any) []string {
	var keys []string
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			keys = append(keys, k)
			keys = append(keys, jsonKeys(e)...)
		}
	case []any:
		for _, e := range x {
			keys = append(keys, jsonKeys(e)...)
		}
	}
	return keys
}

func TestJSONShape(t *testing.T) {
	type inner struct {
		Name string `json:"name"`
		Skip string `json:"-"`
	}
	type embedded struct {
		Extra int `json:"extra"`
	}
	type outer struct {
		OK    bool     `json:"ok"`
		Items []inner  `json:"items,omitempty"`
		One   *inner   `json:"one"`
		Tags  []string `json:"tags"`
		Plain string
		embedded
		hidden int
	}
	_ = outer{}.hidden // unexported: left out below
	want := `{"ok", "items": [{"name"}], "one": {"name"}, "tags", "Plain", "extra"}`
	if got := jsonShape(reflect.TypeFor[outer]()); got != want {
		t.Errorf("jsonShape = %s\nwant        %s", got, want)
	}
	if got := jsonShape(reflect.TypeFor[outer](), briefType{reflect.TypeFor[inner](), "as above"}); got != `{"ok", "items": [{as above}], "one": {as above}, "tags", "Plain", "extra"}` {
		t.Errorf("jsonShape with a brief type = %s", got)
	}
}

func TestWrapIndented(t *testing.T) {
	got := wrapIndented("    2  ", "usage: bad flag or argument, unknown step or fixture, a password that cannot be typed", 7, 40)
	want := "    2  usage: bad flag or argument,\n       unknown step or fixture, a\n       password that cannot be typed"
	if got != want {
		t.Errorf("wrapIndented =\n%s\nwant\n%s", got, want)
	}
}
