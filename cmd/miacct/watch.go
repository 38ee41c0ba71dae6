package main

import (
	"context"
	"fmt"
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
	"github.com/miacct/miacct/flows/texts"
)

// WatchOptions are the options of `miacct watch`.
type WatchOptions struct {
	FlowOptions
	Remove  bool // --remove: run remove on each phone (else audit)
	NoIMEI  bool // --no-imei (audit)
	MaxRuns int  // --max-runs N: stop after N phones (0: until Ctrl-C)
}

func newWatchCmd(app *App) *cobra.Command {
	opts := &WatchOptions{FlowOptions: FlowOptions{App: app}}
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Station mode: run audit (or remove) on each phone as it is plugged in",
		Long: `watch waits for phones on one or several ADB servers (--adb, given several
times) with the servers' own device tracking, and as each phone appears
and is authorized it runs audit on it, or with --remove the whole remove
(it needs --yes and --passwords FILE: serial, IMEI or account id, then the
password). It writes each phone's certificate with --report DIR (one
folder per run, DIR/SERIAL-TIME), shows a line per phone, and goes on
waiting. A phone in work is never run twice; a phone pulled out mid-run
ends its run with its exit code and the step to resume from; plug it in
again for a new run. Ctrl-C stops cleanly: no new phone is started, the
runs in progress stop at once (the device call in flight is cancelled)
and put back what they changed.

--events FILE (or - for stdout) writes one JSON line per event:
phone_seen, phone_gone, step_done, run_finished.`,
		Example: `  miacct watch --report ./certificates --events events.jsonl
  miacct --adb hub1:5037 --adb hub2:5037 watch --remove --yes --passwords pw.csv --report ./certs
  miacct watch --events - --max-runs 3`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validateWatch(opts); err != nil {
				return err
			}
			return runWatch(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.Remove, "remove", false, "run remove on each phone (with --yes and --passwords); default: audit")
	f.BoolVarP(&opts.Yes, "yes", "y", false, "with --remove: change the phones without asking (a station cannot ask)")
	f.StringVar(&opts.Passwords, "passwords", "", "with --remove: CSV `FILE` of serial, IMEI or account id,password (mode 600)")
	f.BoolVar(&opts.KeepData, "keep-data", false, "with --remove: keep the synced data on the phones")
	f.BoolVar(&opts.NoReboot, "no-reboot", false, "with --remove: do not restart the phones at the end")
	f.DurationVar(&opts.BootTimeout, "boot-timeout", flows.DefaultBootTimeout, "with --remove: how long to wait for a phone to restart")
	f.DurationVar(&opts.Settle, "settle", flows.DefaultSettle, "how long to wait for a screen after each action, on the phone's clock")
	f.StringVar(&opts.Lang, "lang", "", "language of the phones' screens (default: each phone's)")
	f.StringVar(&opts.Texts, "texts", "", "add the phones' words from a language `FILE`")
	f.StringVar(&opts.Report, "report", "", "write each phone's certificate to a new folder in `DIR`")
	f.IntVar(&opts.Parallel, "parallel", 0, "at most `N` phones in work at once (default: every phone, at most "+itoa(maxPerServer)+" per ADB server)")
	f.IntVar(&opts.MaxRuns, "max-runs", 0, "stop after `N` phones were run (0: until Ctrl-C)")
	f.BoolVar(&opts.NoIMEI, "no-imei", false, "audit: do not open the dial pad to read the IMEIs")
	addCertificateFlags(cmd, &opts.ShopOptions)
	addEventsFlag(cmd, &opts.ShopOptions)
	return cmd
}

// validateWatch checks the options alone.
func validateWatch(opts *WatchOptions) error {
	switch {
	case opts.App.Global.Serial != "":
		return usagef("watch runs on every phone that is plugged in: -s does not go with it")
	case opts.Remove && !opts.Yes:
		return usagef("watch --remove changes every phone plugged in without asking: pass --yes to go ahead")
	case opts.Remove && opts.Passwords == "":
		return usagef("watch --remove needs --passwords FILE (serial, IMEI or account id, then the password)")
	case !opts.Remove && opts.Passwords != "":
		return usagef("--passwords goes with --remove")
	case opts.Parallel < 0:
		return usagef("--parallel must be 1 or more (0, the default, runs every phone at once)")
	case opts.MaxRuns < 0:
		return usagef("--max-runs must be 0 or more")
	case opts.BootTimeout <= 0, opts.Settle <= 0:
		return usagef("--boot-timeout and --settle must be positive")
	}
	return nil
}

