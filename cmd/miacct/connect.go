package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake"
	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/adb/fake/phone"
	"github.com/miacct/miacct/fixtures"
)

// fixtureLoader loads built-in fixtures by name and others from disk.
func fixtureLoader() fixture.Loader { return fixture.Loader{Builtin: fixtures.FS()} }

// loadFixture loads a scenario; any problem is the user's input (exit 2).
func loadFixture(ref string) (*fixture.Fixture, error) {
	fx, err := loadFixtureOrDir(ref)
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
	a.addrMu.Lock()
	defer a.addrMu.Unlock()
	if a.addrs != nil {
		return a.addrs, nil
	}
	if a.Global.Fake != "" {
		addr, err := a.startFake(a.Global.Fake)
		if err != nil {
			return nil, err
		}
		a.addrs = []string{addr}
		return a.addrs, nil
	}
	flags := a.Global.ADB
	if len(flags) == 0 {
		if server, _, ok := splitServerSerial(a.Global.Serial); ok {
			// -s HOST:PORT/SERIAL names the server too.
			flags = []string{server}
		} else {
			flags = []string{""}
		}
	}
	var out []string
	for _, f := range flags {
		// tcp:HOST:PORT is how $ADB_SERVER_SOCKET writes it; --adb takes it too.
		addr, err := adb.ResolveServer(strings.TrimPrefix(f, "tcp:"), a.IO.Getenv)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, addr) {
			out = append(out, addr)
		}
	}
	a.addrs = out
	return out, nil
}

// splitServerSerial reads -s HOST:PORT/SERIAL; ok is false for a bare
// serial (serials have no slash).
func splitServerSerial(s string) (server, serial string, ok bool) {
	server, serial, ok = strings.Cut(s, "/")
	if !ok || server == "" || serial == "" || !strings.Contains(server, ":") {
		return "", s, false
	}
	return server, serial, true
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
	ph, err := phone.New(fx, phone.Options{Log: log})
	if err != nil {
		return "", fmt.Errorf("fake phone %s: %w", ref, err)
	}
	a.watchReplay(fx, ph)
	srv, err := fake.NewServer(ph)
	if err != nil {
		return "", fmt.Errorf("start fake ADB server: %w", err)
	}
	a.onExit(func() error { _ = srv.Close(); return nil })
	a.verbosef("fake phone %s (serial %s) on %s\n", fx.Name, ph.Serial(), srv.Addr())
	return srv.Addr(), nil
}

