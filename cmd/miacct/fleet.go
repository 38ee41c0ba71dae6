package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/flows"
)

// maxPerServer bounds how many phones of one ADB server a fleet run
// drives at once; --parallel (default: every phone) bounds them all.
//
// Why 256: phones spend their time waiting for their own screens, so the
// computer is not the limit (256 phones at once took 1.6 to 2 times one
// phone's time on 2 shared cores, BENCHMARKS.md). The ADB server's file
// descriptors are: it keeps each phone's transport open (a USB device
// takes a few, a network one a socket) and a phone in work holds one or
// two host connections, while adb runs with the usual limit of 1024 open
// files. 256 phones at about four each fill it; a device farm with more
// phones behind one server gets them 256 at a time, each started as soon
// as another is done.
const maxPerServer = 256

func itoa(n int) string { return strconv.Itoa(n) }

// fleetPhone is one phone of a fleet run.
type fleetPhone struct {
	name   string // the serial, or HOST:PORT/SERIAL with several servers
	info   adb.DeviceInfo
	client *adb.Client

	pr       *phoneRun
	verdict  lookVerdict
	skip     string // why the phone is not run
	skipErr  error  // the problem behind a skip, for the exit code
	setupErr error  // the phone could not even be looked at
	took     time.Duration

	progress *fleetLine
}

// fleetResult is one phone in the fleet's --json.
type fleetResult struct {
	Name   string `json:"name"`
	Server string `json:"server"`
	Serial string `json:"serial"`
	State  string `json:"state"`
	// Result: ok, nothing-to-do, skipped or failed.
	Result string `json:"result"`
	Reason string `json:"reason,omitempty"`
	*runResult
}

// fleetOutput is the fleet's --json.
type fleetOutput struct {
	Schema   int            `json:"schema"`
	OK       bool           `json:"ok"`
	ExitCode int            `json:"exit_code"`
	Command  string         `json:"command"`
	Devices  []fleetResult  `json:"devices"`
	Summary  map[string]int `json:"summary"`
	Retry    []string       `json:"retry,omitempty"`
}

// runFleet runs remove or delete-account on every phone of every ADB
// server at once (within --parallel and maxPerServer); one phone failing
// never stops the others.
func runFleet(ctx context.Context, in *flowInputs) error {
	opts, spec, app := in.opts, in.spec, in.opts.App
	if opts.Passwords != "" {
		var err error
		if in.passwords, err = readPasswordsFile(opts.Passwords, func(w string) { app.IO.Errorf("miacct: warning: %s\n", w) }); err != nil {
			return err
		}
		app.noteSecrets(in.passwords)
	}
	phones, err := app.discover(ctx)
	if err != nil {
		return err
	}
	board := newFleetBoard(app.IO, phones, spec)

	// Look at every phone first (read-only), so the question can say
	// what will happen to which phone.
	forEachPhone(ctx, phones, opts.Parallel, func(p *fleetPhone) {
		in.inspectFleetPhone(ctx, p)
	})
	defer func() {
		for _, p := range phones {
			if p.pr != nil {
				p.pr.close(ctx, app)
			}
		}
	}()
	var asking []*fleetPhone
	for _, p := range phones {
		if p.pr != nil && p.skip == "" && p.verdict == verdictAsk {
			asking = append(asking, p)
		}
	}
	if len(asking) > 0 && opts.acts() {
		if spec.job.ChangesPhone() {
			if err := app.confirmFleet(asking, opts, spec, in.lines); err != nil {
				return err
			}
		}
		if in.passwords == nil && spec.job.Needs(flows.NeedPassword) && in.shared.IsZero() {
			pw, err := app.passwordFrom(false, in.lines, true)
			if err != nil {
				return err
			}
			in.shared = pw
			for _, p := range asking {
				p.pr.password = pw
			}
		}
	}

	board.start(app)
	forEachPhone(ctx, phones, opts.Parallel, func(p *fleetPhone) {
		if p.pr == nil || p.skip != "" {
			board.done(p)
			return
		}
		start := time.Now()
		p.pr.run(ctx, in)
		p.took = time.Since(start)
		board.done(p)
	})
	board.stop(app)
	fleetSummaryOf(app, opts, phones)

	out := fleetSummary(phones, in)
	if app.Global.JSON {
		if err := writeJSON(app.IO.Out, out); err != nil {
			return err
		}
	} else {
		printFleet(app, phones, out)
	}
	if out.ExitCode != ExitOK {
		return &reportedError{err: fmt.Errorf("%d of %d phones did not finish", len(out.Retry), len(phones)), code: out.ExitCode}
	}
	return nil
}