// station is a running watch: which phones are in work, which were run.
type station struct {
	app       *App
	opts      *WatchOptions
	catalog   *texts.Catalog // the language files, with --texts
	passwords map[string]string
	board     *stationBoard
	sem       chan struct{}

	mu      sync.Mutex
	known   map[string]adb.State // name -> state last listed
	working map[string]bool      // a run is going on the phone
	handled map[string]bool      // run since it was plugged in
	runs    int
	wg      sync.WaitGroup
	full    chan struct{} // closed once --max-runs runs have finished
	once    sync.Once
}

func runWatch(ctx context.Context, opts *WatchOptions) error {
	app := opts.App
	opts.station = true
	if err := opts.ShopOptions.prepare(app, opts.Report); err != nil {
		return err
	}
	catalog, err := textCatalog(opts.Lang, opts.Texts)
	if err != nil {
		return err
	}
	st := &station{app: app, opts: opts, catalog: catalog, board: newStationBoard(app.IO),
		known: map[string]adb.State{}, working: map[string]bool{}, handled: map[string]bool{}, full: make(chan struct{})}
	if opts.Passwords != "" {
		if st.passwords, err = readPasswordsFile(opts.Passwords, func(w string) { app.IO.Errorf("miacct: warning: %s\n", w) }); err != nil {
			return err
		}
		app.noteSecrets(st.passwords)
	}
	clients, err := app.clients(ctx)
	if err != nil {
		return err
	}
	parallel := opts.Parallel
	if parallel == 0 {
		parallel = maxPerServer * len(clients)
	}
	st.sem = make(chan struct{}, parallel)
	what := "audit"
	if opts.Remove {
		what = "remove"
	}
	app.IO.Errorf("Watching %s for phones (%s on each); Ctrl-C stops.\n", joinAddrs(clients), what)

	// Trackers end with tctx: at Ctrl-C, or once --max-runs runs are done.
	tctx, stopTracking := context.WithCancel(ctx)
	defer stopTracking()
	go func() {
		select {
		case <-st.full:
		case <-tctx.Done():
		}
		stopTracking()
	}()
	errs := make(chan error, len(clients))
	for _, c := range clients {
		go func() { errs <- st.track(tctx, c, len(clients) > 1) }()
	}
	var trackErr error
	for range clients {
		if err := <-errs; err != nil && tctx.Err() == nil && trackErr == nil {
			trackErr = err
			stopTracking()
		}
	}
	st.wg.Wait() // the runs in progress end (Ctrl-C stops them between device calls)
	if opts.Report != "" {
		entries, _ := os.ReadDir(opts.Report)
		var dirs []string
		for _, e := range entries {
			if e.IsDir() {
				dirs = append(dirs, filepath.Join(opts.Report, e.Name()))
			}
		}
		writeFleetSummary(app, opts.Report, dirs) // every certificate of the folder, this session's and earlier ones
	}
	if trackErr != nil {
		return trackErr
	}
	app.IO.Errorf("Stopped: %d phone(s) run.\n", st.runs)
	return nil
}

