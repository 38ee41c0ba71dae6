package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/miacct/miacct/adb/fake"
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
	cmd.AddCommand(newFakeListCmd(app), newFakeServeCmd(app))
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
		Args:    requireNoArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return runFakeList(opts) },
	}
}

func runFakeList(opts *FakeListOptions) error {
	list, err := fixtureLoader().List()
	if err != nil {
		return err
	}
	if opts.App.Global.JSON {
		return writeJSON(opts.App.IO.Out, list)
	}
	tw := tabwriter.NewWriter(opts.App.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tDESCRIPTION")
	for _, s := range list {
		fmt.Fprintf(tw, "%s\t%s\n", s.Name, s.Description)
	}
	return tw.Flush()
}

// FakeServeOptions are the options of `miacct fake serve`.
type FakeServeOptions struct {
	App       *App
	Scenarios []string
	Listen    string
	AddrFile  string
}

func newFakeServeCmd(app *App) *cobra.Command {
	opts := &FakeServeOptions{App: app}
	cmd := &cobra.Command{
		Use:   "serve SCENARIO...",
		Short: "Serve fake phones on an ADB server socket until interrupted",
		Example: `  miacct fake serve miui14-en --listen 127.0.0.1:15037
  miacct --adb 127.0.0.1:15037 devices`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("fake serve needs a SCENARIO (see miacct fake list)")
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
	return cmd
}

func runFakeServe(ctx context.Context, opts *FakeServeOptions) error {
	app := opts.App
	var targets []fake.Target
	var phones []*fake.Phone
	for _, ref := range opts.Scenarios {
		fx, err := loadFixture(ref)
		if err != nil {
			return err
		}
		phone, err := fake.NewPhone(fx, fake.PhoneOptions{Log: app.IO.ErrOut})
		if err != nil {
			return fmt.Errorf("fake phone %s: %w", ref, err)
		}
		targets = append(targets, phone)
		phones = append(phones, phone)
	}
	srv, err := fake.ListenWith(fake.ServerOptions{}, opts.Listen, targets...)
	if err != nil {
		return usagef("listen on %s: %v", opts.Listen, err)
	}
	defer srv.Close()
	for i, p := range phones {
		app.IO.Errorf("serving %s as %s\n", opts.Scenarios[i], p.Serial())
	}
	app.IO.Printf("%s\n", srv.Addr())
	app.IO.Errorf("fake ADB server on %s; try: miacct --adb %s devices (Ctrl-C stops)\n", srv.Addr(), srv.Addr())
	if opts.AddrFile != "" {
		if err := os.WriteFile(opts.AddrFile, []byte(srv.Addr()+"\n"), 0o644); err != nil {
			return fmt.Errorf("write --addr-file: %w", err)
		}
	}
	select {
	case <-ctx.Done():
	case <-app.Stop:
	}
	return nil
}
