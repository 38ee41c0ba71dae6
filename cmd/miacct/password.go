package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/miacct/miacct/flows"
)

// passwordEnv is the environment variable that may hold the password.
const passwordEnv = "MIACCT_PASSWORD"

// stdinLines reads stdin line by line, so the password and a later
// verification code can come from one pipe.
type stdinLines struct {
	r *bufio.Reader
}

func newStdinLines(in io.Reader) *stdinLines { return &stdinLines{r: bufio.NewReader(in)} }

// next returns the next line without its line ending ("\n" or "\r\n").
// Other white space is kept: a password may end with a space.
func (s *stdinLines) next() (string, error) {
	line, err := s.r.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		if errors.Is(err, io.EOF) {
			return "", io.EOF
		}
		return "", err
	}
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	return line, nil
}

// passwordFrom reads the password from the first source that has it:
// --password-stdin, $MIACCT_PASSWORD, or a prompt without echo. There is
// deliberately no flag that takes the password as a value: argv is
// visible to every user of the machine.
func (a *App) passwordFrom(fromStdin bool, lines *stdinLines, prompt bool) (flows.Secret, error) {
	var pw string
	switch {
	case fromStdin:
		line, err := lines.next()
		if err != nil {
			return flows.Secret{}, usagef("--password-stdin: stdin is empty or closed; pipe the password in, e.g. printf '%%s\\n' \"$PW\" | miacct ...")
		}
		if line == "" {
			return flows.Secret{}, usagef("--password-stdin: the first line of stdin is empty, so the password would be empty; pipe the password in, e.g. printf '%%s\\n' \"$PW\" | miacct ...")
		}
		pw = line
	case a.IO.Getenv(passwordEnv) != "":
		pw = a.IO.Getenv(passwordEnv)
	case prompt && a.IO.ReadSecret != nil && a.IO.CanPrompt():
		a.IO.Errorf("Xiaomi Account password: ")
		line, err := a.IO.ReadSecret()
		a.IO.Errorf("\n")
		if err != nil {
			return flows.Secret{}, fmt.Errorf("read password: %w", err)
		}
		pw = line
	case !prompt:
		return flows.Secret{}, nil // asked again after the confirmation
	default:
		return flows.Secret{}, usagef("no password: pipe it with --password-stdin, set %s, or run on a terminal to be asked", passwordEnv)
	}
	if err := flows.CheckPassword(pw); err != nil {
		return flows.Secret{}, &UsageError{Err: err}
	}
	a.noteSecret(pw) // --record keeps it out of the recording
	return flows.NewSecret(pw), nil
}

// confirm asks a yes/no question on the terminal; without one it demands
// --yes, so a script never changes a phone by accident.
func (a *App) confirm(question string, yes bool, lines *stdinLines) error {
	if yes {
		return nil
	}
	if !a.IO.CanPrompt() {
		return usagef("not on a terminal, so miacct cannot ask before changing the phone: pass --yes to go ahead")
	}
	a.IO.Errorf("%s [y/N] ", question)
	answer, err := lines.next()
	if err != nil {
		return usagef("no answer: nothing was changed")
	}
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return nil
	}
	return usagef("not confirmed: nothing was changed")
}
