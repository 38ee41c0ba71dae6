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

// FlowOptions are the options of the commands that run steps: remove,
// delete-account and step. Each command binds the flags it takes to
// them; validate checks them, alone, before anything is reached.
type FlowOptions struct {
	App *App

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

	// delete-account (and remove --delete-account)
	DeleteAccount bool   // remove: go on to delete the account on the site
	Account       string // --account ID for the site's sign-in
	CodeStdin     bool   // read the verification code from the next stdin line
	Manual        bool   // only open the delete page

	// Fleet (--all): every phone on every --adb server.
	All       bool
	Parallel  int    // at most this many phones at once; 0: all (per server: maxPerServer)
	Passwords string // CSV file: serial or account id, password

	// The phone's lock, the certificate, events, --show-account (shop.go).
	ShopOptions
}

// flowFacts are what validate needs to know besides the options: what
// the global flags and the streams say.
type flowFacts struct {
	serial    string // -s (a fleet refuses it)
	canPrompt bool   // on a terminal: questions can be asked
}

// validate refuses what cannot run, before the phone is reached: a pure
// function of the options, the job and the facts.
func (o *FlowOptions) validate(spec runSpec, facts flowFacts) error {
	if err := spec.job.Validate(); err != nil {
		return err
	}
	switch {
	case o.BootTimeout <= 0:
		return usagef("--boot-timeout must be positive, e.g. 5m")
	case o.Settle <= 0:
		return usagef("--settle must be positive, e.g. 10s")
	case o.Parallel < 0:
		return usagef("--parallel must be 1 or more (0, the default, runs every phone at once)")
	case o.Passwords != "" && !o.All:
		return usagef("--passwords FILE goes with --all; for one phone use --password-stdin or %s", passwordEnv)
	case o.All && spec.alone():
		return usagef("--all runs remove or delete-account; run single steps on one phone with -s SERIAL")
	case o.All && facts.serial != "":
		return usagef("--all and -s cannot be used together")
	case o.Passwords != "" && o.PasswordStdin:
		return usagef("--passwords and --password-stdin cannot be used together: give every phone's password in the file")
	case o.Manual && o.All:
		return usagef("--manual opens the delete page on one phone; it does not go with --all")
	}
	acts := !o.DryRun && !o.Manual
	if acts && spec.job.ChangesPhone() && !o.Yes && !facts.canPrompt {
		return usagef("not on a terminal, so miacct cannot ask before changing the phone: pass --yes to go ahead")
	}
	if acts && spec.job.Needs(flows.NeedCode) && !o.CodeStdin && !facts.canPrompt {
		return usagef("not on a terminal, so miacct cannot ask for the verification code the site mails: pass --code-stdin and give the code as the line after the password")
	}
	return nil
}

// acts reports whether the run sends input at all (not a dry run, not
// only opening the delete page).
func (o *FlowOptions) acts() bool { return !o.DryRun && !o.Manual }

// runFlow runs remove, delete-account or step: validate, resolve the
// inputs that need no phone, look at the phone (read-only), then ask
// what must be asked, run, and print.
func runFlow(ctx context.Context, opts *FlowOptions, spec runSpec) error {
	app := opts.App
	if err := opts.validate(spec, flowFacts{serial: app.Global.Serial, canPrompt: app.IO.CanPrompt()}); err != nil {
		return err
	}
	if err := opts.ShopOptions.prepare(app, opts.Report); err != nil {
		return err
	}
	app.onStop("Stopping: putting the phone back…")
	catalog, err := opts.textCatalog()
	if err != nil {
		return err
	}
	in := &flowInputs{opts: opts, spec: spec, catalog: catalog, lines: newStdinLines(app.IO.In)}
	// A password given on stdin or in the environment is read and checked
	// before the phone is reached; one to be asked for is asked only once
	// a read-only look found something to do.
	if err := in.readGivenPassword(); err != nil {
		return err
	}
	if opts.All {
		return runFleet(ctx, in)
	}

	dev, err := app.device(ctx)
	if err != nil {
		return err
	}
	progress := newProgress(app.IO, spec)
	pr, err := in.openPhone(ctx, dev, progress, opts.Report)
	if err != nil {
		return err
	}
	// Put back what the run changed, also after a failure or a signal.
	defer pr.close(ctx, app)

	if err := in.prepare(pr); err != nil {
		return err
	}
	if opts.Manual {
		return app.openDeletePageByHand(ctx, pr.sess)
	}
	progress.start(app)
	pr.run(ctx, in)
	progress.stop(app)
	return pr.print(app, in)
}

