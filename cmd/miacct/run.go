package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/flows"
	"github.com/miacct/miacct/flows/texts"
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
	Texts         string        // --texts FILE: the user's language file
	Settle        time.Duration // --settle: how long to wait for a screen, on the phone's clock
	Report        string        // --report DIR

	catalog *texts.Catalog // the language files, with --texts

	// delete-account (and remove --delete-account)
	DeleteAccount bool   // remove: go on to delete the account on the site
	Account       string // --account ID for the site's sign-in
	CodeStdin     bool   // read the verification code from the next stdin line
	Manual        bool   // only open the delete page

	// Fleet (--all): every phone on every --adb server.
	All       bool
	Parallel  int    // at most this many phones at once
	Passwords string // CSV file: serial or account id, password

	// Shop features: certificates, events (shop.go).
	ShopOptions
}

// runSpec says what to run: the command typed, and the job it runs.
type runSpec struct {
	command string // "remove", "delete-account" or "step"
	job     flows.Job
}

// flow is the flow whose steps the spec runs.
func (spec runSpec) flow() flows.Flow { return spec.job.RunsFlow() }

// deletes reports whether the run may delete the account on the site.
func (spec runSpec) deletes() bool {
	return spec.job.Step == "" && (spec.job.Flow == flows.FlowDeleteAccount || spec.job.DeleteAccount)
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

// runFlow runs `remove` or `step`: checks the input, connects, looks at
// the phone, asks, then runs and reports.
func runFlow(ctx context.Context, opts *FlowOptions, spec runSpec) error {
	app := opts.App
	// Everything that can be refused is refused before the phone is touched.
	if err := spec.job.Validate(); err != nil {
		return err
	}
	catalog, err := app.textCatalog(opts.Texts)
	if err != nil {
		return err
	}
	opts.catalog = catalog
	if opts.Lang != "" {
		if _, ok := catalog.Resolve(opts.Lang); !ok {
			return usagef("--lang %q: no language file covers it; choose one of %s, or add one with --texts FILE", opts.Lang, strings.Join(catalog.Languages(), ", "))
		}
	}
	if opts.BootTimeout <= 0 {
		return usagef("--boot-timeout must be positive, e.g. 5m")
	}
	if opts.Settle <= 0 {
		return usagef("--settle must be positive, e.g. 10s")
	}
	if err := opts.ShopOptions.prepare(app, opts.Report); err != nil {
		return err
	}
	isDestructive := spec.job.ChangesPhone() && !opts.DryRun && !opts.Manual
	if isDestructive && !opts.Yes && !app.IO.CanPrompt() {
		return usagef("not on a terminal, so miacct cannot ask before changing the phone: pass --yes to go ahead")
	}
	if spec.job.Needs(flows.NeedCode) && !opts.DryRun && !opts.Manual && !opts.CodeStdin && !app.IO.CanPrompt() {
		return usagef("not on a terminal, so miacct cannot ask for the verification code the site mails: pass --code-stdin and give the code as the line after the password")
	}
	lines := newStdinLines(app.IO.In)
	var password flows.Secret
	wantPassword := spec.job.Needs(flows.NeedPassword) && !opts.DryRun && !opts.Manual
	if opts.Passwords != "" && !opts.All {
		return usagef("--passwords FILE goes with --all; for one phone use --password-stdin or %s", passwordEnv)
	}
	if !wantPassword && opts.Passwords == "" && spec.job.Uses(flows.NeedPassword) && !opts.DryRun && !opts.Manual &&
		(opts.PasswordStdin || app.IO.Getenv(passwordEnv) != "") {
		// Taken when given, never asked for: the phone may ask first.
		var err error
		if password, err = app.passwordFrom(opts.PasswordStdin, lines, false); err != nil {
			return err
		}
	}
	if wantPassword && opts.Passwords == "" {
		var err error
		if password, err = app.passwordFrom(opts.PasswordStdin, lines, false); err != nil {
			return err
		}
		if password.IsZero() && !(app.IO.ReadSecret != nil && app.IO.CanPrompt()) {
			return usagef("no password: pipe it with --password-stdin, set %s, or run on a terminal to be asked", passwordEnv)
		}
	}

	if opts.All {
		return runFleet(ctx, opts, spec, lines, password)
	}

	dev, err := app.device(ctx)
	if err != nil {
		return err
	}
	progress := newProgress(app.IO, spec)
	pr, err := app.openPhone(ctx, dev, opts, spec, lines, progress, opts.Report)
	if err != nil {
		return err
	}
	// Put back what the run changed, also after a failure or Ctrl-C.
	defer pr.close(ctx, app)

	sess, state := pr.sess, pr.state
	if spec.deletes() || spec.flow() == flows.FlowDeleteAccount {
		if opts.Account == "" && (state == nil || state.Account == "") && !opts.Manual {
			return usagef("no Xiaomi account is signed in on %s, so miacct cannot tell which account to delete: pass --account ID", sess.Phone().Label())
		}
	}
	if isDestructive && spec.deletes() {
		if err := app.confirmDeletion(sess, state, opts, lines); err != nil {
			return err
		}
	} else if isDestructive && state != nil && state.Account != "" {
		if err := app.confirm(question(sess, state, opts, spec), opts.Yes, lines); err != nil {
			return err
		}
	} else if isDestructive {
		if err := app.confirm(fmt.Sprintf("Run step %s on %s?", spec.job.Step, sess.Phone().Label()), opts.Yes, lines); err != nil {
			return err
		}
	}
	if wantPassword && password.IsZero() && (state == nil || state.Account != "" || spec.command == "step") {
		if password, err = app.passwordFrom(false, lines, true); err != nil {
			return err
		}
	}

	if opts.Manual {
		return app.openDeletePageByHand(ctx, sess)
	}
	progress.start()
	pr.run(ctx, app, opts, spec, password)
	progress.stop()

	out, res := pr.out, pr.res
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
			if out.Report != "" {
				app.IO.Errorf("The report is in %s (open index.html).\n", out.Report)
			}
		}
		return &reportedError{err: res.Err, code: out.ExitCode}
	}
	return nil
}

