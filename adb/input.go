package adb

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Android key codes (android.view.KeyEvent) the flows use.
const (
	KeyHome   = 3
	KeyBack   = 4
	KeyPower  = 26
	KeySpace  = 62
	KeyEnter  = 66
	KeyDel    = 67
	KeyWakeup = 224
)

// InputAction is one input event (or one batch of key events) for Input.
// Build it with Tap, Swipe, KeyEvent or Text.
type InputAction struct {
	cmds []string // `input` command lines, one invocation each
	// secret marks typed text: the action's commands and output must not
	// reach an error message.
	secret bool
	err    error
}

// Tap touches the screen at (x, y).
func Tap(x, y int) InputAction {
	return InputAction{cmds: []string{fmt.Sprintf("input tap %d %d", x, y)}}
}

// Swipe moves a finger from (x1, y1) to (x2, y2) in dur (Android's
// default of 300 ms when dur is not positive).
func Swipe(x1, y1, x2, y2 int, dur time.Duration) InputAction {
	cmd := fmt.Sprintf("input swipe %d %d %d %d", x1, y1, x2, y2)
	if ms := dur.Milliseconds(); ms > 0 {
		cmd += " " + strconv.FormatInt(ms, 10)
	}
	return InputAction{cmds: []string{cmd}}
}

// KeyEvent presses the keys in order with one `input keyevent` invocation.
func KeyEvent(codes ...int) InputAction {
	if len(codes) == 0 {
		return InputAction{err: fmt.Errorf("%w: key event without key codes", ErrFailed)}
	}
	var b strings.Builder
	b.WriteString("input keyevent")
	for _, c := range codes {
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(c))
	}
	return InputAction{cmds: []string{b.String()}}
}

// Text types s into the focused field (see EncodeText for what can be
// typed). An untypable s makes Input fail before anything is sent.
func Text(s string) InputAction {
	cmds, err := EncodeText(s)
	return InputAction{cmds: cmds, secret: true, err: err}
}

// Input performs the actions in order with ONE shell round trip: the
// `input` invocations are chained with && so the first failure stops the
// rest. Errors never contain typed text.
func Input(ctx context.Context, d Device, actions ...InputAction) error {
	var cmds []string
	secret := false
	for _, a := range actions {
		if a.err != nil {
			return fmt.Errorf("input: %w", a.err)
		}
		cmds = append(cmds, a.cmds...)
		secret = secret || a.secret
	}
	if len(cmds) == 0 {
		return nil
	}
	res, err := d.Shell(ctx, strings.Join(cmds, " && "))
	if err != nil {
		return fmt.Errorf("input: %w", err)
	}
	out := res.String()
	if strings.Contains(out, "SecurityException") || strings.Contains(out, "INJECT_EVENTS") {
		return fmt.Errorf("input: %w: turn on \"USB debugging (Security settings)\" in Developer options, then reboot the phone", ErrInjectionDenied)
	}
	if res.ExitCode != 0 {
		detail := "output withheld: it may echo typed text"
		if !secret {
			detail = firstLineWith(out, "")
		}
		return fmt.Errorf("input: %w: exited with status %d (%s)", ErrFailed, res.ExitCode, detail)
	}
	return nil
}

// maxTextChunk caps the characters of one `input text` invocation, so a
// long text still fits the 4 KiB service name of old adbd versions.
const maxTextChunk = 500

// CheckTypable reports whether `input text` can type s: printable ASCII
// only (0x20-0x7e), not empty. The error says which kind of character is
// wrong, never the text.
func CheckTypable(s string) error {
	if s == "" {
		return fmt.Errorf("%w: the text is empty", ErrUntypable)
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 0x80:
			return fmt.Errorf("%w: it holds a non-ASCII character (input text types only ASCII; type it on the phone instead)", ErrUntypable)
		case c < 0x20 || c == 0x7f:
			return fmt.Errorf("%w: it holds a control character", ErrUntypable)
		}
	}
	return nil
}

// EncodeText returns the `input text` command lines that type s exactly.
//
// Android's `input text` turns every "%s" of its argument into a space
// (its loop sees '%', then turns a following 's' into a space, so "%%s"
// gives "% ") and has no escape for a literal "%s". So: every argument is
// quoted for the device shell with syntax.Quote; a space becomes "%s"
// (old `input` scripts re-split their arguments on spaces); and where the
// text has a literal '%' followed by a literal 's', the text is split into
// a new invocation between the two, so Android never sees that pair.
// Invocations are few because each starts a JVM on the phone: one, plus
// one per literal "%s", plus one per maxTextChunk characters.
func EncodeText(s string) ([]string, error) {
	if err := CheckTypable(s); err != nil {
		return nil, err
	}
	var cmds []string
	var seg strings.Builder
	n := 0
	flush := func() error {
		q, err := shellQuote(seg.String())
		if err != nil {
			return fmt.Errorf("%w: it cannot be quoted for the shell", ErrUntypable)
		}
		cmds = append(cmds, "input text "+q)
		seg.Reset()
		n = 0
		return nil
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if n > 0 && (c == 's' && s[i-1] == '%' || n >= maxTextChunk) {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		if c == ' ' {
			seg.WriteString("%s")
		} else {
			seg.WriteByte(c)
		}
		n++
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return cmds, nil
}
