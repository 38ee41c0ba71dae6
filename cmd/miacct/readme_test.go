package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// readmeMarker precedes each README example that must run as written
// against the fake phones.
const readmeMarker = "<!-- runs as written: TestReadmeExamples -->"

// TestReadmeExamples runs every README example marked with readmeMarker,
// as written, with miacct on PATH and $PW the demo password: each command
// must exit 0 (or the code a following `$ echo $?` shows), and each line
// of output the README shows under a command (but lines with "...") must
// be a line of what it prints. A command ending with & runs in the
// background until the example ends (`miacct fake serve`).
func TestReadmeExamples(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := readmeBlocks(string(data))
	if len(blocks) < 5 {
		t.Fatalf("found %d marked examples in README.md", len(blocks))
	}
	for i, block := range blocks {
		// One at a time: examples share the address 127.0.0.1:15037.
		t.Run(fmt.Sprintf("example%d", i+1), func(t *testing.T) {
			dir := t.TempDir()
			script := readmeScript(block)
			if err := os.WriteFile(filepath.Join(dir, "example.txtar"), []byte(script), 0o600); err != nil {
				t.Fatal(err)
			}
			testscript.Run(t, testscript.Params{
				Dir:                 dir,
				RequireExplicitExec: true,
				Setup: func(env *testscript.Env) error {
					env.Setenv("PW", demoPassword)
					env.Setenv("NO_COLOR", "1")
					env.Setenv("ADB_SERVER_SOCKET", "tcp:127.0.0.1:1")
					return nil
				},
				Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){"waitaddr": cmdWaitAddr},
			})
		})
	}
}

// readmeBlocks returns the lines of each fenced block after readmeMarker.
func readmeBlocks(readme string) [][]string {
	var blocks [][]string
	lines := strings.Split(readme, "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != readmeMarker || i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "```") {
			continue
		}
		var block []string
		for i += 2; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
			block = append(block, lines[i])
		}
		blocks = append(blocks, block)
	}
	return blocks
}

var exitShown = regexp.MustCompile(`^\$ echo \$\?$`)

// readmeScript turns an example into a testscript.
func readmeScript(block []string) string {
	type command struct {
		line   string
		output []string
		code   string
	}
	var cmds []*command
	prompted := len(block) > 0 && strings.HasPrefix(block[0], "$ ")
	for i := 0; i < len(block); i++ {
		line := block[i]
		switch {
		case strings.TrimSpace(line) == "":
		case exitShown.MatchString(line) && len(cmds) > 0 && i+1 < len(block):
			cmds[len(cmds)-1].code = strings.TrimSpace(block[i+1])
			i++
		case strings.HasPrefix(line, "$ "), !prompted:
			cmds = append(cmds, &command{line: strings.TrimPrefix(line, "$ ")})
		case len(cmds) > 0:
			cmds[len(cmds)-1].output = append(cmds[len(cmds)-1].output, line)
		}
	}
	var b strings.Builder
	background := 0
	for _, c := range cmds {
		line := c.line
		if v, ok := strings.CutPrefix(line, "export "); ok {
			name, value, _ := strings.Cut(v, "=")
			fmt.Fprintf(&b, "env %s=%s\n", name, value)
			continue
		}
		if strings.HasSuffix(strings.TrimSpace(line), "&") {
			background++
			addr := fmt.Sprintf("addr%d", background)
			cmd := strings.TrimSuffix(strings.TrimSpace(line), "&")
			fmt.Fprintf(&b, "exec sh -c %s &bg%d&\n", quoteScriptArg("exec "+cmd+" --addr-file "+addr), background)
			fmt.Fprintf(&b, "waitaddr %s ADDR%d\n", addr, background)
			continue
		}
		if c.code != "" {
			line = "( " + line + " ); test $? -eq " + c.code
		}
		fmt.Fprintf(&b, "exec sh -c %s\n", quoteScriptArg(line))
		for _, out := range c.output {
			if strings.Contains(out, "...") || strings.TrimSpace(out) == "" {
				continue
			}
			fmt.Fprintf(&b, "stdout %s\n", quoteScriptArg("(?m)^"+regexp.QuoteMeta(strings.TrimRight(out, " "))+" *$"))
		}
	}
	for i := 1; i <= background; i++ {
		fmt.Fprintf(&b, "kill -INT bg%d\n", i)
	}
	if background > 0 {
		b.WriteString("wait\n")
	}
	return b.String()
}

// quoteScriptArg quotes s as one testscript argument.
func quoteScriptArg(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
