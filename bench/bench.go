// Package bench holds what miacct's benchmarks share: the Go benchmarks
// of the host's own cost (bench_test.go, group 1 of BENCHMARKS.md), and
// the pieces the side-by-side driver (./cmd/miacct-bench) uses for groups
// 2 to 4: runs of `remove` on fake phones, the large dump, the command
// sequence miacct sends.
package bench

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"
	"time"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake"
	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/adb/fake/phone"
	"github.com/miacct/miacct/adb/hierarchy"
	"github.com/miacct/miacct/fixtures"
	"github.com/miacct/miacct/flows"
)

// Scenario is the reference phone of every benchmark: a Redmi Note 12
// whose fixture carries a real phone's latency model (a dump 1.5 s, an
// input 0.3 s, am start 0.8 s, a screen transition 0.5 s, booted 45 s
// after a reboot), all in simulated time.
const Scenario = "miui14-en"

// Password is the account password of the built-in fixtures.
const Password = `Mi pa$$ %s 'q' "dq" \ & ; | $(reboot)`

// LoadFixture loads a built-in fixture.
func LoadFixture(name string) (*fixture.Fixture, error) {
	return fixture.Loader{Builtin: fixtures.FS()}.Load(name)
}

// NewPhone makes a fresh phone of the reference scenario.
func NewPhone(opts phone.Options) (*phone.Phone, error) {
	fx, err := LoadFixture(Scenario)
	if err != nil {
		return nil, err
	}
	return phone.New(fx, opts)
}

// LargeDump is a uiautomator dump of at least minBytes: the reference
// phone's Settings screen, its rows repeated the way a long list is
// dumped. The texts stay unique, so a lookup must walk to the end.
func LargeDump(minBytes int) ([]byte, error) {
	data, err := fs.ReadFile(fixtures.FS(), Scenario+"/screens/settings.xml")
	if err != nil {
		return nil, fmt.Errorf("read the settings screen: %w", err)
	}
	h, err := hierarchy.Parse(data)
	if err != nil {
		return nil, err
	}
	// The list is the node with the most children.
	var list *hierarchy.Node
	h.Walk(func(n *hierarchy.Node) bool {
		if list == nil || len(n.Children) > len(list.Children) {
			list = n
		}
		return true
	})
	rows := list.Children
	for copyNo := 1; len(h.Marshal()) < minBytes; copyNo++ {
		for _, r := range rows {
			c := (&hierarchy.Hierarchy{Roots: []*hierarchy.Node{r}}).Clone().Roots[0]
			c.Walk(func(n *hierarchy.Node) bool {
				if n.Text != "" {
					n.Text = fmt.Sprintf("%s (%d)", n.Text, copyNo)
				}
				return true
			})
			c.Parent = list
			list.Children = append(list.Children, c)
		}
	}
	// The last row gets a text of its own: what the lookup looks for.
	last := list.Children[len(list.Children)-1]
	last.Walk(func(n *hierarchy.Node) bool {
		if n.Text != "" {
			n.Text = LastRowText
			return false
		}
		return true
	})
	return h.Marshal(), nil
}

// LastRowText is the text of the last row of LargeDump.
const LastRowText = "Sign in to Xiaomi Account (bottom)"

// Timeline records the phone's simulated clock at every step's start and
// end: the per-step device time of a run.
type Timeline struct {
	Phone *phone.Phone
	Steps []StepTime
	start time.Duration
}

// StepTime is one step's simulated device time and what it cost.
type StepTime struct {
	Name   string
	Status string
	Device time.Duration
	Dumps  int
	Inputs int
	Calls  int
}

func (t *Timeline) StepStarted(string) { t.start = t.Phone.Elapsed() }

func (t *Timeline) StepFinished(r flows.StepResult) {
	device := t.Phone.Elapsed() - t.start
	if r.Status == flows.StatusSkipped {
		device = 0 // a skipped step never started
	}
	t.Steps = append(t.Steps, StepTime{
		Name: r.Name, Status: r.Status, Device: device,
		Dumps: r.Dumps, Inputs: r.Inputs, Calls: r.ADBCalls,
	})
}

// RemoveInProcess runs `remove` on a fresh reference phone behind the
// in-process fake ADB server, through miacct's real ADB client. The
// observer, if any, hears the steps.
func RemoveInProcess(ctx context.Context, target fake.Target, obs flows.Observer) (*flows.Result, error) {
	srv, err := fake.NewServer(target)
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	dev, err := adb.NewClient(srv.Addr(), adb.ClientOptions{}).Device(ctx, "")
	if err != nil {
		return nil, err
	}
	return RemoveOn(ctx, dev, obs)
}

