package adb_test

import (
	"errors"
	"strings"
	"testing"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"

	"github.com/miacct/miacct/adb"
)

// demoPassword holds every character class that breaks naive typing.
const demoPassword = `Mi pa$$ %s 'q' "dq" \ & ; | $(reboot)`

// androidInputText is AOSP's `input text` preprocessing, ported loop for
// loop from InputShellCommand.sendText: a '%' followed by 's' becomes a
// space.
func androidInputText(arg string) string {
	text := []byte(arg)
	escape := false
	for i := 0; i < len(text); i++ {
		if escape {
			escape = false
			if text[i] == 's' {
				text[i] = ' '
				i--
				text = append(text[:i], text[i+1:]...)
			}
		}
		if text[i] == '%' {
			escape = true
		}
	}
	return string(text)
}

// phoneTypes decodes command lines the way the phone does: the device
// shell splits and unquotes each line (no command substitution or
// variables may be left to expand), `input text` takes exactly one
// argument and applies the %s rule.
func phoneTypes(t testing.TB, cmds []string) string {
	t.Helper()
	var typed strings.Builder
	for _, cmd := range cmds {
		file, err := syntax.NewParser(syntax.Variant(syntax.LangPOSIX)).Parse(strings.NewReader(cmd), "")
		if err != nil {
			t.Fatalf("command does not parse: %v", err)
		}
		if len(file.Stmts) != 1 {
			t.Fatalf("command is %d statements, want 1", len(file.Stmts))
		}
		call, ok := file.Stmts[0].Cmd.(*syntax.CallExpr)
		if !ok || len(call.Assigns) > 0 || len(file.Stmts[0].Redirs) > 0 || file.Stmts[0].Background {
			t.Fatalf("command is not one simple command")
		}
		// A fresh config per call: expand mutates a shared default otherwise.
		args, err := expand.Fields(&expand.Config{}, call.Args...)
		if err != nil {
			t.Fatalf("command does not expand literally: %v", err)
		}
		if len(args) != 3 || args[0] != "input" || args[1] != "text" {
			t.Fatalf("command has %d fields, want input text ARG", len(args))
		}
		typed.WriteString(androidInputText(args[2]))
	}
	return typed.String()
}

func TestAndroidInputTextModel(t *testing.T) {
	// The AOSP loop's known results, so the model itself is checked.
	for in, want := range map[string]string{
		"%s": " ", "%%s": "% ", "a%sb": "a b", "%": "%", "s%": "s%", "%ss": " s", "%s%s": "  ", "100%": "100%",
	} {
		if got := androidInputText(in); got != want {
			t.Errorf("androidInputText(%q) = %q, want %q", in, got, want)
		}
	}
}

func checkEncode(t *testing.T, s string) []string {
	t.Helper()
	cmds, err := adb.EncodeText(s)
	if err != nil {
		t.Fatalf("EncodeText(%q): %v", s, err)
	}
	if got := phoneTypes(t, cmds); got != s {
		t.Fatalf("EncodeText(%q) types %q; commands %q", s, got, cmds)
	}
	return cmds
}

func TestEncodeTextEveryPrintableASCII(t *testing.T) {
	for c := byte(0x20); c <= 0x7e; c++ {
		s := string(c)
		checkEncode(t, s)
		for _, o := range []string{"%", "s", " "} {
			checkEncode(t, s+o)
			checkEncode(t, o+s)
			checkEncode(t, o+s+o)
		}
	}
}

func TestEncodeTextInvocations(t *testing.T) {
	tests := []struct {
		text string
		want int
	}{
		{"plain", 1},
		{"with spaces in it", 1},
		{"100% sure", 1},
		{"%s", 2},
		{"%%s", 2},
		{"%s%s", 3},
		{"s%", 1},
		{demoPassword, 2},
		{strings.Repeat("a", 1200), 3},
	}
	for _, tt := range tests {
		cmds := checkEncode(t, tt.text)
		if len(cmds) != tt.want {
			t.Errorf("EncodeText(%.20q) = %d invocations, want %d", tt.text, len(cmds), tt.want)
		}
	}
	if len(demoPassword) != 37 {
		t.Fatalf("demo password is %d chars, want 37", len(demoPassword))
	}
}

func TestEncodeTextUntypable(t *testing.T) {
	tests := []struct {
		text, kind string
	}{
		{"", "empty"},
		{"pässword", "non-ASCII"},
		{"パスワード", "non-ASCII"},
		{"tab\there", "control"},
		{"new\nline", "control"},
		{"del\x7f", "control"},
		{"nul\x00", "control"},
	}
	for _, tt := range tests {
		_, err := adb.EncodeText(tt.text)
		if !errors.Is(err, adb.ErrUntypable) {
			t.Errorf("EncodeText(%q) error = %v, want ErrUntypable", tt.text, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.kind) {
			t.Errorf("EncodeText(%q) error %q does not say %q", tt.text, err, tt.kind)
		}
		if tt.text != "" && strings.Contains(err.Error(), tt.text) {
			t.Errorf("error %q contains the text", err)
		}
		if err := adb.CheckTypable(tt.text); !errors.Is(err, adb.ErrUntypable) {
			t.Errorf("CheckTypable(%q) = %v, want ErrUntypable", tt.text, err)
		}
	}
	if err := adb.CheckTypable(demoPassword); err != nil {
		t.Errorf("CheckTypable(demo) = %v", err)
	}
}

func FuzzEncodeText(f *testing.F) {
	for _, s := range []string{demoPassword, "%s", "%%s", "% s", "a b", "'", `"`, `\`, "$(reboot)", "`id`", "*", "~", "#", "if", "-d 1", "%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cmds, err := adb.EncodeText(s)
		if adb.CheckTypable(s) != nil {
			if !errors.Is(err, adb.ErrUntypable) {
				t.Fatalf("EncodeText(%q) error = %v, want ErrUntypable", s, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("EncodeText(%q): %v", s, err)
		}
		if got := phoneTypes(t, cmds); got != s {
			t.Fatalf("EncodeText(%q) types %q; commands %q", s, got, cmds)
		}
		if want := 1 + strings.Count(s, "%s") + (len(s)-1)/500; len(cmds) > want {
			t.Fatalf("EncodeText(%q) = %d invocations, want at most %d", s, len(cmds), want)
		}
	})
}
