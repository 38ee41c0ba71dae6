package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/adb/fake/phone"
	"github.com/miacct/miacct/bench"
	"github.com/miacct/miacct/flows"
)

// deviceTime is group 3: the simulated device time of `remove` on the
// reference phone, step by step, against the physical floor (what the
// phone itself must spend) and the least of the current design.
type deviceTime struct {
	total       time.Duration
	steps       []bench.StepTime
	floor       floor
	counters    phone.Counters
	calls       int
	dumpLatency time.Duration
	latency     string
}

// floor is the physical floor of `remove` on the reference phone, per
// step: with reads counts one screen read (a dump) for every screen whose
// button must be found; bare leaves the reads out; design adds what the
// current flow spends by design beyond the floor with reads.
type floor struct {
	withReads, bare, design map[string]time.Duration
}

func (f floor) sum(m map[string]time.Duration, skipReboot bool) time.Duration {
	var t time.Duration
	for step, d := range m {
		if skipReboot && step == flows.StepReboot {
			continue
		}
		t += d
	}
	return t
}

// The physical floor, from the fixture's latency model L (every device
// call costs L.shell besides its own latency; `reboot:` costs nothing):
//
//	floor = read the phone (1 shell call)
//	      + the account screen's activity start: shell + am_start + transition,
//	        then its draw time
//	      + every tap that answers a screen: shell + input + transition
//	        (Sign out, Turn off, Remove, the follow-up's OK)
//	      + the password: shell + input x (the `input text` invocations + the OK
//	        tap) + transition
//	      + the phone's own work: every progress message's time ("Checking…",
//	        "Turning off Find device…", "Signing out…")
//	      + one account-manager read to learn it signed out (its round trip
//	        can run while "Signing out…" still shows: nothing more)
//	      + the restart: read the boot id (shell), the boot (boot.completed), the
//	        wait for it on the phone (shell)
//	      + verify: one account-manager read (shell)
//	floor with reads = floor + one read (shell + dump) of each screen whose
//	        button must be found (the account screen, Find device, the data
//	        dialog, the follow-up, the password prompt); a read that follows a
//	        draw or a progress message overlaps it (a dump shows the screen as it
//	        is when it ends), so each costs max(read, what it waits for).
//
// The design adds what the flow spends on purpose: Open reads the
// properties in a call of its own, the stay-awake setting is switched on
// while the run lasts, the account screen is read as soon as it was asked
// for (a screen drawn later than a read shows the previous one: one more
// read), and the account manager is asked right after the password.
func physicalFloor(fx *fixture.Fixture, textInputs int) (floor, error) {
	var lat fixture.Latency
	if fx.Latency != nil {
		lat = *fx.Latency
	}
	var boot time.Duration
	if fx.Boot != nil {
		boot = fx.Boot.Completed
	}
	screen := func(name string) (*fixture.Screen, error) {
		sc := fx.Screens[name]
		if sc == nil {
			return nil, fmt.Errorf("fixture %s has no screen %s: the floor follows the base phone's sign-out path", fx.Name, name)
		}
		return sc, nil
	}
	read := lat.Shell + lat.Dump
	// lasts is how long a screen of the path holds the phone before the
	// next one appears: its draw time, or its own move's time (a
	// dump-counted move: that many reads).
	lasts := func(name string) (time.Duration, error) {
		sc, err := screen(name)
		if err != nil {
			return 0, err
		}
		d := sc.Draw + time.Duration(sc.Settle)*read
		if a := sc.After; a != nil {
			d += a.Time + time.Duration(a.Dumps)*read
		}
		return d, nil
	}
	var (
		account, checking, findDevice, signingOut time.Duration
		err                                       error
	)
	for _, x := range []struct {
		d    *time.Duration
		name string
	}{{&account, "account"}, {&checking, "progress-checking"}, {&findDevice, "progress-find-device"}, {&signingOut, "progress"}} {
		if *x.d, err = lasts(x.name); err != nil {
			return floor{}, err
		}
	}
	tap := lat.Shell + lat.Input + lat.Transition
	password := lat.Shell + time.Duration(textInputs+1)*lat.Input + lat.Transition
	bare := map[string]time.Duration{
		flows.StepPreflight:     lat.Shell,
		flows.StepOpenSettings:  0,
		flows.StepOpenAccount:   lat.Shell + lat.AmStart + lat.Transition + account,
		flows.StepSignOut:       tap,
		flows.StepRemoveData:    2 * tap,
		flows.StepEnterPassword: checking + tap + password + findDevice + signingOut,
		flows.StepReboot:        lat.Shell + boot + lat.Shell,
		flows.StepVerify:        lat.Shell,
	}
	withReads := map[string]time.Duration{
		flows.StepPreflight:     lat.Shell,
		flows.StepOpenSettings:  0,
		flows.StepOpenAccount:   lat.Shell + lat.AmStart + lat.Transition + max(account, read),
		flows.StepSignOut:       tap + read,
		flows.StepRemoveData:    2*tap + read,
		flows.StepEnterPassword: max(checking, read) + tap + read + password + findDevice + signingOut,
		flows.StepReboot:        bare[flows.StepReboot],
		flows.StepVerify:        lat.Shell,
	}
	// The design reads the account screen right after asking for it,
	// until a read ends after the screen appeared.
	reads := time.Duration(account/read) + 1
	design := map[string]time.Duration{
		flows.StepPreflight:   lat.Shell, // the stay-awake setting, after Inspect
		flows.StepOpenAccount: lat.Shell + lat.AmStart + lat.Transition + reads*read - withReads[flows.StepOpenAccount],
		// the account manager, asked right after the password
		flows.StepEnterPassword: lat.Shell,
		// Open reads the properties; Close puts the setting back.
		outsideSteps: 2 * lat.Shell,
	}
	for step, d := range withReads {
		design[step] += d
	}
	withReads[outsideSteps], bare[outsideSteps] = 0, 0
	return floor{withReads: withReads, bare: bare, design: design}, nil
}

