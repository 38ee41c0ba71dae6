package record

import (
	"strings"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"

	"github.com/miacct/miacct/adb/androidcmd"
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
	kindDump                     // one `uiautomator dump`, after `cat /proc/uptime` or alone (adb.DumpCommand)
	kindScreencap                // one `screencap`
	kindUptime                   // only `cat /proc/uptime`: the replaying phone's clock answers it
)

// uptimeFile is where the phone's uptime is read (adb.DumpCommand).
const uptimeFile = "/proc/uptime"

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
	readsUptime := func(c []string) bool { return len(c) == 2 && c[0] == "cat" && c[1] == uptimeFile }
	isDump := func(c []string) bool { return c[0] == "uiautomator" && len(c) > 1 && c[1] == "dump" }
	switch {
	case allInput:
		p.kind = kindInput
	case len(calls) == 1 && readsUptime(calls[0]):
		p.kind = kindUptime
	case len(calls) == 2 && readsUptime(calls[0]) && isDump(calls[1]):
		p.kind = kindDump
	case len(calls) > 1:
	case calls[0][0] == "am" && len(calls[0]) > 1 && (calls[0][1] == "start" || calls[0][1] == "start-activity"):
		p.kind = kindStart
	case isDump(calls[0]):
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

// displayKey reports keys that only switch the display on or off.
func displayKey(code int) bool { return code == 26 || code == 223 || code == 224 }

// charKey reports keys that type a character: recorded as typing (they
// could be a password's characters), never as transitions.
func charKey(code int) bool {
	_, ok := androidcmd.KeyChar(code)
	return ok
}

// intentOf reads the target of `am start ARGS` (args from "am") as am
// does; an empty activity when am would refuse the command line.
func intentOf(args []string) fixture.Activity {
	if len(args) < 2 {
		return fixture.Activity{}
	}
	st, err := androidcmd.ParseAmStart(args[2:])
	if err != nil {
		return fixture.Activity{}
	}
	return fixture.Activity{Action: st.Action, Component: st.Component, Data: st.Data, Package: st.Package}
}

// parseKey reads a key as `input keyevent` does; -1 when unknown.
func parseKey(s string) int {
	if code, ok := androidcmd.KeyCode(s); ok {
		return code
	}
	return -1
}
