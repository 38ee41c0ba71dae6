// Package record records the conversation of miacct with a phone into a
// fixture directory the fake phone replays (miacct --record DIR).
//
// A Recorder is an adb.Device around another one. It passes every call
// through and turns what it sees into the fixture format of
// adb/fake/fixture:
//
//   - `uiautomator dump` outputs become screens (identical dumps are one
//     screen), the `input` actions between dumps become transitions (a tap
//     is recorded against the element it hit, by that element's identity),
//     `am start` intents become activities, and a screen that needed N
//     identical dumps of the previous one before it appeared gets settle N;
//   - every other shell or exec command is kept with its outputs, exit
//     codes and durations, which the replaying phone answers in turn,
//     except readings of the phone's uptime (adb.DumpCommand reads it with
//     every dump), which the replaying phone's clock answers;
//   - getprop and dumpsys account outputs give the device's properties and
//     accounts; the measured durations give a latency model (medians).
//
// Secrets and personal data never reach the files: the typed password and
// any configured secret become SecretMarker (no hash), and account names,
// e-mail addresses, phone numbers, IMEIs, MAC addresses and serial
// numbers become placeholders, the same value always the same
// placeholder. To know them before anything is written, the recorder asks
// the phone once for its properties and accounts itself (read-only, not
// part of the recording). Screenshots are kept as PNG files for people
// to review, except while a password field has focus; they are not
// scanned, so the recording's README asks for a look before sharing.
//
// The directory is rewritten after every call, each file atomically, so
// a run that fails or is killed leaves a loadable recording of what
// happened until then.
package record

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/androidcmd"
	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/adb/hierarchy"
)

// Options configure a Recorder.
type Options struct {
	// Dir is the fixture directory written; it must be missing or empty.
	Dir string
	// Tool names the recording program and version, e.g. "miacct 1.2.0".
	Tool string
	// Command is the miacct command recorded, e.g. "remove".
	Command string
	// Secrets must never reach the recording (the account password).
	// More can be added with AddSecret.
	Secrets []string
	// Now reads the clock that times the calls; nil means time.Now.
	Now func() time.Time
}

// Recorder is an adb.Device that records the calls made through it. It
// is safe for concurrent use.
type Recorder struct {
	dev  adb.Device
	opts Options
	now  func() time.Time

	learnMu  sync.Mutex
	learned  bool
	attempts int

	mu    sync.Mutex
	san   *sanitizer
	state recording
	log   *os.File // calls.log, appended to
	err   error    // the first write error
	done  bool
	// privateRegions are where the last dump showed personal data.
	privateRegions []image.Rectangle
}

var _ adb.Device = (*Recorder)(nil)

// New starts a recording of dev into opts.Dir and writes the empty
// fixture, so the directory is loadable from the start.
func New(dev adb.Device, opts Options) (*Recorder, error) {
	if opts.Dir == "" {
		return nil, errors.New("record: no directory")
	}
	if err := CheckDir(opts.Dir); err != nil {
		return nil, err
	}
	// Private to the user until they choose to share it: folders 0700,
	// files 0600.
	if err := os.MkdirAll(filepath.Join(opts.Dir, "screens"), 0o700); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	for _, d := range []string{opts.Dir, filepath.Join(opts.Dir, "screens")} {
		if err := os.Chmod(d, 0o700); err != nil {
			return nil, fmt.Errorf("record: %w", err)
		}
	}
	r := &Recorder{dev: dev, opts: opts, now: opts.Now, san: newSanitizer()}
	if r.now == nil {
		r.now = time.Now
	}
	r.state.init()
	for _, s := range opts.Secrets {
		r.san.addSecret(s)
	}
	// The serial the ADB server lists is SERIAL1 in the recording.
	r.san.addKnown(kindSerial, dev.Serial())
	log, err := os.OpenFile(filepath.Join(opts.Dir, callsLog), os.O_CREATE|os.O_WRONLY|os.O_TRUNC|os.O_APPEND|syscallNoFollow, 0o600)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	r.log = log
	r.mu.Lock()
	defer r.mu.Unlock()
	r.saveLocked()
	if r.err != nil {
		_ = log.Close()
		return nil, r.err
	}
	return r, nil
}

