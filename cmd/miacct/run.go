package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/flows"
)

// FlowOptions are the options `remove` and `step` share.
type FlowOptions struct {
	App           *App
	Yes           bool
	PasswordStdin bool
	DryRun        bool
	KeepData      bool
	NoReboot      bool
	BootTimeout   time.Duration
	Lang          string
	Report        string // --report DIR
}

// runSpec says what to run: the whole flow from a step, or one step.
type runSpec struct {
	command string // "remove" or "step"
	from    string // remove: --from
	step    string // step: the step's name
}

// runResult is the JSON `remove` and `step` print.
type runResult struct {
	OK          bool               `json:"ok"`
	ExitCode    int                `json:"exit_code"`
	Command     string             `json:"command"`
	DryRun      bool               `json:"dry_run,omitempty"`
	Device      *deviceSummary     `json:"device,omitempty"`
	NothingToDo bool               `json:"nothing_to_do,omitempty"`
	Steps       []flows.StepResult `json:"steps"`
	Plan        []flows.PlanItem   `json:"plan,omitempty"`
	Totals      flows.Totals       `json:"totals"`
	ResumeFrom  string             `json:"resume_from,omitempty"`
	Error       string             `json:"error,omitempty"`
	Report      string             `json:"report,omitempty"`
}

type deviceSummary struct {
	Serial  string  `json:"serial"`
	Model   string  `json:"model"`
	OS      string  `json:"os"`
	Android string  `json:"android"`
	Account *string `json:"account"`
}

// steps that change the phone for good, so they need a confirmation.
func destructive(spec runSpec) bool {
	if spec.command == "remove" {
		return true
	}
	return slices.Contains([]string{flows.StepEnterPassword, flows.StepReboot}, spec.step)
}

// needsPassword: whether the run will type the password.
func needsPassword(spec runSpec, dryRun bool) bool {
	if dryRun {
		return false
	}
	if spec.command == "step" {
		return spec.step == flows.StepEnterPassword
	}
	names := flows.StepNames()
	from := spec.from
	if from == "" {
		return true
	}
	return slices.Index(names, from) <= slices.Index(names, flows.StepEnterPassword)
}

// runFlow runs `remove` or `step`: checks the input, connects, looks at
// the phone, asks, then runs and reports.
func runFlow(ctx context.Context, opts *FlowOptions, spec runSpec) error {
	app := opts.App
	// Everything that can be refused is refused before the phone is touched.
	if spec.from != "" {
		if err := flows.CheckStep(spec.from); err != nil {
			return err
		}
	}
	if spec.step != "" {
		if err := flows.CheckStep(spec.step); err != nil {
			return err
		}
	}
	if opts.Lang != "" {
		if _, ok := flows.TextsFor(opts.Lang); !ok {
			return usagef("--lang %q is not supported; choose one of %s", opts.Lang, strings.Join(flows.Languages(), ", "))
		}
	}
	if opts.BootTimeout <= 0 {
		return usagef("--boot-timeout must be positive, e.g. 5m")
	}
	isDestructive := destructive(spec) && !opts.DryRun
	if isDestructive && !opts.Yes && !app.IO.CanPrompt() {
		return usagef("not on a terminal, so miacct cannot ask before changing the phone: pass --yes to go ahead")
	}
	lines := newStdinLines(app.IO.In)
	var password flows.Secret
	wantPassword := needsPassword(spec, opts.DryRun)
	if wantPassword {
		var err error
		if password, err = app.passwordFrom(opts.PasswordStdin, lines, false); err != nil {
			return err
		}
		if password.IsZero() && !(app.IO.ReadSecret != nil && app.IO.CanPrompt()) {
			return usagef("no password: pipe it with --password-stdin, set %s, or run on a terminal to be asked", passwordEnv)
		}
	}

	var report *reportWriter
	if opts.Report != "" {
		var err error
		if report, err = newReportWriter(opts.Report); err != nil {
			return err
		}
	}

	dev, err := app.device(ctx)
	if err != nil {
		return err
	}
	progress := newProgress(app.IO, spec)
	observers := multiObserver{progress}
	if report != nil {
		observers = append(observers, report)
	}
	sess, err := flows.Open(ctx, dev, flows.Options{
		Lang:        opts.Lang,
		KeepData:    opts.KeepData,
		NoReboot:    opts.NoReboot,
		BootTimeout: opts.BootTimeout,
		DryRun:      opts.DryRun,
		Stop:        app.Stop,
		Observer:    observers,
	})
	if err != nil {
		return err
	}
	if report != nil {
		report.session = sess
	}
	// Put back what the run changed, also after a failure or Ctrl-C.
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
		if err := sess.Close(rctx); err != nil {
			app.IO.Errorf("miacct: %v\n", err)
		}
	}()

	var state *flows.State
	if spec.command == "remove" || spec.step == flows.StepPreflight {
		if state, err = sess.Inspect(ctx); err != nil {
			return err
		}
	}
	if isDestructive && state != nil && state.Account != "" {
		if err := app.confirm(question(sess, state, opts, spec), opts.Yes, lines); err != nil {
			return err
		}
	} else if isDestructive {
		if err := app.confirm(fmt.Sprintf("Run step %s on %s?", spec.step, sess.Phone().Label()), opts.Yes, lines); err != nil {
			return err
		}
	}
	if wantPassword && password.IsZero() && (state == nil || state.Account != "" || spec.command == "step") {
		if password, err = app.passwordFrom(false, lines, true); err != nil {
			return err
		}
	}
	sess.SetPassword(password)

	progress.start()
	var res *flows.Result
	if spec.command == "remove" {
		res = sess.Remove(ctx, spec.from)
	} else {
		res = sess.RunStep(ctx, spec.step)
	}
	progress.stop()

	out := summarize(sess, state, res, spec, opts)
	if report != nil {
		out.Report = report.dir
		if werr := report.finish(out); werr != nil {
			app.IO.Errorf("miacct: write report: %v\n", werr)
		}
	}
	if app.Global.JSON {
		if err := writeJSON(app.IO.Out, out); err != nil {
			return err
		}
	} else {
		printSummary(app, out, res, spec)
	}
	if res.Err != nil {
		if !app.Global.JSON {
			app.IO.Errorf("miacct: %s\n", res.Err)
			if hint := resumeHint(spec, res, opts); hint != "" {
				app.IO.Errorf("%s\n", hint)
			}
			if report != nil {
				app.IO.Errorf("The report is in %s (open index.html).\n", report.dir)
			}
		}
		return &reportedError{err: res.Err, code: out.ExitCode}
	}
	return nil
}

