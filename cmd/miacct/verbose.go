package main

import (
	"context"
	"strings"
	"time"

	"github.com/miacct/miacct/adb"
)

// verboseDevice prints each device call on stderr with -v: the service,
// the command's first words (never a typed text, nor its length), how it
// ended and how long it took. A fake phone (--fake) logs its own calls
// instead, with what it did.
type verboseDevice struct {
	adb.Device
	app *App
}

func (d verboseDevice) log(service, cmd string, start time.Time, outcome string) {
	d.app.IO.Errorf("%s %s: %s: %s, %s\n", d.Serial(), service, commandWords(cmd), outcome, humanDuration(time.Since(start)))
}

func (d verboseDevice) Shell(ctx context.Context, cmd string) (adb.ShellResult, error) {
	start := time.Now()
	res, err := d.Device.Shell(ctx, cmd)
	outcome := "exit " + itoa(res.ExitCode)
	if err != nil {
		outcome = "failed: " + err.Error()
	}
	d.log("shell", cmd, start, outcome)
	return res, err
}

func (d verboseDevice) Exec(ctx context.Context, cmd string) ([]byte, error) {
	start := time.Now()
	out, err := d.Device.Exec(ctx, cmd)
	outcome := itoa(len(out)) + " bytes"
	if err != nil {
		outcome = "failed: " + err.Error()
	}
	d.log("exec", cmd, start, outcome)
	return out, err
}

func (d verboseDevice) Reboot(ctx context.Context) error {
	start := time.Now()
	err := d.Device.Reboot(ctx)
	outcome := "accepted"
	if err != nil {
		outcome = "failed: " + err.Error()
	}
	d.log("reboot", "reboot", start, outcome)
	return err
}

// toolsWithSubcommands are the programs whose second word says what they
// do (am start, dumpsys account, input tap); never the words after it,
// which may be typed text.
var toolsWithSubcommands = []string{"am", "pm", "cmd", "settings", "dumpsys", "input", "svc", "uiautomator", "wm", "content"}

// commandWords names a command line by the first words of each command
// in it: "getprop", "cat; uiautomator dump", "input text". Words that are
// not plain names are left out.
func commandWords(cmd string) string {
	var names []string
	for _, part := range strings.FieldsFunc(cmd, func(r rune) bool { return r == ';' || r == '&' || r == '|' || r == '\n' }) {
		f := strings.Fields(strings.Trim(part, "() \t"))
		if len(f) == 0 || !plainName(f[0]) {
			continue
		}
		name := f[0]
		for _, tool := range toolsWithSubcommands {
			if name == tool && len(f) > 1 && plainName(f[1]) {
				name += " " + f[1]
			}
		}
		names = append(names, name)
	}
	if len(names) == 0 {
		return "(a command line without a program name)"
	}
	return strings.Join(names, "; ")
}

// plainName reports whether w looks like a program or subcommand name.
func plainName(w string) bool {
	if w == "" || len(w) > 40 {
		return false
	}
	for _, r := range w {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}
