// Package phone is a simulated Xiaomi phone, made from a fixture
// (adb/fake/fixture): a real shell interpreter with Android's commands
// (getprop, settings, dumpsys, am, input, uiautomator, screencap, ...),
// screens from genuine uiautomator dumps, taps and keys that follow the
// fixture's transitions, reboots, the account web site, replayed
// recordings, and a simulated clock, so nothing sleeps for real.
//
// A *Phone is a fake.Target: serve it with fake.NewServer (or, in tests,
// adb/fake/faketest) and talk to it with any ADB client.
package phone

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake"
	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/adb/hierarchy"
)

// Options adjust a Phone made from a fixture.
type Options struct {
	// Serial overrides the fixture's serial (several copies on one server).
	Serial string
	// AccountID overrides the Xiaomi account's name (copies); the old name
	// is replaced in the screens' texts too.
	AccountID string
	// Log receives one line per service call and per notable event; nil
	// discards. Typed text and command lines are never logged.
	Log io.Writer
	// Realtime 0 keeps the phone in simulated time only: it never sleeps.
	// Above 0 it also really sleeps latency*Realtime (benchmarks only).
	Realtime float64
}

// Counters count what the phone was asked to do since New.
type Counters struct {
	// Service calls by kind.
	Shell, Exec, Sync, Reboot int
	// Dumps counts uiautomator dumps, Inputs `input` invocations; Taps,
	// Keys (one per key event), Swipes and Texts the actions inside them.
	Dumps, Inputs, Taps, Keys, Swipes, Texts int
	Screencaps, AmStarts                     int
	// Reboots counts reboots however they were asked for.
	Reboots int
	// Unrecorded counts actions nothing in the fixture explained.
	Unrecorded int
}

// Phone is a simulated Xiaomi phone made from a fixture. It implements
// fake.Target and is safe for concurrent use. Everything happens in simulated
// time: latencies, sleeps, reboots and waits move its clock, not the
// wall clock (unless Options.Realtime asks for it).
type Phone struct {
	fx       *fixture.Fixture // read-only
	cfg      phoneConfig      // fixture values with defaults, read-only
	serial   string
	dumps    map[string]*hierarchy.Hierarchy // fixture dumps (AccountID applied), read-only
	recorded []recordedCommand               // read-only
	fsys     *fake.MemFS
	logw     io.Writer
	realtime float64

	logMu sync.Mutex

	mu              sync.Mutex
	now             time.Duration // simulated time since New
	bootedAt        time.Duration // when the last boot began (negative: before New)
	onlineAt        time.Duration // offline before this moment
	bootCompletedAt time.Duration // sys.boot_completed is 0 before this moment
	props           map[string]string
	settings        map[string]map[string]string
	accounts        []fixture.Account
	awake, locked   bool
	ui              uiState
	dataChoice      string
	findDevice      string // Xiaomi's Find device: on, off, denied
	web             webState
	typed           strings.Builder
	reboots         int
	unrecorded      []string
	counters        Counters
	replayed        []int // outputs answered per recorded command
}

var _ fake.Target = (*Phone)(nil)

// phoneConfig is the fixture's device description with defaults filled,
// so a fixture built in Go without the loader works too.
type phoneConfig struct {
	state         adb.State
	width, height int
	density       int
	start         string
	awake, locked bool
	lockScreen    string
	injection     bool
	boot          fixture.Boot
	latency       fixture.Latency
	faults        fixture.Faults
	battery       fixture.Battery
	packages      []string
	features      []string
}

const (
	bootIDPath = "/proc/sys/kernel/random/boot_id"
	uptimePath = "/proc/uptime"
	// initialUptime is how long a new phone has been up: a phone in use,
	// not one that just booted.
	initialUptime = 3*time.Hour + 25*time.Minute + 17*time.Second + 420*time.Millisecond
)

