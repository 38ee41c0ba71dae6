package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"

	"github.com/rogpeppe/go-internal/testscript"
)

// Script commands for the --record tests.

// samerun A B: A and B are `remove --json` outputs of a run and of its
// replay; fail unless they took the same steps in the same order with the
// same outcome and the same dumps, ADB calls and inputs (but the inputs of
// enter-password: another password may take another number of `input
// text` invocations). Masked account ids (12******90) are compared as
// placeholders, since a recording replaces the account id.
func cmdSameRun(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: samerun RUN.json REPLAY.json")
	}
	a, b := runView(ts, args[0]), runView(ts, args[1])
	if len(a.Steps) == 0 {
		ts.Fatalf("%s has no steps", args[0])
	}
	if !reflect.DeepEqual(a, b) {
		ja, _ := json.MarshalIndent(a, "", "  ")
		jb, _ := json.MarshalIndent(b, "", "  ")
		ts.Fatalf("the replay differs from the run:\n%s\n%s", ja, jb)
	}
}

// runOutcome is what must match between a run and its replay.
type runOutcome struct {
	OK         bool   `json:"ok"`
	ExitCode   int    `json:"exit_code"`
	Command    string `json:"command"`
	ResumeFrom string `json:"resume_from"`
	Error      string `json:"error"`
	Steps      []struct {
		Name     string `json:"name"`
		Status   string `json:"status"`
		Screen   string `json:"screen"`
		ADBCalls int    `json:"adb_calls"`
		Dumps    int    `json:"dumps"`
		Inputs   int    `json:"inputs"`
	} `json:"steps"`
}

var maskedID = regexp.MustCompile(`[0-9]{2}\*+[0-9]{2}`)

func runView(ts *testscript.TestScript, file string) runOutcome {
	var out runOutcome
	if err := json.Unmarshal([]byte(ts.ReadFile(file)), &out); err != nil {
		ts.Fatalf("%s: %v", file, err)
	}
	out.Error = maskedID.ReplaceAllString(out.Error, "ID")
	for i := range out.Steps {
		if out.Steps[i].Name == "enter-password" {
			out.Steps[i].Inputs = 0
		}
	}
	return out
}

// noprivate DIR...: fail if any file below the directories holds the
// demo password (in any form it could leak in), the account id of the
// built-in phones, its masked form, their serial or e-mail address.
func cmdNoPrivate(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: noprivate DIR...")
	}
	forbidden := append(secretForms(demoPassword), "1234567890", "12******90", "6d8f2a41", "someone@example.com")
	for _, a := range args {
		files := 0
		err := filepath.Walk(ts.MkAbs(a), func(path string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files++
			for _, f := range forbidden {
				if bytes.Contains(data, []byte(f)) {
					ts.Fatalf("%s contains %q", path, f)
				}
			}
			return nil
		})
		if err != nil {
			ts.Fatalf("noprivate %s: %v", a, err)
		}
		if files == 0 {
			ts.Fatalf("noprivate %s: no files", a)
		}
	}
}
