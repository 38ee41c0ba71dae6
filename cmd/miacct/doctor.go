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
type DoctorOptions struct {
	App      *App
	All      bool // every phone of every --adb server
	Parallel int
}

func newDoctorCmd(app *App) *cobra.Command {
	opts := &DoctorOptions{App: app}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the computer and the phone are ready for remove, and say how to fix what is not",
		Long: `doctor runs the checks remove starts with and prints each as PASS, WARN or
FAIL with the fix: the ADB server answers, the device is connected and
authorized, it is a Xiaomi phone with MIUI or HyperOS, its screen is awake
and unlocked, it allows input from ADB, a Xiaomi account is signed in, and
its battery is not low.

It only reads the phone, but for ONE input event: the wake-up key, the only
way to test that input injection is allowed (it turns the screen on if it
was off, as remove would). It starts no app and writes no setting.`,
		Example: `  miacct doctor
  miacct --fake miui14-en-locked doctor
  miacct doctor --json
  miacct --adb hub1:5037 --adb hub2:5037 doctor --all`,
		Args: requireNoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.All {
				return runDoctorAll(cmd.Context(), opts)
			}
			return runDoctor(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.All, "all", false, "check every phone of every --adb server")
	cmd.Flags().IntVar(&opts.Parallel, "parallel", DefaultParallel, "with --all: at most `N` phones at once")
	return cmd
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
			serial := adb.ResolveSerial(app.Global.Serial, app.IO.Getenv)
			if len(app.Global.ADB) > 1 {
				// -s HOST:PORT/SERIAL names the server, as for the other commands.
				return app.deviceOfSeveral(ctx, serial)
			}
			dev, err := client.Device(ctx, serial)
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

// doctorPhone is one phone of `doctor --all`.
type doctorPhone struct {
	Name   string `json:"name"`
	Server string `json:"server"`
	doctorResult
}

// runDoctorAll diagnoses every phone of every server, a few at once, and
// exits with the worst phone's code.
func runDoctorAll(ctx context.Context, opts *DoctorOptions) error {
	app := opts.App
	if app.Global.Serial != "" {
		return usagef("--all and -s cannot be used together")
	}
	if opts.Parallel <= 0 {
		return usagef("--parallel must be at least 1")
	}
	phones, err := app.discover(ctx)
	if err != nil {
		return err
	}
	results := make([]doctorPhone, len(phones))
	diags := make([]*flows.Diagnosis, len(phones))
	index := map[*fleetPhone]int{}
	for i, p := range phones {
		index[p] = i
	}
	app.forEach(ctx, phones, opts.Parallel, func(p *fleetPhone) {
		i := index[p]
		d := flows.Diagnose(ctx, flows.DoctorTarget{
			Server: func(context.Context) error { return nil }, // listed it
			Device: func(ctx context.Context) (adb.Device, error) {
				dev, err := p.client.Device(ctx, p.info.Serial)
				if err != nil {
					return nil, err
				}
				return app.wrapDevice(dev)
			},
		})
		r := doctorPhone{Name: p.name, Server: p.info.Server, doctorResult: doctorResult{OK: d.OK(), Phone: d.Phone, Checks: d.Checks}}
		if f := d.FirstFailure(); f != nil {
			r.ExitCode = doctorExit(f)
		}
		results[i], diags[i] = r, d
	})
	worst, failing := ExitOK, 0
	for _, r := range results {
		if r.ExitCode != ExitOK {
			worst = worse(worst, r.ExitCode)
			failing++
		}
	}
	if app.Global.JSON {
		if err := writeJSON(app.IO.Out, map[string]any{"ok": worst == ExitOK, "exit_code": worst, "devices": results}); err != nil {
			return err
		}
	} else {
		for i, d := range diags {
			app.IO.Printf("== %s\n", results[i].Name)
			printDoctor(app, d)
			app.IO.Printf("\n")
		}
		app.IO.Printf("%d phones: %d ready, %d not ready.\n", len(phones), len(phones)-failing, failing)
	}
	if worst != ExitOK {
		return &reportedError{err: fmt.Errorf("%d of %d phones are not ready", failing, len(phones)), code: worst}
	}
	return nil
}
