package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/flows"
)

// DefaultParallel bounds how many phones a fleet run drives at once. A
// hub rarely has more than 32 ports, and phones spend their time waiting
// for their own screens, so 32 at once costs the computer little.
const DefaultParallel = 32

// fleetPhone is one phone of a fleet run.
type fleetPhone struct {
	name   string // the serial, or HOST:PORT/SERIAL with several servers
	info   adb.DeviceInfo
	client *adb.Client

	pr       *phoneRun
	password flows.Secret
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
	OK       bool           `json:"ok"`
	ExitCode int            `json:"exit_code"`
	Command  string         `json:"command"`
	Devices  []fleetResult  `json:"devices"`
	Summary  map[string]int `json:"summary"`
	Retry    []string       `json:"retry,omitempty"`
}

// runFleet runs remove or delete-account on every phone of every ADB
// server, at most opts.Parallel at once; one phone failing never stops
// the others.
func runFleet(ctx context.Context, opts *FlowOptions, spec runSpec, lines *stdinLines, password flows.Secret) error {
	app := opts.App
	if spec.command == "step" {
		return usagef("--all runs remove or delete-account; run single steps on one phone with -s SERIAL")
	}
	if app.Global.Serial != "" {
		return usagef("--all and -s cannot be used together")
	}
	if opts.Parallel <= 0 {
		return usagef("--parallel must be at least 1")
	}
	var passwords map[string]string
	if opts.Passwords != "" {
		var err error
		if passwords, err = readPasswordsFile(opts.Passwords, func(w string) { app.IO.Errorf("miacct: warning: %s\n", w) }); err != nil {
			return err
		}
		app.noteSecrets(passwords)
	}
	phones, err := app.discover(ctx)
	if err != nil {
		return err
	}
	board := newFleetBoard(app.IO, phones, spec)

	// Look at every phone first (read-only), so the question can say
	// what will happen to which phone.
	app.forEach(ctx, phones, opts.Parallel, func(p *fleetPhone) {
		app.inspectFleetPhone(ctx, p, opts, spec, lines, passwords, password)
	})
	runnable := 0
	for _, p := range phones {
		if p.pr != nil && p.skip == "" {
			runnable++
		}
	}
	defer func() {
		for _, p := range phones {
			if p.pr != nil {
				p.pr.close(ctx, app)
			}
		}
	}()
	if runnable > 0 && !opts.DryRun {
		if err := app.confirmFleet(phones, runnable, opts, spec, lines); err != nil {
			return err
		}
		if opts.Passwords == "" && password.IsZero() && (spec.job.Needs(flows.NeedPassword) && !opts.DryRun) {
			if password, err = app.passwordFrom(false, lines, true); err != nil {
				return err
			}
			for _, p := range phones {
				if p.skip == "" {
					p.password = password
				}
			}
		}
	}

	board.start()
	app.forEach(ctx, phones, opts.Parallel, func(p *fleetPhone) {
		if p.pr == nil || p.skip != "" {
			board.done(p)
			return
		}
		start := time.Now()
		p.pr.run(ctx, app, opts, spec, p.password)
		p.took = time.Since(start)
		board.done(p)
	})
	board.stop()
	fleetSummaryOf(app, opts, phones)

	out := fleetSummary(phones, spec, opts)
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

// forEach runs fn for every phone, at most n at once.
func (a *App) forEach(ctx context.Context, phones []*fleetPhone, n int, fn func(*fleetPhone)) {
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, p := range phones {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			fn(p)
		}()
	}
	wg.Wait()
}

// inspectFleetPhone opens a session on one phone and decides whether it
// runs: non-Xiaomi, unauthorized and offline phones, and phones without a
// password, are skipped with the reason.
func (a *App) inspectFleetPhone(ctx context.Context, p *fleetPhone, opts *FlowOptions, spec runSpec, lines *stdinLines, passwords map[string]string, shared flows.Secret) {
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
		dev, err = a.wrapDevice(dev)
	}
	if err != nil {
		p.setupErr = err
		return
	}
	var reportDir string
	if opts.Report != "" {
		reportDir = opts.Report + string(os.PathSeparator) + safeName(p.name)
	}
	pr, err := a.openPhone(ctx, dev, opts, spec, lines, p.progress, reportDir)
	if err != nil {
		p.setupErr = err
		return
	}
	p.pr = pr
	if !pr.sess.Phone().IsXiaomi() {
		p.skip = "not a Xiaomi phone (" + pr.sess.Phone().Name + ", " + pr.sess.Phone().OS + ")"
		return
	}
	account := ""
	if pr.state != nil {
		account = pr.state.Account
	}
	if (spec.job.Needs(flows.NeedPassword) && !opts.DryRun) && !(account == "" && spec.command == "remove") {
		switch {
		case passwords != nil:
			pw, ok := passwords[p.info.Serial]
			if !ok && account != "" {
				pw, ok = passwords[account]
			}
			if !ok {
				p.skip, p.skipErr = "no password for this phone in "+opts.Passwords+" (by serial or account id)", flows.ErrBadPassword
				return
			}
			if err := flows.CheckPassword(pw); err != nil {
				p.skip, p.skipErr = "its password in "+opts.Passwords+" cannot be used: "+strings.TrimPrefix(err.Error(), flows.ErrBadPassword.Error()+": "), err
				return
			}
			p.password = flows.NewSecret(pw)
		default:
			p.password = shared
		}
	}
}

