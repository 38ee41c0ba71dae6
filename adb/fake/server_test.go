package fake

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/electricbubble/gadb"
	"github.com/miacct/miacct/adb"
)

// hostTestTarget is a small but honest Target for testing the server: a
// state the test sets, a MemFS behind sync:, and a few shell commands.
type hostTestTarget struct {
	serial string
	attrs  Attributes
	fs     *MemFS

	mu       sync.Mutex
	state    adb.State
	waitErr  error // WaitOnline fails with it
	waitHold bool  // WaitOnline blocks until its ctx ends
	polls    int
	reboots  int

	// started and ended get a value when a "shell:block" service starts
	// and when it returns (after its ctx ended).
	started chan struct{}
	ended   chan error
}

func newHostTestTarget(serial string, state adb.State) *hostTestTarget {
	return &hostTestTarget{
		serial:  serial,
		state:   state,
		attrs:   Attributes{Product: "venus", Model: "Mi 11", Device: "venus", Features: []string{"shell_v2", "cmd"}},
		fs:      NewMemFS(),
		started: make(chan struct{}, 16),
		ended:   make(chan error, 16),
	}
}

func (t *hostTestTarget) Serial() string         { return t.serial }
func (t *hostTestTarget) Attributes() Attributes { return t.attrs }

func (t *hostTestTarget) ListState() adb.State {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.polls++
	return t.state
}

func (t *hostTestTarget) setState(st adb.State) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.state = st
}

func (t *hostTestTarget) WaitOnline(ctx context.Context) error {
	t.mu.Lock()
	err, hold := t.waitErr, t.waitHold
	t.mu.Unlock()
	if err != nil {
		return err
	}
	if hold {
		t.started <- struct{}{}
		<-ctx.Done()
		t.ended <- ctx.Err()
		return ctx.Err()
	}
	t.setState(adb.StateDevice)
	return nil
}

func (t *hostTestTarget) Open(ctx context.Context, service string) (Service, error) {
	switch {
	case service == "sync:":
		return func(ctx context.Context, rw io.ReadWriter) error { return ServeSync(ctx, rw, t.fs) }, nil
	case strings.HasPrefix(service, "shell:echo "):
		out := strings.TrimPrefix(service, "shell:echo ") + "\n"
		return func(ctx context.Context, rw io.ReadWriter) error {
			_, err := io.WriteString(rw, out)
			return err
		}, nil
	case service == "exec:cat":
		return func(ctx context.Context, rw io.ReadWriter) error {
			_, err := io.Copy(rw, rw)
			return err
		}, nil
	case service == "shell:block":
		return func(ctx context.Context, rw io.ReadWriter) error {
			t.started <- struct{}{}
			<-ctx.Done()
			t.ended <- ctx.Err()
			return ctx.Err()
		}, nil
	case service == "shell:panic":
		return func(ctx context.Context, rw io.ReadWriter) error {
			panic("boom with secret hunter2")
		}, nil
	case service == "shell:index":
		return func(ctx context.Context, rw io.ReadWriter) error {
			var empty []int
			_ = empty[len(service)] // a runtime error
			return nil
		}, nil
	case service == "reboot:":
		return func(ctx context.Context, rw io.ReadWriter) error {
			t.mu.Lock()
			t.reboots++
			t.state = adb.StateOffline
			t.mu.Unlock()
			return nil
		}, nil
	case service == "shell:boot-id":
		return func(ctx context.Context, rw io.ReadWriter) error {
			_, err := fmt.Fprintf(rw, "boot-%d\n", t.rebootCount())
			return err
		}, nil
	case strings.HasPrefix(service, "exec:big "):
		n, err := strconv.Atoi(strings.TrimPrefix(service, "exec:big "))
		if err != nil {
			return nil, errors.New("closed")
		}
		return func(ctx context.Context, rw io.ReadWriter) error {
			_, err := rw.Write(bigOutput(n))
			return err
		}, nil
	}
	return nil, errors.New("closed")
}

func (t *hostTestTarget) rebootCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.reboots
}

// bigOutput is n deterministic bytes that never repeat with a short period.
func bigOutput(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>9)
	}
	return b
}