// phoneRun is one phone's part of a run: its session, what a read-only
// look found, and how the run went.
type phoneRun struct {
	sess   *flows.Session
	state  *flows.State
	report *reportWriter
	out    *runResult
	res    *flows.Result
	shop   *shopRun // the phone's lock, the certificate, events (shop.go)
}

// openPhone starts a session on dev and looks at the phone without
// changing anything. Step events go to observer (and to the report
// written to reportDir, if any).
func (a *App) openPhone(ctx context.Context, dev adb.Device, opts *FlowOptions, spec runSpec, lines *stdinLines, observer flows.Observer, reportDir string) (*phoneRun, error) {
	pr := &phoneRun{}
	shop, shopObservers, err := a.startShopRun(ctx, dev, opts, spec)
	if err != nil {
		return nil, err
	}
	pr.shop = shop
	observers := append(multiObserver{observer}, shopObservers...)
	if reportDir != "" {
		var err error
		if pr.report, err = newReportWriter(reportDir); err != nil {
			pr.shop.close(ctx, a)
			return nil, err
		}
		observers = append(observers, pr.report)
	}
	sess, err := flows.Open(ctx, dev, flows.Options{
		Lang:        opts.Lang,
		Texts:       opts.catalog,
		Settle:      opts.Settle,
		KeepData:    opts.KeepData,
		NoReboot:    opts.NoReboot,
		BootTimeout: opts.BootTimeout,
		DryRun:      opts.DryRun,
		Proof:       reportDir != "",
		Stop:        a.Stop,
		Observer:    observers,
		Account:     opts.Account,
		Code:        a.codeAsker(opts.CodeStdin, lines),
	})
	if err != nil {
		pr.shop.close(ctx, a)
		return nil, err
	}
	pr.sess = sess
	if pr.report != nil {
		pr.report.session = sess
	}
	pr.shop.readBefore(ctx, sess, opts)
	if spec.job.Step == "" || spec.job.Step == flows.StepPreflight || spec.flow() == flows.FlowDeleteAccount {
		if pr.state, err = sess.Inspect(ctx); err != nil {
			pr.close(ctx, a)
			return nil, err
		}
	}
	return pr, nil
}