// track follows one server's device list until ctx ends.
func (st *station) track(ctx context.Context, c *adb.Client, several bool) error {
	err := c.TrackDevices(ctx, func(list []adb.DeviceInfo) error {
		st.update(ctx, c, list, several)
		return nil
	})
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// update compares a server's new list with what the station knew.
func (st *station) update(ctx context.Context, c *adb.Client, list []adb.DeviceInfo, several bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	present := map[string]bool{}
	for _, d := range list {
		name := deviceName(d, several)
		present[name] = true
		old, seen := st.known[name]
		st.known[name] = d.State
		if !seen || old != d.State {
			st.opts.events.emit(event{Event: eventPhoneSeen, Phone: name, Server: d.Server, Serial: d.Serial, State: string(d.State), Model: d.Model})
		}
		switch {
		case d.State == adb.StateUnauthorized && (!seen || old != d.State):
			st.board.set(name, "unauthorized: accept the \"Allow USB debugging?\" prompt on the phone")
		case d.State != adb.StateDevice, st.working[name], st.handled[name], ctx.Err() != nil:
		case st.opts.MaxRuns > 0 && st.runs+len(st.working) >= st.opts.MaxRuns:
		default:
			st.working[name], st.handled[name] = true, true
			st.wg.Add(1)
			go st.run(ctx, c, d, name)
		}
	}
	for name := range st.known {
		if present[name] || !strings.HasPrefix(name, prefixOf(c, several)) {
			continue
		}
		delete(st.known, name)
		if !st.working[name] {
			delete(st.handled, name) // plugged in again: a new run
		}
		st.opts.events.emit(event{Event: eventPhoneGone, Phone: name, Server: c.Addr(), Serial: strings.TrimPrefix(name, prefixOf(c, several))})
		st.board.set(name, "unplugged")
	}
}

// prefixOf is how the names of a server's phones start.
func prefixOf(c *adb.Client, several bool) string {
	if several {
		return c.Addr() + "/"
	}
	return ""
}

// run runs audit or remove on one phone that appeared.
func (st *station) run(ctx context.Context, c *adb.Client, d adb.DeviceInfo, name string) {
	defer st.wg.Done()
	defer func() {
		st.mu.Lock()
		delete(st.working, name)
		st.runs++
		if st.opts.MaxRuns > 0 && st.runs >= st.opts.MaxRuns {
			st.once.Do(func() { close(st.full) })
		}
		st.mu.Unlock()
	}()
	select {
	case st.sem <- struct{}{}:
		defer func() { <-st.sem }()
	case <-ctx.Done():
		return
	}
	dir := ""
	if st.opts.Report != "" {
		dir = filepath.Join(st.opts.Report, safeName(name)+"-"+time.Now().UTC().Format("20060102T150405.000"))
	}
	dev, err := c.Device(ctx, d.Serial)
	if err == nil {
		dev, err = st.app.wrapDevice(dev)
	}
	if err != nil {
		st.finished(name, "", ExitCode(err), "", err.Error(), "")
		return
	}
	if st.opts.Remove {
		st.remove(ctx, dev, name, dir)
		return
	}
	st.board.set(name, "audit: reading the phone")
	ao := &AuditOptions{App: st.app, Report: dir, NoIMEI: st.opts.NoIMEI, Lang: st.opts.Lang, Texts: st.opts.Texts, ShopOptions: st.opts.ShopOptions}
	r := auditPhone(ctx, ao, dev, dir)
	st.finished(name, "audit", r.ExitCode, r.Verdict, r.Error, r.Certificate)
}

// remove runs the whole remove on one phone, with its password from the
// passwords file (by serial, account id or IMEI).
func (st *station) remove(ctx context.Context, dev adb.Device, name, dir string) {
	opts := st.opts.FlowOptions // a copy: each phone its own report folder
	opts.Report = dir
	spec := runSpec{command: cmdRemove, job: flows.Job{Flow: flows.FlowRemove}}
	line := &stationLine{board: st.board, name: name}
	in := &flowInputs{opts: &opts, spec: spec, catalog: st.catalog, lines: newStdinLines(strings.NewReader(""))}
	pr, err := in.openPhone(ctx, dev, line, dir)
	if err != nil {
		st.finished(name, "remove", ExitCode(err), "", err.Error(), "")
		return
	}
	pr.shop.name = name
	defer pr.close(ctx, st.app)
	pw, how := st.passwordFor(ctx, pr, dev.Serial())
	if pw == "" && !(pr.state != nil && pr.state.Account == "") {
		err := fmt.Errorf("%w: no password for this phone in %s (by serial, IMEI or account id)", flows.ErrBadPassword, opts.Passwords)
		st.finished(name, "remove", ExitCode(err), "", err.Error(), "")
		return
	}
	if err := flows.CheckPassword(pw); pw != "" && err != nil {
		st.finished(name, "remove", ExitCode(err), "", "its password in "+opts.Passwords+" cannot be used", "")
		return
	}
	if how != "" {
		st.board.set(name, "remove: password found by "+how)
	}
	pr.password = flows.NewSecret(pw)
	pr.run(ctx, in)
	st.finished(name, "", -1, pr.shop.verdict, "", pr.shop.certificate) // the run sent run_finished
	code, msg := pr.out.ExitCode, "done"
	switch {
	case pr.res.Err != nil:
		msg = "failed: " + pr.res.Err.Error()
		if pr.res.Resume != "" {
			msg += " (resume with --from " + pr.res.Resume + ")"
		}
	case pr.res.NothingToDo:
		msg = "nothing to remove"
	}
	st.board.set(name, fmt.Sprintf("remove %s, exit %d%s", msg, code, verdictNote(pr.shop.verdict)))
}

// passwordFor finds a phone's password by serial, account id, then IMEI.
func (st *station) passwordFor(ctx context.Context, pr *phoneRun, serial string) (pw, how string) {
	if v, ok := st.passwords[serial]; ok {
		return v, "serial"
	}
	if pr.state != nil && pr.state.Account != "" {
		if v, ok := st.passwords[pr.state.Account]; ok {
			return v, "account id"
		}
	}
	imeis := pr.shop.phone.IMEIs
	if len(imeis) == 0 && pr.state != nil {
		imeis, _, _ = pr.sess.ReadIMEIs(ctx, pr.state.Awake, pr.state.Locked)
		pr.shop.phone.IMEIs = imeis
	}
	for _, imei := range imeis {
		if v, ok := st.passwords[imei]; ok {
			return v, "IMEI"
		}
	}
	return "", ""
}

// finished reports the end of a run: its line, and (code >= 0) the
// run_finished event a run without a session did not send.
func (st *station) finished(name, command string, code int, verdict, errText, cert string) {
	if code < 0 {
		return
	}
	st.opts.events.emit(event{Event: eventRunFinished, Phone: name, Command: command, ExitCode: exitCode(code), Verdict: verdict, Error: errText, Certificate: cert})
	msg := fmt.Sprintf("%s: exit %d", command, code)
	if errText != "" && verdict != certificate.VerdictFailed {
		msg += ": " + errText
	}
	st.board.set(name, strings.TrimPrefix(msg+verdictNote(verdict), ": "))
}

func verdictNote(v string) string {
	if v == "" {
		return ""
	}
	return "; verdict: " + v
}

// stationLine hears one phone's steps for the board.
type stationLine struct {
	board *stationBoard
	name  string
}

func (l *stationLine) StepStarted(name string) { l.board.set(l.name, "remove: "+name+"…") }

func (l *stationLine) StepFinished(r flows.StepResult) {
	if r.Status != flows.StatusSkipped {
		l.board.set(l.name, "remove: "+r.Name+" "+r.Status)
	}
}

// stationBoard shows one line per phone on stderr: on a terminal the
// lines are redrawn in place; otherwise each change is a plain line,
// prefixed by the phone's name.
type stationBoard struct {
	io    *IOStreams
	live  bool
	mu    sync.Mutex
	lines map[string]string
	order []string
	drawn int
}

func newStationBoard(io *IOStreams) *stationBoard {
	return &stationBoard{io: io, live: io.LiveStderr(), lines: map[string]string{}}
}

func (b *stationBoard) set(name, text string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.lines[name]; !ok {
		b.order = append(b.order, name)
	}
	b.lines[name] = text
	if !b.live {
		b.io.Errorf("%s  %s\n", name, text)
		return
	}
	b.draw()
}

// draw repaints every line, the cursor back over the last drawing.
func (b *stationBoard) draw() {
	var s strings.Builder
	if b.drawn > 0 {
		fmt.Fprintf(&s, "\x1b[%dA", b.drawn)
	}
	names := append([]string(nil), b.order...)
	sort.Strings(names)
	for _, n := range names {
		line := n + "  " + b.lines[n]
		if len(line) > 78 {
			line = line[:77] + "…"
		}
		fmt.Fprintf(&s, "\r\x1b[2K%s\n", line)
	}
	b.drawn = len(names)
	b.io.Errorf("%s", s.String())
}
