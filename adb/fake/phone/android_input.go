package phone

import (
	"math"
	"strconv"
	"strings"

	"github.com/miacct/miacct/adb/androidcmd"
)

// Android's `input` command: taps, swipes, key events and text, with
// the rules of AOSP's Input/InputShellCommand.

// Key codes the phone gives a meaning to (android.view.KeyEvent).
const (
	keyUnknown = 0
	keyHome    = 3
	keyBack    = 4
	keyPower   = 26
	keySpace   = 62
	keyEnter   = 66
	keyDel     = 67
	keySleep   = 223
	keyWakeup  = 224
)

const inputUsage = `Usage: input [<source>] [-d DISPLAY_ID] <command> [<arg>...]

The commands and default sources are:
      text <string> (Default: touchscreen)
      keyevent [--longpress|--doubletap] <key code number or name> ... (Default: keyboard)
      tap <x> <y> (Default: touchscreen)
      swipe <x1> <y1> <x2> <y2> [duration(ms)] (Default: touchscreen)
`

// typable reports whether the virtual keyboard's key map can type every
// character of s (printable ASCII).
func typable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			return false
		}
	}
	return true
}

// input is Android's `input` command.
func (c *call) input() int {
	p := c.p
	p.mu.Lock()
	p.counters.Inputs++
	c.owed += p.advanceLocked(p.cfg.latency.Input)
	injection := p.cfg.injection
	p.mu.Unlock()
	if !injection {
		p.logf("input refused: INJECT_EVENTS")
		c.errorf("java.lang.SecurityException: Injecting to another application requires INJECT_EVENTS permission\n")
		c.errorf("\tat android.os.Parcel.createExceptionOrNull(Parcel.java:2373)\n")
		return 1
	}
	cmd, args, err := androidcmd.SplitInput(c.args[1:])
	if err != nil {
		c.errorf("%s", inputUsage)
		return 1
	}
	switch cmd {
	case "tap":
		return c.inputTap(args)
	case "swipe", "draganddrop":
		return c.inputSwipe(cmd, args)
	case "text":
		return c.inputText(args)
	case "keyevent":
		return c.inputKeys(args)
	}
	c.errorf("Error: Unknown command: %s\n%s", cmd, inputUsage)
	return 1
}

func (c *call) badInputArgs(cmd string) int {
	c.errorf("Error: Invalid arguments for command: %s\n%s", cmd, inputUsage)
	return 1
}

// coords reads pixel coordinates as Input does (floats allowed).
func coords(args []string) ([]int, bool) {
	out := make([]int, len(args))
	for i, a := range args {
		f, err := strconv.ParseFloat(a, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, false
		}
		out[i] = int(f)
	}
	return out, true
}

func (c *call) inputTap(args []string) int {
	if len(args) != 2 {
		return c.badInputArgs("tap")
	}
	xy, ok := coords(args)
	if !ok {
		return c.badInputArgs("tap")
	}
	p := c.p
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counters.Taps++
	res := &actionResult{}
	p.tapLocked(c.s, xy[0], xy[1], res)
	c.owed += res.sleep
	return 0
}

func (c *call) inputSwipe(cmd string, args []string) int {
	if len(args) != 4 && len(args) != 5 {
		return c.badInputArgs(cmd)
	}
	xy, ok := coords(args[:4])
	if !ok {
		return c.badInputArgs(cmd)
	}
	p := c.p
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counters.Swipes++
	res := &actionResult{}
	p.swipeLocked(c.s, xy[0], xy[1], xy[2], xy[3], res)
	c.owed += res.sleep
	return 0
}

// inputText types the first argument only, as InputShellCommand does
// (an unquoted space splits the text and the rest is lost).
func (c *call) inputText(args []string) int {
	if len(args) == 0 {
		return c.badInputArgs("text")
	}
	text := androidcmd.InputText(args[0])
	p := c.p
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counters.Texts++
	if !typable(text) {
		// KeyCharacterMap.getEvents returns null: nothing is typed.
		p.logf("input text dropped: unmappable character")
		c.errorf("Warning: input text: a character cannot be typed with the virtual keyboard; nothing was typed\n")
		return 0
	}
	p.logf("input text (typed; never logged)")
	res := &actionResult{}
	p.typeLocked(c.s, text, res)
	c.owed += res.sleep
	return 0
}

func (c *call) inputKeys(args []string) int {
	var codes []int
	for _, a := range args {
		if strings.HasPrefix(a, "--") {
			continue // --longpress, --doubletap: same effect here
		}
		codes = append(codes, parseKey(a))
	}
	if len(codes) == 0 {
		return c.badInputArgs("keyevent")
	}
	p := c.p
	p.mu.Lock()
	defer p.mu.Unlock()
	res := &actionResult{}
	for _, code := range codes {
		if c.s.stopped() != nil {
			break
		}
		p.counters.Keys++
		p.keyLocked(c.s, code, res)
	}
	c.owed += res.sleep
	if len(codes) > 0 {
		p.logf("input keyevent (%d keys)", len(codes))
	}
	return 0
}

// parseKey reads a key as `input keyevent` does; unknown names are
// KEYCODE_UNKNOWN.
func parseKey(s string) int {
	if code, ok := androidcmd.KeyCode(s); ok {
		return code
	}
	return keyUnknown
}

// keyName names a key code for logs.
func keyName(code int) string { return androidcmd.KeyName(code) }