// discover lists the devices of every ADB server.
func (a *App) discover(ctx context.Context) ([]*fleetPhone, error) {
	clients, err := a.clients(ctx)
	if err != nil {
		return nil, err
	}
	var phones []*fleetPhone
	for _, c := range clients {
		list, err := c.Devices(ctx)
		if err != nil {
			return nil, fmt.Errorf("list devices at %s: %w", c.Addr(), err)
		}
		for _, d := range list {
			phones = append(phones, &fleetPhone{name: deviceName(d, len(clients) > 1), info: d, client: c})
		}
	}
	if len(phones) == 0 {
		return nil, fmt.Errorf("%w to the ADB server at %s", adb.ErrNoDevice, joinAddrs(clients))
	}
	return phones, nil
}

func joinAddrs(clients []*adb.Client) string {
	var out []string
	for _, c := range clients {
		out = append(out, c.Addr())
	}
	return strings.Join(out, ", ")
}

// deviceName names a device: its serial, prefixed with its server when
// several servers could list the same serial.
func deviceName(d adb.DeviceInfo, several bool) string {
	if several {
		return d.Server + "/" + d.Serial
	}
	return d.Serial
}

// forEachPhone runs fn for every phone, at most parallel at once (0:
// all) and at most maxPerServer of one ADB server at once. It returns
// when every fn has; phones not started when ctx ends are not run.
func forEachPhone(ctx context.Context, phones []*fleetPhone, parallel int, fn func(*fleetPhone)) {
	if parallel <= 0 {
		parallel = len(phones)
	}
	servers := map[string]chan struct{}{}
	for _, p := range phones {
		if servers[p.info.Server] == nil {
			servers[p.info.Server] = make(chan struct{}, maxPerServer)
		}
	}
	var g errgroup.Group
	g.SetLimit(max(1, parallel))
	for _, p := range phones {
		if ctx.Err() != nil {
			break
		}
		slot := servers[p.info.Server]
		g.Go(func() error {
			select {
			case slot <- struct{}{}:
			case <-ctx.Done():
				return nil
			}
			defer func() { <-slot }()
			fn(p)
			return nil
		})
	}
	_ = g.Wait()
}

// inspectFleetPhone opens a session on one phone and decides whether it
// runs: non-Xiaomi, unauthorized and offline phones, and phones without a
// password, are skipped with the reason.
func (in *flowInputs) inspectFleetPhone(ctx context.Context, p *fleetPhone) {
	opts, app := in.opts, in.opts.App
	switch p.info.State {
	case adb.StateDevice:
	case adb.StateUnauthorized:
		p.skip, p.skipErr = "unauthorized: accept the RSA key prompt on the phone", adb.ErrUnauthorized
		return
	default:
		p.skip, p.skipErr = "state "+string(p.info.State), adb.ErrOffline
		return
	}
	dev, err := p.client.Device(ctx, p.info.Serial)
	if err == nil {
		dev, err = app.wrapDevice(dev)
	}
	if err != nil {
		p.setupErr = err
		return
	}
	var reportDir string
	if opts.Report != "" {
		reportDir = filepath.Join(opts.Report, safeName(p.name))
	}
	pr, err := in.openPhone(ctx, dev, p.progress, reportDir)
	if err != nil {
		p.setupErr = err
		return
	}
	pr.target = []string{"--adb", p.info.Server, "-s", p.info.Serial}
	p.pr = pr
	if !pr.sess.Phone().IsXiaomi() {
		p.skip = "not a Xiaomi phone (" + pr.sess.Phone().Name + ", " + pr.sess.Phone().OS + ")"
		return
	}
	p.verdict = verdictOf(in.spec.job, pr.sess.Phone(), pr.state)
	if p.verdict != verdictAsk {
		return // preflight says what it found; no password needed
	}
	if pr.password, err = in.password(pr, false); err != nil {
		p.skip, p.skipErr = strings.TrimPrefix(err.Error(), flows.ErrBadPassword.Error()+": "), err
	}
}

