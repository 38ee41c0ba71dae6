package main

import (
	"encoding"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// exitCodeDoc is one documented exit code.
type exitCodeDoc struct {
	Code    int
	Meaning string
}

// exitCodeTable is the one list of miacct's exit codes and what they
// mean. Every command's --help is made from it, and a test holds the
// README's table to it.
func exitCodeTable() []exitCodeDoc {
	return []exitCodeDoc{
		{ExitOK, "done; also nothing to do (no Xiaomi account signed in)"},
		{ExitError, "an unexpected error (a bug: please report it, with --report)"},
		{ExitUsage, "usage: bad flag or argument, unknown step or fixture, a password that cannot be typed, no terminal and no --yes, not confirmed"},
		{ExitNoDevice, "no device: ADB server unreachable, no device, several without -s, unknown serial, unauthorized"},
		{ExitNotReady, "device not ready: locked, input injection off, not a Xiaomi phone"},
		{ExitWrongPass, "the phone or the site said the password is wrong, or the site said the code is wrong or expired"},
		{ExitScreen, "the phone showed a screen the step did not expect, or the site needs a person (captcha)"},
		{ExitTimeout, "timeout (--timeout), the phone dropped off ADB, or it sent output that cannot be read; the message names the --from step"},
		{ExitIO, "a file miacct writes (--report, --record, a failure report) could not be written, e.g. a full disk"},
		{ExitNotVerified, "report verify: the certificate folder does not verify (a file missing, changed or added, or a bad signature)"},
		{ExitInterrupted, "interrupted (Ctrl-C, SIGTERM, SIGHUP): the phone was put back"},
	}
}

// commandDoc is what a command's help says about its exit codes and its
// --json output.
type commandDoc struct {
	// exits are the codes the command can end with, in the table's order.
	exits []int
	// notes say what a code means for this command, where the table's
	// meaning is not precise enough.
	notes map[int]string
	// exitsNote follows the list (e.g. how --all picks one code).
	exitsNote string
	// json is the shape --json prints; "" for a command whose output
	// --json does not change.
	json string
}

// fleetExitNote is how a run on many phones picks its exit code.
const fleetExitNote = "With --all: 0 when every phone succeeded or had nothing to do, else the worst\nphone's code (130, 1, 8, 7, 6, 5, 4, 3, 2 from worst to least)."

// commandDocs documents every command that runs, by its path below
// miacct ("fake serve"). A test fails when a command has no entry.
func commandDocs() map[string]commandDoc {
	all := []int{ExitOK, ExitError, ExitUsage, ExitNoDevice, ExitNotReady, ExitWrongPass, ExitScreen, ExitTimeout, ExitIO, ExitInterrupted}
	device := []int{ExitOK, ExitError, ExitUsage, ExitNoDevice, ExitTimeout, ExitInterrupted}
	local := []int{ExitOK, ExitError, ExitUsage}
	run := jsonShape(reflect.TypeFor[runResult]())
	fleet := jsonShape(reflect.TypeFor[fleetOutput](), briefType{reflect.TypeFor[runResult](), "and the keys above"})
	docs := map[string]commandDoc{
		"devices": {exits: device, json: "[" + jsonShape(reflect.TypeFor[deviceRow]()) + ", ...]"},
		"doctor": {
			exits: []int{ExitOK, ExitError, ExitUsage, ExitNoDevice, ExitNotReady, ExitTimeout, ExitInterrupted},
			notes: map[int]string{
				ExitOK:       "no check failed (warnings allowed)",
				ExitNoDevice: "the ADB server or the device check failed",
				ExitNotReady: "a check of the phone failed: not a Xiaomi phone, locked, input refused, no Xiaomi account",
				ExitTimeout:  "the phone stopped answering",
			},
			exitsNote: "With --all: the worst phone's code.",
			json: jsonShape(reflect.TypeFor[doctorResult]()) +
				"\nWith --all: {\"schema\", \"ok\", \"exit_code\", \"devices\": [the same per phone, with \"name\", \"server\"]}",
		},
		"remove":         {exits: all, exitsNote: fleetExitNote, json: run + "\nWith --all: " + fleet},
		"delete-account": {exits: all, exitsNote: fleetExitNote, json: run + "\nWith --manual: " + jsonShape(reflect.TypeFor[manualResult]()) + "\nWith --all: " + fleet},
		"step":           {exits: all, json: run},
		"steps":          {exits: []int{ExitOK, ExitError}, json: "[" + jsonShape(reflect.TypeFor[stepJSON]()) + ", ...]"},
		"fake list":      {exits: []int{ExitOK, ExitError}, json: "[" + jsonShape(reflect.TypeFor[fixtureJSON]()) + ", ...]"},
		"fake serve": {
			exits: local,
			notes: map[int]string{ExitOK: "stopped with Ctrl-C", ExitUsage: "unknown or malformed fixture, bad --listen or --copies"},
		},
		"fake check": {
			exits: local,
			notes: map[int]string{ExitUsage: "unknown fixture, or a problem in its files (said with file and line)"},
			json:  jsonShape(reflect.TypeFor[fixtureCheck]()),
		},
		"connect": {
			exits: []int{ExitOK, ExitError, ExitUsage, ExitNoDevice, ExitTimeout, ExitInterrupted},
			notes: map[int]string{
				ExitOK:       "connected, or already connected",
				ExitNoDevice: "the ADB server is unreachable, or it could not connect to the address (or authenticate)",
			},
			json: jsonShape(reflect.TypeFor[wirelessResult]()),
		},
		"disconnect": {
			exits: []int{ExitOK, ExitError, ExitUsage, ExitNoDevice, ExitTimeout, ExitInterrupted},
			notes: map[int]string{ExitNoDevice: "the ADB server is unreachable, or it has no device at that address"},
			json:  jsonShape(reflect.TypeFor[wirelessResult]()),
		},
		"version": {exits: []int{ExitOK}, json: jsonShape(reflect.TypeFor[versionInfo]())},
	}
	maps.Copy(docs, shopCommandDocs())
	return docs
}

// documentedCommand reports whether cmd needs a commandDoc: it runs, and
// it is miacct's own (not help, completion or cobra's hidden ones).
func documentedCommand(cmd *cobra.Command) bool {
	if !cmd.Runnable() || cmd.Hidden || !cmd.HasParent() {
		return false
	}
	for c := cmd; c.HasParent(); c = c.Parent() {
		switch c.Name() {
		case "help", "completion":
			return false
		}
	}
	return true
}

// commandKey is cmd's path below the root: "fake serve".
func commandKey(cmd *cobra.Command) string {
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
}

// addHelpSections ends the Long help of every documented command with
// its exit codes and its --json shape.
func addHelpSections(root *cobra.Command) {
	docs := commandDocs()
	walkCommands(root, func(cmd *cobra.Command) {
		doc, ok := docs[commandKey(cmd)]
		if !ok || !documentedCommand(cmd) {
			return
		}
		long := cmd.Long
		if long == "" {
			long = cmd.Short + "."
		}
		cmd.Long = strings.TrimRight(long, "\n") + "\n\n" + doc.helpSections()
	})
}

// helpSections is the "Exit codes:" and "JSON:" text of one command.
func (d commandDoc) helpSections() string {
	var b strings.Builder
	b.WriteString("Exit codes:\n")
	for _, e := range exitCodeTable() {
		if !slices.Contains(d.exits, e.Code) {
			continue
		}
		meaning := e.Meaning
		if n, ok := d.notes[e.Code]; ok {
			meaning = n
		}
		fmt.Fprintf(&b, "%s\n", wrapIndented(fmt.Sprintf("%5d  ", e.Code), meaning, 7, helpWidth))
	}
	if d.exitsNote != "" {
		b.WriteString(d.exitsNote + "\n")
	}
	b.WriteString("\nJSON:")
	if d.json == "" {
		b.WriteString(" --json does not change what this command prints.\n")
		return b.String()
	}
	b.WriteString(" --json prints on stdout\n")
	for _, para := range strings.Split(d.json, "\n") {
		fmt.Fprintf(&b, "%s\n", wrapIndented("  ", para, 4, helpWidth))
	}
	b.WriteString("Keys that do not apply are left out. A command that fails before it\ncan print its result prints {\"schema\", \"ok\": false, \"exit_code\", \"error\"}.")
	return b.String()
}

// helpWidth is the width help text is wrapped to.
const helpWidth = 78

// wrapIndented writes text after first, breaking lines at spaces before
// width and indenting the following lines by indent spaces.
func wrapIndented(first, text string, indent, width int) string {
	var b strings.Builder
	line := first
	for _, word := range strings.Fields(text) {
		if len(line) > indent && len(line)+1+len(word) > width && strings.TrimSpace(line) != "" {
			b.WriteString(strings.TrimRight(line, " ") + "\n")
			line = strings.Repeat(" ", indent)
		} else if len(strings.TrimSpace(line)) > 0 && !strings.HasSuffix(line, " ") {
			line += " "
		}
		line += word
	}
	b.WriteString(strings.TrimRight(line, " "))
	return b.String()
}

// jsonShape writes the keys encoding/json gives a value of type t, as
// the README does: {"ok", "steps": [{"name", ...}], ...}. It is made
// from the types the commands print, so it cannot fall behind them.
// Values of a type in brief are written as its text instead of spelled
// out ("the keys above").
func jsonShape(t reflect.Type, brief ...briefType) string {
	return shaper{brief: brief}.shape(t, 0)
}

// briefType is a type jsonShape writes as a few words.
type briefType struct {
	t    reflect.Type
	text string
}

type shaper struct{ brief []briefType }

// maxShapeDepth bounds how deep objects are spelled out.
const maxShapeDepth = 3

func (s shaper) briefFor(t reflect.Type) (string, bool) {
	for _, b := range s.brief {
		if b.t == t {
			return b.text, true
		}
	}
	return "", false
}

func (s shaper) shape(t reflect.Type, depth int) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if text, ok := s.briefFor(t); ok {
		return "{" + text + "}"
	}
	// A type that writes itself is a value, not an object to spell out.
	for _, m := range []reflect.Type{reflect.TypeFor[json.Marshaler](), reflect.TypeFor[encoding.TextMarshaler]()} {
		if t.Implements(m) || reflect.PointerTo(t).Implements(m) {
			return ""
		}
	}
	switch t.Kind() {
	case reflect.Struct:
		if depth >= maxShapeDepth {
			return "{...}"
		}
		return "{" + strings.Join(s.structKeys(t, depth), ", ") + "}"
	case reflect.Slice, reflect.Array:
		if inner := s.shape(t.Elem(), depth); inner != "" {
			return "[" + inner + "]"
		}
	}
	return ""
}

// structKeys lists a struct's JSON keys, with the shape of the values
// that are objects or lists of objects; embedded structs are flattened,
// as encoding/json does.
func (s shaper) structKeys(t reflect.Type, depth int) []string {
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			if text, ok := s.briefFor(ft); ok {
				keys = append(keys, text)
				continue
			}
			keys = append(keys, s.structKeys(ft, depth)...)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		key := fmt.Sprintf("%q", name)
		if inner := s.shape(f.Type, depth+1); inner != "" {
			key += ": " + inner
		}
		keys = append(keys, key)
	}
	return keys
}

// walkCommands calls fn for cmd and every command below it.
func walkCommands(cmd *cobra.Command, fn func(*cobra.Command)) {
	fn(cmd)
	for _, c := range cmd.Commands() {
		walkCommands(c, fn)
	}
}
