// Package androidcmd reads the arguments of Android's shell tools the
// way the tools themselves do: `am start` (options, the positional URI,
// component or package) and `input` (source words, key names, the %s
// rule of input text). The fake phone answers these commands and the
// recorder reads what the tool sent; both must agree with Android, so the
// rules live here once.
package androidcmd

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Intent is what `am start` was asked to start.
type Intent struct {
	Action, Data, MimeType, Package, Component, Flags string
	Categories                                        []string
	Extras                                            bool // --es, --ei... were given
}

// String prints the intent as Intent.toShortString does.
func (in Intent) String() string {
	var parts []string
	if in.Action != "" {
		parts = append(parts, "act="+in.Action)
	}
	if len(in.Categories) > 0 {
		parts = append(parts, "cat=["+strings.Join(in.Categories, ",")+"]")
	}
	if in.Data != "" {
		parts = append(parts, "dat="+SafeURI(in.Data))
	}
	if in.MimeType != "" {
		parts = append(parts, "typ="+in.MimeType)
	}
	if in.Flags != "" {
		parts = append(parts, "flg="+in.Flags)
	}
	if in.Package != "" {
		parts = append(parts, "pkg="+in.Package)
	}
	if in.Component != "" {
		parts = append(parts, "cmp="+ShortComponent(in.Component))
	}
	if in.Extras {
		parts = append(parts, "(has extras)")
	}
	return "Intent { " + strings.Join(parts, " ") + " }"
}

// SafeURI is Uri.toSafeString, which Intent.toString uses: web URIs
// show only their host, so `am start` never prints a URL's path or query.
func SafeURI(uri string) string {
	scheme, rest, ok := strings.Cut(uri, ":")
	if !ok {
		return uri
	}
	switch strings.ToLower(scheme) {
	case "http", "https", "ftp", "rtsp":
		host := strings.TrimPrefix(rest, "//")
		if i := strings.IndexAny(host, "/?#"); i >= 0 {
			host = host[:i]
		}
		if i := strings.LastIndex(host, "@"); i >= 0 {
			host = host[i+1:]
		}
		return scheme + "://" + host + "/..."
	}
	return uri
}

// TargetPackage is the package an intent is limited to: its package,
// else its component's.
func (in Intent) TargetPackage() string {
	if in.Package != "" {
		return in.Package
	}
	pkg, _, _ := strings.Cut(in.Component, "/")
	return pkg
}

// Android's `am start` values for an intent built from a positional argument.
const (
	ActionMain       = "android.intent.action.MAIN"
	ActionView       = "android.intent.action.VIEW"
	CategoryLauncher = "android.intent.category.LAUNCHER"
)

// addPositional applies am's one positional argument the way
// Intent.parseCommandArgs does: it builds a base intent (a URI when the
// argument holds ':', a component when it holds '/', else a package) and
// fills in what the options left empty; a component given this way
// replaces -n. A launcher category is added only when no action was given.
func (in *Intent) addPositional(arg string) {
	baseAction := ActionMain
	switch {
	case strings.Contains(arg, ":"):
		baseAction = ActionView
		if in.Data == "" && in.MimeType == "" {
			in.Data = arg
		}
	case strings.Contains(arg, "/"):
		in.Component = arg
	default:
		if in.Package == "" {
			in.Package = arg
		}
	}
	if in.Action == "" {
		if baseAction == ActionMain && len(in.Categories) == 0 {
			in.Categories = []string{CategoryLauncher}
		}
		in.Action = baseAction
	}
}

// FullComponent expands pkg/.Cls to pkg/pkg.Cls.
func FullComponent(comp string) string {
	pkg, cls, ok := strings.Cut(comp, "/")
	if !ok {
		return comp
	}
	if strings.HasPrefix(cls, ".") {
		cls = pkg + cls
	}
	return pkg + "/" + cls
}

// ShortComponent is ComponentName.flattenToShortString: pkg/.Cls when
// the class lies in the package.
func ShortComponent(comp string) string {
	pkg, cls, ok := strings.Cut(FullComponent(comp), "/")
	if !ok {
		return comp
	}
	if strings.HasPrefix(cls, pkg+".") {
		cls = cls[len(pkg):]
	}
	return pkg + "/" + cls
}

