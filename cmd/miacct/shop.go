package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/flows"
	"github.com/miacct/miacct/flows/certificate"
)

// What the shop features add to a run: the phone's lock (one run per
// phone, across computers), the proof certificate written into the report
// folder, and the events a warehouse system reads. remove and step bind
// these flags; the rest of the run knows them only through shopRun.

// ShopOptions are the flags of certificates and events.
type ShopOptions struct {
	SignKey     string // --sign-key FILE: ed25519 private key (PEM)
	Operator    string // --operator NAME
	Ticket      string // --ticket ID
	ShowAccount bool   // --show-account: account ids, e-mail addresses and phone numbers unmasked
	Events      string // --events FILE|-: one JSON line per event

	signKey ed25519.PrivateKey
	events  *eventLog
	// station: watch sends phone_seen itself, as phones arrive.
	station bool
}

// addCertificateFlags binds the flags of the certificate written with
// --report.
func addCertificateFlags(cmd *cobra.Command, o *ShopOptions) {
	f := cmd.Flags()
	f.StringVar(&o.SignKey, "sign-key", "", "with --report: sign the certificate with this ed25519 private key `FILE` (PEM, openssl genpkey -algorithm ed25519)")
	f.StringVar(&o.Operator, "operator", "", "with --report: who runs it, printed on the certificate (`NAME`)")
	f.StringVar(&o.Ticket, "ticket", "", "with --report: the shop's ticket or job `ID`, printed on the certificate")
	f.BoolVar(&o.ShowAccount, "show-account", false, "show the account id, e-mail addresses and phone numbers unmasked in --json, the reports and the certificate")
}

// addEventsFlag binds --events.
func addEventsFlag(cmd *cobra.Command, o *ShopOptions) {
	cmd.Flags().StringVar(&o.Events, "events", "", "write one JSON line per event (phone seen, step done, run finished) to `FILE`, or - for stdout")
}

// prepare loads the signing key and opens the events file; the app
// closes the file when the command ends.
func (o *ShopOptions) prepare(a *App, report string) error {
	if o.SignKey != "" {
		if report == "" {
			return usagef("--sign-key signs the certificate --report DIR writes: give --report too")
		}
		key, err := certificate.LoadSignKey(o.SignKey)
		if err != nil {
			return &UsageError{Err: err}
		}
		o.signKey = key
	}
	if o.Events != "" && o.events == nil {
		ev, err := openEventLog(a, o.Events)
		if err != nil {
			return err
		}
		o.events = ev
	}
	return nil
}

// shopRun is the shop features' part of one phone's run.
type shopRun struct {
	lock     *flows.PhoneLock
	started  time.Time
	stepsAt  map[string]time.Time
	before   *certificate.DeviceState
	phone    certificate.Phone
	evidence []string // files the run wrote besides the report's
	name     string   // the phone's name in events (serial or server/serial)
	events   *eventLog
	mu       sync.Mutex
	// certificate and verdict are the certificate written, if any.
	certificate, verdict string
	// writeErr is an evidence file that could not be written.
	writeErr error
}

// StepStarted notes when each step began, for the certificate.
func (s *shopRun) StepStarted(name string) {
	s.mu.Lock()
	s.stepsAt[name] = time.Now()
	s.mu.Unlock()
}

// StepFinished sends the step_done event.
func (s *shopRun) StepFinished(r flows.StepResult) {
	if r.Status == flows.StatusSkipped {
		return
	}
	s.events.emit(event{Event: eventStepDone, Phone: s.name, Step: r.Name, Status: r.Status, Message: r.Message, DurationMS: r.DurationMS})
}

// startShopRun takes the phone's lock before anything can change it
// (not for a dry run or --manual, which change nothing) and returns the
// observers the session should have.
func (a *App) startShopRun(ctx context.Context, dev adb.Device, opts *FlowOptions, spec runSpec) (*shopRun, []flows.Observer, error) {
	s := &shopRun{started: time.Now(), stepsAt: map[string]time.Time{}, name: dev.Serial(), events: opts.events}
	observers := []flows.Observer{s}
	if !opts.station {
		s.events.emit(event{Event: eventPhoneSeen, Phone: s.name, Serial: dev.Serial(), State: string(adb.StateDevice)})
	}
	if opts.DryRun || opts.Manual {
		return s, observers, nil
	}
	host, _ := os.Hostname()
	lock, err := flows.LockPhone(ctx, dev, flows.LockOptions{Host: host, PID: os.Getpid(), Command: spec.command.String(), TTL: opts.BootTimeout + flows.DefaultLockTTL})
	if err != nil {
		return nil, nil, err
	}
	if lock.Stale != nil {
		a.IO.Errorf("miacct: %s: took over a stale lock left by %s\n", dev.Serial(), lock.Stale)
	}
	s.lock = lock
	return s, append(observers, lock), nil
}

