package flows_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake/faketest"
	"github.com/miacct/miacct/adb/fake/phone"
	"github.com/miacct/miacct/fixtures"
	"github.com/miacct/miacct/flows"
	"github.com/miacct/miacct/flows/texts"
	"github.com/miacct/miacct/flows/ui"
)

const demoPassword = `Mi pa$$ %s 'q' "dq" \ & ; | $(reboot)`

// servePhone serves a built-in fixture on a loopback fake ADB server and
// returns the phone (to read its state) and a device connected through
// the real client code.
func servePhone(t testing.TB, name string) (*phone.Phone, adb.Device) {
	t.Helper()
	env := faketest.Start(t, faketest.Fixture(t, name), faketest.Options{Client: adb.ClientOptions{CallTimeout: 10 * time.Second}})
	require.NotNil(t, env.Device, "the phone is usable over ADB")
	return env.Phone, env.Device
}

func openSession(t testing.TB, dev adb.Device, opts flows.Options) *flows.Session {
	t.Helper()
	s, err := flows.Open(context.Background(), dev, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

// failsOnPurpose are the built-in phones that do not let remove through,
// and the error each ends with (the fault fixtures, and a phone in a
// language miacct has no words for). Every other built-in phone must
// sign out; the list of phones comes from the loader, so a new fixture
// is covered without being named here.
func failsOnPurpose() map[string]error {
	return map[string]error{
		"miui14-en-locked":         flows.ErrNotReady,
		"miui14-en-no-injection":   flows.ErrNotReady,
		"miui14-en-unauthorized":   adb.ErrUnauthorized,
		"miui14-en-unknown-screen": ui.ErrUnexpectedScreen,
		"miui14-en-hang":           adb.ErrTimeout,
		"miui14-hi":                ui.ErrUnexpectedScreen,
	}
}

// builtInPhones lists every built-in fixture, from the loader.
func builtInPhones(t testing.TB) []string {
	t.Helper()
	entries, err := fs.ReadDir(fixtures.FS(), ".")
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		if _, err := fs.Stat(fixtures.FS(), e.Name()+"/fixture.yaml"); e.IsDir() && err == nil {
			out = append(out, e.Name())
		}
	}
	require.NotEmpty(t, out)
	return out
}

func TestRemoveOnEveryBuiltInPhone(t *testing.T) {
	for _, name := range builtInPhones(t) {
		if _, fails := failsOnPurpose()[name]; fails {
			continue
		}
		for _, keep := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/keep=%t", name, keep), func(t *testing.T) {
				ph, dev := servePhone(t, name)
				if !hasXiaomiAccount(ph) {
					return // miui14-en-no-account: TestRemoveOnFaultFixtures
				}
				s := openSession(t, dev, flows.Options{Password: flows.NewSecret(demoPassword), KeepData: keep})
				_, err := s.Inspect(context.Background())
				require.NoError(t, err)
				res := s.Run(context.Background(), flows.Job{Flow: flows.FlowRemove})
				require.NoError(t, res.Err, "%s", stepLog(res))
				for _, st := range res.Steps {
					assert.NotEqual(t, flows.StatusFailed, st.Status, "%s: %s", st.Name, st.Message)
				}
				// The phone itself says the job is done.
				assert.False(t, hasXiaomiAccount(ph), "Xiaomi account still on the phone")
				want := "remove"
				if keep {
					want = "keep"
				}
				assert.Equal(t, want, ph.DataChoice())
				assert.Equal(t, 1, ph.Reboots(), "one restart, none from the typed $(reboot)")
				assert.Contains(t, []string{demoPassword, ""}, ph.TypedText(), "the password reached the phone exactly, at most once")
				require.NoError(t, s.Close(context.Background()))
				assert.Equal(t, "0", ph.Setting("global", "stay_on_while_plugged_in"), "stay-awake setting restored")
				assert.Empty(t, ph.Unrecorded(), "every action had an effect the fixture knows")
			})
		}
	}
}

// stepLog is a run's steps, for failure messages.
func stepLog(res *flows.Result) string {
	var b strings.Builder
	for _, st := range res.Steps {
		fmt.Fprintf(&b, "\n  %s %s: %s", st.Name, st.Status, st.Message)
	}
	return b.String()
}