// CheckDir reports whether dir can take a new recording: it must not
// exist, or be an empty directory; a symbolic link is refused, not
// followed.
func CheckDir(dir string) error {
	if st, err := os.Lstat(dir); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("record into %s: it is a symbolic link; choose a new directory", dir)
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("record into %s: %w", dir, err)
	case len(entries) > 0:
		return fmt.Errorf("record into %s: the directory is not empty; choose a new one", dir)
	}
	return nil
}

// Dir is the recording's directory.
func (r *Recorder) Dir() string { return r.opts.Dir }

// AddSecret registers a text that must never reach the recording (the
// password, read after the device was opened).
func (r *Recorder) AddSecret(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.san.addSecret(s)
}

// Close marks the recording complete and writes it a last time. It
// returns the first error met writing the recording, if any.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.done {
		r.done = true
		r.state.complete = true
		r.saveLocked()
		if err := r.log.Close(); err != nil && r.err == nil {
			r.err = fmt.Errorf("record: %w", err)
		}
	}
	return r.err
}

// Stats summarise a recording for people.
type Stats struct {
	Calls       int
	Screens     int
	Commands    int
	Screenshots int // kept as PNG files
	Dropped     int // screenshots dropped: a password field had focus
	// Replaced counts the distinct values replaced, by kind ("e-mail
	// address": 2); never the values.
	Replaced map[string]int
}

// Stats returns the recording's counts so far.
func (r *Recorder) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Stats{
		Calls:       r.state.calls,
		Screens:     len(r.state.screens),
		Commands:    len(r.state.commands),
		Screenshots: r.state.shotsKept,
		Dropped:     r.state.shotsDropped,
		Replaced:    r.san.replaced(),
	}
}

// Serial is the device's serial (the real one: the tool needs it).
func (r *Recorder) Serial() string { return r.dev.Serial() }

func (r *Recorder) Shell(ctx context.Context, cmd string) (adb.ShellResult, error) {
	r.learn(ctx)
	start := r.now()
	res, err := r.dev.Shell(ctx, cmd)
	r.record(call{service: "shell", cmd: cmd, out: res.Output, exit: res.ExitCode, err: err, dur: r.now().Sub(start)})
	return res, err
}

func (r *Recorder) Exec(ctx context.Context, cmd string) ([]byte, error) {
	r.learn(ctx)
	start := r.now()
	out, err := r.dev.Exec(ctx, cmd)
	r.record(call{service: "exec", cmd: cmd, out: out, err: err, dur: r.now().Sub(start)})
	return out, err
}

// Syncer forwards the recorded device's file transfer, noting each call
// (its path and time, never its content); false when the device has none.
func (r *Recorder) Syncer() (adb.Syncer, bool) {
	inner, ok := adb.SyncerOf(r.dev)
	if !ok {
		return nil, false
	}
	return recordingSyncer{r: r, inner: inner}, true
}

// recordingSyncer notes the Push and Pull calls of a Recorder.
type recordingSyncer struct {
	r     *Recorder
	inner adb.Syncer
}

func (s recordingSyncer) Push(ctx context.Context, src io.Reader, remotePath string, mode fs.FileMode, mtime time.Time) error {
	start := s.r.now()
	err := s.inner.Push(ctx, src, remotePath, mode, mtime)
	s.r.note("push", remotePath, err, s.r.now().Sub(start))
	return err
}

func (s recordingSyncer) Pull(ctx context.Context, remotePath string, dst io.Writer) error {
	start := s.r.now()
	err := s.inner.Pull(ctx, remotePath, dst)
	s.r.note("pull", remotePath, err, s.r.now().Sub(start))
	return err
}

