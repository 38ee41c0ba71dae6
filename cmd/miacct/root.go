package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/miacct/miacct/adb"
)

// version is set at build time with -ldflags "-X main.version=..."; see
// version.go for the commit, the date and builds without ldflags.
var version = "dev"

// GlobalOptions are the flags every command takes.
type GlobalOptions struct {
	ADB     []string      // --adb HOST:PORT (or tcp:HOST:PORT), once per server
	Serial  string        // -s/--serial: SERIAL, or HOST:PORT/SERIAL
	Fake    string        // --fake SCENARIO
	JSON    bool          // --json
	Verbose bool          // -v/--verbose
	Timeout time.Duration // --timeout: deadline of each device call
	Record  string        // --record DIR: record the conversation with the phone as a fixture
}

// validate checks the global flags on their own, before anything is
// reached: a pure function of the options.
func (g GlobalOptions) validate() error {
	if g.Timeout <= 0 {
		return usagef("--timeout must be positive, e.g. 30s")
	}
	if g.Fake != "" && len(g.ADB) > 0 {
		return usagef("--fake and --adb cannot be used together: --fake starts its own ADB server")
	}
	for _, a := range g.ADB {
		if strings.TrimSpace(a) == "" {
			return usagef("--adb needs HOST:PORT, e.g. 127.0.0.1:5037")
		}
	}
	return nil
}

// App is what every command gets, as gh's Factory: the streams, the
// global options, and the way to reach devices (a real ADB server, or an
// in-process fake). Nothing in it is global state: Main makes one per run.
type App struct {
	IO     *IOStreams
	Global GlobalOptions

	mu sync.Mutex
	// cleanups run when the command ends (fake servers, recordings).
	cleanups []func() error
	// live is the progress drawn in place on stderr, if any: a line
	// printed outside the run (a signal) goes through it, and a prompt
	// holds it.
	live liveDisplay
	// stopping is what a stop signal prints: commands that change a
	// phone say they put it back.
	stopping string
	// codeMu lets one phone at a time ask for its verification code.
	codeMu sync.Mutex
	// record is --record DIR: the recorders of the command's devices.
	record *recordState
	// addrs are the ADB servers' addresses, once resolved (and the
	// in-process fake started); addrMu guards them.
	addrMu sync.Mutex
	addrs  []string
}

// Main runs the CLI with args and returns the exit code.
func Main(streams *IOStreams, args []string) int {
	return execute(&App{IO: streams}, args)
}

// execute runs args on app, then ends what the command left running and
// turns the outcome into an exit code.
func execute(app *App, args []string) int {
	ctx, stop := app.signalContext(context.Background())
	defer stop()
	root := newRootCmd(app)
	root.SetArgs(args)
	root.SetIn(app.IO.In)
	root.SetOut(app.IO.Out)
	root.SetErr(app.IO.ErrOut)
	err := checkCommandLine(root, args)
	if err == nil {
		err = root.ExecuteContext(ctx)
	}
	if cerr := app.cleanup(); cerr != nil && err == nil {
		err = cerr
	}
	if err == nil {
		return ExitOK
	}
	var reported *reportedError
	if errors.As(err, &reported) {
		return reported.code
	}
	code := ExitCode(err)
	if app.Global.JSON || wantsJSON(args) {
		_ = writeJSON(app.IO.Out, errorResult{Schema: schemaVersion, OK: false, ExitCode: code, Error: err.Error()})
	}
	app.IO.Errorf("miacct: %s\n", err)
	var ue *UsageError
	if errors.As(err, &ue) && ue.help != "" {
		app.IO.Errorf("Run '%s --help' for usage.\n", ue.help)
	}
	return code
}

// errorResult is what every command prints on stdout under --json when
// it fails before it could print its own result.
type errorResult struct {
	Schema   int    `json:"schema"`
	OK       bool   `json:"ok"`
	ExitCode int    `json:"exit_code"`
	Error    string `json:"error"`
}

// wantsJSON reports whether the command line asks for --json, for the
// failures that come before the flags are bound (a bad flag after it).
func wantsJSON(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "--json", "--json=true", "--json=1":
			return true
		}
	}
	return false
}

// checkCommandLine refuses an unknown command before anything runs, as a
// usage error: cobra reports it as plain text, or shows a group's help
// for a word that names no command under it (miacct fake bogus).
func checkCommandLine(root *cobra.Command, args []string) error {
	if len(args) > 0 && (args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd) {
		return nil // the shell's completion request: cobra adds its command as it runs
	}
	found, rest, err := root.Find(args)
	if err != nil {
		// Find fails only for a word that names no command of the root.
		return &UsageError{Err: err, help: "miacct"}
	}
	if found.Runnable() || len(rest) == 0 {
		return nil
	}
	found.InitDefaultHelpFlag()
	found.InitDefaultVersionFlag()
	if err := found.ParseFlags(rest); err != nil {
		return &UsageError{Err: err, help: found.CommandPath()}
	}
	if words := found.Flags().Args(); len(words) > 0 && !isHelpWord(words[0]) {
		return &UsageError{Err: fmt.Errorf("unknown command %q for %q", words[0], found.CommandPath()), help: found.CommandPath()}
	}
	return nil
}