// A real phone spends seconds on each dump and each input; the flow must
// stay within budget on the reference phone.
func TestRemoveBudget(t *testing.T) {
	ph, dev := servePhone(t, "miui14-en")
	s := openSession(t, dev, flows.Options{Password: flows.NewSecret(demoPassword)})
	res := s.Run(context.Background(), flows.Job{Flow: flows.FlowRemove})
	require.NoError(t, res.Err)
	c := ph.Counters()
	assert.LessOrEqual(t, c.Dumps, 12, "hierarchy dumps")
	assert.LessOrEqual(t, c.Inputs, 12, "input invocations, password included")
	// What the flow counted agrees with what the phone saw.
	tot := res.Totals()
	assert.Equal(t, c.Dumps, tot.Dumps)
	assert.Equal(t, c.Inputs, tot.Inputs)
	t.Logf("dumps %d, inputs %d, adb calls %d, simulated device time %s", c.Dumps, c.Inputs, tot.ADBCalls, ph.Elapsed())
}

func TestKeepData(t *testing.T) {
	ph, dev := servePhone(t, "miui14-en")
	s := openSession(t, dev, flows.Options{Password: flows.NewSecret(demoPassword), KeepData: true, NoReboot: true})
	res := s.Run(context.Background(), flows.Job{Flow: flows.FlowRemove})
	require.NoError(t, res.Err)
	assert.Equal(t, "keep", ph.DataChoice())
	assert.Equal(t, 0, ph.Reboots())
	assert.Equal(t, flows.StatusSkipped, res.Steps[6].Status)
}

func TestWrongPasswordIsNotRetried(t *testing.T) {
	ph, dev := servePhone(t, "miui14-en")
	s := openSession(t, dev, flows.Options{Password: flows.NewSecret("not the password")})
	res := s.Run(context.Background(), flows.Job{Flow: flows.FlowRemove})
	require.ErrorIs(t, res.Err, flows.ErrWrongPassword)
	assert.Equal(t, flows.StepSignOut, res.Resume)
	assert.Equal(t, "not the password", ph.TypedText(), "typed once, never again")
	assert.Equal(t, "account", ph.Screen(), "the dialog was cancelled")
	assert.Equal(t, 0, ph.Reboots())
	assert.NotEmpty(t, ph.Accounts())

	// Resuming with the right password from the step it names finishes.
	s2 := openSession(t, dev, flows.Options{Password: flows.NewSecret(demoPassword)})
	res = s2.Run(context.Background(), flows.Job{Flow: flows.FlowRemove, From: res.Resume})
	require.NoError(t, res.Err)
	assert.Equal(t, flows.StatusSkipped, res.Steps[1].Status)
}

func TestDryRunChangesNothing(t *testing.T) {
	ph, dev := servePhone(t, "miui14-en")
	s := openSession(t, dev, flows.Options{DryRun: true})
	res := s.Run(context.Background(), flows.Job{Flow: flows.FlowRemove})
	require.NoError(t, res.Err)
	c := ph.Counters()
	assert.Zero(t, c.Inputs)
	assert.Zero(t, c.AmStarts)
	assert.Zero(t, c.Reboots)
	assert.Equal(t, "launcher", ph.Screen())
	assert.Equal(t, "0", ph.Setting("global", "stay_on_while_plugged_in"))
	plan := s.Plan(flows.Job{Flow: flows.FlowRemove})
	require.Len(t, plan, 8)
}

func TestStepAloneChecksWhereThePhoneIs(t *testing.T) {
	_, dev := servePhone(t, "miui14-en")
	s := openSession(t, dev, flows.Options{})
	res := s.Run(context.Background(), flows.Job{Step: flows.StepRemoveData})
	require.ErrorIs(t, res.Err, flows.ErrPrecondition)
	assert.Contains(t, res.Err.Error(), "run `miacct step open-account` first")
	res = s.Run(context.Background(), flows.Job{Step: "nope"})
	require.ErrorIs(t, res.Err, flows.ErrUnknownStep)
}

func TestInterruptStopsBetweenCalls(t *testing.T) {
	ph, dev := servePhone(t, "miui14-en")
	stop := make(chan struct{})
	obs := &stopAfter{step: flows.StepOpenAccount, stop: stop}
	s := openSession(t, dev, flows.Options{Password: flows.NewSecret(demoPassword), Stop: stop, Observer: obs})
	res := s.Run(context.Background(), flows.Job{Flow: flows.FlowRemove})
	require.ErrorIs(t, res.Err, flows.ErrInterrupted)
	assert.Equal(t, flows.StepSignOut, res.Resume, "the phone shows the account screen: resume at sign-out")
	assert.Equal(t, "account", ph.Screen())
	require.NoError(t, s.Close(context.Background()))
	assert.Equal(t, "0", ph.Setting("global", "stay_on_while_plugged_in"), "restored after the interruption")
}

// stopAfter closes stop when a step has finished, like a Ctrl-C then.
type stopAfter struct {
	step string
	stop chan struct{}
}

func (o *stopAfter) StepStarted(string) {}
func (o *stopAfter) StepFinished(r flows.StepResult) {
	if r.Name == o.step {
		close(o.stop)
	}
}

