package phone

import (
	"context"
	"time"
)

// The phone's clock is simulated: Phone.now only moves when the phone
// spends time (latencies, sleep, reboots, polls, waits). Nothing sleeps
// for real unless Options.Realtime asks for it.

// advanceLocked moves the simulated clock by d, making the screens' own
// timed moves that came due (catchUpLocked), and returns the real time to
// sleep for it (zero unless Realtime is set); the caller sleeps after
// unlocking.
func (p *Phone) advanceLocked(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	p.now += d
	p.catchUpLocked()
	if p.realtime <= 0 {
		return 0
	}
	return time.Duration(float64(d) * p.realtime)
}

// sleepReal sleeps d of real time, or until ctx ends. It is only ever
// asked to sleep when Options.Realtime is set.
func sleepReal(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
