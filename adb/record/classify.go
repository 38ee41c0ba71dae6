package record

import (
	"slices"
	"strconv"
	"strings"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"

	"github.com/miacct/miacct/adb/fake/fixture"
)

// What a shell or exec command is, for the recording. The UI tools
// become screens, transitions and activities (the replaying phone
// simulates them); everything else is kept with its output.
type cmdKind int

const (
	kindCommand   cmdKind = iota // recorded with its output
	kindInput                    // only `input` invocations, chained with && or ;
	kindStart                    // one `am start`
	kindDump                     // one `uiautomator dump`
	kindScreencap                // one `screencap`
)

// parsedCmd is a command line taken apart.
type parsedCmd struct {
	kind cmdKind
	// calls are the simple commands' arguments when the line is only
	// simple commands with literal words; nil otherwise.
	calls [][]string
}

// parseCommand classifies cmd by parsing it as the phone's shell would.
func parseCommand(cmd string) parsedCmd {
	f, err := syntax.NewParser(syntax.Variant(syntax.LangMirBSDKorn)).Parse(strings.NewReader(cmd), "")
	if err != nil {
		return parsedCmd{kind: kindCommand}
	}
	var calls [][]string
	for _, st := range f.Stmts {
		if !simpleCalls(st, &calls) {
			return parsedCmd{kind: kindCommand}
		}
	}
	p := parsedCmd{kind: kindCommand, calls: calls}
	if len(calls) == 0 {
		return p
	}
	allInput := true
	for _, c := range calls {
		allInput = allInput && c[0] == "input"
	}
	switch {
	case allInput:
		p.kind = kindInput
	case len(calls) > 1:
	case calls[0][0] == "am" && len(calls[0]) > 1 && (calls[0][1] == "start" || calls[0][1] == "start-activity"):
		p.kind = kindStart
	case calls[0][0] == "uiautomator" && len(calls[0]) > 1 && calls[0][1] == "dump":
		p.kind = kindDump
	case calls[0][0] == "screencap":
		p.kind = kindScreencap
	}
	return p
}

// simpleCalls appends the arguments of st's simple commands when st is
// simple commands joined by && with literal words only.
func simpleCalls(st *syntax.Stmt, out *[][]string) bool {
	if st.Negated || st.Background || st.Coprocess || len(st.Redirs) > 0 {
		return false
	}
	switch c := st.Cmd.(type) {
	case *syntax.CallExpr:
		if len(c.Assigns) > 0 || len(c.Args) == 0 {
			return false
		}
		args := make([]string, len(c.Args))
		for i, w := range c.Args {
			lit, ok := literal(w)
			if !ok {
				return false
			}
			args[i] = lit
		}
		*out = append(*out, args)
		return true
	case *syntax.BinaryCmd:
		return c.Op == syntax.AndStmt && simpleCalls(c.X, out) && simpleCalls(c.Y, out)
	}
	return false
}

// literal is the text of a word without expansions.
func literal(w *syntax.Word) (string, bool) {
	for _, part := range w.Parts {
		switch part := part.(type) {
		case *syntax.Lit, *syntax.SglQuoted:
		case *syntax.DblQuoted:
			for _, inner := range part.Parts {
				if _, ok := inner.(*syntax.Lit); !ok {
					return "", false
				}
			}
		default:
			return "", false
		}
	}
	s, err := expand.Literal(nil, w)
	if err != nil {
		return "", false
	}
	return s, true
}

// inputSources are the optional source words before an input command.
var inputSources = []string{"keyboard", "mouse", "joystick", "touchnavigation", "touchpad", "trackball",
	"stylus", "dpad", "gesture", "touchscreen", "gamepad", "rotaryencoder"}

// inputVerb splits an `input` invocation into its command and arguments.
func inputVerb(args []string) (string, []string) {
	args = args[1:]
	if len(args) > 0 && slices.Contains(inputSources, args[0]) {
		args = args[1:]
	}
	if len(args) > 1 && args[0] == "-d" {
		args = args[2:]
	}
	if len(args) == 0 {
		return "", nil
	}
	return args[0], args[1:]
}