func BenchmarkRemove(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, dev := servePhone(b, "miui14-en")
		s, err := flows.Open(context.Background(), dev, flows.Options{Password: flows.NewSecret(demoPassword)})
		if err != nil {
			b.Fatal(err)
		}
		if res := s.Run(context.Background(), flows.Job{Flow: flows.FlowRemove}); res.Err != nil {
			b.Fatal(res.Err)
		}
	}
}

// A phone that names no locale is read by its screens: the Chinese phone
// without persist.sys.locale and ro.product.locale still signs out.
func TestRemoveWithoutLocale(t *testing.T) {
	fx := faketest.Fixture(t, "miui14-zh")
	delete(fx.Properties, "persist.sys.locale")
	delete(fx.Properties, "ro.product.locale")
	env := faketest.Start(t, fx, faketest.Options{})
	dev, ph := env.Device, env.Phone
	s := openSession(t, dev, flows.Options{Password: flows.NewSecret(demoPassword)})
	assert.Empty(t, s.Language(), "no language known before the screens are read")
	res := s.Run(context.Background(), flows.Job{Flow: flows.FlowRemove})
	require.NoError(t, res.Err)
	assert.Equal(t, "remove", ph.DataChoice(), "found 删除 among every language's Remove")
}

// A phone in a language miacct has no words for gets as far as ids carry
// (the account intent, Sign out by id) and stops cleanly on the first
// screen that needs words, naming it, without a guessed tap; with the
// user's words (--texts) it goes all the way.
func TestPhoneWithoutWordsStopsCleanlyThenTakesTheUsersWords(t *testing.T) {
	ph, dev := servePhone(t, "miui14-hi")
	s := openSession(t, dev, flows.Options{Password: flows.NewSecret(demoPassword)})
	res := s.Run(context.Background(), flows.Job{Flow: flows.FlowRemove})
	require.ErrorIs(t, res.Err, ui.ErrUnexpectedScreen)
	assert.Contains(t, res.Err.Error(), "com.miui.cloudservice", "names the screen: its app, title and buttons")
	assert.Contains(t, res.Err.Error(), "डिवाइस ढूंढें बंद करें?")
	assert.Equal(t, "find-device-dialog", ph.Screen(), "nothing tapped on a screen it cannot read")
	assert.True(t, hasXiaomiAccount(ph))
	assert.Equal(t, flows.StepSignOut, res.Resume, "the step that met the screen; it finds its goal reached when run again")
	require.NoError(t, s.Close(context.Background()))

	builtin, err := texts.Builtin()
	require.NoError(t, err)
	hindi, err := os.ReadFile("testdata/hi.yaml")
	require.NoError(t, err)
	catalog, err := builtin.With("testdata/hi.yaml", hindi)
	require.NoError(t, err)
	s2 := openSession(t, dev, flows.Options{Password: flows.NewSecret(demoPassword), Texts: catalog})
	assert.Equal(t, "hi", s2.Language())
	res = s2.Run(context.Background(), flows.Job{Flow: flows.FlowRemove, From: res.Resume})
	require.NoError(t, res.Err, "%s", stepLog(res))
	assert.False(t, hasXiaomiAccount(ph))
	assert.Equal(t, "remove", ph.DataChoice())
	assert.Equal(t, demoPassword, ph.TypedText())
}

// Whatever order the phone asks in (Find device, data, password; Find
// device, password, data; password, data; data only), a wrong password
// is typed exactly once and never again, the dialog is closed, and the
// run names sign-out; a phone that never asks for it types nothing.
func TestWrongPasswordTypedOnceWhateverTheOrder(t *testing.T) {
	for _, name := range builtInPhones(t) {
		if _, fails := failsOnPurpose()[name]; fails {
			continue
		}
		t.Run(name, func(t *testing.T) {
			ph, dev := servePhone(t, name)
			if !hasXiaomiAccount(ph) {
				return
			}
			s := openSession(t, dev, flows.Options{Password: flows.NewSecret("not the password")})
			res := s.Run(context.Background(), flows.Job{Flow: flows.FlowRemove})
			switch ph.TypedText() {
			case "":
				require.NoError(t, res.Err, "a phone that never asks for the password signs out: %s", stepLog(res))
			case "not the password":
				require.ErrorIs(t, res.Err, flows.ErrWrongPassword, "%s", stepLog(res))
				assert.Equal(t, flows.StepSignOut, res.Resume)
				assert.True(t, hasXiaomiAccount(ph))
				assert.Zero(t, ph.Reboots())
				assert.NotContains(t, []string{"password-dialog", "wrong-password"}, ph.Screen(), "the dialog was closed")
			default:
				t.Fatalf("typed %q: the password must be typed exactly once", ph.TypedText())
			}
		})
	}
}