// flowInputs are what a run needs from the user besides the options: the
// language files, and stdin read line by line (the password, then the
// code).
type flowInputs struct {
	opts    *FlowOptions
	spec    runSpec
	catalog *texts.Catalog
	lines   *stdinLines
	// passwords are the --passwords file's, by serial or account id.
	passwords map[string]string
	// shared is the one password of every phone (stdin, environment or
	// the prompt), once read.
	shared flows.Secret
}

// textCatalog is the built-in language files plus the user's (--texts),
// and checks --lang against them.
func (o *FlowOptions) textCatalog() (*texts.Catalog, error) {
	return textCatalog(o.Lang, o.Texts)
}

// textCatalog is the built-in language files plus textsFile (--texts),
// if any; lang (--lang), if given, must be one of them.
func textCatalog(lang, textsFile string) (*texts.Catalog, error) {
	c, err := texts.Builtin()
	if err != nil {
		return nil, err
	}
	if textsFile != "" {
		data, err := readSmallFile(textsFile, 1<<20)
		if err != nil {
			return nil, usagef("--texts: %v", err)
		}
		if c, err = c.With(textsFile, data); err != nil {
			return nil, &UsageError{Err: err}
		}
	}
	if lang != "" {
		if _, ok := c.Resolve(lang); !ok {
			return nil, usagef("--lang %q: no language file covers it; choose one of %s, or add one with --texts FILE", lang, strings.Join(c.Languages(), ", "))
		}
	}
	return c, nil
}

// lookVerdict is what the read-only look at a phone says about asking:
// a run that preflight will end (nothing to remove, not ready) asks
// nothing and needs no password; it runs to print what preflight says.
type lookVerdict int

const (
	verdictAsk     lookVerdict = iota // confirm, take the password, run
	verdictNothing                    // no Xiaomi account: nothing to remove
	verdictRefuse                     // not a Xiaomi phone, or locked: preflight refuses
)

// verdictOf decides from what Inspect found (st nil: not inspected,
// a step alone).
func verdictOf(job flows.Job, phone *flows.Phone, st *flows.State) lookVerdict {
	if st == nil {
		return verdictAsk
	}
	switch {
	case !phone.IsXiaomi(), st.Awake && st.Locked:
		return verdictRefuse
	case st.Account == "" && job.NeedsAccount():
		return verdictNothing
	}
	return verdictAsk
}

// prepare asks what a run on one phone must ask, after the read-only
// look: the confirmation, then the password. A run preflight will end
// asks nothing.
func (in *flowInputs) prepare(pr *phoneRun) error {
	opts, spec, app := in.opts, in.spec, in.opts.App
	sess, state := pr.sess, pr.state
	if verdictOf(spec.job, sess.Phone(), state) != verdictAsk {
		return nil
	}
	if (spec.deletes() || spec.flow() == flows.FlowDeleteAccount) && opts.Account == "" && (state == nil || state.Account == "") && !opts.Manual {
		return usagef("no Xiaomi account is signed in on %s, so miacct cannot tell which account to delete: pass --account ID", sess.Phone().Label())
	}
	if opts.acts() && spec.job.ChangesPhone() {
		var err error
		switch {
		case spec.deletes():
			err = app.confirmDeletion(in.accountOf(state), opts, in.lines)
		default:
			err = app.confirm(question(sess, state, opts, spec), opts.Yes, in.lines)
		}
		if err != nil {
			return err
		}
	}
	pw, err := in.password(pr, true)
	if err != nil {
		return err
	}
	pr.password = pw
	return nil
}

// accountOf is the account a run deletes: --account, else the phone's.
func (in *flowInputs) accountOf(st *flows.State) string {
	if in.opts.Account != "" || st == nil {
		return in.opts.Account
	}
	return st.Account
}

// readGivenPassword reads the one password when it is given: on stdin
// (--password-stdin) or in the environment. A run that may only use it
// (the phone may ask during remove-data) takes it when given.
func (in *flowInputs) readGivenPassword() error {
	opts := in.opts
	if !opts.acts() || !in.spec.job.Uses(flows.NeedPassword) || opts.Passwords != "" {
		return nil
	}
	if !opts.PasswordStdin && opts.App.IO.Getenv(passwordEnv) == "" {
		return nil
	}
	pw, err := opts.App.passwordFrom(opts.PasswordStdin, in.lines, false)
	if err != nil {
		return err
	}
	in.shared = pw
	return nil
}