// readBefore reads the phone's state (and IMEIs) before the run, for the
// certificate; only with --report.
func (s *shopRun) readBefore(ctx context.Context, sess *flows.Session, opts *FlowOptions, reportDir string) {
	s.phone = sess.CertificatePhone()
	if reportDir == "" {
		return
	}
	reading, err := flows.ReadState(ctx, sess.Device(), flows.StateOptions{ShowAccount: opts.ShowAccount})
	if err != nil {
		s.phone.IMEIsMissing = "not read: " + err.Error()
		return
	}
	s.before = reading.State
	imeis, missing, err := sess.ReadIMEIs(ctx, reading.Awake, reading.Locked)
	switch {
	case err != nil:
		s.phone.IMEIsMissing = "not read: " + err.Error()
	default:
		s.phone.IMEIs, s.phone.IMEIsMissing = imeis, missing
	}
	names, err := writeStateFiles(reportDir, "before", reading.Raw)
	s.evidence = append(s.evidence, names...)
	s.writeErr = err
}

// close releases the lock, with a context of its own (also after Ctrl-C).
func (s *shopRun) close(ctx context.Context, a *App) {
	if s == nil || s.lock == nil {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := s.lock.Err(); err != nil {
		a.IO.Errorf("miacct: %v\n", err)
	}
	if err := s.lock.Release(rctx); err != nil {
		a.IO.Errorf("miacct: %v\n", err)
	}
	s.lock = nil
}

// finish is called once the run's report is written: it reads the
// phone's state after the run, writes the certificate into the report
// folder, and sends the run_finished event.
func (s *shopRun) finish(ctx context.Context, a *App, pr *phoneRun, opts *FlowOptions) {
	if s == nil {
		return
	}
	if s.writeErr != nil {
		a.IO.Errorf("miacct: certificate: %v\n", s.writeErr)
	}
	if pr.report != nil {
		path, err := s.writeRemoveCertificate(ctx, a, pr, opts)
		if err != nil {
			a.IO.Errorf("miacct: certificate: %v\n", err)
		} else {
			s.certificate = path
		}
	}
	s.events.emit(event{Event: eventRunFinished, Phone: s.name, Command: pr.out.Command, ExitCode: exitCode(pr.out.ExitCode),
		ResumeFrom: pr.out.ResumeFrom, Error: pr.out.Error, Certificate: s.certificate, Verdict: s.verdict})
}

// writeRemoveCertificate builds the certificate of a remove (or step,
// delete-account) run and writes it.
func (s *shopRun) writeRemoveCertificate(ctx context.Context, a *App, pr *phoneRun, opts *FlowOptions) (string, error) {
	dir := pr.report.dir
	c := s.newCertificate(certificate.CommandRemove, opts)
	c.Before = s.before
	for _, st := range pr.out.Steps {
		c.Steps = append(c.Steps, certificate.Step{Name: st.Name, Status: st.Status, StartedAt: s.stepsAt[st.Name], DurationMS: st.DurationMS, Message: st.Message})
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if reading, err := flows.ReadState(actx, pr.sess.Device(), flows.StateOptions{ShowAccount: opts.ShowAccount}); err == nil {
		c.After = reading.State
		if _, err := writeStateFiles(dir, "after", reading.Raw); err != nil {
			return "", err
		}
	}
	c.ExitCode = pr.out.ExitCode
	if pr.res.Err != nil {
		c.Error = &certificate.RunError{Message: pr.res.Err.Error()}
		var se *flows.StepError
		if errors.As(pr.res.Err, &se) {
			c.Error.Step = se.Step
		}
	}
	c.EndedAt = time.Now()
	path, err := writeCertificate(dir, c, opts.ShopOptions)
	s.verdict = c.Verdict
	return path, err
}

// newCertificate fills what every certificate of this run has.
func (s *shopRun) newCertificate(command string, opts *FlowOptions) *certificate.Certificate {
	return newCertificate(command, s.phone, s.started, opts.ShopOptions)
}

func newCertificate(command string, phone certificate.Phone, started time.Time, o ShopOptions) *certificate.Certificate {
	host, _ := os.Hostname()
	return &certificate.Certificate{
		Tool:      certificate.Tool{Name: "miacct", Version: currentVersion().Version},
		Command:   command,
		Operator:  o.Operator,
		Ticket:    o.Ticket,
		Host:      host,
		StartedAt: started,
		Phone:     phone,
	}
}

// writeCertificate lists every file of the folder as evidence, writes
// the certificate and returns the PDF's path.
func writeCertificate(dir string, c *certificate.Certificate, o ShopOptions) (string, error) {
	ev, err := evidenceIn(dir)
	if err != nil {
		return "", err
	}
	c.Evidence = ev
	if c.EndedAt.IsZero() {
		c.EndedAt = time.Now()
	}
	if err := certificate.Write(dir, c, certificate.WriteOptions{SignKey: o.signKey}); err != nil {
		return "", err
	}
	return filepath.Join(dir, certificate.PDFFile), nil
}

// evidenceIn lists the regular files of a report folder (not the
// certificate's own), with what each is.
func evidenceIn(dir string) ([]certificate.Evidence, error) {
	own := map[string]bool{certificate.CertificateFile: true, certificate.PDFFile: true, certificate.ManifestFile: true,
		certificate.SignatureFile: true, certificate.SummaryCSVFile: true, certificate.SummaryHTMLFile: true}
	var out []certificate.Evidence
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, rerr := filepath.Rel(dir, p)
		if rerr != nil {
			return rerr
		}
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir() && rel != ".":
			return fs.SkipDir // a phone's folder of a fleet run has its own certificate
		case d.IsDir(), !d.Type().IsRegular(), own[rel], strings.HasPrefix(d.Name(), ".miacct-tmp-"):
			return nil
		}
		out = append(out, certificate.Evidence{Path: rel, Description: describeEvidence(rel)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list the evidence in %s: %w", dir, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// describeEvidence says what a report file is.
func describeEvidence(name string) string {
	base := strings.TrimSuffix(name, filepath.Ext(name))
	switch {
	case name == "report.json":
		return "the run as JSON"
	case name == "audit.json":
		return "the audit as JSON"
	case name == "log.txt":
		return "the run's log"
	case name == "index.html":
		return "the report to read in a browser"
	case strings.HasSuffix(name, ".png"):
		return "screenshot after " + stepOf(base)
	case strings.HasSuffix(name, ".xml"):
		return "screen hierarchy after " + stepOf(base)
	case strings.HasSuffix(name, ".txt"):
		when, what, _ := strings.Cut(base, "-")
		return "the phone's " + strings.ReplaceAll(what, "-", " ") + " " + when + " the run"
	}
	return "a file of the run"
}

// stepOf is the step of a report file named NN-step.
func stepOf(base string) string {
	if _, step, ok := strings.Cut(base, "-"); ok {
		return step
	}
	return base
}

// stateFiles name the raw outputs of a state reading in a report folder.
var stateFiles = map[string]string{
	"dumpsys account":       "dumpsys-account",
	"dumpsys lock_settings": "dumpsys-lock-settings",
	"dumpsys device_policy": "dumpsys-device-policy",
	"dumpsys battery":       "dumpsys-battery",
}

// writeStateFiles writes the outputs a state was read from (raw, by
// command) into dir, as WHEN-WHAT.txt (account ids masked as the reading
// masked them), private to the user; it returns the names written.
func writeStateFiles(dir, when string, raw map[string]string) ([]string, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	var names []string
	var errs []error
	for cmd, out := range raw {
		base, ok := stateFiles[cmd]
		if !ok {
			base = "find-device"
		}
		name := when + "-" + base + ".txt"
		if err := writePrivateFile(root, name, []byte("$ "+cmd+"\n"+out)); err != nil {
			errs = append(errs, err)
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names, errors.Join(errs...)
}

// summaryRowOf reads back the certificate written in dir for the fleet
// summary.
func summaryRowOf(top, dir string) (certificate.SummaryRow, bool) {
	data, err := os.ReadFile(filepath.Join(dir, certificate.CertificateFile))
	if err != nil {
		return certificate.SummaryRow{}, false
	}
	var c certificate.Certificate
	if err := jsonUnmarshal(data, &c); err != nil {
		return certificate.SummaryRow{}, false
	}
	rel, err := filepath.Rel(top, filepath.Join(dir, certificate.PDFFile))
	if err != nil {
		rel = filepath.Join(dir, certificate.PDFFile)
	}
	return certificate.SummaryRowOf(&c, filepath.ToSlash(rel)), true
}

// writeFleetSummary writes summary.csv and summary.html into the report
// folder of a fleet run, one line per phone that has a certificate.
func writeFleetSummary(a *App, top string, dirs []string) {
	if top == "" {
		return
	}
	var rows []certificate.SummaryRow
	for _, d := range dirs {
		if row, ok := summaryRowOf(top, d); ok {
			rows = append(rows, row)
		}
	}
	if err := certificate.WriteSummary(top, rows); err != nil {
		a.IO.Errorf("miacct: %v\n", err)
	}
}

// fleetSummaryOf writes the summary of a remove --all run.
func fleetSummaryOf(a *App, opts *FlowOptions, phones []*fleetPhone) {
	if opts.Report == "" {
		return
	}
	var dirs []string
	for _, p := range phones {
		if p.pr != nil && p.pr.report != nil {
			dirs = append(dirs, p.pr.report.dir)
		}
	}
	writeFleetSummary(a, opts.Report, dirs)
}
