package main

import "testing"

func TestStderrDisplay(t *testing.T) {
	for _, tc := range []struct {
		tty, ansi      bool
		term, noColor  string
		live, coloured bool
	}{
		{true, true, "xterm-256color", "", true, true},
		{true, true, "", "", true, true}, // Windows consoles set no TERM
		{true, true, "xterm", "1", true, false},
		{true, true, "dumb", "", false, false},
		{true, false, "", "", false, false}, // a console that refused virtual-terminal processing
		{false, true, "xterm", "", false, false},
	} {
		live, color := stderrDisplay(tc.tty, tc.ansi, tc.term, tc.noColor)
		if live != tc.live || color != tc.coloured {
			t.Errorf("stderrDisplay(tty %v, ansi %v, TERM=%q, NO_COLOR=%q) = live %v, colour %v; want %v, %v",
				tc.tty, tc.ansi, tc.term, tc.noColor, live, color, tc.live, tc.coloured)
		}
	}
	env := map[string]string{}
	s := &IOStreams{ErrTTY: true, NoANSI: true, Getenv: func(k string) string { return env[k] }}
	if s.LiveStderr() || s.Color() {
		t.Error("a console without ANSI escapes gets the live display or colours")
	}
	s.NoANSI = false
	if !s.LiveStderr() || !s.Color() {
		t.Error("a terminal that takes ANSI escapes gets no live display or colours")
	}
}