// hpStartServer starts a server for targets and closes it when the test
// ends, failing the test if Close reports an error (recovered panics).
func hpStartServer(t testing.TB, opts ServerOptions, targets ...Target) *Server {
	t.Helper()
	srv, err := Listen("127.0.0.1:0", opts, targets...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return srv
}

func hpGadbClient(t testing.TB, srv *Server) gadb.Client {
	t.Helper()
	host, portText, err := net.SplitHostPort(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		t.Fatal(err)
	}
	c, err := gadb.NewClientWith(host, port)
	if err != nil {
		t.Fatalf("gadb.NewClientWith: %v", err)
	}
	return c
}

func hpGadbDevice(t testing.TB, c gadb.Client, serial string) gadb.Device {
	t.Helper()
	devs, err := c.DeviceList()
	if err != nil {
		t.Fatalf("DeviceList: %v", err)
	}
	for _, d := range devs {
		if d.Serial() == serial {
			return d
		}
	}
	t.Fatalf("DeviceList has no %q: %v", serial, devs)
	return gadb.Device{}
}

// hpConn is a hand-driven host-protocol connection.
type hpConn struct {
	t  testing.TB
	c  net.Conn
	br *bufio.Reader
}

func hpDial(t testing.TB, srv *Server) *hpConn {
	t.Helper()
	c, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	// A safety net so that a server bug fails the test instead of hanging
	// it; no assertion depends on it.
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	t.Cleanup(func() { hpAbort(c) })
	return &hpConn{t: t, c: c, br: bufio.NewReader(c)}
}

// hpAbort closes c with a reset, leaving no TIME_WAIT socket behind:
// thousands of fuzz runs would otherwise run out of loopback ports.
func hpAbort(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

func (r *hpConn) send(req string) {
	r.t.Helper()
	if _, err := fmt.Fprintf(r.c, "%04x%s", len(req), req); err != nil {
		r.t.Fatalf("send %q: %v", req, err)
	}
}

func (r *hpConn) read(n int) []byte {
	r.t.Helper()
	b := make([]byte, n)
	if _, err := io.ReadFull(r.br, b); err != nil {
		r.t.Fatalf("read %d bytes: %v", n, err)
	}
	return b
}

// protoString reads a 4-hex-digit length and that many bytes.
func (r *hpConn) protoString() string {
	r.t.Helper()
	n, err := strconv.ParseUint(string(r.read(4)), 16, 16)
	if err != nil {
		r.t.Fatalf("length: %v", err)
	}
	return string(r.read(int(n)))
}

// status reads OKAY (returns "", true) or FAIL and its reason.
func (r *hpConn) status() (string, bool) {
	r.t.Helper()
	switch s := string(r.read(4)); s {
	case "OKAY":
		return "", true
	case "FAIL":
		return r.protoString(), false
	default:
		r.t.Fatalf("status %q", s)
	}
	return "", false
}

func (r *hpConn) mustOkay(what string) {
	r.t.Helper()
	if msg, ok := r.status(); !ok {
		r.t.Fatalf("%s: FAIL %q", what, msg)
	}
}

func (r *hpConn) mustFail(what, want string) {
	r.t.Helper()
	msg, ok := r.status()
	if ok {
		r.t.Fatalf("%s: OKAY, want FAIL %q", what, want)
	}
	if msg != want {
		r.t.Fatalf("%s: FAIL %q, want %q", what, msg, want)
	}
}

func (r *hpConn) readAll() []byte {
	r.t.Helper()
	b, err := io.ReadAll(r.br)
	if err != nil {
		r.t.Fatalf("read to EOF: %v", err)
	}
	return b
}

// query sends one host request on a new connection and returns the
// payload of OKAY+payload, or the FAIL reason.
func hpQuery(t testing.TB, srv *Server, req string) (string, bool) {
	t.Helper()
	r := hpDial(t, srv)
	r.send(req)
	if msg, ok := r.status(); !ok {
		return msg, false
	}
	return r.protoString(), true
}

func hpMustQuery(t testing.TB, srv *Server, req string) string {
	t.Helper()
	out, ok := hpQuery(t, srv, req)
	if !ok {
		t.Fatalf("%s: FAIL %q", req, out)
	}
	return out
}

func TestServerVersion(t *testing.T) {
	srv := hpStartServer(t, ServerOptions{})
	r := hpDial(t, srv)
	r.send("host:version")
	if got, want := string(r.readAll()), "OKAY00040029"; got != want {
		t.Fatalf("host:version answered %q, want %q", got, want)
	}
	v, err := hpGadbClient(t, srv).ServerVersion()
	if err != nil || v != 41 {
		t.Fatalf("gadb ServerVersion = %d, %v; want 41", v, err)
	}
}

// hpListTargets are four devices added in an order that differs from the
// listing order (adb sorts by serial); one is unlisted.
func hpListTargets() []*hostTestTarget {
	zz := newHostTestTarget("zz", adb.StateUnauthorized)
	zz.attrs = Attributes{}
	a := newHostTestTarget("0123456789ABCDEF", adb.StateDevice)
	a.attrs = Attributes{Product: "venus", Model: "Redmi Note-8 Pro", Device: "begonia"}
	b := newHostTestTarget("127.0.0.1:5555", adb.StateOffline)
	b.attrs = Attributes{Model: "Mi-11 ü"}
	gone := newHostTestTarget("gone", "")
	return []*hostTestTarget{zz, a, b, gone}
}

func hpTargets(ts []*hostTestTarget) []Target {
	out := make([]Target, len(ts))
	for i, t := range ts {
		out[i] = t
	}
	return out
}

func TestServerDeviceListFormat(t *testing.T) {
	srv := hpStartServer(t, ServerOptions{}, hpTargets(hpListTargets())...)

	wantShort := "0123456789ABCDEF\tdevice\n127.0.0.1:5555\toffline\nzz\tunauthorized\n"
	if got := hpMustQuery(t, srv, "host:devices"); got != wantShort {
		t.Errorf("host:devices =\n%q\nwant\n%q", got, wantShort)
	}
	wantLong := "0123456789ABCDEF       device usb:1-1.2 product:venus model:Redmi_Note_8_Pro device:begonia transport_id:2\n" +
		"127.0.0.1:5555         offline usb:1-1.3 model:Mi_11___ transport_id:3\n" +
		"zz                     unauthorized usb:1-1.1 transport_id:1\n"
	if got := hpMustQuery(t, srv, "host:devices-l"); got != wantLong {
		t.Errorf("host:devices-l =\n%q\nwant\n%q", got, wantLong)
	}

	devs, err := hpGadbClient(t, srv).DeviceList()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range devs {
		model, _ := d.Model()
		usb, _ := d.Usb()
		got = append(got, d.Serial()+"|"+model+"|"+usb+"|"+d.DeviceInfo()["transport_id"])
	}
	want := []string{"0123456789ABCDEF|Redmi_Note_8_Pro|1-1.2|2", "127.0.0.1:5555|Mi_11___|1-1.3|3", "zz||1-1.1|1"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("gadb DeviceList = %v, want %v", got, want)
	}
}

func TestServerEmptyDeviceList(t *testing.T) {
	srv := hpStartServer(t, ServerOptions{})
	if got := hpMustQuery(t, srv, "host:devices-l"); got != "" {
		t.Errorf("host:devices-l with no devices = %q", got)
	}
	devs, err := hpGadbClient(t, srv).DeviceList()
	if err != nil || len(devs) != 0 {
		t.Errorf("gadb DeviceList = %v, %v", devs, err)
	}
}

func TestServerTransportForms(t *testing.T) {
	first := newHostTestTarget("first", adb.StateDevice)
	second := newHostTestTarget("127.0.0.1:5555", adb.StateDevice)
	second.attrs.Model = "Redmi Note 8"
	srv := hpStartServer(t, ServerOptions{}, first, second)

	for _, tc := range []struct {
		req    string
		tport  bool
		wantID uint64
	}{
		{req: "host:transport:first"},
		{req: "host:transport:127.0.0.1:5555"},
		{req: "host:transport:usb:1-1.2"},
		{req: "host:transport:model:Redmi_Note_8"},
		{req: "host:transport-id:2"},
		{req: "host:tport:serial:first", tport: true, wantID: 1},
		{req: "host:tport:serial:127.0.0.1:5555", tport: true, wantID: 2},
		{req: "host:tport:id:2", tport: true, wantID: 2},
	} {
		t.Run(tc.req, func(t *testing.T) {
			r := hpDial(t, srv)
			r.send(tc.req)
			r.mustOkay(tc.req)
			if tc.tport {
				if id := binary.LittleEndian.Uint64(r.read(8)); id != tc.wantID {
					t.Fatalf("transport id %d, want %d", id, tc.wantID)
				}
			}
			r.send("shell:echo hi")
			r.mustOkay("shell")
			if got := string(r.readAll()); got != "hi\n" {
				t.Fatalf("shell output %q", got)
			}
		})
	}
}

func TestServerTransportAnyAndUSBWithOneDevice(t *testing.T) {
	only := newHostTestTarget("only", adb.StateDevice)
	srv := hpStartServer(t, ServerOptions{}, newHostTestTarget("hidden", ""), only)
	for _, req := range []string{"host:transport-any", "host:transport-usb", "host:tport:any", "host:tport:usb"} {
		r := hpDial(t, srv)
		r.send(req)
		r.mustOkay(req)
		if strings.HasPrefix(req, "host:tport:") {
			if id := binary.LittleEndian.Uint64(r.read(8)); id != 2 {
				t.Fatalf("%s: transport id %d, want 2", req, id)
			}
		}
		r.send("exec:cat")
		r.mustOkay(req + " exec:cat")
		if _, err := r.c.Write([]byte("ping\x00\xff")); err != nil {
			t.Fatal(err)
		}
		if err := r.c.(*net.TCPConn).CloseWrite(); err != nil {
			t.Fatal(err)
		}
		if got := string(r.readAll()); got != "ping\x00\xff" {
			t.Fatalf("%s: exec:cat echoed %q", req, got)
		}
	}
}

func TestServerSelectionErrors(t *testing.T) {
	two := []Target{newHostTestTarget("a", adb.StateDevice), newHostTestTarget("b", adb.StateDevice)}
	for _, tc := range []struct {
		name    string
		targets []Target
		req     string
		want    string
	}{
		{"unknown serial", two, "host:transport:nope", "device 'nope' not found"},
		{"unknown serial tport", two, "host:tport:serial:nope", "device 'nope' not found"},
		{"any of two", two, "host:transport-any", "more than one device/emulator"},
		{"tport any of two", two, "host:tport:any", "more than one device/emulator"},
		{"usb of two", two, "host:transport-usb", "more than one device"},
		{"local", two, "host:transport-local", "no emulators found"},
		{"tport local", two, "host:tport:local", "no emulators found"},
		{"none", nil, "host:transport-any", "no devices/emulators found"},
		{"none usb", nil, "host:transport-usb", "no devices found"},
		{"unknown id", two, "host:transport-id:9", "no device with transport id '9'"},
		{"unknown tport id", two, "host:tport:id:9", "no device with transport id '9'"},
		{"bad id", two, "host:transport-id:x", "invalid transport id"},
		{"unlisted", []Target{newHostTestTarget("gone", "")}, "host:transport:gone", "device 'gone' not found"},
		{"no transport", two, "shell:echo hi", "device offline (no transport)"},
		{"state of two", two, "host:get-state", "more than one device/emulator"},
		{"state unknown", two, "host-serial:nope:get-state", "device 'nope' not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := hpStartServer(t, ServerOptions{}, tc.targets...)
			r := hpDial(t, srv)
			r.send(tc.req)
			r.mustFail(tc.req, tc.want)
			if rest := r.readAll(); len(rest) != 0 {
				t.Fatalf("after FAIL: %q", rest)
			}
		})
	}
}

func TestServerOfflineAndUnauthorized(t *testing.T) {
	off := newHostTestTarget("off", adb.StateOffline)
	unauth := newHostTestTarget("unauth", adb.StateUnauthorized)
	srv := hpStartServer(t, ServerOptions{}, off, unauth)
	wantUnauth := "device unauthorized.\nThis adb server's $ADB_VENDOR_KEYS is not set\n" +
		"Try 'adb kill-server' if that seems wrong.\nOtherwise check for a confirmation dialog on your device."
	for _, tc := range []struct{ req, want string }{
		{"host:transport:off", "device offline"},
		{"host:tport:serial:off", "device offline"},
		{"host-serial:off:get-state", "device offline"},
		{"host:transport:unauth", wantUnauth},
		{"host-serial:unauth:get-state", wantUnauth},
		{"host-serial:unauth:features", wantUnauth},
	} {
		r := hpDial(t, srv)
		r.send(tc.req)
		r.mustFail(tc.req, tc.want)
	}

	c := hpGadbClient(t, srv)
	_, err := hpGadbDevice(t, c, "off").State()
	if err == nil || !strings.Contains(err.Error(), "device offline") {
		t.Errorf("gadb State of an offline device: %v", err)
	}
	_, err = hpGadbDevice(t, c, "unauth").RunShellCommand("echo", "hi")
	if err == nil || !strings.Contains(err.Error(), "device unauthorized.") {
		t.Errorf("gadb shell on an unauthorized device: %v", err)
	}
}

// A device that goes offline between the transport switch and the service
// request is refused then.
func TestServerDeviceOfflineAfterSwitch(t *testing.T) {
	tt := newHostTestTarget("s", adb.StateDevice)
	srv := hpStartServer(t, ServerOptions{}, tt)
	r := hpDial(t, srv)
	r.send("host:transport:s")
	r.mustOkay("transport")
	tt.setState(adb.StateOffline)
	r.send("shell:echo hi")
	r.mustFail("shell", "device offline")
}

func TestServerOpenErrorIsFail(t *testing.T) {
	srv := hpStartServer(t, ServerOptions{}, newHostTestTarget("s", adb.StateDevice))
	r := hpDial(t, srv)
	r.send("host:transport:s")
	r.mustOkay("transport")
	r.send("jdwp:1234")
	r.mustFail("jdwp", "closed")
}

func TestServerHostSerialQueries(t *testing.T) {
	tt := newHostTestTarget("127.0.0.1:5555", adb.StateDevice)
	other := newHostTestTarget("other", adb.StateDevice)
	srv := hpStartServer(t, ServerOptions{}, other, tt)
	for _, tc := range []struct{ req, want string }{
		{"host-serial:127.0.0.1:5555:get-state", "device"},
		{"host-serial:127.0.0.1:5555:get-serialno", "127.0.0.1:5555"},
		{"host-serial:127.0.0.1:5555:get-devpath", "usb:1-1.2"},
		{"host-serial:127.0.0.1:5555:features", "shell_v2,cmd"},
		{"host-transport-id:1:get-serialno", "other"},
		{"host-serial:model:Mi_11:get-state", "more than one device"},
	} {
		got, ok := hpQuery(t, srv, tc.req)
		if got != tc.want {
			t.Errorf("%s = %q (OKAY %v), want %q", tc.req, got, ok, tc.want)
		}
	}

	tt.setState(adb.StateRecovery)
	if got := hpMustQuery(t, srv, "host-serial:127.0.0.1:5555:get-state"); got != "recovery" {
		t.Errorf("get-state in recovery = %q", got)
	}
	tt.setState(adb.StateDevice)
	st, err := hpGadbDevice(t, hpGadbClient(t, srv), "127.0.0.1:5555").State()
	if err != nil || st != gadb.StateOnline {
		t.Errorf("gadb State = %v, %v", st, err)
	}
}

// After a transport switch, host requests on the same connection are
// about the bound device (adb's s->transport).
func TestServerHostRequestAfterSwitch(t *testing.T) {
	srv := hpStartServer(t, ServerOptions{}, newHostTestTarget("a", adb.StateDevice), newHostTestTarget("b", adb.StateDevice))
	r := hpDial(t, srv)
	r.send("host:transport:b")
	r.mustOkay("transport")
	r.send("host:get-serialno")
	r.mustOkay("get-serialno")
	if got := r.protoString(); got != "b" {
		t.Fatalf("get-serialno after switch = %q", got)
	}
}

func TestServerFeaturesKillConnect(t *testing.T) {
	srv := hpStartServer(t, ServerOptions{}, newHostTestTarget("s", adb.StateDevice))
	for _, tc := range []struct{ req, want string }{
		{"host:features", "shell_v2,cmd"},
		{"host:connect:10.0.0.7:5555", "failed to connect to 10.0.0.7:5555"},
		{"host:connect:10.0.0.7", "failed to connect to 10.0.0.7:5555"},
		{"host:disconnect:", "disconnected everything"},
	} {
		if got := hpMustQuery(t, srv, tc.req); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.req, got, tc.want)
		}
	}
	if got := hpMustQuery(t, srv, "host:host-features"); !strings.Contains(got, "shell_v2") {
		t.Errorf("host-features = %q", got)
	}
	if got, ok := hpQuery(t, srv, "host:disconnect:10.0.0.7"); ok || got != "no such device '10.0.0.7:5555'" {
		t.Errorf("disconnect unknown = %q (OKAY %v)", got, ok)
	}

	r := hpDial(t, srv)
	r.send("host:kill")
	r.mustOkay("kill")
	if got := hpMustQuery(t, srv, "host:version"); got != "0029" {
		t.Errorf("version after kill = %q", got)
	}
}

