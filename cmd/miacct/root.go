package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/miacct/miacct/adb"
)

// version is set at build time with -ldflags "-X main.version=..."; see
// version.go for the commit, the date and builds without ldflags.
var version = "dev"

// GlobalOptions are the flags every command takes.
type GlobalOptions struct {
	ADB     []string      // --adb HOST:PORT
	Serial  string        // -s/--serial
	Fake    string        // --fake SCENARIO
	JSON    bool          // --json
	Verbose bool          // -v/--verbose
	Timeout time.Duration // --timeout: deadline of each device call
	Record  string        // --record DIR: record the conversation with the phone as a fixture
}

// App is what every command gets: streams, global options, and the way to
// reach devices (a real ADB server, or an in-process fake).
type App struct {
	IO     *IOStreams
	Global GlobalOptions
	// Stop is closed on the first Ctrl-C: runs end between device calls.
	Stop <-chan struct{}
	// cleanups run when the command ends (fake servers, restores).
	cleanups []func()
	// codeMu lets one phone at a time ask for its verification code.
	codeMu sync.Mutex
	// record is --record DIR: the recorders of the command's devices.
	record *recordState
}

// Main runs the CLI with args and returns the exit code.
func Main(streams *IOStreams, args []string) int {
	ctx, stop, cancel := signalContext()
	defer cancel()
	app := &App{IO: streams, Stop: stop}
	defer app.cleanup()
	root := newRootCmd(app)
	root.SetArgs(args)
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var reported *reportedError
	if errors.As(err, &reported) {
		return reported.code
	}
	code := ExitCode(err)
	if isFlagError(err) {
		code = ExitUsage
	}
	streams.Errorf("miacct: %s\n", err)
	if code == ExitUsage && isFlagError(err) {
		streams.Errorf("Run 'miacct --help' for usage.\n")
	}
	return code
}

// reportedError is an error whose message the command already printed;
// Main only returns its code.
type reportedError struct {
	err  error
	code int
}

func (e *reportedError) Error() string { return e.err.Error() }
func (e *reportedError) Unwrap() error { return e.err }

func isFlagError(err error) bool {
	var ue *UsageError
	if errors.As(err, &ue) {
		return false
	}
	msg := err.Error()
	for _, p := range []string{"unknown flag", "unknown shorthand flag", "flag needs an argument", "invalid argument", "unknown command", "accepts ", "requires at least", "requires exactly", "bad flag syntax"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// signalContext returns a context cancelled on the second Ctrl-C and a
// channel closed on the first, so a run can stop between device calls
// and still restore what it changed.
func signalContext() (context.Context, <-chan struct{}, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	stop := make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt)
	done := make(chan struct{})
	go func() {
		n := 0
		for {
			select {
			case <-sigs:
				n++
				if n == 1 {
					close(stop)
				} else {
					cancel()
				}
			case <-done:
				return
			}
		}
	}()
	return ctx, stop, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}

func (a *App) cleanup() {
	for i := len(a.cleanups) - 1; i >= 0; i-- {
		a.cleanups[i]()
	}
	a.cleanups = nil
}

// onExit registers fn to run when the command ends.
func (a *App) onExit(fn func()) { a.cleanups = append(a.cleanups, fn) }

// verbosef prints to stderr with -v.
func (a *App) verbosef(format string, args ...any) {
	if a.Global.Verbose {
		a.IO.Errorf(format, args...)
	}
}

func newRootCmd(app *App) *cobra.Command {
	root := &cobra.Command{
		Use:   "miacct",
		Short: "Take a Xiaomi (Mi) Account off a Xiaomi phone over ADB",
		Long: `miacct drives a Xiaomi, Redmi or POCO phone connected over ADB to take its
Xiaomi Account (Mi Account) off it: open Settings, open the account screen,
sign out, remove the synced data, confirm, type the account password,
restart, and prove the account is gone.

Try it without a phone:  miacct --fake miui14-en remove --dry-run`,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if app.Global.Timeout <= 0 {
				return usagef("--timeout must be positive, e.g. 30s")
			}
			return app.startRecording(cmd)
		},
	}
	f := root.PersistentFlags()
	f.StringArrayVar(&app.Global.ADB, "adb", nil, "ADB server `HOST:PORT` (default: $ADB_SERVER_SOCKET, $ANDROID_ADB_SERVER_ADDRESS/PORT, 127.0.0.1:5037)")
	f.StringVarP(&app.Global.Serial, "serial", "s", "", "device `SERIAL` (default: $ANDROID_SERIAL, else the only device)")
	f.StringVar(&app.Global.Fake, "fake", "", "use a simulated phone: a built-in `SCENARIO` (miacct fake list) or a fixture directory")
	f.BoolVar(&app.Global.JSON, "json", false, "print machine-readable JSON on stdout")
	f.BoolVarP(&app.Global.Verbose, "verbose", "v", false, "say more on stderr")
	f.DurationVar(&app.Global.Timeout, "timeout", adb.DefaultCallTimeout, "deadline of each device call")
	f.StringVar(&app.Global.Record, "record", "", "record everything said with the phone into a fixture `DIR` (secrets replaced)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &UsageError{Err: err} })

	root.AddCommand(
		newDevicesCmd(app),
		newFakeCmd(app),
		newStepsCmd(app),
		newStepCmd(app),
		newRemoveCmd(app),
		newDeleteAccountCmd(app),
		newDoctorCmd(app),
		newAuditCmd(app),
		newReportCmd(app),
		newWatchCmd(app),
	)
	extendCommandTree(root, app)
	return root
}

// requireNoArgs is cobra.NoArgs with a usage error.
func requireNoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments (got %q)", cmd.CommandPath(), strings.Join(args, " "))
	}
	return nil
}