// New makes a phone from a loaded fixture. The fixture is not
// changed; the phone keeps its own copies of everything it changes.
func New(fx *fixture.Fixture, opts Options) (*Phone, error) {
	if fx == nil {
		return nil, errors.New("new phone: no fixture")
	}
	cfg, err := configFrom(fx)
	if err != nil {
		return nil, fmt.Errorf("new phone from fixture %s: %w", fx.Name, err)
	}
	p := &Phone{
		fx:       fx,
		cfg:      cfg,
		serial:   fx.Serial,
		logw:     opts.Log,
		realtime: opts.Realtime,
		props:    maps.Clone(fx.Properties),
		settings: map[string]map[string]string{},
		awake:    cfg.awake,
		locked:   cfg.locked,
		replayed: make([]int, len(fx.Commands)),
		bootedAt: -initialUptime,
	}
	if opts.Serial != "" {
		p.serial = opts.Serial
	}
	if p.serial == "" {
		p.serial = "fake-" + fx.Name
	}
	if p.props == nil {
		p.props = map[string]string{}
	}
	p.props["ro.serialno"] = p.serial
	p.web.signedIn = fx.Web != nil && fx.Web.SignedIn != nil && *fx.Web.SignedIn
	for ns, kv := range fx.Settings {
		p.settings[ns] = maps.Clone(kv)
	}
	oldAccount := ""
	for _, a := range fx.Accounts {
		if a.Type == fixture.XiaomiAccountType && opts.AccountID != "" {
			oldAccount = a.Name
			a.Name = opts.AccountID
		}
		p.accounts = append(p.accounts, a)
	}
	p.dumps = make(map[string]*hierarchy.Hierarchy, len(fx.Dumps))
	for name, h := range fx.Dumps {
		if h == nil {
			continue
		}
		if oldAccount != "" {
			h = replaceText(h, oldAccount, opts.AccountID)
		}
		p.dumps[name] = h
	}
	if _, ok := fx.Screens[cfg.start]; !ok {
		return nil, fmt.Errorf("new phone from fixture %s: start screen %q is not defined", fx.Name, cfg.start)
	}
	if p.recorded, err = parseRecorded(fx.Commands); err != nil {
		return nil, fmt.Errorf("new phone from fixture %s: %w", fx.Name, err)
	}
	p.fsys = fake.NewMemFS()
	for _, path := range slices.Sorted(maps.Keys(fx.Files)) {
		if err := p.fsys.WriteFile(path, []byte(fx.Files[path]), 0o644, time.Time{}); err != nil {
			return nil, fmt.Errorf("new phone: initial file %s: %w", path, err)
		}
	}
	for _, dir := range []string{"/sdcard", "/data/local/tmp"} {
		if _, err := p.fsys.Stat(dir); err != nil {
			if err := p.fsys.MkdirAll(dir, 0o771); err != nil {
				return nil, fmt.Errorf("new phone: make %s: %w", dir, err)
			}
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ui.reset(cfg.start)
	p.findDevice = p.initialFindDeviceLocked()
	if err := p.writeBootIDLocked(); err != nil {
		return nil, fmt.Errorf("new phone: %w", err)
	}
	return p, nil
}

func configFrom(fx *fixture.Fixture) (phoneConfig, error) {
	// The loader's defaults, for a fixture built in Go without it.
	width, height, _ := parseSize(fixture.DefaultSize)
	cfg := phoneConfig{
		state:     adb.StateDevice,
		width:     width,
		height:    height,
		density:   fixture.DefaultDensity,
		awake:     true,
		injection: true,
		battery:   fixture.Battery{Level: fixture.DefaultBattery},
		packages:  fx.Packages,
		features:  fx.Features,
	}
	switch fx.State {
	case "", "device":
	case "unauthorized", "offline":
		cfg.state = adb.State(fx.State)
	default:
		return cfg, fmt.Errorf("state %q: want device, unauthorized or offline", fx.State)
	}
	if d := fx.Display; d != nil {
		if d.Size != "" {
			w, h, ok := parseSize(d.Size)
			if !ok {
				return cfg, fmt.Errorf("display size %q: want WIDTHxHEIGHT", d.Size)
			}
			cfg.width, cfg.height = w, h
		}
		if d.Density > 0 {
			cfg.density = d.Density
		}
		cfg.start = d.Start
		if d.Awake != nil {
			cfg.awake = *d.Awake
		}
		if d.Locked != nil {
			cfg.locked = *d.Locked
		}
		cfg.lockScreen = d.LockScreen
	}
	if cfg.start == "" && len(fx.Screens) == 1 {
		for name := range fx.Screens {
			cfg.start = name
		}
	}
	if fx.Input != nil && fx.Input.Injection != nil {
		cfg.injection = *fx.Input.Injection
	}
	if fx.Boot != nil {
		cfg.boot = *fx.Boot
	}
	if fx.Latency != nil {
		cfg.latency = *fx.Latency
	}
	if fx.Faults != nil {
		cfg.faults = *fx.Faults
	}
	if cfg.faults.Disconnect <= 0 {
		cfg.faults.Disconnect = fixture.DefaultDisconnect
	}
	if fx.Battery != nil {
		cfg.battery = *fx.Battery
	}
	return cfg, nil
}

func parseSize(s string) (w, h int, ok bool) {
	ws, hs, found := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "x")
	if !found {
		return 0, 0, false
	}
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if err1 != nil || err2 != nil || w <= 0 || h <= 0 {
		return 0, 0, false
	}
	return w, h, true
}

// replaceText returns a copy of h with old replaced by repl in texts and
// descriptions (a copy of a fixture under another account id).
func replaceText(h *hierarchy.Hierarchy, old, repl string) *hierarchy.Hierarchy {
	c := h.Clone()
	c.Walk(func(n *hierarchy.Node) bool {
		n.Text = strings.ReplaceAll(n.Text, old, repl)
		n.ContentDesc = strings.ReplaceAll(n.ContentDesc, old, repl)
		return true
	})
	return c
}

// Serial is the serial the phone is listed under.
func (p *Phone) Serial() string { return p.serial }

// ListState is the state the server lists now. Asking while the phone is
// offline counts as a poll: it moves the simulated clock on by a second.
func (p *Phone) ListState() adb.State {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cfg.state != adb.StateDevice {
		if p.cfg.state == adb.StateOffline {
			p.now += time.Second
		}
		return p.cfg.state
	}
	if p.now < p.onlineAt {
		p.now += time.Second
		return adb.StateOffline
	}
	return adb.StateDevice
}

// Attributes are the product, model and device properties and the
// fixture's features.
func (p *Phone) Attributes() fake.Attributes {
	p.mu.Lock()
	defer p.mu.Unlock()
	return fake.Attributes{
		Product:  p.props["ro.product.name"],
		Model:    p.props["ro.product.model"],
		Device:   p.props["ro.product.device"],
		Features: slices.Clone(p.cfg.features),
	}
}

// WaitOnline moves the simulated clock to the moment the phone is back
// online and returns at once. A phone that never comes online (listed
// unauthorized or offline by its fixture) blocks until ctx ends.
func (p *Phone) WaitOnline(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.mu.Lock()
	if p.cfg.state != adb.StateDevice {
		p.mu.Unlock()
		<-ctx.Done()
		return ctx.Err()
	}
	if p.now < p.onlineAt {
		p.logf("waited %s for the device", p.onlineAt-p.now)
		p.now = p.onlineAt
		p.catchUpLocked()
	}
	p.mu.Unlock()
	return nil
}

// Open starts a device service: shell:, exec:, shell,v2,...:, sync: or
// reboot:. Anything else is refused with "closed", as adbd does.
func (p *Phone) Open(ctx context.Context, service string) (fake.Service, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.cfg.state == adb.StateUnauthorized:
		return nil, errors.New("device unauthorized")
	case p.cfg.state == adb.StateOffline || p.now < p.onlineAt:
		return nil, errors.New("device offline")
	}
	name, rest, _ := strings.Cut(service, ":")
	kind, opts, _ := strings.Cut(name, ",")
	switch kind {
	case "shell", "exec":
		if kind == "shell" && rest == "" {
			p.logf("shell: interactive shell refused")
			return nil, errors.New("closed")
		}
		v2 := kind == "shell" && slices.Contains(strings.Split(opts, ","), "v2")
		if kind == "exec" {
			p.counters.Exec++
		} else {
			p.counters.Shell++
		}
		p.logf("%s: %s", kind, firstWord(rest))
		return p.shellService(kind, rest, v2), nil
	case "sync":
		p.counters.Sync++
		p.logf("sync")
		return func(ctx context.Context, rw io.ReadWriter) error {
			return fake.ServeSync(ctx, rw, &syncFS{p: p, ctx: ctx})
		}, nil
	case "reboot":
		p.counters.Reboot++
		p.logf("reboot service")
		return func(ctx context.Context, rw io.ReadWriter) error {
			p.mu.Lock()
			p.rebootLocked("reboot service")
			p.mu.Unlock()
			return nil
		}, nil
	}
	p.logf("refused service %s", kind)
	return nil, errors.New("closed")
}

