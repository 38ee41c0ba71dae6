package flows

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/miacct/miacct/adb"
)

// One run per phone, across computers. Before a run changes anything it
// takes a lock on the phone itself, where every miacct process that
// reaches the phone sees it, whichever computer and ADB server it runs
// from: the directory PhoneLockDir, made with mkdir (atomic on the
// phone: of two runs exactly one creates it), holding one line that says
// who holds it:
//
//	token=9f1c... host=bench-3 pid=4242 cmd=remove ttl=1800 boot=<boot id> up=12345.67 reboot=0
//
// The holder removes it at the end. A lock is stale, and the next run
// takes it over, when its holder cannot still be running:
//
//   - the phone has not restarted since (same boot id) and has been up
//     longer than ttl seconds since the lock was taken (the run's bounds);
//   - the phone restarted (another boot id) and the holder had not said it
//     would restart it (reboot=0): a run does not survive a restart it did
//     not make;
//   - the phone restarted as the holder said (reboot=1) and has been up
//     longer than ttl seconds since.
//
// A takeover is itself atomic: the taker first makes
// PhoneLockDir/takeover-TOKEN (TOKEN the stale holder's), which only one
// taker can, and checks the owner is still that holder before removing
// the lock and making its own.

// PhoneLockDir is the lock's directory on the phone.
const PhoneLockDir = "/data/local/tmp/miacct.lock"

// DefaultLockTTL bounds a run for the stale-lock rule: longer than a
// remove can take (a restart is bounded by --boot-timeout, 5 minutes by
// default, and every wait for a screen by --settle).
const DefaultLockTTL = 30 * time.Minute

// ErrLocked: another miacct run holds the phone's lock.
var ErrLocked = errors.New("the phone is in use by another miacct run")

// LockOwner is who holds a phone's lock, as its owner line says.
type LockOwner struct {
	Token   string        `json:"-"`
	Host    string        `json:"host"`
	PID     int           `json:"pid"`
	Command string        `json:"command,omitempty"`
	TTL     time.Duration `json:"-"`
	BootID  string        `json:"-"`
	Uptime  time.Duration `json:"-"` // the phone's uptime when taken
	Reboot  bool          `json:"-"` // the holder said it restarts the phone
}

// String names the holder for people: "bench-3 (pid 4242, remove)".
func (o LockOwner) String() string {
	if o.Host == "" && o.PID == 0 {
		return "an unknown run (the lock is being written)"
	}
	s := fmt.Sprintf("%s (pid %d", orUnknown(o.Host), o.PID)
	if o.Command != "" {
		s += ", " + o.Command
	}
	return s + ")"
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown host"
	}
	return s
}

// LockedError says who holds the phone's lock and since when.
type LockedError struct {
	Serial string
	Holder LockOwner
	// Age is how long ago, on the phone's clock, the lock was taken; 0
	// when not known (the phone restarted since).
	Age time.Duration
}

