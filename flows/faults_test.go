package flows_test

import (
	"context"
	"errors"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake"
	"github.com/miacct/miacct/adb/fake/faketest"
	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/adb/fake/phone"
	"github.com/miacct/miacct/flows"
	"github.com/miacct/miacct/flows/ui"
)

// serveTarget serves a target and returns a device with the given call
// timeout, through the real client.
func serveTarget(t *testing.T, target fake.Target, timeout time.Duration) adb.Device {
	t.Helper()
	env := faketest.Serve(t, faketest.Options{Client: adb.ClientOptions{CallTimeout: timeout}}, target)
	require.NotNil(t, env.Device, "the phone is usable over ADB")
	return env.Device
}

func newFixturePhone(t *testing.T, name string, change func(*fixture.Fixture)) *phone.Phone {
	t.Helper()
	fx := faketest.Fixture(t, name)
	if change != nil {
		change(fx)
	}
	ph, err := phone.New(fx, phone.Options{})
	require.NoError(t, err)
	return ph
}

func hasXiaomiAccount(p *phone.Phone) bool {
	return slices.ContainsFunc(p.Accounts(), func(a fixture.Account) bool { return a.Type == "com.xiaomi" })
}

// Each fault fixture ends in the state its description promises, and the
// phone shows what was (not) done.
func TestRemoveOnFaultFixtures(t *testing.T) {
	untouched := func(t *testing.T, p *phone.Phone) {
		t.Helper()
		assert.True(t, hasXiaomiAccount(p), "account still on the phone")
		assert.Empty(t, p.DataChoice())
		assert.Zero(t, p.Reboots())
		assert.Equal(t, "0", p.Setting("global", "stay_on_while_plugged_in"), "stay-awake untouched or restored")
	}
	done := func(t *testing.T, p *phone.Phone, res *flows.Result) {
		t.Helper()
		require.NoError(t, res.Err)
		assert.False(t, hasXiaomiAccount(p), "account removed")
		assert.Equal(t, "remove", p.DataChoice())
		assert.Equal(t, 1, p.Reboots())
		assert.Equal(t, "0", p.Setting("global", "stay_on_while_plugged_in"))
	}
	tests := []struct {
		fixture string
		check   func(t *testing.T, p *phone.Phone, res *flows.Result)
	}{
		{"miui14-en-locked", func(t *testing.T, p *phone.Phone, res *flows.Result) {
			require.ErrorIs(t, res.Err, flows.ErrNotReady)
			assert.Contains(t, res.Err.Error(), "unlock it and keep the screen on")
			assert.Empty(t, res.Resume, "fix and run the same command again")
			assert.Zero(t, p.Counters().Inputs, "nothing sent to a locked phone")
			assert.Zero(t, p.Counters().AmStarts, "nothing started on a locked phone")
			untouched(t, p)
		}},
		{"miui14-en-asleep", func(t *testing.T, p *phone.Phone, res *flows.Result) {
			done(t, p, res)
			assert.Contains(t, res.Steps[0].Message, "woke the screen")
		}},
		{"miui14-en-no-injection", func(t *testing.T, p *phone.Phone, res *flows.Result) {
			require.ErrorIs(t, res.Err, flows.ErrNotReady)
			assert.Contains(t, res.Err.Error(), `"USB debugging (Security settings)", restart the phone`)
			assert.Equal(t, 1, p.Counters().Inputs, "the first input was refused, then nothing: no key is needed on an awake screen, and opening screens changes nothing")
			untouched(t, p)
		}},
		{"miui14-en-no-account", func(t *testing.T, p *phone.Phone, res *flows.Result) {
			require.NoError(t, res.Err)
			assert.True(t, res.NothingToDo)
			assert.Contains(t, res.Steps[0].Message, "nothing to remove")
			assert.Zero(t, p.Counters().Inputs)
			assert.Zero(t, p.Counters().AmStarts)
			assert.Zero(t, p.Reboots())
		}},
		{"miui14-en-flaky", func(t *testing.T, p *phone.Phone, res *flows.Result) {
			done(t, p, res)
			assert.Greater(t, p.Counters().Dumps, res.Totals().Dumps-1, "every retried dump was counted")
			assert.Greater(t, res.Totals().Dumps, 8, "the faulty dumps were retried")
		}},
		{"miui14-en-popup", func(t *testing.T, p *phone.Phone, res *flows.Result) {
			done(t, p, res)
			assert.Contains(t, res.Steps[3].Message, `closed a pop-up: a screen titled "New system update available" (com.android.updater)`)
			assert.Len(t, res.Steps[3].Dismissed, 1, "the report lists it")
		}},
		{"miui14-en-unknown-screen", func(t *testing.T, p *phone.Phone, res *flows.Result) {
			require.ErrorIs(t, res.Err, ui.ErrUnexpectedScreen)
			assert.Contains(t, res.Err.Error(), `the phone shows a screen titled "Security check" (com.xiaomi.account) with buttons "Cancel", "Verify" after tapping Sign out`)
			var ue *ui.UnexpectedScreenError
			require.ErrorAs(t, res.Err, &ue)
			assert.NotNil(t, ue.Hierarchy, "the last hierarchy is kept for the report")
			assert.Equal(t, "security-check", p.Screen(), "nothing was tapped on the unknown screen")
			assert.True(t, hasXiaomiAccount(p))
			assert.Empty(t, p.DataChoice())
			assert.Equal(t, "0", p.Setting("global", "stay_on_while_plugged_in"))
		}},
		{"miui14-en-disconnect", func(t *testing.T, p *phone.Phone, res *flows.Result) {
			done(t, p, res)
			assert.Contains(t, res.Steps[3].Message, "the phone dropped off ADB; waited for it and carried on")
			assert.Equal(t, demoPassword, p.TypedText(), "typed once")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			ph := newFixturePhone(t, tt.fixture, nil)
			dev := serveTarget(t, ph, 10*time.Second)
			s, err := flows.Open(context.Background(), dev, flows.Options{Password: flows.NewSecret(demoPassword)})
			require.NoError(t, err)
			res := s.Run(context.Background(), flows.Job{Flow: flows.FlowRemove})
			require.NoError(t, s.Close(context.Background()))
			tt.check(t, ph, res)
		})
	}
}