// optionArgs is how many arguments each `am start` option takes.
var optionArgs = map[string]int{
	"-W": 0, "-S": 0, "-D": 0, "-N": 0, "--activity-clear-top": 0, "--activity-new-task": 0,
	"--activity-single-top": 0, "--activity-clear-task": 0, "--activity-no-history": 0,
	"--activity-reorder-to-front": 0, "--activity-multiple-task": 0, "--activity-exclude-from-recents": 0,
	"--grant-read-uri-permission": 0, "--grant-write-uri-permission": 0, "--receiver-foreground": 0,
	"--track-allocation": 0, "--include-stopped-packages": 0, "--exclude-stopped-packages": 0,
	"-a": 1, "-d": 1, "-t": 1, "-c": 1, "-n": 1, "-p": 1, "-f": 1, "-R": 1, "-P": 1, "--user": 1,
	"--display": 1, "--windowingMode": 1, "--activityType": 1, "--start-profiler": 1, "--sampling": 1,
	"--esn": 1, "--es": 2, "--ez": 2, "--ei": 2, "--el": 2, "--ef": 2, "--eu": 2, "--ecn": 2,
	"--eia": 2, "--ela": 2, "--efa": 2, "--esa": 2,
}

// AmStart is a parsed `am start` command line.
type AmStart struct {
	Intent
	Wait bool // -W: wait for the launch
	Stop bool // -S: force-stop the app first
}

// ParseAmStart reads the arguments after `am start` as am does: options
// up to the first other argument, which is the positional URI, component
// or package (arguments after it are ignored, as by am). The errors are
// am's own messages, starting lowercase as Go errors do.
func ParseAmStart(args []string) (AmStart, error) {
	var st AmStart
	err := parseIntentArgs(args, &st.Intent, optionArgs, func(opt, _ string) {
		switch opt {
		case "-W":
			st.Wait = true
		case "-S":
			st.Stop = true
		}
	})
	return st, err
}

// resolveOptionArgs is how many arguments each option of `cmd package
// resolve-activity` takes: the intent's, and its own.
var resolveOptionArgs = map[string]int{
	"-a": 1, "-d": 1, "-t": 1, "-c": 1, "-n": 1, "-p": 1, "-f": 1,
	"--grant-read-uri-permission": 0, "--grant-write-uri-permission": 0, "--receiver-foreground": 0,
	"--include-stopped-packages": 0, "--exclude-stopped-packages": 0,
	"--activity-clear-top": 0, "--activity-new-task": 0, "--activity-single-top": 0,
	"--esn": 1, "--es": 2, "--ez": 2, "--ei": 2, "--el": 2, "--ef": 2, "--eu": 2, "--ecn": 2,
	"--eia": 2, "--ela": 2, "--efa": 2, "--esa": 2,
	"--brief": 0, "--components": 0, "--user": 1, "--query-flags": 1,
}

// ResolveActivity is a parsed `cmd package resolve-activity` (also `pm
// resolve-activity`) command line.
type ResolveActivity struct {
	Intent
	Brief      bool // --brief: the match line and the component only
	Components bool // --components: the component only
}

// ParseResolveActivity reads the arguments after `cmd package
// resolve-activity` as PackageManagerShellCommand does: the intent as am
// reads it (Intent.parseCommandArgs), plus --brief, --components, --user
// and --query-flags.
func ParseResolveActivity(args []string) (ResolveActivity, error) {
	var ra ResolveActivity
	err := parseIntentArgs(args, &ra.Intent, resolveOptionArgs, func(opt, _ string) {
		switch opt {
		case "--brief":
			ra.Brief = true
		case "--components":
			ra.Components = true
		}
	})
	return ra, err
}

