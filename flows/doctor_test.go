package flows_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake/faketest"
	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/adb/fake/phone"
	"github.com/miacct/miacct/flows"
)

// diagnose runs doctor against a phone made from a built-in fixture
// (change may edit it first) through the real client and a fake server.
func diagnose(t *testing.T, name string, change func(*fixture.Fixture)) (*flows.Diagnosis, *phone.Phone) {
	t.Helper()
	fx := faketest.Fixture(t, name)
	if change != nil {
		change(fx)
	}
	env := faketest.Start(t, fx, faketest.Options{Client: adb.ClientOptions{CallTimeout: 10 * time.Second}})
	c := env.Client
	d := flows.Diagnose(context.Background(), flows.DoctorTarget{
		Server: func(ctx context.Context) error { _, err := c.Version(ctx); return err },
		Device: func(ctx context.Context) (adb.Device, error) { return c.Device(ctx, "") },
	})
	return d, env.Phone
}

// statuses is name=status for every check, in order.
func statuses(d *flows.Diagnosis) string {
	s := ""
	for _, c := range d.Checks {
		s += fmt.Sprintf("%s=%s ", c.Name, c.Status)
	}
	return s
}

func check(d *flows.Diagnosis, name string) flows.Check {
	for _, c := range d.Checks {
		if c.Name == name {
			return c
		}
	}
	return flows.Check{}
}

func TestDoctorOnFaultFixtures(t *testing.T) {
	tests := []struct {
		fixture string
		want    string
		failed  string // the first failed check, "" when OK
		fix     string // in the failed check's fix
	}{
		{"miui14-en", "adb-server=pass device=pass phone=pass screen=pass input=pass account=pass battery=pass ", "", ""},
		{"miui14-en-asleep", "adb-server=pass device=pass phone=pass screen=pass input=pass account=pass battery=pass ", "", ""},
		{"miui14-en-locked", "adb-server=pass device=pass phone=pass screen=fail input=pass account=pass battery=pass ", "screen", "unlock it"},
		{"miui14-en-no-injection", "adb-server=pass device=pass phone=pass screen=pass input=fail account=pass battery=pass ", "input", `"USB debugging (Security settings)", restart the phone`},
		{"miui14-en-no-account", "adb-server=pass device=pass phone=pass screen=pass input=pass account=fail battery=pass ", "account", "nothing to remove"},
		{"miui14-en-unauthorized", "adb-server=pass device=fail phone=skip screen=skip input=skip account=skip battery=skip ", "device", "Allow USB debugging?"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			d, ph := diagnose(t, tt.fixture, nil)
			assert.Equal(t, tt.want, statuses(d))
			if tt.failed == "" {
				assert.True(t, d.OK())
				assert.Nil(t, d.FirstFailure())
			} else {
				require.False(t, d.OK())
				f := d.FirstFailure()
				assert.Equal(t, tt.failed, f.Name)
				assert.Contains(t, f.Fix, tt.fix)
				assert.Error(t, f.Err)
			}
			// Read-only but for the one wake-up key: nothing started,
			// written, restarted or removed.
			c := ph.Counters()
			assert.LessOrEqual(t, c.Inputs, 1)
			assert.Zero(t, c.AmStarts)
			assert.Zero(t, c.Reboots)
			assert.Zero(t, c.Dumps)
			assert.Equal(t, "launcher", ph.Screen())
			assert.Equal(t, "0", ph.Setting("global", "stay_on_while_plugged_in"))
			if tt.fixture != "miui14-en-no-account" {
				assert.Len(t, ph.Accounts(), 2)
			}
		})
	}
}

func TestDoctorServerUnreachable(t *testing.T) {
	d := flows.Diagnose(context.Background(), flows.DoctorTarget{
		Server: func(context.Context) error { return fmt.Errorf("%w at 127.0.0.1:1", adb.ErrServerUnreachable) },
		Device: func(context.Context) (adb.Device, error) {
			t.Fatal("device asked for without a server")
			return nil, nil
		},
	})
	assert.Equal(t, "adb-server=fail device=skip phone=skip screen=skip input=skip account=skip battery=skip ", statuses(d))
	assert.Contains(t, check(d, "adb-server").Fix, "adb start-server")
	assert.ErrorIs(t, d.FirstFailure().Err, adb.ErrServerUnreachable)
}

func TestDoctorBatteryAndOtherPhones(t *testing.T) {
	d, _ := diagnose(t, "miui14-en", func(fx *fixture.Fixture) { fx.Battery.Level = 12 })
	b := check(d, "battery")
	assert.Equal(t, flows.CheckWarn, b.Status)
	assert.Equal(t, "12%, not charging", b.Detail)
	assert.True(t, d.OK(), "a warning alone does not fail")

	d, _ = diagnose(t, "miui14-en", func(fx *fixture.Fixture) { fx.Battery.Level, fx.Battery.Charging = 55, true })
	assert.Equal(t, "55%, charging", check(d, "battery").Detail)

	d, _ = diagnose(t, "miui14-en", func(fx *fixture.Fixture) {
		fx.Properties["ro.product.manufacturer"] = "Google"
		delete(fx.Properties, "ro.miui.ui.version.name")
		delete(fx.Properties, "ro.miui.ui.version.code")
	})
	p := check(d, "phone")
	assert.Equal(t, flows.CheckFail, p.Status)
	assert.Contains(t, p.Detail, `manufacturer "Google"`)
	assert.ErrorIs(t, p.Err, flows.ErrNotReady)

	d, _ = diagnose(t, "hyperos2-en", nil)
	assert.Contains(t, check(d, "phone").Detail, "HyperOS 2.0, Android 15")
	assert.True(t, d.OK(), statuses(d))
}

// Asleep with a secure lock: the wake-up key shows the lock screen, which
// doctor reports as a failure, as remove would.
func TestDoctorAsleepAndLocked(t *testing.T) {
	d, ph := diagnose(t, "miui14-en", func(fx *fixture.Fixture) {
		no, yes := false, true
		fx.Display.Awake, fx.Display.Locked = &no, &yes
	})
	s := check(d, "screen")
	assert.Equal(t, flows.CheckFail, s.Status)
	assert.Contains(t, s.Fix, "unlock")
	assert.True(t, ph.Awake(), "woken by the test key")
}