func TestServerWaitFor(t *testing.T) {
	t.Run("comes online", func(t *testing.T) {
		tt := newHostTestTarget("s", adb.StateOffline)
		srv := hpStartServer(t, ServerOptions{}, tt)
		for _, req := range []string{"host-serial:s:wait-for-any-device", "host:wait-for-usb-device", "host-usb:wait-for-any-device"} {
			tt.setState(adb.StateOffline)
			r := hpDial(t, srv)
			r.send(req)
			r.mustOkay(req + " first")
			r.mustOkay(req + " second")
			if st := tt.ListState(); st != adb.StateDevice {
				t.Fatalf("%s: state %q after wait", req, st)
			}
		}
	})
	t.Run("unlisted device is waited for", func(t *testing.T) {
		tt := newHostTestTarget("s", "")
		srv := hpStartServer(t, ServerOptions{}, tt)
		r := hpDial(t, srv)
		r.send("host-serial:s:wait-for-any-device")
		r.mustOkay("first")
		r.mustOkay("second")
	})
	t.Run("WaitOnline fails", func(t *testing.T) {
		tt := newHostTestTarget("s", adb.StateOffline)
		tt.waitErr = errors.New("bootloop")
		srv := hpStartServer(t, ServerOptions{}, tt)
		r := hpDial(t, srv)
		r.send("host-serial:s:wait-for-any-device")
		r.mustOkay("first")
		r.mustFail("second", "bootloop")
	})
	t.Run("failures after the first OKAY", func(t *testing.T) {
		srv := hpStartServer(t, ServerOptions{}, newHostTestTarget("a", adb.StateDevice), newHostTestTarget("b", adb.StateDevice))
		for _, tc := range []struct{ req, want string }{
			{"host-serial:nope:wait-for-any-device", "device 'nope' not found"},
			{"host:wait-for-any-device", "more than one device/emulator"},
			{"host:wait-for-local-device", "no emulators found"},
			{"host:wait-for-any-disconnect", "more than one device/emulator"},
		} {
			r := hpDial(t, srv)
			r.send(tc.req)
			r.mustOkay(tc.req + " first")
			r.mustFail(tc.req, tc.want)
		}
	})
	t.Run("bad spec", func(t *testing.T) {
		srv := hpStartServer(t, ServerOptions{}, newHostTestTarget("a", adb.StateDevice))
		for _, req := range []string{"host:wait-for-any-sleepy", "host:wait-for-bus-device", "host:wait-for-"} {
			r := hpDial(t, srv)
			r.send(req)
			r.mustFail(req, "unknown host service")
		}
	})
	t.Run("disconnect", func(t *testing.T) {
		tt := newHostTestTarget("s", adb.StateOffline)
		srv := hpStartServer(t, ServerOptions{}, tt)
		r := hpDial(t, srv)
		r.send("host:wait-for-any-disconnect")
		r.mustOkay("first")
		r.mustOkay("already offline")

		r = hpDial(t, srv)
		r.send("host-serial:nope:wait-for-usb-disconnect")
		r.mustOkay("first")
		r.mustOkay("unknown serial is disconnected")

		// Online: answered once the device goes away.
		tt.setState(adb.StateDevice)
		r = hpDial(t, srv)
		r.send("host-serial:s:wait-for-any-disconnect")
		r.mustOkay("first")
		tt.setState(adb.StateOffline)
		r.mustOkay("went offline")
	})
	t.Run("recovery", func(t *testing.T) {
		tt := newHostTestTarget("s", adb.StateDevice)
		srv := hpStartServer(t, ServerOptions{}, tt)
		r := hpDial(t, srv)
		r.send("host:wait-for-any-recovery")
		r.mustOkay("first")
		tt.setState(adb.StateRecovery)
		r.mustOkay("in recovery")
	})
	t.Run("client hang-up ends WaitOnline", func(t *testing.T) {
		tt := newHostTestTarget("s", adb.StateOffline)
		tt.waitHold = true
		srv := hpStartServer(t, ServerOptions{}, tt)
		r := hpDial(t, srv)
		r.send("host:wait-for-any-device")
		r.mustOkay("first")
		<-tt.started
		_ = r.c.Close()
		if err := <-tt.ended; !errors.Is(err, context.Canceled) {
			t.Fatalf("WaitOnline ctx ended with %v", err)
		}
	})
}