// run runs the flow or step with password, then writes the report (or a
// failure report when a screen needs to be seen to be understood).
func (pr *phoneRun) run(ctx context.Context, a *App, opts *FlowOptions, spec runSpec, password flows.Secret) {
	pr.sess.SetPassword(password)
	pr.res = pr.sess.Run(ctx, spec.job)
	pr.out = summarize(pr.sess, pr.state, pr.res, spec, opts)
	if pr.report != nil {
		pr.out.Report = pr.report.dir
		if werr := pr.report.finish(pr.out); werr != nil {
			a.IO.Errorf("miacct: write report: %v\n", werr)
		}
	} else if needsFailureReport(pr.res.Err) {
		pr.out.Report = a.saveFailureReport(pr.sess, pr.res, pr.out)
	}
	pr.shop.finish(ctx, a, pr, opts)
}

// close puts back what the session changed, with a context of its own so
// it also runs after Ctrl-C.
func (pr *phoneRun) close(ctx context.Context, a *App) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := pr.sess.Close(rctx); err != nil {
		a.IO.Errorf("miacct: %v\n", err)
	}
	pr.shop.close(ctx, a)
}

func question(sess *flows.Session, st *flows.State, opts *FlowOptions, spec runSpec) string {
	what := "remove its data from the phone"
	if opts.KeepData {
		what = "keep its data on the phone"
	}
	q := fmt.Sprintf("Sign out of Xiaomi Account %s on %s and %s?", flows.MaskID(st.Account), sess.Phone().Label(), what)
	if spec.job.From != "" {
		q = fmt.Sprintf("Resume from %s on %s (Xiaomi Account %s)?", spec.job.From, sess.Phone().Label(), flows.MaskID(st.Account))
	}
	return q
}

// newDeviceSummary describes the phone for JSON and reports: the account
// is the one signed in when the run began, else --account, masked.
func newDeviceSummary(sess *flows.Session, st *flows.State, account string) *deviceSummary {
	p := sess.Phone()
	dev := &deviceSummary{Serial: p.Serial, Model: p.Name, OS: p.OS, Android: p.Android}
	if st != nil && st.Account != "" {
		account = st.Account
	}
	if account != "" {
		m := flows.MaskID(account)
		dev.Account = &m
	}
	return dev
}

func summarize(sess *flows.Session, st *flows.State, res *flows.Result, spec runSpec, opts *FlowOptions) *runResult {
	dev := newDeviceSummary(sess, st, opts.Account)
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
		out.Plan = sess.Plan(spec.job)
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
	if errors.Is(res.Err, flows.ErrNeedsHand) {
		return ""
	}
	if res.Resume == "" {
		return ""
	}
	if spec.job.Step != "" {
		return fmt.Sprintf("The phone is ready for: miacct step %s", res.Resume)
	}
	flags := ""
	if opts.KeepData {
		flags += " --keep-data"
	}
	if opts.NoReboot {
		flags += " --no-reboot"
	}
	command := "remove"
	if step, _ := stepInfo(res.Resume); spec.job.Flow == flows.FlowDeleteAccount || step.Flow == flows.FlowDeleteAccount {
		command = "delete-account"
	} else if spec.job.DeleteAccount {
		flags += " --delete-account"
	}
	return fmt.Sprintf("Resume with: miacct %s --from %s%s", command, res.Resume, flags)
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
	case res.Err == nil && spec.deletes():
		last := out.Steps[len(out.Steps)-1]
		app.IO.Printf("Done: deleting Xiaomi Account %s was requested (%s). It cannot be undone; Xiaomi may take up to 15 days to complete it.\n", accountOf(out), last.Message)
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

func accountOf(out *runResult) string {
	if out.Device != nil && out.Device.Account != nil {
		return *out.Device.Account
	}
	return "(unknown)"
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

// stepInfo returns the step named name.
func stepInfo(name string) (flows.StepInfo, bool) {
	for _, s := range flows.Steps() {
		if s.Name == name {
			return s, true
		}
	}
	return flows.StepInfo{}, false
}

// textCatalog is the built-in language files plus the user's (--texts).
func (a *App) textCatalog(file string) (*texts.Catalog, error) {
	c, err := texts.Builtin()
	if err != nil {
		return nil, err
	}
	if file == "" {
		return c, nil
	}
	data, err := readSmallFile(file, 1<<20)
	if err != nil {
		return nil, usagef("--texts: %v", err)
	}
	c, err = c.With(file, data)
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	return c, nil
}

// readSmallFile reads a file the user named, refusing what is not a
// regular file or is larger than limit (a language file is a few KB).
func readSmallFile(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", name)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, limit)
	}
	return data, nil
}