func (e *LockedError) Error() string {
	since := ""
	if e.Age > 0 {
		since = " for " + e.Age.Round(time.Second).String()
	}
	return fmt.Sprintf("%s: %v: held by %s%s; wait for it to finish (a lock left by a run that died is taken over once stale, see %s)",
		e.Serial, ErrLocked, e.Holder, since, PhoneLockDir)
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// LockOptions say who takes a lock.
type LockOptions struct {
	Host    string
	PID     int
	Command string // "remove", "delete-account", "step"
	// TTL bounds the run for the stale-lock rule; 0 means DefaultLockTTL.
	TTL time.Duration
}

// PhoneLock is a lock held on one phone. Release it when the run ends.
// It is an Observer too: pass it to the session so that the lock says,
// before the reboot step, that its holder restarts the phone, and takes
// the new boot id after it.
type PhoneLock struct {
	dev   adb.Device
	owner LockOwner
	// Stale is the holder whose stale lock was taken over, if any.
	Stale *LockOwner
	// errs collects failures of the observer's updates (no context there).
	errs []error
}

// lockWord keeps what goes into the owner line to one plain word.
var lockWord = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func plainWord(s string, max int) string {
	s = lockWord.ReplaceAllString(s, "_")
	if len(s) > max {
		s = s[:max]
	}
	return s
}

// LockPhone takes the phone's lock in one round trip, taking over a
// stale one (a second round trip). A lock held by a live run is a
// *LockedError naming the holder.
func LockPhone(ctx context.Context, dev adb.Device, opts LockOptions) (*PhoneLock, error) {
	if opts.TTL <= 0 {
		opts.TTL = DefaultLockTTL
	}
	var tok [12]byte
	if _, err := rand.Read(tok[:]); err != nil {
		return nil, fmt.Errorf("lock the phone: %w", err)
	}
	l := &PhoneLock{dev: dev, owner: LockOwner{
		Token: hex.EncodeToString(tok[:]), Host: plainWord(opts.Host, 64), PID: opts.PID,
		Command: plainWord(opts.Command, 32), TTL: opts.TTL,
	}}
	res, err := l.run(ctx, "if mkdir "+PhoneLockDir+" 2>/dev/null; then "+l.writeOwner()+"; else echo held; cat "+PhoneLockDir+"/owner 2>/dev/null; fi")
	if err != nil {
		return nil, err
	}
	if res.acquired {
		return l, nil
	}
	if !res.stale() {
		return nil, &LockedError{Serial: dev.Serial(), Holder: res.holder, Age: res.age()}
	}
	// The holder cannot still be running: take the lock over, unless
	// another run is doing so at the same moment.
	stale := res.holder
	marker := PhoneLockDir + "/takeover-" + plainWord(stale.Token, 64)
	res, err = l.run(ctx, "if mkdir "+marker+" 2>/dev/null && grep -q 'token="+plainWord(stale.Token, 64)+" ' "+PhoneLockDir+"/owner; then rm -rf "+PhoneLockDir+
		" && mkdir "+PhoneLockDir+" && "+l.writeOwner()+"; else echo held; cat "+PhoneLockDir+"/owner 2>/dev/null; fi")
	if err != nil {
		return nil, err
	}
	if !res.acquired {
		return nil, &LockedError{Serial: dev.Serial(), Holder: res.holder, Age: res.age()}
	}
	l.Stale = &stale
	return l, nil
}

// Owner is who the lock says holds it (this run).
func (l *PhoneLock) Owner() LockOwner { return l.owner }

// writeOwner is the shell that writes this run's owner line with the
// phone's boot id and uptime, and says "acquired".
func (l *PhoneLock) writeOwner() string {
	o := l.owner
	reboot := "0"
	if o.Reboot {
		reboot = "1"
	}
	fixed := fmt.Sprintf("token=%s host=%s pid=%d cmd=%s ttl=%d reboot=%s", o.Token, o.Host, o.PID, o.Command, int(o.TTL.Seconds()), reboot)
	return "echo '" + fixed + "' \"boot=$b up=${u%% *}\" > " + PhoneLockDir + "/owner && echo acquired"
}

// lockReply is what a lock command found.
type lockReply struct {
	acquired bool
	holder   LockOwner
	// now is the phone's boot id and uptime when it answered.
	nowBoot string
	nowUp   time.Duration
}

// run runs a lock command with the phone's boot id and uptime in $b and
// $u, and reads what it says.
func (l *PhoneLock) run(ctx context.Context, body string) (lockReply, error) {
	cmd := "b=$(cat /proc/sys/kernel/random/boot_id); u=$(cat /proc/uptime); " + body + "; echo \"now boot=$b up=${u%% *}\""
	res, err := l.dev.Shell(ctx, cmd)
	if err != nil {
		return lockReply{}, fmt.Errorf("lock the phone: %w", err)
	}
	var r lockReply
	for _, line := range strings.Split(res.String(), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "acquired":
			r.acquired = true
		case strings.HasPrefix(line, "now "):
			now := parseOwner(line)
			r.nowBoot, r.nowUp = now.BootID, now.Uptime
		case strings.HasPrefix(line, "token="):
			r.holder = parseOwner(line)
		}
	}
	if r.nowBoot == "" {
		return lockReply{}, fmt.Errorf("lock the phone: %w: no boot id in the answer of the lock command", adb.ErrBadOutput)
	}
	if r.acquired {
		l.owner.BootID, l.owner.Uptime = r.nowBoot, r.nowUp
	}
	return r, nil
}