// outsideSteps names the device time of a run outside its steps: Open's
// read of the properties, Close's putting the stay-awake setting back.
const outsideSteps = "(open, close)"

func measureDeviceTime(ctx context.Context) (deviceTime, error) {
	fx, err := bench.LoadFixture(bench.Scenario)
	if err != nil {
		return deviceTime{}, err
	}
	ph, err := phone.New(fx, phone.Options{})
	if err != nil {
		return deviceTime{}, err
	}
	tl := &bench.Timeline{Phone: ph}
	_, err = bench.RemoveInProcess(ctx, ph, tl)
	if err != nil {
		return deviceTime{}, err
	}
	typed, err := adb.EncodeText(bench.Password)
	if err != nil {
		return deviceTime{}, err
	}
	fl, err := physicalFloor(fx, len(typed))
	if err != nil {
		return deviceTime{}, err
	}
	var lat fixture.Latency
	if fx.Latency != nil {
		lat = *fx.Latency
	}
	var boot time.Duration
	if fx.Boot != nil {
		boot = fx.Boot.Completed
	}
	steps := tl.Steps
	var inSteps time.Duration
	for _, st := range steps {
		inSteps += st.Device
	}
	steps = append(steps, bench.StepTime{Name: outsideSteps, Device: ph.Elapsed() - inSteps})
	return deviceTime{
		total:       ph.Elapsed(),
		steps:       steps,
		floor:       fl,
		counters:    ph.Counters(),
		calls:       int(ph.Counters().Shell + ph.Counters().Exec + ph.Counters().Reboot),
		dumpLatency: lat.Dump,
		latency: fmt.Sprintf("dump %s, input %s, am start %s, transition %s, shell call %s, booted %s after a reboot; account screen drawn %s late; Checking… %s, Turning off Find device… %s, Signing out… %s",
			lat.Dump, lat.Input, lat.AmStart, lat.Transition, lat.Shell, boot,
			fx.Screens["account"].Draw, fx.Screens["progress-checking"].After.Time, fx.Screens["progress-find-device"].After.Time, fx.Screens["progress"].After.Time),
	}, nil
}

func (dt deviceTime) print(w io.Writer) {
	fmt.Fprintf(w, "\n== 3. Device time of remove (simulated, %s) ==\n", bench.Scenario)
	fmt.Fprintf(w, "command: go run ./bench/cmd/miacct-bench -groups 3\n")
	fmt.Fprintf(w, "latency model: %s\n", dt.latency)
	fmt.Fprintf(w, "%-16s %9s %11s %9s %9s  %5s %6s %5s\n", "step", "device", "floor+reads", "floor", "design", "dumps", "inputs", "calls")
	for _, st := range dt.steps {
		fmt.Fprintf(w, "%-16s %9s %11s %9s %9s  %5d %6d %5d\n", st.Name, round(st.Device),
			round(dt.floor.withReads[st.Name]), round(dt.floor.bare[st.Name]), round(dt.floor.design[st.Name]), st.Dumps, st.Inputs, st.Calls)
	}
	wr, bare, design := dt.floor.sum(dt.floor.withReads, false), dt.floor.sum(dt.floor.bare, false), dt.floor.sum(dt.floor.design, false)
	fmt.Fprintf(w, "%-16s %9s %11s %9s %9s  %5d %6d %5d\n", "total", round(dt.total), round(wr), round(bare), round(design), dt.counters.Dumps, dt.counters.Inputs, dt.calls)
	boot := dt.floor.withReads[flows.StepReboot]
	rebootDev := time.Duration(0)
	for _, st := range dt.steps {
		if st.Name == flows.StepReboot {
			rebootDev = st.Device
		}
	}
	noBoot := dt.total - rebootDev
	r := func(a, b time.Duration) float64 { return float64(a) / float64(b) }
	fmt.Fprintf(w, "ratio to the floor with reads:    %.3fx with the restart (target <= 1.15x: %s), %.2fx without it (%s vs %s; target <= 2x: %s)\n",
		r(dt.total, wr), verdict(r(dt.total, wr) <= 1.15), r(noBoot, wr-boot), round(noBoot), round(wr-boot), verdict(r(noBoot, wr-boot) <= 2))
	fmt.Fprintf(w, "ratio to the floor without reads: %.3fx with the restart (target <= 1.15x: %s), %.2fx without it (%s vs %s; target <= 2x: %s)\n",
		r(dt.total, bare), verdict(r(dt.total, bare) <= 1.15), r(noBoot, bare-boot), round(noBoot), round(bare-boot), verdict(r(noBoot, bare-boot) <= 2))
	fmt.Fprintf(w, "ratio to the least of the current design: %.3fx (%s)\n", r(dt.total, design), round(design))
}