func TestServerTrackDevices(t *testing.T) {
	tt := newHostTestTarget("s", adb.StateDevice)
	srv := hpStartServer(t, ServerOptions{}, tt)
	r := hpDial(t, srv)
	r.send("host:track-devices")
	r.mustOkay("track-devices")
	if got := r.protoString(); got != "s\tdevice\n" {
		t.Fatalf("first list %q", got)
	}
	tt.setState(adb.StateOffline)
	if got := r.protoString(); got != "s\toffline\n" {
		t.Fatalf("after going offline %q", got)
	}
	srv.Add(newHostTestTarget("a", adb.StateDevice))
	if got := r.protoString(); got != "a\tdevice\ns\toffline\n" {
		t.Fatalf("after Add %q", got)
	}
	tt.setState("")
	if got := r.protoString(); got != "a\tdevice\n" {
		t.Fatalf("after unlisting %q", got)
	}

	rl := hpDial(t, srv)
	rl.send("host:track-devices-l")
	rl.mustOkay("track-devices-l")
	if got := rl.protoString(); !strings.HasPrefix(got, "a                      device usb:1-1.2 ") {
		t.Fatalf("long list %q", got)
	}
}

func TestServerReboot(t *testing.T) {
	tt := newHostTestTarget("s", adb.StateDevice)
	srv := hpStartServer(t, ServerOptions{}, tt)
	r := hpDial(t, srv)
	r.send("host:transport:s")
	r.mustOkay("transport")
	r.send("reboot:")
	r.mustOkay("reboot")
	r.readAll()
	if got, _ := hpQuery(t, srv, "host-serial:s:get-state"); got != "device offline" {
		t.Fatalf("get-state after reboot = %q", got)
	}
}