// safeName turns a device name into a folder name.
func safeName(name string) string {
	return strings.NewReplacer(":", "_", "/", "_", "\\", "_").Replace(name)
}

// confirmFleet asks once for the whole fleet; without a terminal --yes.
func (a *App) confirmFleet(phones []*fleetPhone, opts *FlowOptions, spec runSpec, lines *stdinLines) error {
	if opts.Yes {
		return nil
	}
	if !a.IO.CanPrompt() {
		return usagef("not on a terminal, so miacct cannot ask before changing %d phones: pass --yes to go ahead", len(phones))
	}
	a.IO.Errorf("Phones to run on:\n")
	for _, p := range phones {
		acct := "no account"
		if p.pr.state != nil && p.pr.state.Account != "" {
			acct = "Xiaomi Account " + flows.MaskID(p.pr.state.Account)
		}
		a.IO.Errorf("  %s  %s  %s\n", p.name, p.pr.sess.Phone().Name, acct)
	}
	if spec.deletes() {
		a.IO.Errorf("This signs the accounts out and deletes them for good; it cannot be undone.\n")
		a.IO.Errorf("Type the number of phones (%d) to confirm: ", len(phones))
		answer, err := lines.next()
		if err != nil || strings.TrimSpace(answer) != fmt.Sprint(len(phones)) {
			return usagef("not confirmed: nothing was changed")
		}
		return nil
	}
	what := "remove their data from the phones"
	if opts.KeepData {
		what = "keep their data on the phones"
	}
	return a.confirm(fmt.Sprintf("Sign out of the Xiaomi accounts on these %d phones and %s?", len(phones), what), false, lines)
}

// readPasswordsFile reads FILE: CSV lines of `serial or account id,
// password` (an optional header line starts with serial, account or id).
// It refuses a file others can read: it holds passwords (warn hears when
// the system cannot tell who can read it).
func readPasswordsFile(path string, warn func(string)) (map[string]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, usagef("--passwords: %v", err)
	}
	if !st.Mode().IsRegular() {
		return nil, usagef("--passwords %s is not a regular file", path)
	}
	warning, err := checkPasswordsFile(path, st)
	if err != nil {
		return nil, err
	}
	if warning != "" {
		warn(warning)
	}
	data, err := readSmallFile(path, 1<<20)
	if err != nil {
		return nil, usagef("--passwords: %v", err)
	}
	r := csv.NewReader(strings.NewReader(string(data)))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = false
	out := map[string]string{}
	for line := 1; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// The CSV error quotes no field content, only where it is.
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, usagef("--passwords %s:%d: %v", path, pe.Line, pe.Err)
			}
			return nil, usagef("--passwords %s: %v", path, err)
		}
		if len(rec) == 0 || (len(rec) == 1 && strings.TrimSpace(rec[0]) == "") {
			continue
		}
		key := strings.TrimSpace(rec[0])
		if line == 1 && len(rec) >= 2 && (strings.EqualFold(key, "serial") || strings.EqualFold(key, "account") || strings.EqualFold(key, "id")) {
			continue
		}
		if len(rec) != 2 || key == "" {
			return nil, usagef("--passwords %s:%d: want two fields, `serial or account id,password`", path, line)
		}
		if _, dup := out[key]; dup {
			return nil, usagef("--passwords %s:%d: %s is listed twice", path, line, key)
		}
		out[key] = rec[1]
	}
	if len(out) == 0 {
		return nil, usagef("--passwords %s holds no passwords", path)
	}
	return out, nil
}

// exitRank orders exit codes from worst to best, for the fleet's code.
var exitRank = [...]int{ExitInterrupted, ExitError, ExitIO, ExitTimeout, ExitScreen, ExitWrongPass, ExitNotReady, ExitNoDevice, ExitUsage, ExitOK}

func worse(a, b int) int {
	for _, c := range exitRank {
		if a == c {
			return a
		}
		if b == c {
			return b
		}
	}
	return a
}

