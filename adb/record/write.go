package record

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/miacct/miacct/adb/fake/fixture"
)

// Files of a recording besides fixture.yaml and screens/.
const (
	// callsLog is the timeline of the calls, sanitised, for people.
	callsLog = "calls.log"
	// readmeFile says what the recording is and what to review.
	readmeFile = "README.md"
)

// saveLocked writes the recording as it is now: fixture.yaml last, so
// the screens it names are on disk before it does.
func (r *Recorder) saveLocked() {
	if len(r.state.screens) == 0 {
		r.writeLocked(filepath.Join("screens", unknownScreen+".xml"), []byte(unknownXML))
	}
	b := r.state.build(r.opts, r.san.text(r.dev.Serial()))
	r.writeLocked(readmeFile, r.readme(b))
	data, err := encodeYAML(b.file)
	if err != nil {
		r.fail(err)
		return
	}
	r.writeLocked(fixture.FileName, data)
}

func encodeYAML(f *fixture.File) ([]byte, error) {
	data, err := fixture.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	header := "# Recorded by miacct --record: a fake phone that replays this phone's answers.\n" +
		"# Secrets and personal data were replaced; see README.md before sharing.\n"
	return append([]byte(header), data...), nil
}

func (r *Recorder) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// writeLocked replaces a file of the recording atomically: a reader (or
// a crash) sees the old content or the new, never half of it.
func (r *Recorder) writeLocked(rel string, data []byte) {
	path := filepath.Join(r.opts.Dir, rel)
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		r.fail(fmt.Errorf("record: %w", err))
		return
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := firstErr(werr, cerr); err != nil {
		_ = os.Remove(tmp.Name())
		r.fail(fmt.Errorf("record: write %s: %w", rel, err))
		return
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		_ = os.Remove(tmp.Name())
		r.fail(fmt.Errorf("record: %w", err))
		return
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		_ = os.Remove(tmp.Name())
		r.fail(fmt.Errorf("record: %w", err))
	}
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// readme explains the recording to the person who made it and to the
// one who receives it. It counts what was replaced, never says what.
func (r *Recorder) readme(b built) []byte {
	s := &r.state
	var w strings.Builder
	fmt.Fprintf(&w, "# A recording of a phone, made by miacct --record\n\n")
	fmt.Fprintf(&w, "%s.\n\n", b.file.Description)
	status := "the run ended normally"
	if !s.complete {
		status = "the run had not ended when this was written (interrupted, killed, or still going)"
	}
	fmt.Fprintf(&w, "- %d device calls recorded; %s.\n", s.calls, status)
	fmt.Fprintf(&w, "- %d screens (`screens/*.xml`), %d recorded commands, %d screenshots kept.\n\n", len(s.screens), len(s.commands), s.shotsKept)

	fmt.Fprintf(&w, "## Before you share it\n\n")
	fmt.Fprintf(&w, "Look through every file. miacct replaced what it knows to be private:\n\n")
	replaced := r.san.replaced()
	if len(replaced) == 0 {
		fmt.Fprintf(&w, "- nothing private was found (no password typed, no account, serial or address seen).\n")
	}
	for _, kind := range sortedKeys(replaced) {
		what := "replaced by placeholders (the same value always by the same one)"
		switch kind {
		case kindSecret:
			what = "replaced by " + SecretMarker + " (no password and no hash of it is kept)"
		case kindTyped:
			what = "replaced by " + TypedMarker
		}
		fmt.Fprintf(&w, "- %d %s: %s\n", replaced[kind], plural(kind, replaced[kind]), what)
	}
	fmt.Fprintf(&w, "\nIt cannot know everything: your name or a nickname on the account page, photos, other\n")
	fmt.Fprintf(&w, "people's names. Search the files for them and replace them by hand (keep the XML valid).\n\n")
	if s.shotsKept > 0 {
		fmt.Fprintf(&w, "**The screenshots are not scanned.** They are here for people to see what the phone\n")
		fmt.Fprintf(&w, "showed; look at each one and delete any that shows something private (the replay does\n")
		fmt.Fprintf(&w, "not need them):\n\n")
		for _, name := range slices.Sorted(slices.Values(s.shots)) {
			fmt.Fprintf(&w, "- screens/%s\n", name)
		}
		fmt.Fprintln(&w)
	}
	switch s.shotsDropped {
	case 0:
	case 1:
		fmt.Fprintf(&w, "1 screenshot was not kept: a password field had focus.\n\n")
	default:
		fmt.Fprintf(&w, "%d screenshots were not kept: a password field had focus.\n\n", s.shotsDropped)
	}
	fmt.Fprintf(&w, "## Replay it\n\nDIR is this directory:\n\n")
	fmt.Fprintf(&w, "    miacct fake check DIR                     # what is in it\n")
	fmt.Fprintf(&w, "    miacct --fake DIR remove --dry-run        # run miacct against it, no phone needed\n\n")
	fmt.Fprintf(&w, "The replayed phone answers as this one did. A typed password is not checked: what\n")
	fmt.Fprintf(&w, "happened here happens again. Actions and commands it never saw are logged as\n")
	fmt.Fprintf(&w, "\"unrecorded\" in DIR/last-replay.log.\n\n")
	fmt.Fprintf(&w, "`calls.log` is the timeline of the calls, `fixture.yaml` the phone (fixtures/README.md).\n")
	if len(b.notes) > 0 {
		fmt.Fprintf(&w, "\n## Notes\n\n")
		for _, n := range b.notes {
			fmt.Fprintf(&w, "- %s\n", n)
		}
	}
	return []byte(w.String())
}

func plural(kind string, n int) string {
	if n == 1 {
		return kind
	}
	if strings.HasSuffix(kind, "s") {
		return kind + "es"
	}
	return kind + "s"
}