// Counters returns a copy of the phone's counters.
func (p *Phone) Counters() Counters {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counters
}

// Elapsed is the simulated device time since New.
func (p *Phone) Elapsed() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.now
}

// Screen is the name of the current screen (the one underneath the lock
// screen while Locked).
func (p *Phone) Screen() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ui.screen
}

// Accounts are the accounts on the phone now.
func (p *Phone) Accounts() []fixture.Account {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.accounts)
}

// Setting is a setting's value, "" when unset.
func (p *Phone) Setting(namespace, key string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.settings[namespace][key]
}

// DataChoice is what the user chose for the synced data: "remove",
// "keep", or "" when no remove-data/keep-data effect happened.
func (p *Phone) DataChoice() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dataChoice
}

// TypedText is everything typed since New, after Android's
// processing of `input text` and printable key events.
func (p *Phone) TypedText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.typed.String()
}

// Reboots counts the reboots since New.
func (p *Phone) Reboots() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reboots
}

// Unrecorded lists the actions that no transition or recorded command
// explained (replay drift), in order.
func (p *Phone) Unrecorded() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.unrecorded)
}

// Awake reports whether the display is on.
func (p *Phone) Awake() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.awake
}

// FindDevice is Xiaomi's Find device now: on, off, or denied (the
// shell may not read it).
func (p *Phone) FindDevice() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.findDevice
}