func TestServerRequestsAndLog(t *testing.T) {
	var log hpLogBuffer
	tt := newHostTestTarget("SER1", adb.StateDevice)
	srv := hpStartServer(t, ServerOptions{Log: &log}, tt)
	c := hpGadbClient(t, srv) // an empty connection: no request
	if _, err := c.ServerVersion(); err != nil {
		t.Fatal(err)
	}
	d := hpGadbDevice(t, c, "SER1")
	out, err := d.RunShellCommand("echo", "hunter2-password")
	if err != nil || out != "hunter2-password\n" {
		t.Fatalf("shell: %q, %v", out, err)
	}
	if _, err := d.State(); err != nil {
		t.Fatal(err)
	}
	if err := d.Push(strings.NewReader("x"), "/sdcard/x", time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	if msg, ok := hpQuery(t, srv, "host:frobnicate"); ok || msg != "unknown host service" {
		t.Errorf("host:frobnicate = %q (OKAY %v)", msg, ok)
	}

	got := srv.Requests()
	want := map[string]int{"version": 1, "devices": 1, "transport": 2, "shell": 1, "state": 1, "sync": 1, "other": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Requests() = %v, want %v", got, want)
	}
	text := log.String()
	if strings.Contains(text, "hunter2") || strings.Contains(text, "/sdcard") {
		t.Errorf("log leaks request text:\n%s", text)
	}
	for _, line := range []string{"version -", "transport SER1", "shell SER1", "sync SER1", "state SER1", "other -"} {
		if !strings.Contains(text, line) {
			t.Errorf("log lacks %q:\n%s", line, text)
		}
	}
	if n := strings.Count(text, "\n"); n != 8 {
		t.Errorf("log has %d lines, want one per request (8):\n%s", n, text)
	}
}

// hpLogBuffer is a bytes.Buffer safe for the server's concurrent writes.
type hpLogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *hpLogBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *hpLogBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServerClientHangupCancelsService(t *testing.T) {
	tt := newHostTestTarget("s", adb.StateDevice)
	srv := hpStartServer(t, ServerOptions{}, tt)
	r := hpDial(t, srv)
	r.send("host:transport:s")
	r.mustOkay("transport")
	r.send("shell:block")
	r.mustOkay("shell")
	<-tt.started
	_ = r.c.Close()
	if err := <-tt.ended; !errors.Is(err, context.Canceled) {
		t.Fatalf("service ctx ended with %v", err)
	}
}

func TestServerCloseCancelsServicesAndConnections(t *testing.T) {
	tt := newHostTestTarget("s", adb.StateDevice)
	srv, err := NewServer(tt)
	if err != nil {
		t.Fatal(err)
	}
	r := hpDial(t, srv)
	r.send("host:transport:s")
	r.mustOkay("transport")
	r.send("shell:block")
	r.mustOkay("shell")
	<-tt.started
	idle := hpDial(t, srv)
	idle.c.Write([]byte("00ff host:ver")) // half a request

	if err := srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-tt.ended; !errors.Is(err, context.Canceled) {
		t.Fatalf("service ctx ended with %v", err)
	}
	if rest := r.readAll(); len(rest) != 0 {
		t.Fatalf("service connection got %q", rest)
	}
	// The half request may still be unread when Close comes: then the
	// kernel resets the connection instead of closing it.
	if rest, err := io.ReadAll(idle.br); len(rest) != 0 || err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("idle connection got %q, %v", rest, err)
	}
	if _, err := net.Dial("tcp", srv.Addr()); err == nil {
		t.Fatal("still accepting after Close")
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestServerRecoversPanics(t *testing.T) {
	tt := newHostTestTarget("s", adb.StateDevice)
	srv, err := NewServer(tt)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, svc := range []string{"shell:panic", "shell:index"} {
		r := hpDial(t, srv)
		r.send("host:transport:s")
		r.mustOkay("transport")
		r.send(svc)
		r.mustOkay(svc)
		r.readAll()
	}
	if got := hpMustQuery(t, srv, "host:version"); got != "0029" {
		t.Fatalf("version after panics = %q", got)
	}
	err = srv.Close()
	if err == nil || !strings.Contains(err.Error(), "recovered 2 panic(s)") {
		t.Fatalf("Close = %v, want the recovered panics reported", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("Close error quotes a panic value: %v", err)
	}
}

// hpGarbageCorpus are requests a broken or hostile client might send.
func hpGarbageCorpus() [][]byte {
	corpus := [][]byte{
		[]byte("zzzzhost:version"),
		[]byte("0000"),
		[]byte("000"),
		[]byte("-001host:version"),
		[]byte("ffffhost:version"),
		[]byte("FFFF"),
		[]byte("0x0chost:version"),
		[]byte("000chost:versio"),
		[]byte("0005host:"),
		[]byte("0004host"),
		[]byte("0010host:frobnicate"),
		[]byte("000fhost-serial:abc"),
		[]byte("0012host-serial::::::"),
		[]byte("0014host-transport-id:x"),
		[]byte("001ahost-transport-id:1:get-"),
		[]byte("0010host:transport:"),
		[]byte("000ahost:tport:"),
		[]byte("0014host:transport-id:-1"),
		[]byte("0021host:tport:id:99999999999999999999"),
		[]byte("000dhost:wait-for"),
		[]byte("0006\x00\x01\x02\x03\x04\x05"),
		[]byte("0010host:transport:s0005sync:STAT\xff\xff\xff\xff"),
		[]byte("0010host:transport:s0005sync:QUIT\x00\x00\x00\x00"),
		[]byte("0010host:transport:s0005sync:SEND\x05\x00\x00\x00/x,12DATA\xff\xff\xff\xff"),
		[]byte("0010host:transport:s0005sync:JUNK\x00\x00\x00\x00"),
		[]byte("0010host:transport:s0009shell:zzz"),
		[]byte("0010host:transport:s0010host:transport:s"),
		[]byte("0009host:kill0000"),
		[]byte("0012host:track-devices"),
		bytes.Repeat([]byte("0004host"), 1000),
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20; i++ {
		b := make([]byte, 1+rng.IntN(300))
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		corpus = append(corpus, b)
	}
	return corpus
}

// hpSendGarbage writes data, half-closes and reads the answer to EOF.
func hpSendGarbage(t testing.TB, srv *Server, data []byte) []byte {
	t.Helper()
	c, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second)) // safety net only
	_, _ = c.Write(data)                                // the server may hang up early
	_ = c.(*net.TCPConn).CloseWrite()
	answer, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("server did not end the connection for %q", data)
	}
	return answer
}

func TestServerSurvivesGarbage(t *testing.T) {
	tt := newHostTestTarget("s", adb.StateDevice)
	srv := hpStartServer(t, ServerOptions{}, tt)
	for _, data := range hpGarbageCorpus() {
		answer := hpSendGarbage(t, srv, data)
		if !bytes.HasPrefix(data, []byte("0010host:transport:s")) &&
			!bytes.Contains(data, []byte("host:kill")) && !bytes.Contains(data, []byte("track-devices")) {
			if len(answer) > 0 && !bytes.HasPrefix(answer, []byte("FAIL")) {
				t.Errorf("garbage %q answered %q, want FAIL or nothing", data, answer)
			}
		}
		if got := hpMustQuery(t, srv, "host:version"); got != "0029" {
			t.Fatalf("after %q: version %q", data, got)
		}
	}
	d := hpGadbDevice(t, hpGadbClient(t, srv), "s")
	if out, err := d.RunShellCommand("echo ok"); err != nil || out != "ok\n" {
		t.Fatalf("shell after garbage: %q, %v", out, err)
	}
}

func FuzzHostProtocol(f *testing.F) {
	for _, seed := range hpGarbageCorpus() {
		f.Add(seed)
	}
	for _, req := range []string{"host:version", "host:devices-l", "host:transport:s", "host-serial:s:get-state",
		"host:wait-for-any-device", "host:tport:any", "host:features"} {
		f.Add(fmt.Appendf(nil, "%04x%s", len(req), req))
	}
	f.Add([]byte("0010host:transport:s0008exec:catdata"))
	// Each input gets a fresh server, on the same port where possible:
	// new ports per run collide with old TIME_WAIT connections and stall.
	addr := "127.0.0.1:0"
	f.Fuzz(func(t *testing.T, data []byte) {
		targets := []Target{newHostTestTarget("s", adb.StateDevice), newHostTestTarget("off", adb.StateOffline)}
		srv, err := Listen(addr, ServerOptions{}, targets...)
		if err != nil {
			srv, err = NewServer(targets...)
		}
		if err != nil {
			t.Fatal(err)
		}
		addr = srv.Addr()
		hpSendGarbage(t, srv, data)
		if got, ok := hpQuery(t, srv, "host:version"); !ok || got != "0029" {
			t.Fatalf("version after %q: %q", data, got)
		}
		if err := srv.Close(); err != nil {
			t.Fatalf("Close after %q: %v", data, err)
		}
	})
}

// hpWaitGoroutines polls (yielding, never sleeping) until at most want
// goroutines are left, and fails with a dump otherwise.
func hpWaitGoroutines(t *testing.T, want int) {
	t.Helper()
	for range 200000 {
		if runtime.NumGoroutine() <= want {
			return
		}
		runtime.Gosched()
	}
	var dump bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&dump, 1)
	t.Fatalf("%d goroutines left, want <= %d:\n%s", runtime.NumGoroutine(), want, dump.String())
}

func TestServerCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	for range 30 {
		tt := newHostTestTarget("s", adb.StateDevice)
		holder := newHostTestTarget("held", adb.StateOffline)
		holder.waitHold = true
		srv, err := NewServer(tt, holder)
		if err != nil {
			t.Fatal(err)
		}
		var conns []net.Conn
		dial := func() *hpConn {
			c, err := net.Dial("tcp", srv.Addr())
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
			return &hpConn{t: t, c: c, br: bufio.NewReader(c)}
		}

		version := dial()
		version.send("host:version")
		version.mustOkay("version")
		version.protoString()

		tracker := dial()
		tracker.send("host:track-devices-l")
		tracker.mustOkay("track")
		tracker.protoString()

		waiter := dial()
		waiter.send("host-serial:held:wait-for-any-device")
		waiter.mustOkay("wait")
		<-holder.started

		shell := dial()
		shell.send("host:transport:s")
		shell.mustOkay("transport")
		shell.send("shell:block")
		shell.mustOkay("shell")
		<-tt.started

		push := dial()
		push.send("host:transport:s")
		push.mustOkay("transport")
		push.send("sync:")
		push.mustOkay("sync")
		push.c.Write(syncTestMsg("SEND", "/sdcard/f,420"))
		push.c.Write(syncTestMsg("DATA", "abc")) // no DONE: stays open

		half := dial()
		half.c.Write([]byte("0020host:"))
		dial() // connects and sends nothing

		if err := srv.Close(); err != nil {
			t.Fatal(err)
		}
		<-tt.ended
		<-holder.ended
		for _, c := range conns {
			_ = c.Close()
		}
	}
	hpWaitGoroutines(t, before)
}

