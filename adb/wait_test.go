package adb_test

import (
	"context"
	"testing"
	"time"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake/fixture"
)

// accountListed is the until test of a wait for the account to go.
const accountListed = `! dumpsys account | grep -q 'Account {name=.*, type=com\.xiaomi}'`

func TestWaitWindow(t *testing.T) {
	ctx := context.Background()
	// "Signing out…" lasts 3 s, then the account is gone and Settings
	// shows: the wait ends with the account, on the phone's clock.
	ph2, _, d2 := setup(t, func(fx *fixture.Fixture) { fx.Display.Start = "progress" })
	t0 := ph2.Elapsed()
	got, err := adb.WaitWindow(ctx, d2, accountListed, 10*time.Second)
	if err != nil || got != adb.WaitUntilMet {
		t.Fatalf("WaitWindow on Signing out = %q, %v; want met", got, err)
	}
	if took := ph2.Elapsed() - t0; took < 3*time.Second || took > 3200*time.Millisecond {
		t.Errorf("the wait took %s of phone time, want 3 s and a step", took)
	}
	if c := ph2.Counters(); c.Shell != 1 || c.Dumps != 0 {
		t.Errorf("the wait cost %d shell calls and %d dumps, want one call and none", c.Shell, c.Dumps)
	}

	// "Turning off Find device…" (1.5 s) gives way to "Signing out…": a
	// window of its own, so the focus changes.
	ph3, _, d3 := setup(t, func(fx *fixture.Fixture) { fx.Display.Start = "progress-find-device" })
	t0 = ph3.Elapsed()
	if got, err := adb.WaitWindow(ctx, d3, accountListed, 10*time.Second); err != nil || got != adb.WaitFocusChanged {
		t.Fatalf("WaitWindow on Turning off Find device = %q, %v; want changed", got, err)
	}
	if took := ph3.Elapsed() - t0; took < 1500*time.Millisecond || took > 1700*time.Millisecond {
		t.Errorf("the wait took %s of phone time, want 1.5 s and a step", took)
	}

	// "Signing out…" still has 3 s to go: a 2 s limit ends the wait.
	t0 = ph3.Elapsed()
	if got, err := adb.WaitWindow(ctx, d3, "", 2*time.Second); err != nil || got != adb.WaitTimedOut {
		t.Fatalf("WaitWindow on a still screen = %q, %v; want timeout", got, err)
	}
	if took := ph3.Elapsed() - t0; took < 2*time.Second || took > 2300*time.Millisecond {
		t.Errorf("the wait took %s of phone time, want its 2 s limit", took)
	}
}
