package adb

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// WaitOutcome says why WaitWindow returned.
type WaitOutcome string

// What ends a WaitWindow.
const (
	// WaitFocusChanged: another window has the focus than when the wait
	// began (the phone moved on to another screen or dialog).
	WaitFocusChanged WaitOutcome = "changed"
	// WaitUntilMet: the wait's until test succeeded.
	WaitUntilMet WaitOutcome = "met"
	// WaitTimedOut: the limit passed on the phone's clock first.
	WaitTimedOut WaitOutcome = "timeout"
)

// waitMark starts the line WaitWindow's script prints last.
const waitMark = ":miacct-wait:"

// waitStep is how often the wait looks, in time on the phone: a small
// part of what one screen read costs (1 s or more).
const waitStep = "0.1"

// focusRead prints the focused window: its line of `dumpsys window`
// (Window{HASH u0 TITLE}: a dialog has its activity's title but a window,
// and so a hash, of its own).
const focusRead = "dumpsys window displays | grep mCurrentFocus"

// WaitWindow waits on the phone, in one shell call, until the focused
// window is another than when the wait began, or until (a shell test,
// "" for none) succeeds, or limit has passed on the phone's clock
// (/proc/uptime), whichever comes first; it looks every 0.1 s. The
// phone spends the wait, not the host: the call costs one round trip
// however long the phone takes, where reading the screen again and
// again costs a second or more each time.
func WaitWindow(ctx context.Context, d Device, until string, limit time.Duration) (WaitOutcome, error) {
	cs := limit.Milliseconds() / 10
	if cs < 1 {
		cs = 1
	}
	var b strings.Builder
	b.WriteString(`w0=$(` + focusRead + `); read u _ < /proc/uptime; end=$(( ${u%.*}${u#*.} + ` + strconv.FormatInt(cs, 10) + ` )); `)
	b.WriteString(`while :; do `)
	if until != "" {
		b.WriteString(`if ` + until + `; then echo ` + waitMark + string(WaitUntilMet) + `; break; fi; `)
	}
	b.WriteString(`if [ "$(` + focusRead + `)" != "$w0" ]; then echo ` + waitMark + string(WaitFocusChanged) + `; break; fi; `)
	b.WriteString(`read u _ < /proc/uptime; if [ $(( ${u%.*}${u#*.} )) -ge $end ]; then echo ` + waitMark + string(WaitTimedOut) + `; break; fi; `)
	b.WriteString(`sleep ` + waitStep + `; done`)
	res, err := d.Shell(WithCallTimeout(ctx, limit+time.Minute), b.String())
	if err != nil {
		return "", fmt.Errorf("wait on the phone: %w", err)
	}
	out := res.String()
	i := strings.LastIndex(out, waitMark)
	if i < 0 || res.ExitCode != 0 {
		return "", fmt.Errorf("wait on the phone: %w: the wait loop exited with status %d (%s)", ErrFailed, res.ExitCode, describeOutput(res.Output))
	}
	switch o := WaitOutcome(strings.TrimSpace(out[i+len(waitMark):])); o {
	case WaitFocusChanged, WaitUntilMet, WaitTimedOut:
		return o, nil
	}
	return "", fmt.Errorf("wait on the phone: %w: the wait loop printed %s", ErrFailed, describeOutput(res.Output))
}