func TestUnauthorizedFixture(t *testing.T) {
	env := faketest.Start(t, faketest.Fixture(t, "miui14-en-unauthorized"), faketest.Options{})
	ph := env.Phone
	_, err := env.Client.Device(context.Background(), "")
	require.ErrorIs(t, err, adb.ErrUnauthorized)
	assert.Contains(t, err.Error(), "RSA")
	assert.Zero(t, ph.Counters().Shell+ph.Counters().Exec)
}

// A command that never returns ends at the call's deadline (the CLI's
// --timeout) with a timeout, and the run names the step to resume from.
func TestHangFixtureTimesOut(t *testing.T) {
	ph := newFixturePhone(t, "miui14-en-hang", nil)
	dev := serveTarget(t, ph, 300*time.Millisecond)
	s, err := flows.Open(context.Background(), dev, flows.Options{Password: flows.NewSecret(demoPassword)})
	require.NoError(t, err)
	res := s.Run(context.Background(), flows.Job{Flow: flows.FlowRemove})
	require.ErrorIs(t, res.Err, adb.ErrTimeout)
	// The account intent resolves (resolve-activity), so Settings is
	// skipped and the first dump, which hangs, is the account screen's.
	assert.Equal(t, flows.StepOpenAccount, res.Resume)
	require.NoError(t, s.Close(context.Background()), "the phone still answers other commands")
	assert.Equal(t, "0", ph.Setting("global", "stay_on_while_plugged_in"))
	assert.True(t, hasXiaomiAccount(ph))
}

// The phone drops off ADB while the password is confirmed, after it was
// accepted: the step is not repeated, the run stops as a lost device
// (exit 7) naming reboot, and resuming there finishes the job.
func TestDisconnectAfterPasswordAccepted(t *testing.T) {
	ph := newFixturePhone(t, "miui14-en", func(fx *fixture.Fixture) {
		trs := fx.Screens["password-dialog"].Transitions
		for i := range trs {
			if trs[i].When == "password-correct" {
				trs[i].Effects = append(trs[i].Effects, "disconnect")
			}
		}
	})
	dev := serveTarget(t, ph, 10*time.Second)
	s, err := flows.Open(context.Background(), dev, flows.Options{Password: flows.NewSecret(demoPassword)})
	require.NoError(t, err)
	res := s.Run(context.Background(), flows.Job{Flow: flows.FlowRemove})
	require.NoError(t, s.Close(context.Background()), "restored once the phone was back")
	require.ErrorIs(t, res.Err, adb.ErrDeviceLost)
	assert.Contains(t, res.Err.Error(), "the password was accepted")
	assert.Equal(t, flows.StepReboot, res.Resume)
	assert.Equal(t, demoPassword, ph.TypedText(), "typed once, not repeated")
	assert.Zero(t, ph.Reboots())

	s2, err := flows.Open(context.Background(), dev, flows.Options{})
	require.NoError(t, err)
	res = s2.Run(context.Background(), flows.Job{Flow: flows.FlowRemove, From: res.Resume})
	require.NoError(t, res.Err)
	assert.Equal(t, 1, ph.Reboots())
	assert.False(t, hasXiaomiAccount(ph))
}

