package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/miacct/miacct/adb/fake"
	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/adb/fake/phone"
)

func newFakeCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fake",
		Short: "Simulated phones: list the built-in ones, serve one over ADB",
		Long: `A fake phone is a simulated Xiaomi phone behind a real ADB socket. It is
loaded from a fixture: a built-in scenario (miacct fake list) or a fixture
directory (see fixtures/README.md). Every command takes --fake SCENARIO to
run against one in-process; 'miacct fake serve' serves one for other
programs (miacct --adb ADDR ..., or any ADB client library).`,
	}
	cmd.AddCommand(newFakeListCmd(app), newFakeServeCmd(app), newFakeCheckCmd(app))
	return cmd
}

// FakeListOptions are the options of `miacct fake list`.
type FakeListOptions struct{ App *App }

func newFakeListCmd(app *App) *cobra.Command {
	opts := &FakeListOptions{App: app}
	return &cobra.Command{
		Use:     "list",
		Short:   "List the built-in fake phones",
		Example: "  miacct fake list",
		Args:    noArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return runFakeList(opts) },
	}
}

func runFakeList(opts *FakeListOptions) error {
	list, err := fixtureLoader().List()
	if err != nil {
		return err
	}
	if opts.App.Global.JSON {
		out := make([]fixtureJSON, len(list))
		for i, f := range list {
			out[i] = fixtureJSON{Schema: schemaVersion, Name: f.Name, Description: f.Description, Base: f.Base}
		}
		return writeJSON(opts.App.IO.Out, out)
	}
	tw := tabwriter.NewWriter(opts.App.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tDESCRIPTION")
	for _, s := range list {
		fmt.Fprintf(tw, "%s\t%s\n", s.Name, s.Description)
	}
	return tw.Flush()
}

// fixtureJSON is a built-in fake phone in `fake list --json`.
type fixtureJSON struct {
	Schema      int    `json:"schema"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Base        string `json:"base,omitempty"` // the fixture it changes, for an overlay
}

// FakeServeOptions are the options of `miacct fake serve`.
type FakeServeOptions struct {
	App          *App
	Scenarios    []string
	Listen       string
	AddrFile     string
	Copies       int     // --copies N of each scenario
	LatencyScale float64 // --latency-scale: really wait the fixture's latencies times this
	ADBD         bool    // --adbd: serve as a device daemon behind a real adb server
	ADBDAuth     bool    // --adbd-auth: the daemon demands authentication
	ControlStdin bool    // --control-stdin: add and remove phones while serving (fake_control.go)
}

func newFakeServeCmd(app *App) *cobra.Command {
	opts := &FakeServeOptions{App: app}
	cmd := &cobra.Command{
		Use:   "serve SCENARIO...",
		Short: "Serve fake phones on an ADB server socket until interrupted",
		Example: `  miacct fake serve miui14-en --listen 127.0.0.1:15037
  miacct --adb 127.0.0.1:15037 devices

  # behind a real adb server, as a phone with wireless debugging:
  miacct fake serve miui14-en --adbd --listen 127.0.0.1:16000
  adb connect 127.0.0.1:16000`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && !opts.ControlStdin {
				return usagef("fake serve needs a SCENARIO (see miacct fake list), or --control-stdin to add phones later")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Scenarios = args
			return runFakeServe(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Listen, "listen", "127.0.0.1:0", "`HOST:PORT` to listen on (port 0 picks a free one)")
	cmd.Flags().StringVar(&opts.AddrFile, "addr-file", "", "write the address served on to `FILE` once listening (for scripts)")
	cmd.Flags().IntVar(&opts.Copies, "copies", 1, "serve `N` copies of each scenario (own serials and accounts), e.g. a hub of 32 phones")
	cmd.Flags().Float64Var(&opts.LatencyScale, "latency-scale", 0, "really wait the fixture's latencies times `F` (0: simulated time, answers at once; 1: as slow as a phone)")
	cmd.Flags().BoolVar(&opts.ADBD, "adbd", false, "serve ONE phone as a device daemon (ADB transport protocol) for a real adb server, reached with adb connect")
	cmd.Flags().BoolVar(&opts.ControlStdin, "control-stdin", false, "read commands from stdin while serving: add SCENARIO [SERIAL], remove SERIAL, list (phones plugged in and pulled out)")
	cmd.Flags().BoolVar(&opts.ADBDAuth, "adbd-auth", false, "with --adbd: demand authentication, so the adb server lists the phone unauthorized")
	return cmd
}

func runFakeServe(ctx context.Context, opts *FakeServeOptions) error {
	if opts.ADBD || opts.ADBDAuth {
		return runFakeServeADBD(ctx, opts)
	}
	app := opts.App
	if opts.Copies < 1 {
		return usagef("--copies must be at least 1")
	}
	if opts.LatencyScale < 0 {
		return usagef("--latency-scale must be 0 or more")
	}
	var targets []fake.Target
	var phones []*phone.Phone
	var names []string
	taken := map[string]bool{}    // serials
	accounts := map[string]bool{} // Xiaomi account ids, per scenario
	for _, ref := range opts.Scenarios {
		fx, err := loadFixture(ref)
		if err != nil {
			return err
		}
		for i := range opts.Copies {
			// Every phone of one server needs its own serial; copies also
			// get their own account, like a hub of different phones.
			_ = i
			po := phone.Options{Log: app.IO.ErrOut, Realtime: opts.LatencyScale, Serial: uniqueSerial(fx.Serial, taken)}
			po.AccountID = uniqueAccountID(fx, accounts)
			ph, err := phone.New(fx, po)
			if err != nil {
				return fmt.Errorf("fake phone %s: %w", ref, err)
			}
			app.watchReplay(fx, ph)
			targets = append(targets, ph)
			phones = append(phones, ph)
			names = append(names, ref)
		}
	}
	srv, err := fake.Listen(opts.Listen, fake.ServerOptions{}, targets...)
	if err != nil {
		return usagef("listen on %s: %v", opts.Listen, err)
	}
	defer srv.Close()
	warnIfNotLoopback(app, "fake ADB server", srv.Addr())
	for i, p := range phones {
		app.IO.Errorf("serving %s as %s\n", names[i], p.Serial())
	}
	app.IO.Printf("%s\n", srv.Addr())
	app.IO.Errorf("fake ADB server on %s; try: miacct --adb %s devices (Ctrl-C stops)\n", srv.Addr(), srv.Addr())
	if opts.AddrFile != "" {
		if err := os.WriteFile(opts.AddrFile, []byte(srv.Addr()+"\n"), 0o644); err != nil {
			return fmt.Errorf("write --addr-file: %w", err)
		}
	}
	if opts.ControlStdin {
		fc := &fakeControl{app: app, srv: srv, opts: opts, taken: taken, accounts: accounts}
		for _, p := range phones {
			fc.served = append(fc.served, p.Serial())
		}
		go fc.serve(ctx, app.IO.In)
	}
	<-ctx.Done() // a stop signal
	return nil
}

// warnIfNotLoopback warns on stderr when a fake listens where other
// machines may reach it: its phones obey whoever connects.
func warnIfNotLoopback(app *App, what, addr string) {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err == nil && ip != nil && ip.IsLoopback() {
		return
	}
	app.IO.Errorf("miacct: warning: the %s listens on %s, not on a loopback address: anyone who can reach it can drive its phones\n", what, addr)
}

// uniqueSerial returns serial, or a variant of it no phone of this server
// uses yet: the last hex digits counted up, as phones of one batch have.
func uniqueSerial(serial string, taken map[string]bool) string {
	s := serial
	for i := 1; taken[s]; i++ {
		if n, err := strconv.ParseUint(serial, 16, 64); err == nil && len(serial) <= 16 {
			s = fmt.Sprintf("%0*x", len(serial), n+uint64(i))
		} else {
			s = fmt.Sprintf("%s%02d", serial, i)
		}
	}
	taken[s] = true
	return s
}

// uniqueAccountID gives a phone a Xiaomi account id no other phone of
// this server has: the fixture's, counted up when taken; "" keeps the
// fixture's (or it has none).
//
// Copies of one scenario are different people's phones; different
// scenarios keep the account their fixture names.
func uniqueAccountID(fx *fixture.Fixture, taken map[string]bool) string {
	for _, a := range fx.Accounts {
		if a.Type != "com.xiaomi" {
			continue
		}
		id := a.Name
		for i := 1; taken[fx.Name+"/"+id]; i++ {
			if n, err := strconv.ParseUint(a.Name, 10, 64); err == nil {
				id = strconv.FormatUint(n+uint64(i), 10)
			} else {
				id = fmt.Sprintf("%s%d", a.Name, i)
			}
		}
		taken[fx.Name+"/"+id] = true
		if id == a.Name {
			return ""
		}
		return id
	}
	return ""
}
