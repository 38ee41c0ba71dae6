package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake"
	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/fixtures"
)

// fixtureLoader loads built-in fixtures by name and others from disk.
func fixtureLoader() fixture.Loader { return fixture.Loader{Builtin: fixtures.FS()} }

// loadFixture loads a scenario; any problem is the user's input (exit 2).
func loadFixture(ref string) (*fixture.Fixture, error) {
	fx, err := fixtureLoader().Load(ref)
	if err != nil {
		var fe *fixture.Error
		if errors.As(err, &fe) {
			return nil, err
		}
		return nil, &UsageError{Err: fmt.Errorf("fixture %s: %w", ref, err)}
	}
	return fx, nil
}

// servers returns the ADB server addresses to use: the in-process fake's
// with --fake, else --adb or adb's environment conventions.
func (a *App) servers(ctx context.Context) ([]string, error) {
	if a.Global.Fake != "" {
		if len(a.Global.ADB) > 0 {
			return nil, usagef("--fake and --adb cannot be used together: --fake starts its own ADB server")
		}
		addr, err := a.startFake(a.Global.Fake)
		if err != nil {
			return nil, err
		}
		return []string{addr}, nil
	}
	flags := a.Global.ADB
	if len(flags) == 0 {
		flags = []string{""}
	}
	var out []string
	for _, f := range flags {
		addr, err := adb.ResolveServer(f, a.IO.Getenv)
		if err != nil {
			return nil, err
		}
		out = append(out, addr)
	}
	return out, nil
}

// startFake serves a simulated phone on an ephemeral loopback port for
// the duration of the command.
func (a *App) startFake(ref string) (string, error) {
	fx, err := loadFixture(ref)
	if err != nil {
		return "", err
	}
	var log io.Writer
	if a.Global.Verbose {
		log = a.IO.ErrOut
	}
	phone, err := fake.NewPhone(fx, fake.PhoneOptions{Log: log})
	if err != nil {
		return "", fmt.Errorf("fake phone %s: %w", ref, err)
	}
	srv, err := fake.NewServer(phone)
	if err != nil {
		return "", fmt.Errorf("start fake ADB server: %w", err)
	}
	a.onExit(func() { _ = srv.Close() })
	a.verbosef("fake phone %s (serial %s) on %s\n", fx.Name, phone.Serial(), srv.Addr())
	return srv.Addr(), nil
}

// client returns a client of the first ADB server, checking it answers.
// When the default server refuses and an adb program is installed, it is
// started the way adb's own clients do.
func (a *App) client(ctx context.Context) (*adb.Client, error) {
	addrs, err := a.servers(ctx)
	if err != nil {
		return nil, err
	}
	c := adb.NewClient(addrs[0], adb.ClientOptions{CallTimeout: a.Global.Timeout})
	if err := a.ensureServer(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

func (a *App) ensureServer(ctx context.Context, c *adb.Client) error {
	_, err := c.Version(ctx)
	if err == nil || !errors.Is(err, adb.ErrServerUnreachable) {
		return err
	}
	explicit := len(a.Global.ADB) > 0 || a.Global.Fake != "" || a.IO.Getenv("ADB_SERVER_SOCKET") != "" ||
		a.IO.Getenv("ANDROID_ADB_SERVER_ADDRESS") != ""
	adbPath, lookErr := exec.LookPath("adb")
	if explicit || c.Addr() != adb.DefaultServerAddr || lookErr != nil {
		hint := "start it with `adb start-server`, or point miacct at a running one with --adb HOST:PORT"
		if lookErr != nil && !explicit {
			hint = "install Android platform-tools (adb) and run `adb start-server`, or use --adb HOST:PORT"
		}
		return fmt.Errorf("%w at %s: %s", err, c.Addr(), hint)
	}
	a.IO.Errorf("miacct: no ADB server at %s; starting one with `adb start-server`\n", c.Addr())
	cmd := exec.CommandContext(ctx, adbPath, "start-server")
	cmd.Stdout, cmd.Stderr = a.IO.ErrOut, a.IO.ErrOut
	cmd.Env = os.Environ()
	if runErr := cmd.Run(); runErr != nil {
		return fmt.Errorf("%w at %s: `adb start-server` failed: %v", adb.ErrServerUnreachable, c.Addr(), runErr)
	}
	if _, err := c.Version(ctx); err != nil {
		return fmt.Errorf("after `adb start-server`: %w", err)
	}
	return nil
}

// device returns the device chosen by -s, $ANDROID_SERIAL, or the only one.
func (a *App) device(ctx context.Context) (adb.Device, error) {
	c, err := a.client(ctx)
	if err != nil {
		return nil, err
	}
	serial := adb.ResolveSerial(a.Global.Serial, a.IO.Getenv)
	return c.Device(ctx, serial)
}
