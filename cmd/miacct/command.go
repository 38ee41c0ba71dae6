package main

import (
	"strings"

	"github.com/miacct/miacct/flows"
)

// command is the miacct command a run of the steps belongs to.
type command int

const (
	cmdRemove        command = iota + 1 // miacct remove
	cmdDeleteAccount                    // miacct delete-account
	cmdStep                             // miacct step NAME
)

// String is the command as typed.
func (c command) String() string {
	switch c {
	case cmdRemove:
		return "remove"
	case cmdDeleteAccount:
		return "delete-account"
	case cmdStep:
		return "step"
	}
	return "unknown"
}

// runSpec says what to run: the command typed, and the job it runs.
type runSpec struct {
	command command
	job     flows.Job
}

// flow is the flow whose steps the spec runs.
func (spec runSpec) flow() flows.Flow { return spec.job.RunsFlow() }

// alone reports whether one step runs on its own (miacct step NAME).
func (spec runSpec) alone() bool { return spec.command == cmdStep }

// deletes reports whether the run may delete the account on the site.
func (spec runSpec) deletes() bool {
	return !spec.alone() && (spec.job.Flow == flows.FlowDeleteAccount || spec.job.DeleteAccount)
}

// resumeLine is a command line that runs a job again from a step: the
// single phone's hint and each line of a fleet's retry list.
type resumeLine struct {
	// target are the global flags that pick the phone, as given
	// (--fake F, --adb A, -s S), or a fleet phone's --adb and -s.
	target []string
	spec   runSpec
	from   string // the step to start from; "" runs the job again
	opts   *FlowOptions
}

// String is the command line, each word quoted for a POSIX shell when it
// needs it.
func (r resumeLine) String() string {
	words := append([]string{"miacct"}, r.target...)
	switch {
	case r.spec.alone():
		step := r.from
		if step == "" {
			step = r.spec.job.Step
		}
		words = append(words, "step", step)
	default:
		words = append(words, r.spec.command.String())
		if r.spec.job.DeleteAccount {
			words = append(words, "--delete-account")
		}
		if r.from != "" {
			words = append(words, "--from", r.from)
		}
	}
	if o := r.opts; o != nil && !r.spec.alone() {
		if o.KeepData && r.spec.flow() == flows.FlowRemove {
			words = append(words, "--keep-data")
		}
		if o.NoReboot {
			words = append(words, "--no-reboot")
		}
		if o.Account != "" {
			words = append(words, "--account", o.Account)
		}
	}
	for i, w := range words {
		words[i] = shellWord(w)
	}
	return strings.Join(words, " ")
}

// shellWord quotes w for a POSIX shell when it holds anything but
// letters, digits and the few marks paths and addresses use.
func shellWord(w string) string {
	if w == "" {
		return "''"
	}
	for _, r := range w {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("-_./:=@%+,", r):
		default:
			return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
	}
	return w
}

// targetFlags are the global flags that picked the phone of a single
// run, as the user gave them, for a resume line.
func (g GlobalOptions) targetFlags() []string {
	var out []string
	if g.Fake != "" {
		out = append(out, "--fake", g.Fake)
	}
	for _, a := range g.ADB {
		out = append(out, "--adb", a)
	}
	if g.Serial != "" {
		out = append(out, "-s", g.Serial)
	}
	return out
}