func TestServerLogKeepsHostileSerialOnOneLine(t *testing.T) {
	var log hpLogBuffer
	srv := hpStartServer(t, ServerOptions{Log: &log})
	if msg, ok := hpQuery(t, srv, "host-serial:evil\nforged line:get-state"); ok || msg != "device 'evil\nforged line' not found" {
		t.Fatalf("get-state of an unknown serial = %q (OKAY %v)", msg, ok)
	}
	if got, want := log.String(), "fake adb server: state \"evil\\nforged line\"\n"; got != want {
		t.Fatalf("log %q, want %q", got, want)
	}
}

// A device list longer than 4 hex digits can announce goes out whole with
// a 5-digit length, as adb's SendProtocolString sends it: never cut.
func TestServerLongDeviceList(t *testing.T) {
	var targets []Target
	for i := range 1024 {
		targets = append(targets, newHostTestTarget(fmt.Sprintf("serial-%04d", i), adb.StateDevice))
	}
	srv := hpStartServer(t, ServerOptions{}, targets...)
	r := hpDial(t, srv)
	r.send("host:devices-l")
	r.mustOkay("devices-l")
	raw := string(r.readAll())
	n := 0
	for ; n < len(raw) && strings.IndexByte("0123456789abcdef", raw[n]) >= 0; n++ {
	}
	body := raw[n:]
	if want := fmt.Sprintf("%04x", len(body)); raw[:n] != want || n != 5 {
		t.Fatalf("length %q, want %q (5 digits) for %d bytes", raw[:n], want, len(body))
	}
	if lines := strings.Count(body, "\n"); lines != 1024 {
		t.Errorf("%d lines, want 1024", lines)
	}
}

