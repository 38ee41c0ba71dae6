package main

import (
	"strings"
	"testing"
	"time"

	"github.com/miacct/miacct/flows"
)

// liveTerminal is stderr as a terminal of width columns that takes ANSI
// escapes; what is drawn goes to buf.
func liveTerminal(width int, buf *syncBuffer) *IOStreams {
	return &IOStreams{ErrOut: buf, ErrTTY: true, Width: func() int { return width },
		Getenv: func(k string) string { return map[string]string{"TERM": "xterm", "NO_COLOR": "1"}[k] }}
}

// drawnLines are the lines a live display drew, escapes removed.
func drawnLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		l = stripEscapes(strings.ReplaceAll(l, "\x1b[2K", ""))
		for _, esc := range []string{"\x1b[J"} {
			l = strings.ReplaceAll(l, esc, "")
		}
		// Cursor-up escapes end in 'A'.
		for strings.HasPrefix(l, "\x1b[") {
			if i := strings.IndexByte(l, 'A'); i > 0 {
				l = l[i+1:]
			} else {
				break
			}
		}
		out = append(out, l)
	}
	return out
}

// The live step list never wraps: every line fits the terminal's width
// with a column to spare, however long a step's message, so a redraw
// overwrites exactly what the last one drew.
func TestLiveProgressFitsTheTerminal(t *testing.T) {
	for _, width := range []int{80, 40} {
		var buf syncBuffer
		p := newProgress(liveTerminal(width, &buf), runSpec{command: cmdRemove, job: flows.Job{Flow: flows.FlowRemove}})
		if p.area == nil {
			t.Fatal("no live display on a terminal")
		}
		p.StepStarted(flows.StepPreflight)
		p.StepFinished(flows.StepResult{Name: flows.StepPreflight, Status: flows.StatusOK, Message: strings.Repeat("a long message about the phone ", 10)})
		p.StepStarted(flows.StepOpenAccount)
		for _, line := range drawnLines(buf.String()) {
			if w := textWidth(line); w > width-1 {
				t.Errorf("width %d: a line of %d columns: %q", width, w, line)
			}
		}
	}
}

// While a prompt waits for an answer (the site's code), the spinner does
// not draw over it; once answered the display draws again, below it.
func TestNoRedrawWhileAPromptWaits(t *testing.T) {
	var buf syncBuffer
	app := &App{IO: liveTerminal(80, &buf)}
	p := newProgress(app.IO, runSpec{command: cmdDeleteAccount, job: flows.Job{Flow: flows.FlowDeleteAccount}})
	ticks := make(chan time.Time)
	p.area.newTicker = func() (<-chan time.Time, func()) { return ticks, func() {} }
	p.start(app)
	p.StepStarted(flows.StepVerifyCode)
	release := app.holdDisplay()
	app.IO.Errorf("Enter the code sent to j***@example.com: ")
	before := buf.String()
	for range 5 {
		ticks <- time.Now()
	}
	p.StepFinished(flows.StepResult{Name: flows.StepVerifyCode, Status: flows.StatusOK})
	app.say("a note while the prompt waits")
	if got := buf.String(); got != before+"\na note while the prompt waits\n" {
		t.Errorf("the display drew while the prompt waited:\n%q", strings.TrimPrefix(got, before))
	}
	release()
	ticks <- time.Now()
	p.stop(app)
	if after := strings.TrimPrefix(buf.String(), before); !strings.Contains(after, "verify-code") {
		t.Errorf("the display did not draw again after the answer:\n%q", after)
	}
}

// The fleet's table fits 80 columns: RESULT is cut, the full reason and
// the retry command follow below, wrapped (a command with a backslash at
// each break, so it still pastes into a shell).
func TestFleetSummaryFitsTheTerminal(t *testing.T) {
	rows := [][]string{{"PHONE", "MODEL", "ACCOUNT", "RESULT", "TIME"},
		{"127.0.0.1:15037/6d8f2a41", "Redmi Note 13 Pro+ 5G", "12******90", "failed: " + strings.Repeat("a very long reason ", 12), "1.2s"}}
	for _, line := range fitTable(rows, 3, 80) {
		if textWidth(line) > 79 {
			t.Errorf("a table line of %d columns: %q", textWidth(line), line)
		}
	}
	cmd := "miacct --adb 127.0.0.1:15037 -s 6d8f2a41 remove --delete-account --from open-delete-page --keep-data --no-reboot --account 1234567890"
	wrapped := wrapCommand("  ", cmd, 80)
	for _, line := range strings.Split(wrapped, "\n") {
		if textWidth(line) > 79 {
			t.Errorf("a retry line of %d columns: %q", textWidth(line), line)
		}
	}
	if joined := strings.Join(strings.Fields(strings.ReplaceAll(wrapped, "\\\n", " ")), " "); joined != cmd {
		t.Errorf("the wrapped command reads %q, want %q", joined, cmd)
	}
}
