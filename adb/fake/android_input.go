package fake

import (
	"math"
	"strconv"
	"strings"
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

// keyCodes maps KEYCODE_ names (without the prefix) to codes.
var keyCodes = map[string]int{
	"UNKNOWN": 0, "SOFT_LEFT": 1, "SOFT_RIGHT": 2, "HOME": 3, "BACK": 4, "CALL": 5, "ENDCALL": 6,
	"0": 7, "1": 8, "2": 9, "3": 10, "4": 11, "5": 12, "6": 13, "7": 14, "8": 15, "9": 16,
	"STAR": 17, "POUND": 18, "DPAD_UP": 19, "DPAD_DOWN": 20, "DPAD_LEFT": 21, "DPAD_RIGHT": 22,
	"DPAD_CENTER": 23, "VOLUME_UP": 24, "VOLUME_DOWN": 25, "POWER": 26, "CAMERA": 27, "CLEAR": 28,
	"A": 29, "B": 30, "C": 31, "D": 32, "E": 33, "F": 34, "G": 35, "H": 36, "I": 37, "J": 38,
	"K": 39, "L": 40, "M": 41, "N": 42, "O": 43, "P": 44, "Q": 45, "R": 46, "S": 47, "T": 48,
	"U": 49, "V": 50, "W": 51, "X": 52, "Y": 53, "Z": 54,
	"COMMA": 55, "PERIOD": 56, "ALT_LEFT": 57, "ALT_RIGHT": 58, "SHIFT_LEFT": 59, "SHIFT_RIGHT": 60,
	"TAB": 61, "SPACE": 62, "SYM": 63, "EXPLORER": 64, "ENVELOPE": 65, "ENTER": 66, "DEL": 67,
	"GRAVE": 68, "MINUS": 69, "EQUALS": 70, "LEFT_BRACKET": 71, "RIGHT_BRACKET": 72,
	"BACKSLASH": 73, "SEMICOLON": 74, "APOSTROPHE": 75, "SLASH": 76, "AT": 77, "NUM": 78,
	"HEADSETHOOK": 79, "FOCUS": 80, "PLUS": 81, "MENU": 82, "NOTIFICATION": 83, "SEARCH": 84,
	"MEDIA_PLAY_PAUSE": 85, "PAGE_UP": 92, "PAGE_DOWN": 93, "ESCAPE": 111, "FORWARD_DEL": 112,
	"MOVE_HOME": 122, "MOVE_END": 123, "APP_SWITCH": 187, "SLEEP": 223, "WAKEUP": 224,
}

// keyChars are the characters printable key events type (no shift).
var keyChars = map[int]rune{
	7: '0', 8: '1', 9: '2', 10: '3', 11: '4', 12: '5', 13: '6', 14: '7', 15: '8', 16: '9',
	17: '*', 18: '#', 55: ',', 56: '.', 62: ' ', 68: '`', 69: '-', 70: '=', 71: '[', 72: ']',
	73: '\\', 74: ';', 75: '\'', 76: '/', 77: '@', 81: '+',
}

func keyChar(code int) (rune, bool) {
	if code >= 29 && code <= 54 {
		return rune('a' + code - 29), true
	}
	r, ok := keyChars[code]
	return r, ok
}

// parseKey reads a key as `input keyevent` does: a number, a KEYCODE_
// name, or (in fixtures) a bare name; unknown names are KEYCODE_UNKNOWN.
func parseKey(s string) int {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	name := strings.TrimPrefix(strings.ToUpper(s), "KEYCODE_")
	if code, ok := keyCodes[name]; ok {
		return code
	}
	return keyUnknown
}

// keyName names a key code for logs.
func keyName(code int) string {
	switch code {
	case keyHome:
		return "HOME"
	case keyBack:
		return "BACK"
	case keyEnter:
		return "ENTER"
	case keyPower:
		return "POWER"
	case keyWakeup:
		return "WAKEUP"
	case keyDel:
		return "DEL"
	case keySpace:
		return "SPACE"
	}
	for name, c := range keyCodes {
		if c == code {
			return name
		}
	}
	return strconv.Itoa(code)
}

// inputSources are the optional source words before an input command.
var inputSources = map[string]bool{
	"keyboard": true, "mouse": true, "joystick": true, "touchnavigation": true, "touchpad": true,
	"trackball": true, "stylus": true, "dpad": true, "gesture": true, "touchscreen": true,
	"gamepad": true, "rotaryencoder": true,
}

const inputUsage = `Usage: input [<source>] [-d DISPLAY_ID] <command> [<arg>...]

The commands and default sources are:
      text <string> (Default: touchscreen)
      keyevent [--longpress|--doubletap] <key code number or name> ... (Default: keyboard)
      tap <x> <y> (Default: touchscreen)
      swipe <x1> <y1> <x2> <y2> [duration(ms)] (Default: touchscreen)
`

// sendText applies AOSP Input.sendText's escape rule: "%s" becomes a
// space, scanning left to right (so "%%s" is "% ").
func sendText(text string) string {
	buf := []rune(text)
	escape := false
	for i := 0; i < len(buf); i++ {
		if escape {
			escape = false
			if buf[i] == 's' {
				buf[i] = ' '
				buf = append(buf[:i-1], buf[i:]...)
				i--
			}
		}
		if buf[i] == '%' {
			escape = true
		}
	}
	return string(buf)
}

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
	args := c.args[1:]
	if len(args) > 0 && inputSources[args[0]] {
		args = args[1:]
	}
	if len(args) > 1 && args[0] == "-d" {
		args = args[2:]
	}
	if len(args) == 0 {
		c.errorf("%s", inputUsage)
		return 1
	}
	cmd, args := args[0], args[1:]
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
	text := sendText(args[0])
	p := c.p
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counters.Texts++
	if !typable(text) {
		// KeyCharacterMap.getEvents returns null: nothing is typed.
		p.logf("input text (%d chars) dropped: unmappable character", len([]rune(text)))
		c.errorf("Warning: input text: a character cannot be typed with the virtual keyboard; nothing was typed\n")
		return 0
	}
	p.logf("input text (%d chars)", len(text))
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