// Connections beyond MaxConns are closed as they come, and logged; the
// ones being served go on.
func TestServerConnectionCap(t *testing.T) {
	log := &hpLogBuffer{}
	srv := hpStartServer(t, ServerOptions{Log: log, MaxConns: 3}, newHostTestTarget("s", adb.StateDevice))
	var held []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		held = append(held, c)
	}
	// The three are served (accepted and tracked) before the fourth comes.
	for deadline := time.Now().Add(10 * time.Second); len(srv.tracked()) < 3; {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections tracked, want 3", len(srv.tracked()))
		}
		runtime.Gosched()
	}
	extra, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	_ = extra.SetDeadline(time.Now().Add(10 * time.Second))
	if n, err := extra.Read(make([]byte, 1)); err == nil {
		t.Fatalf("the connection over the cap was served (%d bytes)", n)
	}
	if got := srv.Requests()["refused-conn"]; got != 1 {
		t.Errorf("refused %d connections, want 1", got)
	}
	if !strings.Contains(log.String(), "refused a connection: 3 open, the limit") {
		t.Errorf("log %q does not mention the refusal", log.String())
	}
	// A connection being served goes on.
	c := held[0]
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "000chost:version"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 12)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "OKAY00040029" {
		t.Errorf("a served connection after the refusal: %q, %v", buf, err)
	}
}

// A connection that sends no request within IdleTimeout is closed.
func TestServerClosesIdleConnections(t *testing.T) {
	srv := hpStartServer(t, ServerOptions{IdleTimeout: 50 * time.Millisecond}, newHostTestTarget("s", adb.StateDevice))
	c, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("read on an idle connection: %v, want EOF (closed by the server)", err)
	}
	if srv.Requests()["idle"] != 1 {
		t.Errorf("requests %v, want one idle connection closed", srv.Requests())
	}
	// A service runs past the idle timeout: it is not a request wait.
	tgt := newHostTestTarget("b", adb.StateDevice)
	srv2 := hpStartServer(t, ServerOptions{IdleTimeout: 50 * time.Millisecond}, tgt)
	r := hpDial(t, srv2)
	r.send("host:transport:b")
	r.mustOkay("transport")
	r.send("shell:block")
	r.mustOkay("shell:block")
	<-tgt.started
	// Another connection idles out meanwhile: the idle timeout has passed.
	idle, err := net.Dial("tcp", srv2.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	_ = idle.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := idle.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("the idle connection: %v, want EOF", err)
	}
	select {
	case err := <-tgt.ended:
		t.Fatalf("the running service ended (%v) at the idle timeout", err)
	default:
	}
}