// Locked reports whether the secure lock screen is showing.
func (p *Phone) Locked() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.locked
}

// logf writes one log line prefixed with the serial. Callers never pass
// typed text or command lines.
func (p *Phone) logf(format string, args ...any) {
	if p.logw == nil {
		return
	}
	line := p.serial + " " + fmt.Sprintf(format, args...) + "\n"
	p.logMu.Lock()
	defer p.logMu.Unlock()
	_, _ = io.WriteString(p.logw, line)
}

// unrecordedLocked notes an action nothing in the fixture explained.
func (p *Phone) unrecordedLocked(what string) {
	p.counters.Unrecorded++
	p.unrecorded = append(p.unrecorded, what)
	p.logf("%s", what)
}

// rebootLocked restarts the phone now: it drops off ADB for Boot.Offline
// and comes back with a fresh UI and boot id; accounts, settings and
// files stay.
func (p *Phone) rebootLocked(why string) {
	p.reboots++
	p.counters.Reboots++
	p.bootedAt = p.now
	p.onlineAt = p.now + p.cfg.boot.Offline
	p.bootCompletedAt = p.now + p.cfg.boot.Completed
	p.awake = true
	p.locked = p.cfg.locked
	p.ui.reset(p.cfg.start)
	if err := p.writeBootIDLocked(); err != nil {
		p.logf("reboot: %v", err)
	}
	p.logf("rebooting (%s), offline for %s", why, p.cfg.boot.Offline)
}

// disconnectLocked drops the phone off ADB for Faults.Disconnect.
func (p *Phone) disconnectLocked() {
	p.onlineAt = max(p.onlineAt, p.now+p.cfg.faults.Disconnect)
	p.logf("disconnected for %s", p.cfg.faults.Disconnect)
}

// bootID is the deterministic boot id after n reboots: a UUID derived
// from the serial, so copies of a fixture differ.
func bootID(serial string, n int) string {
	sum := sha256.Sum256([]byte(serial + "#boot#" + strconv.Itoa(n)))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (p *Phone) writeBootIDLocked() error {
	id := bootID(p.serial, p.reboots)
	if err := p.fsys.WriteFile(bootIDPath, []byte(id+"\n"), 0o444, time.Time{}); err != nil {
		return fmt.Errorf("write boot id: %w", err)
	}
	return nil
}

// procFileLocked is the content of a file the kernel makes up when it is
// read: /proc/uptime, from the simulated clock (the time since the last
// boot began, and the idle time of 8 mostly idle cores). ok is false for
// any other path.
func (p *Phone) procFileLocked(path string) (data []byte, ok bool) {
	if path != uptimePath {
		return nil, false
	}
	up := (p.now - p.bootedAt).Seconds()
	return fmt.Appendf(nil, "%.2f %.2f\n", up, up*7.3), true
}

// bootCompletedLocked reports sys.boot_completed.
func (p *Phone) bootCompletedLocked() bool {
	return p.now >= p.bootCompletedAt
}

// signedInLocked reports whether a Xiaomi account is on the phone.
func (p *Phone) signedInLocked() bool {
	for _, a := range p.accounts {
		if a.Xiaomi() {
			return true
		}
	}
	return false
}

// firstWord names a command line in logs by its first words only (the
// rest may hold typed text): the program, and for the tools that take a
// subcommand (am start, dumpsys account, input tap) that word too. Never
// a typed text, nor its length.
func firstWord(cmd string) string {
	// miacct's client wraps a shell command in ( ... ) to read its exit
	// status; `exec` commands come bare.
	f := strings.Fields(strings.TrimLeft(cmd, "( \t\n"))
	if len(f) == 0 {
		return "(empty)"
	}
	w := strings.TrimRight(f[0], ";)")
	if !safeName(w) {
		return "(a command line that does not start with a program name)"
	}
	switch w {
	case "am", "pm", "cmd", "settings", "dumpsys", "input", "svc", "uiautomator", "wm", "content", "getprop":
		if len(f) > 1 {
			if sub := strings.TrimRight(f[1], ";)"); safeName(sub) && !strings.Contains(sub, "/") {
				w += " " + sub
			}
		}
	}
	return w
}

// safeName reports whether s looks like a command name, so it may be
// logged.
func safeName(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case r == '.', r == '_', r == '-', r == '/':
		default:
			return false
		}
	}
	return true
}