// password is the password a phone's run types: the --passwords file's
// entry for it, else the one password, asked on the terminal when it is
// needed, not given, and prompt is true (a fleet asks once, after its
// confirmation).
func (in *flowInputs) password(pr *phoneRun, prompt bool) (flows.Secret, error) {
	opts, job := in.opts, in.spec.job
	if !opts.acts() || !job.Uses(flows.NeedPassword) {
		return flows.Secret{}, nil
	}
	if in.passwords != nil {
		return in.passwordFromFile(pr)
	}
	if in.shared.IsZero() && prompt && job.Needs(flows.NeedPassword) {
		pw, err := opts.App.passwordFrom(false, in.lines, true)
		if err != nil {
			return flows.Secret{}, err
		}
		in.shared = pw
	}
	return in.shared, nil
}

// passwordFromFile is a phone's entry in the --passwords file, by serial
// or by the account id signed in on it.
func (in *flowInputs) passwordFromFile(pr *phoneRun) (flows.Secret, error) {
	serial := pr.sess.Phone().Serial
	pw, ok := in.passwords[serial]
	if account := in.accountOf(pr.state); !ok && account != "" {
		pw, ok = in.passwords[account]
	}
	file := in.opts.Passwords
	if !ok {
		return flows.Secret{}, fmt.Errorf("%w: no password for this phone in %s (by serial or account id)", flows.ErrBadPassword, file)
	}
	if err := flows.CheckPassword(pw); err != nil {
		return flows.Secret{}, fmt.Errorf("its password in %s cannot be used: %w", file, err)
	}
	return flows.NewSecret(pw), nil
}

// phoneRun is one phone's part of a run: its session, what a read-only
// look found, and how the run went.
type phoneRun struct {
	sess     *flows.Session
	state    *flows.State
	password flows.Secret
	report   *reportWriter
	target   []string // the global flags that pick it, for resume lines
	out      *runResult
	res      *flows.Result
	// writeErr is a report that could not be written (exit 8 when the
	// phone's part went well).
	writeErr error
	shop     *shopRun // the phone's lock, the certificate, events (shop.go)
}

// openPhone starts a session on dev and looks at the phone without
// changing anything. Step events go to observer (and to the report
// written to reportDir, if any).
func (in *flowInputs) openPhone(ctx context.Context, dev adb.Device, observer flows.Observer, reportDir string) (*phoneRun, error) {
	opts, spec, app := in.opts, in.spec, in.opts.App
	pr := &phoneRun{target: app.Global.targetFlags()}
	shop, shopObservers, err := app.startShopRun(ctx, dev, opts, spec)
	if err != nil {
		return nil, err
	}
	pr.shop = shop
	observers := append(multiObserver{observer}, shopObservers...)
	if reportDir != "" {
		if pr.report, err = newReportWriter(ctx, reportDir, app.Global.Timeout); err != nil {
			pr.shop.close(ctx, app)
			return nil, err
		}
		observers = append(observers, pr.report)
	}
	sess, err := flows.Open(ctx, dev, flows.Options{
		Lang:        opts.Lang,
		Texts:       in.catalog,
		Settle:      opts.Settle,
		KeepData:    opts.KeepData,
		NoReboot:    opts.NoReboot,
		BootTimeout: opts.BootTimeout,
		DryRun:      opts.DryRun,
		Proof:       reportDir != "",
		Observer:    observers,
		Account:     opts.Account,
		Code:        app.codeAsker(opts.CodeStdin, in.lines),
	})
	if err != nil {
		if pr.report != nil {
			pr.report.abandon()
		}
		pr.shop.close(ctx, app)
		return nil, err
	}
	pr.sess = sess
	pr.shop.readBefore(ctx, sess, opts, reportDir)
	if !spec.alone() || spec.job.Step == flows.StepPreflight || spec.flow() == flows.FlowDeleteAccount {
		if pr.state, err = sess.Inspect(ctx); err != nil {
			pr.close(ctx, app)
			if pr.report != nil {
				pr.report.abandon()
			}
			return nil, err
		}
	}
	if pr.report != nil {
		pr.report.attach(sess, in.privacy(pr.state))
	}
	return pr, nil
}

// privacy is what a phone's reports keep private: its account id, e-mail
// addresses and phone numbers, unless --show-account.
func (in *flowInputs) privacy(st *flows.State) *privacy {
	if in.opts.ShowAccount {
		return nil
	}
	return newPrivacy(in.accountOf(st))
}

