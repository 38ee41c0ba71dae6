package flows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake/faketest"
	"github.com/miacct/miacct/adb/fake/phone"
	"github.com/miacct/miacct/flows"
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

func TestRemoveOnEveryBuiltInPhone(t *testing.T) {
	for _, name := range []string{"miui14-en", "miui12-en", "hyperos2-en", "miui14-zh", "miui14-id"} {
		t.Run(name, func(t *testing.T) {
			ph, dev := servePhone(t, name)
			s := openSession(t, dev, flows.Options{Password: flows.NewSecret(demoPassword)})
			res := s.Remove(context.Background(), "")
			require.NoError(t, res.Err)
			require.Len(t, res.Steps, 8)
			for _, st := range res.Steps {
				assert.Equal(t, flows.StatusOK, st.Status, "%s: %s", st.Name, st.Message)
			}
			// The phone itself says the job is done.
			for _, a := range ph.Accounts() {
				assert.NotEqual(t, "com.xiaomi", a.Type, "Xiaomi account still on the phone")
			}
			assert.Equal(t, "remove", ph.DataChoice())
			assert.Equal(t, 1, ph.Reboots(), "one restart, none from the typed $(reboot)")
			assert.Equal(t, demoPassword, ph.TypedText(), "the password reached the phone exactly")
			assert.Equal(t, "2", ph.Setting("global", "stay_on_while_plugged_in"), "kept awake during the run")
			require.NoError(t, s.Close(context.Background()))
			assert.Equal(t, "0", ph.Setting("global", "stay_on_while_plugged_in"), "stay-awake setting restored")
			assert.Empty(t, ph.Unrecorded(), "every action had an effect the fixture knows")
		})
	}
}

// A real phone spends seconds on each dump and each input; the flow must
// stay within budget on the reference phone.
func TestRemoveBudget(t *testing.T) {
	ph, dev := servePhone(t, "miui14-en")
	s := openSession(t, dev, flows.Options{Password: flows.NewSecret(demoPassword)})
	res := s.Remove(context.Background(), "")
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
	res := s.Remove(context.Background(), "")
	require.NoError(t, res.Err)
	assert.Equal(t, "keep", ph.DataChoice())
	assert.Equal(t, 0, ph.Reboots())
	assert.Equal(t, flows.StatusSkipped, res.Steps[6].Status)
}

func TestWrongPasswordIsNotRetried(t *testing.T) {
	ph, dev := servePhone(t, "miui14-en")
	s := openSession(t, dev, flows.Options{Password: flows.NewSecret("not the password")})
	res := s.Remove(context.Background(), "")
	require.ErrorIs(t, res.Err, flows.ErrWrongPassword)
	assert.Equal(t, flows.StepSignOut, res.Resume)
	assert.Equal(t, "not the password", ph.TypedText(), "typed once, never again")
	assert.Equal(t, "account", ph.Screen(), "the dialog was cancelled")
	assert.Equal(t, 0, ph.Reboots())
	assert.NotEmpty(t, ph.Accounts())

	// Resuming with the right password from the step it names finishes.
	s2 := openSession(t, dev, flows.Options{Password: flows.NewSecret(demoPassword)})
	res = s2.Remove(context.Background(), res.Resume)
	require.NoError(t, res.Err)
	assert.Equal(t, flows.StatusSkipped, res.Steps[1].Status)
}

func TestDryRunChangesNothing(t *testing.T) {
	ph, dev := servePhone(t, "miui14-en")
	s := openSession(t, dev, flows.Options{DryRun: true})
	res := s.Remove(context.Background(), "")
	require.NoError(t, res.Err)
	c := ph.Counters()
	assert.Zero(t, c.Inputs)
	assert.Zero(t, c.AmStarts)
	assert.Zero(t, c.Reboots)
	assert.Equal(t, "launcher", ph.Screen())
	assert.Equal(t, "0", ph.Setting("global", "stay_on_while_plugged_in"))
	plan := s.Plan(flows.FlowRemove, "")
	require.Len(t, plan, 8)
}

func TestStepAloneChecksWhereThePhoneIs(t *testing.T) {
	_, dev := servePhone(t, "miui14-en")
	s := openSession(t, dev, flows.Options{})
	res := s.RunStep(context.Background(), flows.StepRemoveData)
	require.ErrorIs(t, res.Err, flows.ErrPrecondition)
	assert.Contains(t, res.Err.Error(), "run `miacct step sign-out` first")
	res = s.RunStep(context.Background(), "nope")
	require.ErrorIs(t, res.Err, flows.ErrUnknownStep)
}

func TestInterruptStopsBetweenCalls(t *testing.T) {
	ph, dev := servePhone(t, "miui14-en")
	stop := make(chan struct{})
	obs := &stopAfter{step: flows.StepOpenAccount, stop: stop}
	s := openSession(t, dev, flows.Options{Password: flows.NewSecret(demoPassword), Stop: stop, Observer: obs})
	res := s.Remove(context.Background(), "")
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
		if res := s.Remove(context.Background(), ""); res.Err != nil {
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
	assert.Empty(t, s.Texts().Lang, "no language known before the screens are read")
	res := s.Remove(context.Background(), "")
	require.NoError(t, res.Err)
	assert.Equal(t, "remove", ph.DataChoice(), "found 删除 among every language's Remove")
}
