package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/adb/fake/phone"
)

// replayLogName is the file in a recording's directory where the last
// command that replayed it (--fake DIR, fake serve DIR) lists what the
// recording did not explain; `miacct fake check DIR` shows it.
const replayLogName = "last-replay.log"

// watchReplay makes the command write DIR/last-replay.log when it ends,
// if the phone replays a recording from a directory, and warn when the
// replay met actions the recording never saw (drift).
func (a *App) watchReplay(fx *fixture.Fixture, ph *phone.Phone) {
	if fx.Recording == nil || fx.Source == "built-in" {
		return
	}
	dir := fx.Source
	a.onExit(func() error {
		unrecorded := ph.Unrecorded()
		if err := writeReplayLog(dir, unrecorded); err != nil {
			return &WriteError{What: replayLogName, Err: err}
		}
		if len(unrecorded) > 0 {
			a.IO.Errorf("miacct: the replayed phone met %d actions its recording never saw; see %s\n",
				len(unrecorded), filepath.Join(dir, replayLogName))
		}
		return nil
	})
}

// writeReplayLog replaces DIR/last-replay.log: a header line, then one
// unrecorded action per line.
func writeReplayLog(dir string, unrecorded []string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# miacct %s: the last replay of this recording met %d unrecorded actions\n", version, len(unrecorded))
	for _, u := range unrecorded {
		b.WriteString(strings.ReplaceAll(u, "\n", " "))
		b.WriteByte('\n')
	}
	path := filepath.Join(dir, replayLogName)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// loadFixtureOrDir loads ref as the loader does, except that a bare name
// that is no built-in fixture but a fixture directory here loads that
// directory: `--record my-phone` then `--fake my-phone` just works.
func loadFixtureOrDir(ref string) (*fixture.Fixture, error) {
	fx, err := fixtureLoader().Load(ref)
	var unknown *fixture.UnknownError
	if errors.As(err, &unknown) && fixture.IsBuiltinName(ref) {
		if _, statErr := os.Stat(filepath.Join(ref, fixture.FileName)); statErr == nil {
			return fixtureLoader().Load("." + string(filepath.Separator) + ref)
		}
	}
	return fx, err
}

// readReplayLog reads DIR/last-replay.log; ok is false when there is none.
func readReplayLog(dir string) (unrecorded []string, ok bool, err error) {
	data, err := os.ReadFile(filepath.Join(dir, replayLogName))
	if os.IsNotExist(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			unrecorded = append(unrecorded, line)
		}
	}
	return unrecorded, true, nil
}