func (r *Recorder) Reboot(ctx context.Context) error {
	err := r.dev.Reboot(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state.calls++
	if err == nil {
		r.state.reboot()
	}
	r.logLocked("reboot%s", errNote(err))
	r.saveLocked()
	return err
}

func (r *Recorder) State(ctx context.Context) (adb.State, error) {
	st, err := r.dev.State(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state.calls++
	r.logLocked("state: %s%s", st, errNote(err))
	r.saveLocked()
	return st, err
}

func (r *Recorder) WaitForDevice(ctx context.Context) error {
	err := r.dev.WaitForDevice(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state.calls++
	r.logLocked("wait for device%s", errNote(err))
	r.saveLocked()
	return err
}

// note records a sync call: its path and time, never its content.
func (r *Recorder) note(what, path string, err error, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state.calls++
	if err == nil {
		r.state.addDuration(latSync, d)
	}
	r.logLocked("%s %s%s", what, r.san.text(path), errNote(err))
	r.saveLocked()
}

// learnTimeout bounds the recorder's own questions to the phone.
const learnTimeout = 10 * time.Second

// maxLearnAttempts: a phone that does not answer (offline, unauthorized)
// is not asked on every call.
const maxLearnAttempts = 3

// learn asks the phone, once, for its properties and accounts, so the
// serial numbers and account names are known before any output of the
// run is written. These calls are the recorder's own: not recorded.
func (r *Recorder) learn(ctx context.Context) {
	r.learnMu.Lock()
	defer r.learnMu.Unlock()
	if r.learned || r.attempts >= maxLearnAttempts {
		return
	}
	r.attempts++
	ctx, cancel := context.WithTimeout(ctx, learnTimeout)
	defer cancel()
	props, err := r.dev.Shell(ctx, "getprop")
	if err != nil || props.ExitCode != 0 {
		return
	}
	accts, err := r.dev.Shell(ctx, "dumpsys account")
	if err != nil {
		return
	}
	r.learned = true
	r.mu.Lock()
	defer r.mu.Unlock()
	p := adb.ParseProps(string(props.Output))
	r.san.learnProps(p)
	a := parseAccounts(string(accts.Output))
	r.san.learnAccounts(a)
	r.state.setProps(r.sanitizeProps(p))
	r.state.observeAccounts(r.sanitizeAccounts(a), accountsListed(string(accts.Output)), true)
}

// call is one shell or exec call and how it went.
type call struct {
	service string
	cmd     string
	out     []byte
	exit    int
	err     error
	dur     time.Duration
}

// record turns a shell or exec call into the recording.
func (r *Recorder) record(c call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state.calls++
	p := parseCommand(c.cmd)
	switch p.kind {
	case kindDump:
		r.recordDump(c)
	case kindScreencap:
		r.recordScreencap(c)
	case kindUptime:
		// Not kept: the replaying phone answers from its own clock, as
		// recorded answers would stop its time.
		r.logLocked("%s uptime%s", c.service, errNote(c.err))
	case kindInput:
		r.recordInput(c, p)
	case kindStart:
		r.recordStart(c, p)
	default:
		r.recordCommand(c, p)
	}
	r.saveLocked()
}

func (r *Recorder) recordDump(c call) {
	if c.err != nil {
		r.logLocked("dump%s", errNote(c.err))
		return
	}
	r.state.addDuration(latDump, c.dur)
	r.state.dumps++
	n := r.state.dumps
	failure := ""
	dump, err := adb.ParseDump(c.out)
	switch {
	case errors.Is(err, adb.ErrIdleState):
		failure = "idle"
	case err != nil && bytes.Contains(c.out, []byte("<hierarchy")):
		failure = "truncated" // it began and never ended
	case err != nil:
		failure = "empty"
	}
	var h *hierarchy.Hierarchy
	if failure == "" {
		if h, err = hierarchy.Parse(dump.XML); err != nil {
			failure = "truncated"
			if !errors.Is(err, hierarchy.ErrTruncated) {
				failure = "unreadable"
			}
		}
	}
	if failure != "" {
		r.state.dumpFailed(n, failure)
		r.logLocked("dump %d failed: %s", n, failure)
		return
	}
	// What the sanitiser is about to replace shows on a screenshot of
	// this moment too: its place is blacked out there.
	r.privateRegions = r.san.privateRegions(h)
	r.san.hierarchy(h)
	s, isNew := r.state.addScreen(h)
	if isNew {
		r.writeLocked(filepath.Join("screens", s.name+".xml"), s.xml)
		if len(r.state.screens) == 1 {
			// The stand-in screen of an empty recording is not needed now.
			_ = os.Remove(filepath.Join(r.opts.Dir, "screens", unknownScreen+".xml"))
		}
	}
	r.logLocked("dump %d: screen %s", n, s.name)
}

func (r *Recorder) recordScreencap(c call) {
	if c.err != nil || adb.CheckPNG(c.out) != nil {
		r.logLocked("screenshot not recorded%s", errNote(c.err))
		return
	}
	r.state.addDuration(latScreencap, c.dur)
	if r.state.passwordFocused() {
		r.state.shotsDropped++
		r.logLocked("screenshot dropped: a password field had focus")
		return
	}
	shot, err := adb.BlackOut(c.out, r.privateRegions)
	if err != nil {
		r.logLocked("screenshot not recorded: %v", err)
		return
	}
	name := r.state.shotName()
	r.writeLocked(filepath.Join("screens", name), shot)
	r.state.shotsKept++
	r.state.shots = append(r.state.shots, name)
	r.logLocked("screenshot: screens/%s (review it before sharing)", name)
}

func (r *Recorder) recordInput(c call, p parsedCmd) {
	out := string(c.out)
	switch {
	case c.err != nil:
		r.logLocked("input (%d invocations)%s", len(p.calls), errNote(c.err))
		return
	case strings.Contains(out, "INJECT_EVENTS") || strings.Contains(out, "SecurityException"):
		r.state.injectionDenied = true
		r.logLocked("input refused: INJECT_EVENTS (input injection is off)")
		return
	}
	r.state.addDuration(latInput, c.dur/time.Duration(len(p.calls)))
	// The text typed into a password field in this call, in its pieces:
	// EncodeText splits a password into several invocations.
	var typed []string
	defer func() {
		if len(typed) > 0 {
			r.san.addSecret(strings.Join(typed, ""))
			for _, piece := range typed {
				r.san.addSecretForm(piece)
			}
		}
	}()
	for _, args := range p.calls {
		verb, rest, err := androidcmd.SplitInput(args[1:])
		if err != nil {
			continue
		}
		switch verb {
		case "tap":
			x, y, ok := ints2(rest)
			if !ok {
				continue
			}
			r.logLocked("input tap: %s", r.state.tap(x, y))
		case "swipe", "draganddrop":
			if len(rest) < 4 {
				continue
			}
			x1, y1, ok1 := ints2(rest[0:2])
			x2, y2, ok2 := ints2(rest[2:4])
			if !ok1 || !ok2 {
				continue
			}
			r.logLocked("input swipe: %s", r.state.swipe(x1, y1, x2, y2))
		case "keyevent":
			for _, k := range rest {
				if strings.HasPrefix(k, "--") {
					continue
				}
				code := parseKey(k)
				if charKey(code) {
					r.state.typed(r.state.passwordScreen())
					r.logLocked("input key: a character typed")
					continue
				}
				r.logLocked("input key: %s", r.state.key(code))
			}
		case "text":
			if len(rest) == 0 {
				continue
			}
			text := androidcmd.InputText(rest[0])
			password := r.state.passwordScreen()
			if password {
				typed = append(typed, text)
				r.logLocked("input text: %s", SecretMarker)
			} else {
				// A user name or a code: dumps would show it in the field.
				r.san.addTyped(text)
				r.logLocked("input text: %s", TypedMarker)
			}
			r.state.typed(password)
		}
	}
}

func (r *Recorder) recordStart(c call, p parsedCmd) {
	if c.err != nil {
		r.logLocked("am start%s", errNote(c.err))
		return
	}
	r.state.addDuration(latAmStart, c.dur)
	intent := intentOf(p.calls[0])
	intent.Data = r.san.text(intent.Data)
	if intent.Action == "" && intent.Component == "" && intent.Data == "" {
		// An activity names at least one of them; a package alone does not.
		r.logLocked("am start for package %s: not recorded (an activity needs an action, component or data)", intent.Package)
		return
	}
	out := string(c.out)
	for _, sign := range []string{"Error:", "unable to resolve Intent", "does not exist"} {
		if strings.Contains(out, sign) {
			// Not resolved on the phone: no activity, so the replay does not
			// resolve it either.
			r.logLocked("am start %s: not resolved", describeIntent(intent))
			return
		}
	}
	if c.exit != 0 || strings.Contains(out, "Exception") {
		r.logLocked("am start %s: failed (exit %d)", describeIntent(intent), c.exit)
		return
	}
	r.state.start(intent)
	r.logLocked("am start %s", describeIntent(intent))
}

func (r *Recorder) recordCommand(c call, p parsedCmd) {
	raw := string(c.out)
	// Learn the identifying values of these outputs before sanitising them.
	var props map[string]string
	if strings.TrimSpace(c.cmd) == "getprop" && c.err == nil {
		props = adb.ParseProps(raw)
		r.san.learnProps(props)
	}
	var accts []account
	watchesAccounts := strings.Contains(c.cmd, "dumpsys account")
	if watchesAccounts && c.err == nil {
		accts = parseAccounts(raw)
		r.san.learnAccounts(accts)
	}
	cmd := r.san.text(c.cmd)
	if c.err != nil {
		timedOut := errors.Is(c.err, adb.ErrTimeout) || errors.Is(c.err, context.DeadlineExceeded)
		if timedOut && len(p.calls) == 1 {
			r.state.timedOut(cmd, p.calls[0])
		}
		r.logLocked("%s %s%s", c.service, shorten(cmd), errNote(c.err))
		return
	}
	r.state.addDuration(latShell, c.dur)
	r.state.addOutput(c.service, cmd, r.san.text(validUTF8(raw)), c.exit, c.dur)
	if props != nil && r.state.props == nil {
		r.state.setProps(r.sanitizeProps(props))
	}
	if watchesAccounts {
		r.state.observeAccounts(r.sanitizeAccounts(accts), accountsListed(raw), false)
	}
	r.logLocked("%s %s: exit %d, %d bytes, %s", c.service, shorten(cmd), c.exit, len(c.out), c.dur.Round(time.Millisecond))
}

func (r *Recorder) sanitizeProps(props map[string]string) map[string]string {
	out := make(map[string]string, len(props))
	for k, v := range props {
		switch k {
		case "sys.boot_completed", "dev.bootcomplete":
			continue // the fake simulates them
		}
		out[r.san.text(k)] = r.san.text(v)
	}
	return out
}

func (r *Recorder) sanitizeAccounts(accts []account) []fixture.Account {
	out := make([]fixture.Account, 0, len(accts))
	for _, a := range accts {
		out = append(out, fixture.Account{Name: r.san.text(a.Name), Type: a.Type})
	}
	return out
}

// logLocked appends a line to calls.log, the recording's timeline.
func (r *Recorder) logLocked(format string, args ...any) {
	if r.log == nil || r.done {
		return
	}
	line := fmt.Sprintf("%4d ", r.state.calls) + fmt.Sprintf(format, args...) + "\n"
	if _, err := io.WriteString(r.log, line); err != nil && r.err == nil {
		r.err = fmt.Errorf("record: %w", err)
	}
}

func errNote(err error) string {
	if err == nil {
		return ""
	}
	switch {
	case errors.Is(err, adb.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return ": timed out"
	case errors.Is(err, adb.ErrDeviceLost), errors.Is(err, adb.ErrOffline), errors.Is(err, adb.ErrDeviceNotFound):
		return ": the device dropped off"
	case errors.Is(err, context.Canceled):
		return ": cancelled"
	}
	return ": failed"
}

func shorten(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 120 {
		return s[:117] + "..."
	}
	return s
}

func validUTF8(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

func ints2(args []string) (int, int, bool) {
	if len(args) < 2 {
		return 0, 0, false
	}
	var v [2]int
	for i := range 2 {
		f, err := parseNumber(args[i])
		if err != nil {
			return 0, 0, false
		}
		v[i] = f
	}
	return v[0], v[1], true
}
