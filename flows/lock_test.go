package flows_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/miacct/miacct/adb/fake/faketest"
	"github.com/miacct/miacct/flows"
)

func TestPhoneLockIsExclusiveAndReleased(t *testing.T) {
	dev, _ := faketest.Device(t, "miui14-en")
	ctx := context.Background()
	first, err := flows.LockPhone(ctx, dev, flows.LockOptions{Host: "bench-1", PID: 11, Command: "remove"})
	require.NoError(t, err)

	_, err = flows.LockPhone(ctx, dev, flows.LockOptions{Host: "bench 2!", PID: 22, Command: "remove"})
	var locked *flows.LockedError
	require.ErrorAs(t, err, &locked)
	assert.ErrorIs(t, err, flows.ErrLocked)
	assert.Equal(t, "bench-1", locked.Holder.Host)
	assert.Equal(t, 11, locked.Holder.PID)
	assert.Contains(t, err.Error(), "bench-1 (pid 11, remove)")

	require.NoError(t, first.Release(ctx))
	second, err := flows.LockPhone(ctx, dev, flows.LockOptions{Host: "bench 2!", PID: 22})
	require.NoError(t, err)
	assert.Equal(t, "bench_2_", second.Owner().Host, "the host name is kept to one plain word")
	// A release by a run that lost its lock leaves the new holder's alone.
	require.NoError(t, first.Release(ctx))
	_, err = flows.LockPhone(ctx, dev, flows.LockOptions{Host: "bench-3"})
	assert.ErrorIs(t, err, flows.ErrLocked)
	require.NoError(t, second.Release(ctx))
}

func TestPhoneLockConcurrentTakers(t *testing.T) {
	dev, _ := faketest.Device(t, "miui14-en")
	ctx := context.Background()
	const takers = 8
	var wg sync.WaitGroup
	errs := make([]error, takers)
	for i := range takers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = flows.LockPhone(ctx, dev, flows.LockOptions{Host: "host", PID: i})
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, flows.ErrLocked):
			t.Errorf("unexpected error: %v", err)
		}
	}
	assert.Equal(t, 1, won, "exactly one of %d concurrent runs gets the lock", takers)
}

func TestPhoneLockStaleRules(t *testing.T) {
	// The fake phone's boot id and uptime: a new phone has been up for
	// 3h25m17s (12317.42 s).
	cases := []struct {
		name  string
		owner string // the owner line left on the phone; BOOT is the current boot id
		stale bool
	}{
		{"live, same boot", "token=aa host=h pid=1 cmd=remove ttl=1800 reboot=0 boot=BOOT up=12000.00", false},
		{"too old, same boot", "token=aa host=h pid=1 cmd=remove ttl=60 reboot=0 boot=BOOT up=100.00", true},
		{"restarted unannounced", "token=aa host=h pid=1 cmd=remove ttl=1800 reboot=0 boot=other up=12300.00", true},
		{"restart announced, up less than ttl", "token=aa host=h pid=1 cmd=remove ttl=20000 reboot=1 boot=other up=5.00", false},
		{"restart announced, up longer than ttl", "token=aa host=h pid=1 cmd=remove ttl=1800 reboot=1 boot=other up=5.00", true},
		{"being written (no owner line)", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dev, _ := faketest.Device(t, "miui14-en")
			ctx := context.Background()
			res, err := dev.Shell(ctx, "cat /proc/sys/kernel/random/boot_id")
			require.NoError(t, err)
			boot := strings.TrimSpace(res.String())
			setup := "mkdir " + flows.PhoneLockDir
			if c.owner != "" {
				setup += " && echo '" + strings.ReplaceAll(c.owner, "BOOT", boot) + "' > " + flows.PhoneLockDir + "/owner"
			}
			_, err = dev.Shell(ctx, setup)
			require.NoError(t, err)
			l, err := flows.LockPhone(ctx, dev, flows.LockOptions{Host: "me", PID: 2, TTL: time.Hour})
			if !c.stale {
				assert.ErrorIs(t, err, flows.ErrLocked)
				return
			}
			require.NoError(t, err)
			require.NotNil(t, l.Stale)
			assert.Equal(t, "aa", l.Stale.Token)
			// The taken-over lock is ours now.
			_, err = flows.LockPhone(ctx, dev, flows.LockOptions{Host: "other"})
			assert.ErrorIs(t, err, flows.ErrLocked)
		})
	}
}

func TestPhoneLockSpansTheRunsOwnReboot(t *testing.T) {
	dev, ph := faketest.Device(t, "miui14-en")
	ctx := context.Background()
	l, err := flows.LockPhone(ctx, dev, flows.LockOptions{Host: "me", PID: 3})
	require.NoError(t, err)
	l.StepStarted(flows.StepReboot)
	require.NoError(t, l.Err())
	res, err := dev.Shell(ctx, "cat "+flows.PhoneLockDir+"/owner")
	require.NoError(t, err)
	assert.Contains(t, res.String(), "reboot=1")
	_, err = dev.Shell(ctx, "reboot")
	require.NoError(t, err)
	require.NoError(t, dev.WaitForDevice(ctx))
	require.Equal(t, 1, ph.Reboots())
	// Right after the restart, before the holder renews it: still held.
	_, err = flows.LockPhone(ctx, dev, flows.LockOptions{Host: "other"})
	assert.ErrorIs(t, err, flows.ErrLocked)
	l.StepFinished(flows.StepResult{Name: flows.StepReboot, Status: flows.StatusOK})
	require.NoError(t, l.Err())
	res, err = dev.Shell(ctx, "cat "+flows.PhoneLockDir+"/owner")
	require.NoError(t, err)
	assert.Contains(t, res.String(), "reboot=0")
	require.NoError(t, l.Release(ctx))
	res, err = dev.Shell(ctx, "ls /data/local/tmp")
	require.NoError(t, err)
	assert.NotContains(t, res.String(), "miacct.lock")
}
