package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/flows"
)

// DoctorOptions are the options of `miacct doctor`.
type DoctorOptions struct{ App *App }

func newDoctorCmd(app *App) *cobra.Command {
	opts := &DoctorOptions{App: app}
	return &cobra.Command{
		Use:   "doctor",
		Short: "Check the computer and the phone are ready for remove, and say how to fix what is not",
		Long: `doctor runs the checks remove starts with and prints each as PASS, WARN or
FAIL with the fix: the ADB server answers, the device is connected and
authorized, it is a Xiaomi phone with MIUI or HyperOS, its screen is awake
and unlocked, it allows input from ADB, a Xiaomi account is signed in, and
its battery is not low.

It only reads the phone, but for ONE input event: the wake-up key, the only
way to test that input injection is allowed (it turns the screen on if it
was off, as remove would). It starts no app and writes no setting.

Exit codes: 0 when no check failed (warnings allowed), 3 when the ADB
server or the device check failed, 4 when a phone check failed (not a
Xiaomi phone, locked, input refused, no account), 7 when the phone stopped
answering.`,
		Example: `  miacct doctor
  miacct --fake miui14-en-locked doctor
  miacct doctor --json`,
		Args: requireNoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runDoctor(cmd.Context(), opts) },
	}
}

// doctorResult is the JSON doctor prints.
type doctorResult struct {
	OK       bool          `json:"ok"`
	ExitCode int           `json:"exit_code"`
	Phone    *flows.Phone  `json:"phone,omitempty"`
	Checks   []flows.Check `json:"checks"`
}

func runDoctor(ctx context.Context, opts *DoctorOptions) error {
	app := opts.App
	var client *adb.Client
	d := flows.Diagnose(ctx, flows.DoctorTarget{
		Server: func(ctx context.Context) error {
			var err error
			client, err = app.client(ctx)
			return err
		},
		Device: func(ctx context.Context) (adb.Device, error) {
			dev, err := client.Device(ctx, adb.ResolveSerial(app.Global.Serial, app.IO.Getenv))
			if err != nil {
				return nil, err
			}
			return app.wrapDevice(dev)
		},
	})
	out := &doctorResult{OK: d.OK(), Phone: d.Phone, Checks: d.Checks}
	failed := d.FirstFailure()
	if failed != nil {
		// Bad input (a malformed --adb, an unknown fixture) is not a
		// finding about the phone: it is refused like everywhere else.
		if ExitCode(failed.Err) == ExitUsage {
			return failed.Err
		}
		out.ExitCode = doctorExit(failed)
	}
	if app.Global.JSON {
		if err := writeJSON(app.IO.Out, out); err != nil {
			return err
		}
	} else {
		printDoctor(app, d)
	}
	if failed != nil {
		return &reportedError{err: failed.Err, code: out.ExitCode}
	}
	return nil
}

// doctorExit is the exit code of a failed diagnosis: what remove would
// exit with, and 4 for any check of the phone itself.
func doctorExit(failed *flows.Check) int {
	code := ExitCode(failed.Err)
	switch failed.Name {
	case flows.CheckADBServer, flows.CheckDevice:
		if code == ExitError {
			code = ExitNoDevice
		}
	default:
		if code == ExitError {
			code = ExitNotReady
		}
	}
	return code
}

func printDoctor(app *App, d *flows.Diagnosis) {
	for _, c := range d.Checks {
		line := fmt.Sprintf("%-4s  %s", strings.ToUpper(c.Status), c.Title)
		if c.Detail != "" {
			line += ": " + c.Detail
		}
		app.IO.Printf("%s\n", line)
		if c.Fix != "" && (c.Status == flows.CheckFail || c.Status == flows.CheckWarn) {
			app.IO.Printf("      fix: %s\n", c.Fix)
		}
	}
	failed, warned := 0, 0
	for _, c := range d.Checks {
		switch c.Status {
		case flows.CheckFail:
			failed++
		case flows.CheckWarn:
			warned++
		}
	}
	switch {
	case failed > 0:
		app.IO.Printf("Not ready: %d check(s) failed. Fix them, then run miacct doctor again.\n", failed)
	case warned > 0:
		app.IO.Printf("Ready, with %d warning(s): miacct remove can run on %s.\n", warned, d.Phone.Label())
	default:
		app.IO.Printf("Ready: miacct remove can run on %s.\n", d.Phone.Label())
	}
}
