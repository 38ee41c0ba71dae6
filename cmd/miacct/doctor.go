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
	Parallel int  // with --all: at most this many at once; 0: all
}

// validate checks the options alone, before anything is reached.
func (o *DoctorOptions) validate(serial string) error {
	switch {
	case o.Parallel < 0:
		return usagef("--parallel must be 1 or more (0, the default, checks every phone at once)")
	case o.All && serial != "":
		return usagef("--all and -s cannot be used together")
	}
	return nil
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
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.validate(app.Global.Serial); err != nil {
				return err
			}
			if opts.All {
				return runDoctorAll(cmd.Context(), opts)
			}
			return runDoctor(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.All, "all", false, "check every phone of every --adb server")
	cmd.Flags().IntVar(&opts.Parallel, "parallel", 0, "with --all: at most `N` phones at once (default: every phone, at most "+itoa(maxPerServer)+" per ADB server)")
	return cmd
}

// doctorResult is the JSON doctor prints. "device" is the phone as every
// command describes it; "phone" is kept for scripts written before.
type doctorResult struct {
	Schema   int           `json:"schema"`
	OK       bool          `json:"ok"`
	ExitCode int           `json:"exit_code"`
	Device   *deviceJSON   `json:"device,omitempty"`
	Phone    *flows.Phone  `json:"phone,omitempty"`
	Checks   []flows.Check `json:"checks"`
}

func newDoctorResult(d *flows.Diagnosis) doctorResult {
	r := doctorResult{Schema: schemaVersion, OK: d.OK(), Phone: d.Phone, Checks: d.Checks}
	if d.Phone != nil {
		r.Device = newDeviceJSON(d.Phone, "", false)
		r.Device.State = string(adb.StateDevice)
		for _, c := range d.Checks {
			if c.Name == flows.CheckAccount && c.Status == flows.CheckPass {
				r.Device.Account = accountInDetail(c.Detail)
			}
		}
	}
	return r
}

// accountInDetail is the masked account id the account check names
// ("Xiaomi Account 12******90").
func accountInDetail(detail string) *string {
	_, id, ok := strings.Cut(detail, "Xiaomi Account ")
	if !ok || id == "" {
		return nil
	}
	id = strings.Fields(id)[0]
	return &id
}

func runDoctor(ctx context.Context, opts *DoctorOptions) error {
	app := opts.App
	d := flows.Diagnose(ctx, flows.DoctorTarget{
		Server: func(ctx context.Context) error {
			_, err := app.clients(ctx)
			return err
		},
		Device: app.device,
	})
	out := newDoctorResult(d)
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

// printChecks prints checks as doctor and audit do: PASS, WARN or FAIL,
// the title and detail, and the fix under what did not pass.
func printChecks(app *App, checks []flows.Check) {
	for _, c := range checks {
		line := fmt.Sprintf("%-4s  %s", strings.ToUpper(c.Status), c.Title)
		if c.Detail != "" {
			line += ": " + c.Detail
		}
		app.IO.Printf("%s\n", line)
		if c.Fix != "" && (c.Status == flows.CheckFail || c.Status == flows.CheckWarn) {
			app.IO.Printf("      fix: %s\n", c.Fix)
		}
	}
}

func printDoctor(app *App, d *flows.Diagnosis) {
	printChecks(app, d.Checks)
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

// doctorAllResult is the JSON of `doctor --all`.
type doctorAllResult struct {
	Schema   int           `json:"schema"`
	OK       bool          `json:"ok"`
	ExitCode int           `json:"exit_code"`
	Devices  []doctorPhone `json:"devices"`
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
	forEachPhone(ctx, phones, opts.Parallel, func(p *fleetPhone) {
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
		r := doctorPhone{Name: p.name, Server: p.info.Server, doctorResult: newDoctorResult(d)}
		if r.Device != nil {
			r.Device.Name, r.Device.Server = p.name, p.info.Server
		}
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
		if err := writeJSON(app.IO.Out, doctorAllResult{Schema: schemaVersion, OK: worst == ExitOK, ExitCode: worst, Devices: results}); err != nil {
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