func isHelpWord(w string) bool { return w == "help" }

// reportedError is an error whose message the command already printed
// (and, under --json, its result on stdout); run only returns its code.
type reportedError struct {
	err  error
	code int
}

func (e *reportedError) Error() string { return e.err.Error() }
func (e *reportedError) Unwrap() error { return e.err }

// stopSignals are the signals that stop a run as Ctrl-C does: SIGTERM
// (kill, a service manager) and SIGHUP (the terminal closed) included.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// signalContext returns a context cancelled by the first stop signal:
// the device call in flight ends at once, and what the run changed is
// put back with a context of its own. A second signal finds the default
// handling again and ends the process.
func (a *App) signalContext(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, stopSignals...)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case sig := <-sigs:
			signal.Stop(sigs)
			note := a.stopNote()
			if sig != os.Interrupt {
				note += " (" + signalName(sig) + ")"
			}
			a.say(note)
			cancel(errInterrupted)
		case <-done:
		}
	})
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		wg.Wait()
		cancel(nil)
	}
}

// errInterrupted is the cause of a run's cancellation by a signal.
var errInterrupted = errors.New("interrupted")

func signalName(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "Ctrl-C"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return sig.String()
}

// stopNote is what the first stop signal prints.
func (a *App) stopNote() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stopping == "" {
		return "Stopping…"
	}
	return a.stopping
}

// onStop sets what the first stop signal prints.
func (a *App) onStop(note string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.stopping = note
}

// liveDisplay is a progress display redrawn in place on stderr.
type liveDisplay interface {
	// note prints a line above the display.
	note(line string)
	// hold stops the drawing until release is called.
	hold() (release func())
}

// say prints a line on stderr, above the live progress when it draws.
func (a *App) say(line string) {
	a.mu.Lock()
	live := a.live
	a.mu.Unlock()
	if live != nil {
		live.note(line)
		return
	}
	a.IO.Errorf("%s\n", line)
}

// holdDisplay stops the live progress from drawing while a prompt waits
// for an answer; the returned function lets it draw again.
func (a *App) holdDisplay() func() {
	a.mu.Lock()
	live := a.live
	a.mu.Unlock()
	if live == nil {
		return func() {}
	}
	return live.hold()
}

// showing makes d the live display (nil: none).
func (a *App) showing(d liveDisplay) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.live = d
}

// cleanup runs what the command registered with onExit, last first, and
// returns the first error (a recording that could not be written).
func (a *App) cleanup() error {
	a.mu.Lock()
	fns := a.cleanups
	a.cleanups = nil
	a.mu.Unlock()
	var first error
	for i := len(fns) - 1; i >= 0; i-- {
		if err := fns[i](); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// onExit registers fn to run when the command ends.
func (a *App) onExit(fn func() error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cleanups = append(a.cleanups, fn)
}

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
			if err := app.Global.validate(); err != nil {
				return err
			}
			return app.startRecording(cmd)
		},
	}
	f := root.PersistentFlags()
	f.StringArrayVar(&app.Global.ADB, "adb", nil, "ADB server `HOST:PORT` or tcp:HOST:PORT, once per server (default: $ADB_SERVER_SOCKET, $ANDROID_ADB_SERVER_ADDRESS/PORT, 127.0.0.1:5037)")
	f.StringVarP(&app.Global.Serial, "serial", "s", "", "device `SERIAL`, or HOST:PORT/SERIAL to name its ADB server too (default: $ANDROID_SERIAL, else the only device)")
	f.StringVar(&app.Global.Fake, "fake", "", "use a simulated phone: a built-in `SCENARIO` (miacct fake list) or a fixture directory")
	f.BoolVar(&app.Global.JSON, "json", false, "print machine-readable JSON on stdout")
	f.BoolVarP(&app.Global.Verbose, "verbose", "v", false, "say more on stderr: each device call's service and first words, and what a fake phone does")
	f.DurationVar(&app.Global.Timeout, "timeout", adb.DefaultCallTimeout, "deadline of each device call")
	f.StringVar(&app.Global.Record, "record", "", "record everything said with the phone into a fixture `DIR` (secrets replaced)")

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
	typeArgumentErrors(root)
	return root
}

// typeArgumentErrors makes every argument and flag error a usage error
// where cobra produces it: the flag parser's (FlagErrorFunc, inherited by
// every command) and each command's Args check, cobra's own commands
// (help, completion) included.
func typeArgumentErrors(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &UsageError{Err: err, help: cmd.CommandPath()}
	})
	walkCommands(root, func(cmd *cobra.Command) {
		check := cmd.Args
		if check == nil {
			return
		}
		cmd.Args = func(cmd *cobra.Command, args []string) error {
			err := check(cmd, args)
			var ue *UsageError
			if err == nil || errors.As(err, &ue) {
				return err
			}
			return &UsageError{Err: err, help: cmd.CommandPath()}
		}
	})
}

// noArgs is cobra.NoArgs with a usage error that names the command.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageHelpf(cmd, "%s takes no arguments (got %q)", cmd.CommandPath(), strings.Join(args, " "))
	}
	return nil
}