// sendText applies `input text`'s rule: "%s" becomes a space.
func sendText(text string) string {
	var b strings.Builder
	for i := 0; i < len(text); i++ {
		if text[i] == '%' && i+1 < len(text) && text[i+1] == 's' {
			b.WriteByte(' ')
			i++
			continue
		}
		b.WriteByte(text[i])
	}
	return b.String()
}

// keyCodes are the key names miacct and people use.
var keyCodes = map[string]int{
	"HOME": 3, "BACK": 4, "POWER": 26, "SPACE": 62, "ENTER": 66, "DEL": 67, "MENU": 82,
	"TAB": 61, "ESCAPE": 111, "APP_SWITCH": 187, "SLEEP": 223, "WAKEUP": 224,
	"DPAD_UP": 19, "DPAD_DOWN": 20, "DPAD_LEFT": 21, "DPAD_RIGHT": 22, "DPAD_CENTER": 23,
}

// parseKey reads a key as `input keyevent` does; -1 when unknown.
func parseKey(s string) int {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return n
	}
	if c, ok := keyCodes[strings.TrimPrefix(strings.ToUpper(s), "KEYCODE_")]; ok {
		return c
	}
	return -1
}

// keyName is how a fixture names a key: BACK, HOME, ENTER, POWER,
// WAKEUP, MENU, else the code.
func keyName(code int) string {
	switch code {
	case 3:
		return "HOME"
	case 4:
		return "BACK"
	case 26:
		return "POWER"
	case 66:
		return "ENTER"
	case 82:
		return "MENU"
	case 224:
		return "WAKEUP"
	}
	return strconv.Itoa(code)
}

// displayKey reports keys that only switch the display on or off.
func displayKey(code int) bool { return code == 26 || code == 223 || code == 224 }

// charKey reports keys that type a character: recorded as typing (they
// could be a password's characters), never as transitions.
func charKey(code int) bool {
	return code >= 7 && code <= 18 || code >= 29 && code <= 56 || code == 62 || code >= 68 && code <= 77 || code == 81
}

// amArgs counts the arguments of am start's options.
var amArgs = map[string]int{
	"-a": 1, "-d": 1, "-t": 1, "-c": 1, "-n": 1, "-p": 1, "-f": 1, "-e": 2, "--es": 2, "--esn": 1, "--ez": 2,
	"--ei": 2, "--el": 2, "--ef": 2, "--eu": 2, "--ecn": 2, "--eia": 2, "--ela": 2, "--efa": 2, "--esa": 2,
	"--user": 1, "--display": 1, "--windowingMode": 1, "--activityType": 1, "--start-profiler": 1, "--sampling": 1,
	"-P": 1, "-R": 1,
}

// intentOf reads the target of `am start ARGS` as am does: -a, -n, -d,
// -p, and the first argument that is not an option, which is a URI (it
// holds ':'), a component ('/') or a package, and brings the action am
// gives such an intent when -a set none.
func intentOf(args []string) fixture.Activity {
	var a fixture.Activity
	for i := 2; i < len(args); i++ {
		arg := args[i]
		n, known := amArgs[arg]
		switch {
		case !known && strings.HasPrefix(arg, "-"):
			continue // a flag without argument (-W, -S, --activity-...)
		case !known:
			positional(&a, arg)
			return a
		case i+n >= len(args):
			return a
		}
		switch arg {
		case "-a":
			a.Action = args[i+1]
		case "-n":
			a.Component = args[i+1]
		case "-d":
			a.Data = args[i+1]
		case "-p":
			a.Package = args[i+1]
		}
		i += n
	}
	return a
}

// positional applies am's positional argument to a.
func positional(a *fixture.Activity, arg string) {
	action := "android.intent.action.MAIN"
	switch {
	case strings.Contains(arg, ":"):
		action = "android.intent.action.VIEW"
		if a.Data == "" {
			a.Data = arg
		}
	case strings.Contains(arg, "/"):
		a.Component = arg
	case a.Package == "":
		a.Package = arg
	}
	if a.Action == "" {
		a.Action = action
	}
}