func fleetSummary(phones []*fleetPhone, in *flowInputs) *fleetOutput {
	spec, opts := in.spec, in.opts
	out := &fleetOutput{Schema: schemaVersion, OK: true, Command: spec.command.String(), Summary: map[string]int{}}
	for _, p := range phones {
		r := fleetResult{Name: p.name, Server: p.info.Server, Serial: p.info.Serial, State: string(p.info.State)}
		code := ExitOK
		switch {
		case p.setupErr != nil:
			r.Result, r.Reason = "failed", p.setupErr.Error()
			code = ExitCode(p.setupErr)
		case p.skip != "":
			r.Result, r.Reason = "skipped", p.skip
			if p.skipErr != nil {
				code = ExitCode(p.skipErr)
			}
			if p.pr != nil && p.pr.out == nil {
				r.runResult = &runResult{Schema: schemaVersion, Command: spec.command.String(), ExitCode: code,
					Device: newDeviceJSON(p.pr.sess.Phone(), in.accountOf(p.pr.state), opts.ShowAccount), Steps: []flows.StepResult{}}
			}
		case p.pr != nil && p.pr.out != nil:
			r.runResult = p.pr.out
			code = p.pr.out.ExitCode
			switch {
			case code != ExitOK:
				r.Result = "failed"
			case p.pr.res.NothingToDo:
				r.Result = "nothing-to-do"
			default:
				r.Result = "ok"
			}
		default:
			r.Result, r.Reason = "failed", "not run (interrupted)"
			code = ExitInterrupted
		}
		if r.runResult != nil {
			r.runResult.Device.Name, r.runResult.Device.Server, r.runResult.Device.State = p.name, p.info.Server, string(p.info.State)
		}
		out.Summary[r.Result]++
		if code != ExitOK {
			out.OK = false
			out.ExitCode = worse(out.ExitCode, code)
			out.Retry = append(out.Retry, retryLine(p, in).String())
		}
		out.Devices = append(out.Devices, r)
	}
	if out.OK {
		out.ExitCode = ExitOK
	}
	return out
}

// retryLine is the command that retries one phone where it stopped.
func retryLine(p *fleetPhone, in *flowInputs) resumeLine {
	line := resumeLine{target: []string{"--adb", p.info.Server, "-s", p.info.Serial}, spec: in.spec, opts: in.opts}
	if p.pr != nil && p.pr.res != nil {
		line.from = p.pr.res.Resume
	}
	return line
}

// printFleet prints the fleet's table, sized to the terminal: RESULT is
// cut to what fits, and the full reason of each phone that did not
// finish follows below, wrapped, with the command that retries it.
func printFleet(app *App, phones []*fleetPhone, out *fleetOutput) {
	width := app.IO.TerminalWidth()
	rows := [][]string{{"PHONE", "MODEL", "ACCOUNT", "RESULT", "TIME"}}
	var details []string
	for i, p := range phones {
		r := out.Devices[i]
		model, account := "-", "-"
		if p.pr != nil {
			model = p.pr.sess.Phone().Name
			if r.runResult != nil && r.runResult.Device != nil {
				account = "none"
				if a := r.runResult.Device.Account; a != nil {
					account = *a
				}
			}
		}
		result, reason := r.Result, r.Reason
		if reason == "" && r.runResult != nil {
			reason = r.runResult.Error
		}
		if reason != "" {
			result += ": " + reason
			if r.Result != "ok" && r.Result != "nothing-to-do" {
				details = append(details, p.name+": "+reason)
			}
		}
		took := "-"
		if p.took > 0 {
			took = humanDuration(p.took)
		}
		rows = append(rows, []string{p.name, model, account, result, took})
	}
	for _, line := range fitTable(rows, 3, width) {
		app.IO.Printf("%s\n", line)
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
	app.IO.Printf("%s\n", wrapIndented("", fmt.Sprintf("%d phones: %s.", len(phones), strings.Join(parts, ", ")), 2, width))
	if len(details) > 0 {
		app.IO.Printf("\nWhy:\n")
		for _, d := range details {
			app.IO.Printf("%s\n", wrapIndented("  ", d, 4, width))
		}
	}
	if len(out.Retry) > 0 {
		app.IO.Printf("\nTo retry the phones that did not finish (fix what their RESULT says first):\n")
		for _, r := range out.Retry {
			app.IO.Printf("%s\n", wrapCommand("  ", r, width))
		}
	}
}