// dropTap is a phone whose connection drops once while the password is
// confirmed, after the text was typed but before OK was tapped: the
// phone keeps the typed text in the field.
type dropTap struct {
	*phone.Phone
	dropped atomic.Bool
}

// confirmTap is the tap on OK chained after the typing.
var confirmTap = regexp.MustCompile(` && input tap \d+ \d+`)

func (d *dropTap) Open(ctx context.Context, service string) (fake.Service, error) {
	typeOnly := confirmTap.ReplaceAllString(service, "")
	if !strings.Contains(service, "input text ") || typeOnly == service || !d.dropped.CompareAndSwap(false, true) {
		return d.Phone.Open(ctx, service)
	}
	svc, err := d.Phone.Open(ctx, typeOnly) // the typing reaches the phone, the tap does not
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, _ io.ReadWriter) error {
		pr, pw := io.Pipe()
		defer pw.Close()
		_ = svc(ctx, struct {
			io.Reader
			io.Writer
		}{pr, io.Discard})
		return errors.New("connection lost")
	}, nil
}

// The phone drops off ADB between typing and OK: the run names
// enter-password, and resuming deletes the text left in the field before
// typing, so the password is right the second time.
func TestDisconnectBeforeOKClearsTheField(t *testing.T) {
	ph := &dropTap{Phone: newFixturePhone(t, "miui14-en", nil)}
	dev := serveTarget(t, ph, 10*time.Second)
	s, err := flows.Open(context.Background(), dev, flows.Options{Password: flows.NewSecret(demoPassword)})
	require.NoError(t, err)
	res := s.Run(context.Background(), flows.Job{Flow: flows.FlowRemove})
	require.True(t, ph.dropped.Load(), "the connection was dropped")
	require.ErrorIs(t, res.Err, adb.ErrDeviceLost)
	assert.Contains(t, res.Err.Error(), "the account is still signed in")
	assert.Equal(t, flows.StepEnterPassword, res.Resume)
	assert.Equal(t, "password-dialog", ph.Screen())
	assert.Equal(t, demoPassword, ph.TypedText(), "typed, not confirmed")

	s2, err := flows.Open(context.Background(), dev, flows.Options{Password: flows.NewSecret(demoPassword)})
	require.NoError(t, err)
	res = s2.Run(context.Background(), flows.Job{Flow: flows.FlowRemove, From: res.Resume})
	require.NoError(t, res.Err)
	assert.False(t, hasXiaomiAccount(ph.Phone))
	assert.Equal(t, demoPassword+demoPassword, ph.TypedText())
}

// A run killed after turning stay-awake on (kill -9: no Close) left the
// original value on the phone; the next run puts that back, not the "on"
// it finds.
func TestKilledRunsStayAwakeIsRepairedByTheNext(t *testing.T) {
	ph := newFixturePhone(t, "miui14-en", nil)
	dev := serveTarget(t, ph, 10*time.Second)
	s, err := flows.Open(context.Background(), dev, flows.Options{Password: flows.NewSecret(demoPassword)})
	require.NoError(t, err)
	res := s.Run(context.Background(), flows.Job{Step: flows.StepPreflight})
	require.NoError(t, res.Err)
	require.Equal(t, "2", ph.Setting("global", "stay_on_while_plugged_in"))
	// Killed here: s.Close never runs.

	s2, err := flows.Open(context.Background(), dev, flows.Options{Password: flows.NewSecret(demoPassword)})
	require.NoError(t, err)
	res = s2.Run(context.Background(), flows.Job{Step: flows.StepPreflight})
	require.NoError(t, res.Err)
	assert.Contains(t, res.Steps[0].Message, "an earlier, interrupted run")
	require.NoError(t, s2.Close(context.Background()))
	assert.Equal(t, "0", ph.Setting("global", "stay_on_while_plugged_in"), "the value before the killed run, not its 'on'")
}