func question(sess *flows.Session, st *flows.State, opts *FlowOptions, spec runSpec) string {
	what := "remove its data from the phone"
	if opts.KeepData {
		what = "keep its data on the phone"
	}
	q := fmt.Sprintf("Sign out of Xiaomi Account %s on %s and %s?", flows.MaskID(st.Account), sess.Phone().Label(), what)
	if spec.from != "" {
		q = fmt.Sprintf("Resume from %s on %s (Xiaomi Account %s)?", spec.from, sess.Phone().Label(), flows.MaskID(st.Account))
	}
	return q
}

func summarize(sess *flows.Session, st *flows.State, res *flows.Result, spec runSpec, opts *FlowOptions) *runResult {
	p := sess.Phone()
	dev := &deviceSummary{Serial: p.Serial, Model: p.Name, OS: p.OS, Android: p.Android}
	if st != nil && st.Account != "" {
		m := flows.MaskID(st.Account)
		dev.Account = &m
	}
	out := &runResult{
		OK:          res.Err == nil,
		ExitCode:    ExitCode(res.Err),
		Command:     spec.command,
		DryRun:      opts.DryRun,
		Device:      dev,
		NothingToDo: res.NothingToDo,
		Steps:       res.Steps,
		Totals:      res.Totals(),
		ResumeFrom:  res.Resume,
	}
	if out.Steps == nil {
		out.Steps = []flows.StepResult{}
	}
	if opts.DryRun {
		out.Plan = sess.Plan(spec.from)
	}
	if res.Err != nil {
		out.Error = res.Err.Error()
	}
	return out
}

func resumeHint(spec runSpec, res *flows.Result, opts *FlowOptions) string {
	if errors.Is(res.Err, flows.ErrNotReady) || errors.Is(res.Err, adb.ErrUnauthorized) {
		return "Fix that, then run the same command again."
	}
	if res.Resume == "" {
		return ""
	}
	if spec.command == "step" {
		return fmt.Sprintf("The phone is ready for: miacct step %s", res.Resume)
	}
	flags := ""
	if opts.KeepData {
		flags += " --keep-data"
	}
	if opts.NoReboot {
		flags += " --no-reboot"
	}
	return fmt.Sprintf("Resume with: miacct remove --from %s%s", res.Resume, flags)
}

func printSummary(app *App, out *runResult, res *flows.Result, spec runSpec) {
	switch {
	case out.DryRun:
		app.IO.Printf("Dry run on %s (%s, Android %s): nothing was changed. The plan:\n", out.Device.Model, out.Device.OS, out.Device.Android)
		for _, p := range out.Plan {
			line := fmt.Sprintf("  %-15s %s", p.Name, p.Action)
			if p.Skip != "" {
				line += " [skipped: " + p.Skip + "]"
			}
			app.IO.Printf("%s\n", line)
		}
	case res.NothingToDo:
		app.IO.Printf("Nothing to remove: no Xiaomi account is signed in on %s.\n", out.Device.Model)
	case res.Err == nil && spec.command == "remove":
		acct := "the Xiaomi account"
		if out.Device.Account != nil {
			acct = "Xiaomi Account " + *out.Device.Account
		}
		app.IO.Printf("Done: %s is off %s (%s). %d steps, %d ADB calls, %d screen reads, %s.\n",
			acct, out.Device.Model, out.Device.Serial, len(out.Steps), out.Totals.ADBCalls, out.Totals.Dumps,
			humanDuration(time.Duration(out.Totals.DurationMS)*time.Millisecond))
	case res.Err == nil:
		for _, s := range out.Steps {
			app.IO.Printf("%s: %s\n", s.Name, s.Message)
		}
	}
}

// multiObserver fans step events out.
type multiObserver []flows.Observer

func (m multiObserver) StepStarted(name string) {
	for _, o := range m {
		o.StepStarted(name)
	}
}

func (m multiObserver) StepFinished(r flows.StepResult) {
	for _, o := range m {
		o.StepFinished(r)
	}
}