// parseIntentArgs reads an intent's command line as
// Intent.parseCommandArgs does: the options known (with how many
// arguments each takes) up to the first other argument, the positional
// URI, component or package. other hears the options that are not the
// intent's own.
func parseIntentArgs(args []string, in *Intent, known map[string]int, other func(opt, val string)) error {
	for i := 0; i < len(args); i++ {
		a := args[i]
		n, ok := known[a]
		if !ok {
			if strings.HasPrefix(a, "-") {
				return fmt.Errorf("unknown option: %s", a)
			}
			in.addPositional(a)
			break
		}
		if i+n >= len(args) {
			return fmt.Errorf("no argument for option %s", a)
		}
		val := ""
		if n > 0 {
			val = args[i+1]
		}
		switch a {
		case "-a":
			in.Action = val
		case "-d":
			in.Data = val
		case "-t":
			in.MimeType = val
		case "-c":
			in.Categories = append(in.Categories, val)
		case "-n":
			in.Component = val
		case "-p":
			in.Package = val
		case "-f":
			in.Flags = val
		case "--esn", "--es", "--ez", "--ei", "--el", "--ef", "--eu", "--ecn", "--eia", "--ela", "--efa", "--esa":
			in.Extras = true
		default:
			other(a, val)
		}
		i += n
	}
	if in.Component != "" && !strings.Contains(in.Component, "/") {
		return fmt.Errorf("bad component name: %s", in.Component)
	}
	return nil
}

// ErrNoInputCommand: `input` was given no command.
var ErrNoInputCommand = errors.New("input: no command")

// inputSources are the optional source words before an input command.
var inputSources = map[string]bool{
	"keyboard": true, "mouse": true, "joystick": true, "touchnavigation": true, "touchpad": true,
	"trackball": true, "stylus": true, "dpad": true, "gesture": true, "touchscreen": true,
	"gamepad": true, "rotaryencoder": true,
}

// SplitInput splits the arguments after `input` into its command (tap,
// swipe, text, keyevent...) and that command's arguments, skipping the
// optional source word and display id.
func SplitInput(args []string) (string, []string, error) {
	if len(args) > 0 && inputSources[args[0]] {
		args = args[1:]
	}
	if len(args) > 1 && args[0] == "-d" {
		args = args[2:]
	}
	if len(args) == 0 {
		return "", nil, ErrNoInputCommand
	}
	return args[0], args[1:], nil
}

// InputText is what `input text ARG` types: Android scans ARG left to
// right and turns every "%s" into a space (so "%%s" types "% ").
func InputText(arg string) string { return strings.ReplaceAll(arg, "%s", " ") }

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

// KeyCode reads a key as `input keyevent` does: a number or a KEYCODE_
// name (the prefix may be left out, case does not matter).
func KeyCode(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return n, true
	}
	code, ok := keyCodes[strings.TrimPrefix(strings.ToUpper(s), "KEYCODE_")]
	return code, ok
}

// KeyChar is the character a key event types (no shift held): digits,
// lowercase letters, space and the punctuation keys. ok is false for keys
// that type nothing.
func KeyChar(code int) (r rune, ok bool) {
	switch {
	case code >= 7 && code <= 16: // KEYCODE_0..9
		return rune('0' + code - 7), true
	case code >= 29 && code <= 54: // KEYCODE_A..Z
		return rune('a' + code - 29), true
	}
	switch code {
	case 17:
		return '*', true
	case 18:
		return '#', true
	case 55:
		return ',', true
	case 56:
		return '.', true
	case 62:
		return ' ', true
	case 68:
		return '`', true
	case 69:
		return '-', true
	case 70:
		return '=', true
	case 71:
		return '[', true
	case 72:
		return ']', true
	case 73:
		return '\\', true
	case 74:
		return ';', true
	case 75:
		return '\'', true
	case 76:
		return '/', true
	case 77:
		return '@', true
	case 81:
		return '+', true
	}
	return 0, false
}

// KeyName names a key code for people: its KEYCODE_ name without the
// prefix, or the number.
func KeyName(code int) string {
	best := ""
	for name, c := range keyCodes {
		// Several names never share a code here, but keep the choice
		// stable anyway.
		if c == code && (best == "" || name < best) {
			best = name
		}
	}
	if best == "" {
		return strconv.Itoa(code)
	}
	return best
}