// clients returns a client of every ADB server (--adb may be given
// several times), checking each answers.
func (a *App) clients(ctx context.Context) ([]*adb.Client, error) {
	addrs, err := a.servers(ctx)
	if err != nil {
		return nil, err
	}
	var out []*adb.Client
	for _, addr := range addrs {
		c := adb.NewClient(addr, adb.ClientOptions{CallTimeout: a.Global.Timeout})
		if err := a.ensureServer(ctx, c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
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
	adbPath, lookErr := findADB(a.IO.Getenv)
	if explicit || c.Addr() != adb.DefaultServerAddr || lookErr != nil {
		hint := "start it with `adb start-server`, or point miacct at a running one with --adb HOST:PORT"
		if lookErr != nil && !explicit {
			hint = "install Android platform-tools (adb) and run `adb start-server`, or use --adb HOST:PORT"
		}
		if host := unresolvedHost(ctx, c.Addr()); host != "" {
			return fmt.Errorf("%w at %s: the host name %s could not be resolved (check its spelling, or use its IP address)", adb.ErrServerUnreachable, c.Addr(), host)
		}
		// One sentence: where, why, what to do (err repeats the address).
		return fmt.Errorf("%w at %s (%s): %s", adb.ErrServerUnreachable, c.Addr(), unreachableReason(err), hint)
	}
	a.IO.Errorf("miacct: no ADB server at %s; starting one with `adb start-server`\n", c.Addr())
	if runErr := a.startADBServer(ctx, adbPath); runErr != nil {
		return fmt.Errorf("%w at %s: `adb start-server` failed: %v", adb.ErrServerUnreachable, c.Addr(), runErr)
	}
	if _, err := c.Version(ctx); err != nil {
		return fmt.Errorf("after `adb start-server`: %w", err)
	}
	return nil
}

// startADBServer runs `adb start-server`. The server outlives miacct and
// keeps the environment it was started with, so it gets only what adb
// needs (adb.ChildEnv), never MIACCT_PASSWORD.
func (a *App) startADBServer(ctx context.Context, adbPath string) error {
	cmd := exec.CommandContext(ctx, adbPath, "start-server")
	cmd.Stdout, cmd.Stderr = a.IO.ErrOut, a.IO.ErrOut
	cmd.Env = adb.ChildEnv(os.Environ())
	// The server adb starts can keep the output pipes open (adb.exe on
	// Windows hands them on): stop waiting for them once adb has exited.
	cmd.WaitDelay = 2 * time.Second
	return cmd.Run()
}

// device returns the device chosen by -s, $ANDROID_SERIAL, or the only
// one of every ADB server: -s HOST:PORT/SERIAL names its server, a bare
// serial is looked up on all of them.
func (a *App) device(ctx context.Context) (adb.Device, error) {
	clients, err := a.clients(ctx)
	if err != nil {
		return nil, err
	}
	serial := adb.ResolveSerial(a.Global.Serial, a.IO.Getenv)
	if server, bare, ok := splitServerSerial(serial); ok {
		c := clientAt(clients, server)
		if c == nil {
			return nil, usagef("-s %s names the ADB server %s, but miacct talks to %s: give it with --adb %s", serial, server, joinAddrs(clients), server)
		}
		clients, serial = []*adb.Client{c}, bare
	}
	if len(clients) == 1 {
		dev, err := clients[0].Device(ctx, serial)
		if err != nil {
			return nil, err
		}
		return a.wrapDevice(dev)
	}
	var all []adb.DeviceInfo
	var matches []*adb.Client
	for _, c := range clients {
		list, err := c.Devices(ctx)
		if err != nil {
			return nil, fmt.Errorf("list devices at %s: %w", c.Addr(), err)
		}
		for _, d := range list {
			all = append(all, d)
			if serial == "" || serial == d.Serial {
				matches = append(matches, c)
			}
		}
	}
	switch {
	case len(all) == 0:
		return nil, fmt.Errorf("%w to the ADB servers at %s", adb.ErrNoDevice, joinAddrs(clients))
	case len(matches) == 0:
		return nil, fmt.Errorf("%w: %s is not connected to %s", adb.ErrDeviceNotFound, serial, joinAddrs(clients))
	case len(matches) > 1:
		for i := range all {
			all[i].Serial = all[i].Server + "/" + all[i].Serial
		}
		return nil, &adb.MultipleDevicesError{Devices: all}
	}
	dev, err := matches[0].Device(ctx, serial)
	if err != nil {
		return nil, err
	}
	return a.wrapDevice(dev)
}

// clientAt is the client of the server at addr (HOST:PORT as given, or
// as resolved), nil when none.
func clientAt(clients []*adb.Client, addr string) *adb.Client {
	want, err := adb.ResolveServer(strings.TrimPrefix(addr, "tcp:"), func(string) string { return "" })
	for _, c := range clients {
		if c.Addr() == addr || err == nil && c.Addr() == want {
			return c
		}
	}
	return nil
}

// wrapDevice puts the decorators the global flags ask for around a device
// (--record). Every command that talks to a phone gets its device here.
func (a *App) wrapDevice(dev adb.Device) (adb.Device, error) {
	if a.Global.Verbose && a.Global.Fake == "" {
		dev = verboseDevice{Device: dev, app: a}
	}
	return a.recordDevice(dev)
}

// unresolvedHost returns the host of addr when it is a name that does
// not resolve, "" otherwise (an IP address, or a name that resolves).
func unresolvedHost(ctx context.Context, addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || net.ParseIP(host) != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := net.DefaultResolver.LookupHost(ctx, host); err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			return host
		}
	}
	return ""
}

// unreachableReason says in two words why nothing answered at the server
// address.
func unreachableReason(err error) string {
	switch {
	case errors.Is(err, adb.ErrTimeout):
		return "connecting timed out"
	case strings.Contains(err.Error(), "refused"):
		return "connection refused"
	}
	return "nothing answers"
}