// run runs the flow or step, then writes the report (or a failure report
// when a screen needs to be seen to be understood).
func (pr *phoneRun) run(ctx context.Context, in *flowInputs) {
	a := in.opts.App
	pr.sess.SetPassword(pr.password)
	pr.res = pr.sess.Run(ctx, in.spec.job)
	pr.out = summarize(pr.sess, pr.state, pr.res, in)
	switch {
	case pr.report != nil:
		pr.out.Report = pr.report.dir
		pr.writeErr = pr.report.finish(pr.out)
	case needsFailureReport(pr.res.Err):
		pr.out.Report, pr.writeErr = a.saveFailureReport(ctx, pr.sess, pr.res, pr.out, in.privacy(pr.state))
	}
	if pr.writeErr != nil && pr.out.ExitCode == ExitOK {
		pr.out.OK, pr.out.ExitCode, pr.out.Error = false, ExitIO, pr.writeErr.Error()
	}
	pr.shop.finish(ctx, a, pr, in.opts)
}

// print prints how a single phone's run went: the summary or JSON on
// stdout, the error and the way on on stderr.
func (pr *phoneRun) print(app *App, in *flowInputs) error {
	out, res := pr.out, pr.res
	if app.Global.JSON {
		if err := writeJSON(app.IO.Out, out); err != nil {
			return err
		}
	} else {
		printSummary(app, out, res, in.spec)
	}
	failure := res.Err
	if failure == nil && pr.writeErr != nil {
		failure = pr.writeErr
	} else if pr.writeErr != nil {
		app.IO.Errorf("miacct: %v\n", pr.writeErr)
	}
	if failure == nil {
		return nil
	}
	if !app.Global.JSON {
		app.IO.Errorf("miacct: %s\n", failure)
		if hint := resumeHint(in, pr); hint != "" {
			app.IO.Errorf("%s\n", hint)
		}
		if out.Report != "" && pr.writeErr == nil {
			app.IO.Errorf("The report is in %s (open index.html).\n", out.Report)
		}
	}
	return &reportedError{err: failure, code: out.ExitCode}
}

// close puts back what the session changed, with a context of its own so
// it also runs after a signal.
func (pr *phoneRun) close(ctx context.Context, a *App) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := pr.sess.Close(rctx); err != nil {
		a.IO.Errorf("miacct: %v\n", err)
	}
	pr.shop.close(ctx, a)
}

// question is the confirmation of a run that changes the phone.
func question(sess *flows.Session, st *flows.State, opts *FlowOptions, spec runSpec) string {
	label := sess.Phone().Label()
	switch {
	case spec.alone():
		return fmt.Sprintf("Run step %s on %s?", spec.job.Step, label)
	case st == nil || st.Account == "":
		return fmt.Sprintf("Run miacct %s on %s?", spec.command, label)
	case spec.job.From != "":
		return fmt.Sprintf("Resume from %s on %s (Xiaomi Account %s)?", spec.job.From, label, flows.MaskID(st.Account))
	}
	what := "remove its data from the phone"
	if opts.KeepData {
		what = "keep its data on the phone"
	}
	return fmt.Sprintf("Sign out of Xiaomi Account %s on %s and %s?", flows.MaskID(st.Account), label, what)
}

// resumeHint says how to go on after a failure: fix and run again, or
// the command that resumes where the run stopped.
func resumeHint(in *flowInputs, pr *phoneRun) string {
	err := pr.res.Err
	switch {
	case err == nil:
		return ""
	case errors.Is(err, flows.ErrNotReady), errors.Is(err, adb.ErrUnauthorized):
		return "Fix that, then run the same command again."
	case errors.Is(err, flows.ErrNeedsHand), pr.res.Resume == "":
		return ""
	}
	line := resumeLine{target: pr.target, spec: in.spec, from: pr.res.Resume, opts: in.opts}
	if in.spec.alone() {
		return "The phone is ready for: " + line.String()
	}
	return "Resume with: " + line.String()
}

// multiObserver fans step events out.
type multiObserver []flows.Observer

func (m multiObserver) StepStarted(name string) {
	for _, o := range m {
		if o != nil {
			o.StepStarted(name)
		}
	}
}

func (m multiObserver) StepFinished(r flows.StepResult) {
	for _, o := range m {
		if o != nil {
			o.StepFinished(r)
		}
	}
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