// safeName turns a device name into a folder name.
func safeName(name string) string {
	return strings.NewReplacer(":", "_", "/", "_", "\\", "_").Replace(name)
}

// confirmFleet asks once for the whole fleet; without a terminal --yes.
func (a *App) confirmFleet(phones []*fleetPhone, runnable int, opts *FlowOptions, spec runSpec, lines *stdinLines) error {
	if opts.Yes {
		return nil
	}
	if !a.IO.CanPrompt() {
		return usagef("not on a terminal, so miacct cannot ask before changing %d phones: pass --yes to go ahead", runnable)
	}
	a.IO.Errorf("Phones to run on:\n")
	for _, p := range phones {
		if p.skip != "" || p.pr == nil {
			continue
		}
		acct := "no account"
		if p.pr.state != nil && p.pr.state.Account != "" {
			acct = "Xiaomi Account " + flows.MaskID(p.pr.state.Account)
		}
		a.IO.Errorf("  %s  %s  %s\n", p.name, p.pr.sess.Phone().Name, acct)
	}
	if spec.deletes() {
		a.IO.Errorf("This signs the accounts out and deletes them for good; it cannot be undone.\n")
		a.IO.Errorf("Type the number of phones (%d) to confirm: ", runnable)
		answer, err := lines.next()
		if err != nil || strings.TrimSpace(answer) != fmt.Sprint(runnable) {
			return usagef("not confirmed: nothing was changed")
		}
		return nil
	}
	what := "remove their data from the phones"
	if opts.KeepData {
		what = "keep their data on the phones"
	}
	return a.confirm(fmt.Sprintf("Sign out of the Xiaomi accounts on these %d phones and %s?", runnable, what), false, lines)
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
	warning, err := checkPasswordsFile(path, st)
	if err != nil {
		return nil, err
	}
	if warning != "" {
		warn(warning)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, usagef("--passwords: %v", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
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
var exitRank = [...]int{ExitInterrupted, ExitError, ExitTimeout, ExitScreen, ExitWrongPass, ExitNotReady, ExitNoDevice, ExitUsage, ExitOK}

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

func fleetSummary(phones []*fleetPhone, spec runSpec, opts *FlowOptions) *fleetOutput {
	out := &fleetOutput{OK: true, Command: spec.command, Summary: map[string]int{}}
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
			if p.pr != nil && p.pr.state != nil && p.pr.out == nil {
				r.runResult = &runResult{Command: spec.command, Device: newDeviceSummary(p.pr.sess, p.pr.state, opts.Account), Steps: []flows.StepResult{}}
			}
		case p.pr != nil && p.pr.out != nil:
			r.runResult = p.pr.out
			code = p.pr.out.ExitCode
			switch {
			case p.pr.res.Err != nil:
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
		out.Summary[r.Result]++
		if code != ExitOK {
			out.OK = false
			out.ExitCode = worse(out.ExitCode, code)
			out.Retry = append(out.Retry, retryCommand(p, spec, opts))
		}
		out.Devices = append(out.Devices, r)
	}
	if out.OK {
		out.ExitCode = ExitOK
	}
	return out
}

// retryCommand is the command that retries one phone where it stopped.
func retryCommand(p *fleetPhone, spec runSpec, opts *FlowOptions) string {
	cmd := fmt.Sprintf("miacct --adb %s -s %s %s", p.info.Server, p.info.Serial, spec.command)
	if spec.job.DeleteAccount {
		cmd += " --delete-account"
	}
	if p.pr != nil && p.pr.res != nil && p.pr.res.Resume != "" {
		cmd += " --from " + p.pr.res.Resume
	}
	if opts.KeepData {
		cmd += " --keep-data"
	}
	if opts.NoReboot {
		cmd += " --no-reboot"
	}
	return cmd
}

func printFleet(app *App, phones []*fleetPhone, out *fleetOutput) {
	tw := tabwriter.NewWriter(app.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PHONE\tMODEL\tACCOUNT\tRESULT\tTIME")
	for i, p := range phones {
		r := out.Devices[i]
		model, account := "-", "-"
		if p.pr != nil {
			model = p.pr.sess.Phone().Name
			if p.pr.state != nil {
				account = "none"
				if p.pr.state.Account != "" {
					account = flows.MaskID(p.pr.state.Account)
				}
			}
		}
		result := r.Result
		switch {
		case r.Reason != "":
			result += ": " + r.Reason
		case r.runResult != nil && r.runResult.Error != "":
			result += ": " + r.runResult.Error
		}
		took := "-"
		if p.took > 0 {
			took = humanDuration(p.took)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.name, model, account, result, took)
	}
	_ = tw.Flush()
	keys := make([]string, 0, len(out.Summary))
	for k := range out.Summary {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d %s", out.Summary[k], k))
	}
	app.IO.Printf("%d phones: %s.\n", len(phones), strings.Join(parts, ", "))
	if len(out.Retry) > 0 {
		app.IO.Printf("To retry the phones that did not finish (fix what their RESULT says first):\n")
		for _, r := range out.Retry {
			app.IO.Printf("  %s\n", r)
		}
	}
}
