package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/flows"
	"github.com/miacct/miacct/flows/certificate"
)

// AuditOptions are the options of `miacct audit`.
type AuditOptions struct {
	App      *App
	All      bool
	Parallel int
	Report   string // --report DIR: certificate (and evidence) per phone
	NoIMEI   bool   // --no-imei: do not open the dial pad
	Lang     string
	Texts    string
	ShopOptions
}

func newAuditCmd(app *App) *cobra.Command {
	opts := &AuditOptions{App: app}
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Say whether a phone is clear to resell: accounts, Find device, FRP, management, lock, IMEIs",
		Long: `audit reads the phone and says whether it is clear to resell, check by
check (PASS, WARN, FAIL, with the fix): no Xiaomi account signed in, Find
device off, no Google account (with a screen lock, a Google account arms
factory reset protection), no device or profile owner, and whether a
screen lock is set. It identifies the phone (serial, model code, market
name, OS build) and reads its IMEIs from what *#06# shows: it opens the
dial pad with *#06#, reads the dialog and closes it (Android 10 and later
do not let the shell read IMEIs). It changes nothing; on a sleeping phone
it sends the wake-up key. Battery level and health are reported too.

Exit 0: clear to resell. Exit 4: not clear (the FAIL lines say why).
With --report DIR it writes the proof certificate (certificate.pdf,
certificate.json, manifest.json) next to the outputs it read; with --all
one folder per phone and summary.csv/summary.html.`,
		Example: `  miacct audit
  miacct --fake miui14-en-frp audit
  miacct audit --json
  miacct audit --all --report ./audits --operator Dana --ticket RMA-0147
  miacct audit --report ./audit --sign-key key.pem`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validateAudit(opts); err != nil {
				return err
			}
			if err := opts.ShopOptions.prepare(app, opts.Report); err != nil {
				return err
			}
			if opts.All {
				return runAuditAll(cmd.Context(), opts)
			}
			return runAudit(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.All, "all", false, "audit every phone of every --adb server")
	f.IntVar(&opts.Parallel, "parallel", 0, "with --all: at most `N` phones at once (default: every phone, at most "+itoa(maxPerServer)+" per ADB server)")
	f.StringVar(&opts.Report, "report", "", "write the certificate and the outputs it was read from to `DIR` (a new or empty folder)")
	f.BoolVar(&opts.NoIMEI, "no-imei", false, "do not open the dial pad to read the IMEIs (*#06#)")
	f.StringVar(&opts.Lang, "lang", "", "language of the phone's screens (default: the phone's)")
	f.StringVar(&opts.Texts, "texts", "", "add the phone's words from a language `FILE`")
	addCertificateFlags(cmd, &opts.ShopOptions)
	return cmd
}

// validateAudit checks the options alone, before anything is reached.
func validateAudit(opts *AuditOptions) error {
	switch {
	case opts.All && opts.App.Global.Serial != "":
		return usagef("--all and -s cannot be used together")
	case opts.Parallel < 0:
		return usagef("--parallel must be 1 or more (0, the default, runs every phone at once)")
	case opts.Report == "" && (opts.Operator != "" || opts.Ticket != ""):
		return usagef("--operator and --ticket go on the certificate --report DIR writes: give --report too")
	}
	if opts.Report != "" {
		if err := checkNewDir(opts.Report); err != nil {
			return usagef("--report: %v", err)
		}
	}
	return nil
}

// auditResult is the JSON of one phone's audit ("schema": 1).
type auditResult struct {
	Schema   int    `json:"schema"`
	OK       bool   `json:"ok"`
	ExitCode int    `json:"exit_code"`
	Name     string `json:"name,omitempty"`
	Server   string `json:"server,omitempty"`
	// Verdict is "clear", "not clear", or "failed" (the audit could not
	// run; error says why).
	Verdict     string                   `json:"verdict"`
	Reasons     []string                 `json:"reasons"`
	Phone       *certificate.Phone       `json:"phone,omitempty"`
	State       *certificate.DeviceState `json:"state,omitempty"`
	Checks      []flows.Check            `json:"checks"`
	Certificate string                   `json:"certificate,omitempty"`
	Error       string                   `json:"error,omitempty"`
}

// auditAllResult is the JSON of audit --all.
type auditAllResult struct {
	Schema   int            `json:"schema"`
	OK       bool           `json:"ok"`
	ExitCode int            `json:"exit_code"`
	Devices  []auditResult  `json:"devices"`
	Summary  map[string]int `json:"summary"`
}

func runAudit(ctx context.Context, opts *AuditOptions) error {
	app := opts.App
	dev, err := app.device(ctx)
	if err != nil {
		return err
	}
	r := auditPhone(ctx, opts, dev, opts.Report)
	if app.Global.JSON {
		if err := writeJSON(app.IO.Out, r); err != nil {
			return err
		}
	} else {
		printAudit(app, r)
	}
	if r.ExitCode != ExitOK {
		return &reportedError{err: errors.New(r.Verdict), code: r.ExitCode}
	}
	return nil
}

