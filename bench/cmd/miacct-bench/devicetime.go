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
// reference phone, step by step, against the least the flow needs.
type deviceTime struct {
	total       time.Duration
	least       time.Duration
	steps       []bench.StepTime
	leastOf     map[string]time.Duration
	counters    phone.Counters
	dumpLatency time.Duration
	latency     string
}

// The least a step needs on the reference phone, with L its latencies:
// what no flow can skip to sign out, remove the data, restart and know it
// worked. Every device call costs L.Shell on top of its own latency.
//
//   - preflight: read the phone (properties, accounts, screen state) in
//     one shell call. The screen is on, so no wake key is needed.
//   - open-settings: nothing: the account intent opens the account screen
//     from anywhere.
//   - open-account: am start of the intent, its screen transition, and
//     the dumps until the page is drawn (1 + the screen's settle dumps).
//   - sign-out: a dump to find Sign out, its tap, the dialog's transition.
//   - remove-data: the same for Remove and for OK.
//   - enter-password: the `input text` invocations and the OK tap (one
//     shell call), the transition, and one shell call (`dumpsys account`)
//     to learn the password was taken; no dump.
//   - reboot: read the boot id, then the phone's boot time; the wait runs
//     on the phone in one shell call.
//   - verify: one `dumpsys account`.
func leastPerStep(lat fixture.Latency, settle, textInputs int, boot time.Duration) map[string]time.Duration {
	shell := lat.Shell
	dump := lat.Dump + shell
	tap := lat.Input + shell
	screen := func(dumps int) time.Duration { return time.Duration(dumps)*dump + tap + lat.Transition }
	return map[string]time.Duration{
		flows.StepPreflight:     shell,
		flows.StepOpenSettings:  0,
		flows.StepOpenAccount:   shell + lat.AmStart + lat.Transition + time.Duration(1+settle)*dump,
		flows.StepSignOut:       screen(1),
		flows.StepRemoveData:    2 * screen(1),
		flows.StepEnterPassword: time.Duration(textInputs+1)*lat.Input + shell + lat.Transition + shell,
		flows.StepReboot:        shell + boot + shell,
		flows.StepVerify:        shell,
	}
}

// overNotes say what a step does beyond its least, for the breakdown.
var overNotes = map[string]string{
	flows.StepPreflight:     "the wake key that proves input injection, and keeping the screen awake",
	flows.StepOpenSettings:  "step 1 of the guide: starts Settings and checks it opened; the account intent needs no Settings",
	flows.StepOpenAccount:   "",
	flows.StepEnterPassword: "reads the outcome with a dump where `dumpsys account` tells it",
	flows.StepVerify:        "starts Settings and reads the row, which verify promises beyond dumpsys account",
}

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
	if _, err := bench.RemoveInProcess(ctx, ph, tl); err != nil {
		return deviceTime{}, err
	}
	typed, err := adb.EncodeText(bench.Password)
	if err != nil {
		return deviceTime{}, err
	}
	var lat fixture.Latency
	if fx.Latency != nil {
		lat = *fx.Latency
	}
	settle := 0
	if sc := fx.Screens["account"]; sc != nil {
		settle = sc.Settle
	}
	var boot time.Duration
	if fx.Boot != nil {
		boot = fx.Boot.Completed
	}
	dt := deviceTime{
		total:       ph.Elapsed(),
		steps:       tl.Steps,
		leastOf:     leastPerStep(lat, settle, len(typed), boot),
		counters:    ph.Counters(),
		dumpLatency: lat.Dump,
		latency: fmt.Sprintf("dump %s, input %s, am start %s, transition %s, shell call %s, booted %s after a reboot",
			lat.Dump, lat.Input, lat.AmStart, lat.Transition, lat.Shell, boot),
	}
	for _, st := range tl.Steps {
		dt.least += dt.leastOf[st.Name]
	}
	return dt, nil
}

func (dt deviceTime) print(w io.Writer) {
	fmt.Fprintf(w, "\n== 3. Device time of remove (simulated, %s) ==\n", bench.Scenario)
	fmt.Fprintf(w, "command: go run ./bench/cmd/miacct-bench -groups 3\n")
	fmt.Fprintf(w, "latency model: %s\n", dt.latency)
	fmt.Fprintf(w, "%-16s %10s %10s %10s  %5s %6s  %s\n", "step", "device", "least", "over", "dumps", "inputs", "what the extra is")
	for _, st := range dt.steps {
		least := dt.leastOf[st.Name]
		over := st.Device - least
		note := ""
		if over > 50*time.Millisecond {
			note = overNotes[st.Name]
		}
		fmt.Fprintf(w, "%-16s %10s %10s %10s  %5d %6d  %s\n", st.Name, round(st.Device), round(least), round(over), st.Dumps, st.Inputs, note)
	}
	fmt.Fprintf(w, "%-16s %10s %10s %10s  %5d %6d\n", "total", round(dt.total), round(dt.least), round(dt.total-dt.least), dt.counters.Dumps, dt.counters.Inputs)
	r := float64(dt.total) / float64(dt.least)
	fmt.Fprintf(w, "ratio: device time / least = %.2fx   target <= 1.2x: %s\n", r, verdict(r <= 1.2))
}