// RemoveOn runs `remove` on dev as `miacct remove --yes` does.
func RemoveOn(ctx context.Context, dev adb.Device, obs flows.Observer) (*flows.Result, error) {
	s, err := flows.Open(ctx, dev, flows.Options{Password: flows.NewSecret(Password), Observer: obs})
	if err != nil {
		return nil, err
	}
	res := s.Run(ctx, flows.Job{Flow: flows.FlowRemove})
	if err := s.Close(ctx); err != nil && res.Err == nil {
		res.Err = err
	}
	if res.Err != nil {
		return res, fmt.Errorf("remove: %w", res.Err)
	}
	return res, nil
}

// DeviceCommand is one device service as the phone received it, with the
// ADB client's framing taken off: miacct's exit-status wrapper around
// shell commands, and the shell protocol options.
type DeviceCommand struct {
	Kind string // shell, exec, reboot, sync
	Cmd  string
}

// Normalize turns the text of an OPEN into a DeviceCommand.
func Normalize(service string) DeviceCommand {
	kind, cmd, _ := strings.Cut(service, ":")
	kind, _, _ = strings.Cut(kind, ",") // shell,v2,raw -> shell
	if kind == "shell" {
		cmd = unwrapShell(cmd)
	}
	return DeviceCommand{Kind: kind, Cmd: cmd}
}

// unwrapShell undoes adb's wrapShell: "(" + cmd + "\n)\necho MARK$?".
func unwrapShell(cmd string) string {
	const tail = "\n)\necho :miacct-exit:$?"
	if strings.HasPrefix(cmd, "(") && strings.HasSuffix(cmd, tail) {
		return cmd[1 : len(cmd)-len(tail)]
	}
	return cmd
}

// Recorder is a Target that records the services opened on the one it
// wraps, for comparing command sequences. It keeps them in memory only:
// they hold the typed password.
type Recorder struct {
	fake.Target
	ch chan string
}

// NewRecorder wraps t.
func NewRecorder(t fake.Target) *Recorder { return &Recorder{Target: t, ch: make(chan string, 4096)} }

// Open records the service and opens it on the wrapped target.
func (r *Recorder) Open(ctx context.Context, service string) (fake.Service, error) {
	select {
	case r.ch <- service:
	default: // more than a run sends: the comparison fails on length
	}
	return r.Target.Open(ctx, service)
}

// Commands returns and forgets what was recorded so far.
func (r *Recorder) Commands() []DeviceCommand {
	var out []DeviceCommand
	for {
		select {
		case s := <-r.ch:
			out = append(out, Normalize(s))
		default:
			return out
		}
	}
}

// Compare says where two command sequences differ, without quoting the
// commands (they hold typed text): "" when they are the same.
func Compare(want, got []DeviceCommand) string {
	for i := range min(len(want), len(got)) {
		if want[i] != got[i] {
			return fmt.Sprintf("command %d differs: %s %s... vs %s %s...", i+1,
				want[i].Kind, firstWord(want[i].Cmd), got[i].Kind, firstWord(got[i].Cmd))
		}
	}
	if len(want) != len(got) {
		return fmt.Sprintf("%d commands vs %d", len(want), len(got))
	}
	return ""
}

func firstWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// InputTextCommands is what `remove` sends to type the password: the
// `input text` invocations joined with &&, as adb.Input chains them.
func InputTextCommands() (string, error) {
	cmds, err := adb.EncodeText(Password)
	if err != nil {
		return "", err
	}
	return strings.Join(cmds, " && "), nil
}

// Redact replaces the password's `input text` commands in cmd, for
// printing a sequence.
func Redact(cmd string) string {
	typed, err := InputTextCommands()
	if err != nil || typed == "" {
		return cmd
	}
	return strings.ReplaceAll(cmd, typed, "$TYPE_PASSWORD")
}

// Sum adds durations.
func Sum(ds ...time.Duration) time.Duration {
	var t time.Duration
	for _, d := range ds {
		t += d
	}
	return t
}

// ServiceTimer is a Target that adds up the wall time the wrapped target
// spends running services: the fake phone's own share of a round trip.
type ServiceTimer struct {
	fake.Target
	mu    sync.Mutex
	total time.Duration
}

// NewServiceTimer wraps t.
func NewServiceTimer(t fake.Target) *ServiceTimer { return &ServiceTimer{Target: t} }

// Open opens the service on the wrapped target and times its run.
func (st *ServiceTimer) Open(ctx context.Context, service string) (fake.Service, error) {
	start := time.Now()
	svc, err := st.Target.Open(ctx, service)
	st.add(time.Since(start))
	if err != nil || svc == nil {
		return svc, err
	}
	return func(ctx context.Context, rw io.ReadWriter) error {
		start := time.Now()
		defer func() { st.add(time.Since(start)) }()
		return svc(ctx, rw)
	}, nil
}

func (st *ServiceTimer) add(d time.Duration) {
	st.mu.Lock()
	st.total += d
	st.mu.Unlock()
}

// Take returns the time added up since the last Take.
func (st *ServiceTimer) Take() time.Duration {
	st.mu.Lock()
	defer st.mu.Unlock()
	t := st.total
	st.total = 0
	return t
}
