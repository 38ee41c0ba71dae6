package main

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/record"
)

// recordState is --record DIR for one command: a recorder per device the
// command talks to, and the secrets they must keep out of the files.
type recordState struct {
	dir     string
	command string // the miacct command recorded, e.g. "remove"

	mu        sync.Mutex
	recorders map[string]*record.Recorder // by the device's serial
	order     []*record.Recorder
	secrets   []string
}

// startRecording sets up --record before the command runs: the directory
// must be new or empty, so a recording never mixes with other files.
func (a *App) startRecording(cmd *cobra.Command) error {
	if a.Global.Record == "" {
		return nil
	}
	if err := checkNewDir(a.Global.Record); err != nil {
		return &UsageError{Err: fmt.Errorf("--record: %w", err)}
	}
	// The command and its arguments (a step's name; never a secret: no
	// argument takes one).
	name := strings.Join(append([]string{strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")}, cmd.Flags().Args()...), " ")
	a.record = &recordState{dir: a.Global.Record, command: name, recorders: map[string]*record.Recorder{}}
	a.onExit(a.finishRecording)
	return nil
}

// recordDevice wraps dev in a recorder when --record is given. The first
// device records into DIR, further ones (devices lists several) into
// DIR-2, DIR-3...; the same device twice shares its recorder.
func (a *App) recordDevice(dev adb.Device) (adb.Device, error) {
	rs := a.record
	if rs == nil {
		return dev, nil
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if r, ok := rs.recorders[dev.Serial()]; ok {
		return r, nil
	}
	dir := rs.dir
	if n := len(rs.order); n > 0 {
		dir = fmt.Sprintf("%s-%d", rs.dir, n+1)
	}
	r, err := record.New(dev, record.Options{
		Dir:     dir,
		Tool:    "miacct " + version,
		Command: rs.command,
		Secrets: rs.secrets,
	})
	if err != nil {
		return nil, &UsageError{Err: fmt.Errorf("--record: %w", err)}
	}
	rs.recorders[dev.Serial()] = r
	rs.order = append(rs.order, r)
	return r, nil
}

// noteSecrets notes every password of a --passwords file.
func (a *App) noteSecrets(m map[string]string) {
	for _, pw := range m {
		a.noteSecret(pw)
	}
}

// noteSecret tells the recorders about a secret the command read (the
// password), also those made later.
func (a *App) noteSecret(s string) {
	rs := a.record
	if rs == nil || s == "" {
		return
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.secrets = append(rs.secrets, s)
	for _, r := range rs.order {
		r.AddSecret(s)
	}
}

// finishRecording closes the recorders and says where the recordings are
// (stderr: --json output stays machine-readable). A recording that could
// not be written whole is a *WriteError (exit 8).
func (a *App) finishRecording() error {
	rs := a.record
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if len(rs.order) == 0 {
		a.IO.Errorf("miacct: --record: this command did not talk to a phone, so nothing was recorded\n")
		return nil
	}
	var failed error
	for _, r := range rs.order {
		err := r.Close()
		st := r.Stats()
		a.IO.Errorf("miacct: recorded %d device calls (%d screens, %d commands, %d screenshots) into %s\n",
			st.Calls, st.Screens, st.Commands, st.Screenshots, r.Dir())
		if err != nil && failed == nil {
			failed = &WriteError{What: "recording in " + r.Dir(), Err: err}
		}
		if len(st.Replaced) > 0 {
			var kinds []string
			for k, n := range st.Replaced {
				kinds = append(kinds, fmt.Sprintf("%d %s", n, k))
			}
			sort.Strings(kinds)
			a.IO.Errorf("miacct: replaced by placeholders or markers: %s\n", strings.Join(kinds, ", "))
		}
	}
	dir := rs.order[0].Dir()
	a.IO.Errorf("Look through the recording before you share it (%s explains what to check):\n"+
		"miacct replaced passwords, account ids, e-mail addresses, phone numbers and serials, but\n"+
		"not names, nor what screenshots show. Summary: miacct fake check %s\n", filepath.Join(dir, "README.md"), dir)
	return failed
}