// auditPhone audits one phone and, with reportDir, writes its
// certificate there.
func auditPhone(ctx context.Context, opts *AuditOptions, dev adb.Device, reportDir string) auditResult {
	start := time.Now()
	r := auditResult{Schema: 1, Checks: []flows.Check{}, Reasons: []string{}}
	fail := func(err error) auditResult {
		r.Verdict, r.Error, r.ExitCode = certificate.VerdictFailed, err.Error(), ExitCode(err)
		if r.ExitCode == ExitError {
			r.ExitCode = ExitNotReady
		}
		r.Reasons = []string{err.Error()}
		return r
	}
	catalog, err := textCatalog(opts.Lang, opts.Texts)
	if err != nil {
		return fail(err)
	}
	sess, err := flows.Open(ctx, dev, flows.Options{Lang: opts.Lang, Texts: catalog})
	if err != nil {
		return fail(err)
	}
	a, err := sess.Audit(ctx, flows.AuditOptions{ShowAccount: opts.ShowAccount, SkipIMEI: opts.NoIMEI})
	if err != nil {
		return fail(err)
	}
	r.Phone, r.State, r.Checks, r.Reasons = &a.Phone, a.State, a.Checks, a.Reasons
	r.OK = a.Clear
	r.Verdict = certificate.VerdictClear
	if !a.Clear {
		r.Verdict, r.ExitCode = certificate.VerdictNotClear, ExitNotReady
	}
	if reportDir != "" {
		path, err := writeAuditCertificate(reportDir, a, start, r.ExitCode, opts.ShopOptions)
		if err != nil {
			r.Error = "certificate: " + err.Error()
			r.OK, r.ExitCode = false, ExitError
		}
		r.Certificate = path
	}
	return r
}

// writeAuditCertificate writes an audit's evidence (the outputs it read,
// audit.json) and its certificate into dir.
func writeAuditCertificate(dir string, a *flows.Audit, start time.Time, exitCode int, o ShopOptions) (string, error) {
	root, err := openPrivateDir(dir)
	if err != nil {
		return "", err
	}
	err = root.Close()
	if _, werr := writeStateFiles(dir, "audit", a.Raw); werr != nil || err != nil {
		return "", errors.Join(err, werr)
	}
	data, err := jsonIndent(a)
	if err != nil {
		return "", err
	}
	if err := writeFileIn(dir, "audit.json", data); err != nil {
		return "", err
	}
	c := newCertificate(certificate.CommandAudit, a.Phone, start, o)
	c.After = a.State
	for _, ch := range a.Checks {
		c.Checks = append(c.Checks, certificate.Check{Name: ch.Name, Title: ch.Title, Status: ch.Status, Detail: ch.Detail, Fix: ch.Fix})
	}
	c.ExitCode = exitCode
	return writeCertificate(dir, c, o)
}

func printAudit(app *App, r auditResult) {
	printChecks(app, r.Checks)
	switch r.Verdict {
	case certificate.VerdictClear:
		app.IO.Printf("Clear to resell.\n")
	case certificate.VerdictNotClear:
		app.IO.Printf("Not clear to resell: %s.\n", strings.Join(r.Reasons, "; "))
	default:
		app.IO.Printf("The audit could not run: %s\n", r.Error)
	}
	if r.Certificate != "" {
		app.IO.Printf("Certificate: %s\n", r.Certificate)
	} else if r.Error != "" && r.Verdict != certificate.VerdictFailed {
		app.IO.Errorf("miacct: %s\n", r.Error)
	}
}

// runAuditAll audits every phone of every server, a few at once.
func runAuditAll(ctx context.Context, opts *AuditOptions) error {
	app := opts.App
	phones, err := app.discover(ctx)
	if err != nil {
		return err
	}
	results := make([]auditResult, len(phones))
	index := map[*fleetPhone]int{}
	for i, p := range phones {
		index[p] = i
	}
	var dirs []string
	forEachPhone(ctx, phones, opts.Parallel, func(p *fleetPhone) {
		i := index[p]
		r := auditResult{Schema: 1, Checks: []flows.Check{}, Reasons: []string{}}
		dev, err := p.client.Device(ctx, p.info.Serial)
		if err == nil {
			dev, err = app.wrapDevice(dev)
		}
		if err != nil {
			r.Verdict, r.Error, r.ExitCode, r.Reasons = certificate.VerdictFailed, err.Error(), ExitCode(err), []string{err.Error()}
		} else {
			dir := ""
			if opts.Report != "" {
				dir = filepath.Join(opts.Report, safeName(p.name))
			}
			r = auditPhone(ctx, opts, dev, dir)
		}
		r.Name, r.Server = p.name, p.info.Server
		results[i] = r
	})
	out := auditAllResult{Schema: 1, OK: true, Devices: results, Summary: map[string]int{}}
	for _, r := range results {
		out.Summary[r.Verdict]++
		if r.ExitCode != ExitOK {
			out.OK = false
			out.ExitCode = worse(out.ExitCode, r.ExitCode)
		}
		if r.Certificate != "" {
			dirs = append(dirs, filepath.Dir(r.Certificate))
		}
	}
	writeFleetSummary(app, opts.Report, dirs)
	if app.Global.JSON {
		if err := writeJSON(app.IO.Out, out); err != nil {
			return err
		}
	} else {
		for _, r := range results {
			app.IO.Printf("== %s\n", r.Name)
			printAudit(app, r)
			app.IO.Printf("\n")
		}
		keys := make([]string, 0, len(out.Summary))
		for k := range out.Summary {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%d %s", out.Summary[k], k))
		}
		app.IO.Printf("%d phones: %s.\n", len(results), strings.Join(parts, ", "))
		if opts.Report != "" {
			app.IO.Printf("Summary: %s\n", filepath.Join(opts.Report, certificate.SummaryHTMLFile))
		}
	}
	if !out.OK {
		return &reportedError{err: errors.New("not every phone is clear"), code: out.ExitCode}
	}
	return nil
}
