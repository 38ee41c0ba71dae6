package adb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"mvdan.cc/sh/v3/syntax"
)

// shellQuote quotes one argument for the device's POSIX shell.
func shellQuote(s string) (string, error) {
	q, err := syntax.Quote(s, syntax.LangPOSIX)
	if err != nil {
		return "", fmt.Errorf("%w: argument cannot be quoted for the shell", ErrFailed)
	}
	return q, nil
}

// Props returns every system property in one getprop round trip.
func Props(ctx context.Context, d Device) (map[string]string, error) {
	res, err := d.Shell(ctx, "getprop")
	if err != nil {
		return nil, fmt.Errorf("read properties: %w", err)
	}
	if res.ExitCode != 0 {
		return nil, fmt.Errorf("read properties: %w: getprop exited with status %d", ErrFailed, res.ExitCode)
	}
	return ParseProps(res.String()), nil
}

// ParseProps reads getprop's `[name]: [value]` lines. Values may be empty
// or span lines; PTY devices end lines with \r\n.
func ParseProps(out string) map[string]string {
	props := make(map[string]string)
	lines := strings.Split(strings.ReplaceAll(out, "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSuffix(lines[i], "\r")
		rest, ok := strings.CutPrefix(line, "[")
		if !ok {
			continue
		}
		name, value, ok := strings.Cut(rest, "]: [")
		if !ok {
			continue
		}
		// A value holding newlines continues until a line ending in "]".
		for !strings.HasSuffix(value, "]") && i+1 < len(lines) {
			i++
			value += "\n" + strings.TrimSuffix(lines[i], "\r")
		}
		props[name] = strings.TrimSuffix(value, "]")
	}
	return props
}

// Prop returns one system property ("" when it is not set).
func Prop(ctx context.Context, d Device, name string) (string, error) {
	q, err := shellQuote(name)
	if err != nil {
		return "", fmt.Errorf("read property: %w", err)
	}
	res, err := d.Shell(ctx, "getprop "+q)
	if err != nil {
		return "", fmt.Errorf("read property %s: %w", name, err)
	}
	if res.ExitCode != 0 {
		return "", fmt.Errorf("read property %s: %w: getprop exited with status %d", name, ErrFailed, res.ExitCode)
	}
	return strings.TrimRight(res.String(), "\r\n"), nil
}

// DumpCommand is the exec: command DumpUI runs: the phone's uptime, then
// the view hierarchy, in one round trip. A caller that batches it with
// other commands, or reads it in a recording, parses its output with
// ParseDump.
const DumpCommand = "cat /proc/uptime; uiautomator dump /dev/tty"

// uptimeRead reads the phone's uptime; DumpCommand starts with it.
const uptimeRead = "cat /proc/uptime;"

// Dump is one read of the screen.
type Dump struct {
	// XML is the view hierarchy as uiautomator printed it, without the
	// status line it prints after it.
	XML []byte
	// Uptime is how long the phone had been up when it was read (the
	// first field of /proc/uptime): phone time, which a reboot restarts
	// from zero. Zero when the phone did not say.
	Uptime time.Duration
}

// DumpUI reads the screen: the XML of its view hierarchy, as printed by
// `uiautomator dump /dev/tty` over exec: (binary-safe, no PTY), and the
// phone's uptime at that moment, in one round trip (DumpCommand). The
// output is capped at MaxDumpOutput while it streams in.
func DumpUI(ctx context.Context, d Device) (Dump, error) {
	out, err := d.Exec(withOutputLimit(ctx, MaxDumpOutput), DumpCommand)
	if err != nil {
		return Dump{}, fmt.Errorf("dump screen: %w", err)
	}
	dump, err := ParseDump(out)
	if err != nil {
		return Dump{}, fmt.Errorf("dump screen: %w", err)
	}
	return dump, nil
}

// ParseDump reads the output of DumpCommand, or of `uiautomator dump
// /dev/tty` alone (which gives no uptime). A missing or garbled uptime
// is zero, not an error; a missing or cut hierarchy is ErrEmptyDump,
// uiautomator's complaint that the screen never settled ErrIdleState.
func ParseDump(out []byte) (Dump, error) {
	uptime, rest := parseUptime(out)
	xml, err := extractDump(rest)
	if err != nil {
		return Dump{}, err
	}
	return Dump{XML: xml, Uptime: uptime}, nil
}

// parseUptime reads /proc/uptime's line ("12345.67 98765.43") at the
// start of out and returns the uptime and what follows the line; zero and
// out itself when out does not start with one.
func parseUptime(out []byte) (time.Duration, []byte) {
	line, rest, ok := bytes.Cut(out, []byte("\n"))
	if !ok {
		return 0, out
	}
	fields := strings.Fields(string(line))
	if len(fields) != 2 {
		return 0, out
	}
	var v [2]float64
	for i, f := range fields {
		n, err := strconv.ParseFloat(f, 64)
		if err != nil || n < 0 || n > 1e9 || strings.ContainsAny(f, "eExXpP+-") {
			return 0, out
		}
		v[i] = n
	}
	return time.Duration(math.Round(v[0]*100)) * 10 * time.Millisecond, rest
}

// extractDump cuts the hierarchy XML out of uiautomator's output, which
// ends with "UI hierchary dumped to: /dev/tty" (sic; newer builds spell it
// right) right after the closing tag.
func extractDump(out []byte) ([]byte, error) {
	if bytes.Contains(out, []byte("could not get idle state")) {
		return nil, ErrIdleState
	}
	if bytes.Contains(out, []byte("null root node")) {
		return nil, fmt.Errorf("%w: null root node", ErrEmptyDump)
	}
	start := bytes.Index(out, []byte("<hierarchy"))
	if start < 0 {
		return nil, fmt.Errorf("%w: no <hierarchy> element (%s)", ErrEmptyDump, describeOutput(out))
	}
	if decl := bytes.LastIndex(out[:start], []byte("<?xml")); decl >= 0 {
		start = decl
	}
	const closing = "</hierarchy>"
	end := bytes.LastIndex(out, []byte(closing))
	if end < start {
		return nil, fmt.Errorf("%w: no closing </hierarchy> after %d bytes", ErrEmptyDump, len(out))
	}
	return out[start : end+len(closing)], nil
}

// describeOutput summarises unexpected output for an error message: its
// first line when it is short plain text (an error message of the tool),
// else only its size.
func describeOutput(out []byte) string {
	if len(bytes.TrimSpace(out)) == 0 {
		return "no output"
	}
	line, _, _ := bytes.Cut(bytes.TrimSpace(out), []byte("\n"))
	line = bytes.TrimSpace(line)
	if len(line) <= 120 && !bytes.ContainsAny(line, "<>") && isPrintableASCII(line) {
		return fmt.Sprintf("output: %q", line)
	}
	return fmt.Sprintf("%d bytes of output", len(out))
}

func isPrintableASCII(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// Screenshot returns the screen as PNG bytes (`screencap -p` over exec:).
func Screenshot(ctx context.Context, d Device) ([]byte, error) {
	out, err := d.Exec(withOutputLimit(ctx, MaxScreenshot), "screencap -p")
	if err != nil {
		return nil, fmt.Errorf("screenshot: %w", err)
	}
	if err := CheckPNG(out); err != nil {
		return nil, fmt.Errorf("screenshot: %w", err)
	}
	return out, nil
}

// Intent is what `am start` should start. Empty fields are left out.
type Intent struct {
	Action    string // -a, e.g. android.settings.XIAOMI_ACCOUNT_SYNC_SETTINGS
	Component string // -n, e.g. com.android.settings/.MiuiSettings
	Data      string // -d, a URI
	Package   string // restricts resolution to this package
	Extras    map[string]string
}

// amStartCommand builds the `am start` command line, every argument
// quoted. The package goes last as am's positional <PACKAGE> argument,
// which every Android version accepts; with an action given, am drops the
// launcher category it would otherwise add.
func amStartCommand(in Intent) (string, error) {
	if in.Action == "" && in.Component == "" && in.Data == "" && in.Package == "" {
		return "", fmt.Errorf("%w: empty intent", ErrFailed)
	}
	args := []string{"am", "start"}
	add := func(flag, value string) {
		if value != "" {
			args = append(args, flag, value)
		}
	}
	add("-a", in.Action)
	add("-d", in.Data)
	add("-n", in.Component)
	for _, k := range slices.Sorted(maps.Keys(in.Extras)) {
		args = append(args, "--es", k, in.Extras[k])
	}
	if in.Package != "" {
		args = append(args, in.Package)
	}
	quoted := make([]string, len(args))
	for i, a := range args {
		q, err := shellQuote(a)
		if err != nil {
			return "", err
		}
		quoted[i] = q
	}
	return strings.Join(quoted, " "), nil
}

// StartActivity starts an activity with one `am start` call.
func StartActivity(ctx context.Context, d Device, in Intent) error {
	what := intentName(in)
	cmd, err := amStartCommand(in)
	if err != nil {
		return fmt.Errorf("start %s: %w", what, err)
	}
	res, err := d.Shell(ctx, cmd)
	if err != nil {
		return fmt.Errorf("start %s: %w", what, err)
	}
	out := res.String()
	for _, sign := range []string{"Error:", "unable to resolve Intent", "does not exist"} {
		if strings.Contains(out, sign) {
			return fmt.Errorf("start %s: %w: %s", what, ErrActivityNotFound, firstLineWith(out, sign))
		}
	}
	if strings.Contains(out, "Exception") || res.ExitCode != 0 {
		return fmt.Errorf("start %s: %w: am exited with status %d: %s", what, ErrFailed, res.ExitCode, firstLineWith(out, ""))
	}
	return nil
}

// resolveActivityArgs are the arguments of `cmd package resolve-activity
// --brief` for in; the package goes as -p.
func resolveActivityArgs(in Intent) ([]string, error) {
	if in.Action == "" && in.Component == "" && in.Data == "" && in.Package == "" {
		return nil, fmt.Errorf("%w: empty intent", ErrFailed)
	}
	args := []string{"cmd", "package", "resolve-activity", "--brief"}
	add := func(flag, value string) {
		if value != "" {
			args = append(args, flag, value)
		}
	}
	add("-a", in.Action)
	add("-d", in.Data)
	add("-p", in.Package)
	add("-n", in.Component)
	return args, nil
}

// ResolveActivityCommand is the shell command that asks the phone which
// activity `am start` would start for in (`cmd package resolve-activity
// --brief`, every argument quoted; extras do not matter to it), for a
// caller that batches it into another shell call. ParseResolveActivity
// reads its output.
func ResolveActivityCommand(in Intent) (string, error) {
	args, err := resolveActivityArgs(in)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", intentName(in), err)
	}
	quoted := make([]string, len(args))
	for i, a := range args {
		q, err := shellQuote(a)
		if err != nil {
			return "", fmt.Errorf("resolve %s: %w", intentName(in), err)
		}
		quoted[i] = q
	}
	return strings.Join(quoted, " "), nil
}

// ParseResolveActivity reads the output of ResolveActivityCommand: the
// component that would start (package/.Class; Android's chooser when
// several could) and true, or "" and false when none would ("No activity
// found"). Anything else (an exception, a shell without `cmd`) is
// ErrFailed.
func ParseResolveActivity(out string) (component string, found bool, err error) {
	lines := strings.Split(strings.ReplaceAll(strings.TrimSpace(out), "\r\n", "\n"), "\n")
	switch {
	case len(lines) == 1 && lines[0] == "No activity found":
		return "", false, nil
	case len(lines) == 2 && strings.HasPrefix(lines[0], "priority="):
		comp := strings.TrimSpace(lines[1])
		pkg, cls, ok := strings.Cut(comp, "/")
		if ok && pkg != "" && cls != "" && !strings.ContainsAny(comp, " \t") {
			return comp, true, nil
		}
	}
	return "", false, fmt.Errorf("%w: resolve-activity printed %s", ErrFailed, describeOutput([]byte(out)))
}

// ResolvesActivity reports whether the phone has an activity `am start`
// would start for in, in one shell round trip and without starting it.
func ResolvesActivity(ctx context.Context, d Device, in Intent) (bool, error) {
	cmd, err := ResolveActivityCommand(in)
	if err != nil {
		return false, err
	}
	res, err := d.Shell(ctx, cmd)
	if err != nil {
		return false, fmt.Errorf("resolve %s: %w", intentName(in), err)
	}
	if res.ExitCode != 0 {
		return false, fmt.Errorf("resolve %s: %w: cmd package exited with status %d (%s)", intentName(in), ErrFailed, res.ExitCode, describeOutput(res.Output))
	}
	_, found, err := ParseResolveActivity(res.String())
	if err != nil {
		return false, fmt.Errorf("resolve %s: %w", intentName(in), err)
	}
	return found, nil
}

// intentName names an intent in error messages.
func intentName(in Intent) string {
	switch {
	case in.Component != "":
		return in.Component
	case in.Action != "":
		return in.Action
	case in.Data != "":
		return in.Data
	default:
		return in.Package
	}
}

// firstLineWith returns the first line of out containing sub (the first
// non-empty line when sub is ""), trimmed and shortened.
func firstLineWith(out, sub string) string {
	for line := range strings.Lines(out) {
		line = strings.TrimSpace(line)
		if line != "" && strings.Contains(line, sub) {
			if len(line) > 200 {
				line = line[:200] + "..."
			}
			return line
		}
	}
	return "no output"
}

// bootIDPath holds a random id the kernel draws at every boot.
const bootIDPath = "/proc/sys/kernel/random/boot_id"

// BootID returns the id of the phone's current boot.
func BootID(ctx context.Context, d Device) (string, error) {
	res, err := d.Shell(ctx, "cat "+bootIDPath)
	if err != nil {
		return "", fmt.Errorf("read boot id: %w", err)
	}
	id := strings.TrimSpace(res.String())
	if res.ExitCode != 0 || id == "" || strings.ContainsAny(id, " \n") {
		return "", fmt.Errorf("read boot id: %w: cat exited with status %d (%s)", ErrFailed, res.ExitCode, describeOutput(res.Output))
	}
	return id, nil
}

// maxBootWaits bounds how often WaitBoot waits for the device to come
// back: a reboot drops it once, a flaky cable a few more times.
const maxBootWaits = 8

// WaitBoot waits until the phone runs a boot other than previousBootID
// and has finished booting (sys.boot_completed = 1). The waiting happens
// on the phone in one long shell call, so the host never sleeps; when the
// phone drops off ADB meanwhile (it reboots), WaitBoot waits for the ADB
// server to list it again and asks again. The ctx deadline bounds it all.
func WaitBoot(ctx context.Context, d Device, previousBootID string) error {
	old, err := shellQuote(previousBootID)
	if err != nil {
		return fmt.Errorf("wait for boot: %w", err)
	}
	script := `while [ "$(getprop sys.boot_completed)" != 1 ] || [ "$(cat ` + bootIDPath + `)" = ` + old + ` ]; do sleep 1; done`
	var lastErr error
	for range maxBootWaits {
		callCtx := WithCallTimeout(ctx, remaining(ctx))
		res, err := d.Shell(callCtx, script)
		if err == nil {
			if res.ExitCode != 0 {
				return fmt.Errorf("wait for boot: %w: wait loop exited with status %d", ErrFailed, res.ExitCode)
			}
			return nil
		}
		if !errors.Is(err, ErrDeviceLost) && !errors.Is(err, ErrOffline) && !errors.Is(err, ErrDeviceNotFound) {
			return fmt.Errorf("wait for boot: %w", err)
		}
		lastErr = err
		if err := d.WaitForDevice(WithCallTimeout(ctx, remaining(ctx))); err != nil {
			return fmt.Errorf("wait for boot: %w", err)
		}
	}
	return fmt.Errorf("wait for boot: the device dropped off %d times: %w", maxBootWaits, lastErr)
}

// remaining is the time left until ctx's deadline; 0 (no per-call
// timeout) when ctx has none.
func remaining(ctx context.Context) time.Duration {
	dl, ok := ctx.Deadline()
	if !ok {
		return 0
	}
	if r := time.Until(dl); r > 0 {
		return r
	}
	return time.Nanosecond
}

// RebootAndWait reboots the phone and waits, up to timeout, until it has
// booted again.
func RebootAndWait(ctx context.Context, d Device, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	id, err := BootID(ctx, d)
	if err != nil {
		return fmt.Errorf("reboot: %w", err)
	}
	if err := d.Reboot(ctx); err != nil {
		return err
	}
	return WaitBoot(ctx, d, id)
}