// stale applies the stale-lock rule (see the top of this file). A lock
// without an owner line is being written by a live run: not stale.
func (r lockReply) stale() bool {
	h := r.holder
	if h.Token == "" || h.BootID == "" {
		return false
	}
	ttl := h.TTL
	if ttl <= 0 {
		ttl = DefaultLockTTL
	}
	switch {
	case h.BootID == r.nowBoot:
		return r.nowUp-h.Uptime > ttl
	case !h.Reboot:
		return true
	default:
		return r.nowUp > ttl
	}
}

// age is how long the holder has held the lock, when the phone has not
// restarted since.
func (r lockReply) age() time.Duration {
	if r.holder.BootID != "" && r.holder.BootID == r.nowBoot && r.nowUp > r.holder.Uptime {
		return r.nowUp - r.holder.Uptime
	}
	return 0
}

// parseOwner reads an owner line (key=value words).
func parseOwner(line string) LockOwner {
	var o LockOwner
	for _, f := range strings.Fields(line) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			continue
		}
		switch k {
		case "token":
			o.Token = v
		case "host":
			o.Host = v
		case "pid":
			o.PID, _ = strconv.Atoi(v)
		case "cmd":
			o.Command = v
		case "ttl":
			n, _ := strconv.Atoi(v)
			o.TTL = time.Duration(n) * time.Second
		case "boot":
			o.BootID = v
		case "up":
			if secs, err := strconv.ParseFloat(v, 64); err == nil {
				o.Uptime = time.Duration(secs * float64(time.Second))
			}
		case "reboot":
			o.Reboot = v == "1"
		}
	}
	return o
}

// rewrite writes the owner line again (with the phone's boot id and
// uptime now) if the lock is still this run's.
func (l *PhoneLock) rewrite(ctx context.Context) error {
	_, err := l.run(ctx, "if grep -q 'token="+l.owner.Token+" ' "+PhoneLockDir+"/owner 2>/dev/null; then "+l.writeOwner()+"; fi")
	return err
}

// ExpectReboot says in the lock that its holder restarts the phone, so
// that the new boot id does not make the lock stale.
func (l *PhoneLock) ExpectReboot(ctx context.Context) error {
	l.owner.Reboot = true
	return l.rewrite(ctx)
}

// Renew writes the lock again with the phone's boot id and uptime now,
// after a restart the holder made: the stale-lock rule counts from here.
func (l *PhoneLock) Renew(ctx context.Context) error {
	l.owner.Reboot = false
	return l.rewrite(ctx)
}

// Release removes the lock if it is still this run's. It runs after a
// failure or Ctrl-C too, so give it a context of its own.
func (l *PhoneLock) Release(ctx context.Context) error {
	cmd := "grep -q 'token=" + l.owner.Token + " ' " + PhoneLockDir + "/owner 2>/dev/null && rm -rf " + PhoneLockDir + "; true"
	res, err := l.dev.Shell(ctx, cmd)
	if err != nil && deviceLost(err) && l.dev.WaitForDevice(ctx) == nil {
		res, err = l.dev.Shell(ctx, cmd)
	}
	if err != nil {
		return fmt.Errorf("release the phone's lock: %w", err)
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("release the phone's lock: the shell exited %d", res.ExitCode)
	}
	return nil
}

// lockCallTimeout bounds the lock's own updates made from the observer.
const lockCallTimeout = 30 * time.Second

// StepStarted marks the lock before the run restarts the phone.
func (l *PhoneLock) StepStarted(name string) {
	if name != StepReboot {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), lockCallTimeout)
	defer cancel()
	if err := l.ExpectReboot(ctx); err != nil {
		l.errs = append(l.errs, err)
	}
}

// StepFinished takes the new boot id once the phone has restarted.
func (l *PhoneLock) StepFinished(r StepResult) {
	if r.Name != StepReboot || r.Status != StatusOK {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), lockCallTimeout)
	defer cancel()
	if err := l.Renew(ctx); err != nil {
		l.errs = append(l.errs, err)
	}
}

// Err is the first failure of the lock's updates during the run, nil
// when there was none.
func (l *PhoneLock) Err() error {
	if len(l.errs) == 0 {
		return nil
	}
	return l.errs[0]
}
