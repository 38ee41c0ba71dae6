package adb_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"image/png"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake/faketest"
	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/adb/fake/phone"
	"github.com/miacct/miacct/adb/hierarchy"
)

// setup starts a fake miui14-en phone (change may edit its fixture
// first) behind a fake server and returns it with a client of that
// server and the device.
func setup(t *testing.T, change func(*fixture.Fixture)) (*phone.Phone, *adb.Client, adb.Device) {
	t.Helper()
	fx := faketest.Fixture(t, "miui14-en")
	if change != nil {
		change(fx)
	}
	env := faketest.Start(t, fx, faketest.Options{})
	if env.Device == nil {
		t.Fatal("the phone is not usable over ADB")
	}
	return env.Phone, env.Client, env.Device
}

func TestServerQueries(t *testing.T) {
	ph, c, d := setup(t, nil)
	ctx := context.Background()
	v, err := c.Version(ctx)
	if err != nil || v != 41 {
		t.Errorf("Version = %d, %v; want 41", v, err)
	}
	list, err := c.Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Serial != ph.Serial() || list[0].State != adb.StateDevice || list[0].Server != c.Addr() {
		t.Errorf("Devices = %+v", list)
	}
	if list[0].Model != "23021RAAEG" || list[0].Product != "tapas_global" || list[0].Device != "tapas" {
		t.Errorf("attributes = %+v", list[0])
	}
	if d.Serial() != ph.Serial() {
		t.Errorf("Serial = %q, want %q", d.Serial(), ph.Serial())
	}
	st, err := d.State(ctx)
	if err != nil || st != adb.StateDevice {
		t.Errorf("State = %q, %v", st, err)
	}
	if err := d.WaitForDevice(ctx); err != nil {
		t.Errorf("WaitForDevice on an online device: %v", err)
	}
	_, err = c.Device(ctx, "nope")
	if !errors.Is(err, adb.ErrDeviceNotFound) || !strings.Contains(err.Error(), ph.Serial()) {
		t.Errorf("Device(nope) = %v, want ErrDeviceNotFound listing %s", err, ph.Serial())
	}
	d2, err := c.Device(ctx, ph.Serial())
	if err != nil || d2.Serial() != ph.Serial() {
		t.Errorf("Device(serial) = %v, %v", d2, err)
	}
}

func TestDeviceSelectionErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("none", func(t *testing.T) {
		_, err := faketest.Serve(t, faketest.Options{}).Client.Device(ctx, "")
		if !errors.Is(err, adb.ErrNoDevice) {
			t.Errorf("error = %v, want ErrNoDevice", err)
		}
	})
	t.Run("several", func(t *testing.T) {
		a, err := phone.New(faketest.Fixture(t, "miui14-en"), phone.Options{Serial: "AAA"})
		if err != nil {
			t.Fatal(err)
		}
		b, err := phone.New(faketest.Fixture(t, "miui14-en"), phone.Options{Serial: "BBB"})
		if err != nil {
			t.Fatal(err)
		}
		c := faketest.Serve(t, faketest.Options{}, a, b).Client
		_, err = c.Device(ctx, "")
		var multi *adb.MultipleDevicesError
		if !errors.As(err, &multi) || len(multi.Devices) != 2 {
			t.Fatalf("error = %v, want MultipleDevicesError with 2 devices", err)
		}
		if !strings.Contains(err.Error(), "AAA") || !strings.Contains(err.Error(), "BBB") {
			t.Errorf("message %q does not list both", err)
		}
		if d, err := c.Device(ctx, "BBB"); err != nil || d.Serial() != "BBB" {
			t.Errorf("Device(BBB) = %v, %v", d, err)
		}
	})
	t.Run("unauthorized", func(t *testing.T) {
		fx := faketest.Fixture(t, "miui14-en")
		fx.State = "unauthorized"
		c := faketest.Start(t, fx, faketest.Options{}).Client
		_, err := c.Device(ctx, "")
		if !errors.Is(err, adb.ErrUnauthorized) || !strings.Contains(err.Error(), "RSA") {
			t.Errorf("error = %v, want ErrUnauthorized asking to accept the RSA prompt", err)
		}
		list, err := c.Devices(ctx)
		if err != nil || len(list) != 1 || list[0].State != adb.StateUnauthorized {
			t.Errorf("Devices = %+v, %v; want the unauthorized device listed", list, err)
		}
	})
	t.Run("offline", func(t *testing.T) {
		fx := faketest.Fixture(t, "miui14-en")
		fx.State = "offline"
		_, err := faketest.Start(t, fx, faketest.Options{}).Client.Device(ctx, "")
		if !errors.Is(err, adb.ErrOffline) {
			t.Errorf("error = %v, want ErrOffline", err)
		}
	})
}

func TestShellOutputAndExitCodes(t *testing.T) {
	_, _, d := setup(t, nil)
	ctx := context.Background()
	tests := []struct {
		cmd  string
		out  string
		code int
	}{
		{"echo hello", "hello\n", 0},
		{"exit 3", "", 3},
		{"false", "", 1},
		{"true", "", 0},
		{"printf abc", "abc", 0},
		{"echo one; echo two; exit 7", "one\ntwo\n", 7},
		{"echo out; echo err >&2", "out\nerr\n", 0},
		{"echo hi # a comment", "hi\n", 0},
		{"echo ':miacct-exit:5'", ":miacct-exit:5\n", 0},
	}
	for _, tt := range tests {
		res, err := d.Shell(ctx, tt.cmd)
		if err != nil {
			t.Errorf("Shell(%q): %v", tt.cmd, err)
			continue
		}
		if res.String() != tt.out || res.ExitCode != tt.code {
			t.Errorf("Shell(%q) = (%q, %d), want (%q, %d)", tt.cmd, res.String(), res.ExitCode, tt.out, tt.code)
		}
	}
}

func TestExec(t *testing.T) {
	_, _, d := setup(t, nil)
	out, err := d.Exec(context.Background(), "echo exec works")
	if err != nil || string(out) != "exec works\n" {
		t.Errorf("Exec = %q, %v", out, err)
	}
}

func TestProps(t *testing.T) {
	fx := faketest.Fixture(t, "miui14-en")
	_, _, d := setup(t, nil)
	ctx := context.Background()
	props, err := adb.Props(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range fx.Properties {
		if props[k] != v {
			t.Errorf("Props[%s] = %q, want %q", k, props[k], v)
		}
	}
	v, err := adb.Prop(ctx, d, "ro.product.model")
	if err != nil || v != fx.Properties["ro.product.model"] {
		t.Errorf("Prop = %q, %v", v, err)
	}
	v, err = adb.Prop(ctx, d, "no.such.prop")
	if err != nil || v != "" {
		t.Errorf("Prop(missing) = %q, %v", v, err)
	}
}

// typeAndCheck types s through the phone and checks what arrived.
func typeAndCheck(t *testing.T, ctx context.Context, d adb.Device, ph *phone.Phone, s string) {
	t.Helper()
	before := ph.TypedText()
	if err := adb.Input(ctx, d, adb.Text(s)); err != nil {
		t.Fatalf("Input(Text(%q)): %v", s, err)
	}
	if got := strings.TrimPrefix(ph.TypedText(), before); got != s {
		t.Fatalf("typed %q, phone got %q", s, got)
	}
}

func TestTypeEveryPrintableCharacter(t *testing.T) {
	ph, _, d := setup(t, nil)
	ctx := context.Background()
	for c := byte(0x20); c <= 0x7e; c++ {
		s := string(c)
		for _, text := range []string{s, "%" + s, s + "%", "s" + s, s + "s", "%" + s + "s " + s + "%s%" + s} {
			typeAndCheck(t, ctx, d, ph, text)
		}
	}
	if ph.Reboots() != 0 {
		t.Errorf("typing rebooted the phone %d times", ph.Reboots())
	}
}

func TestTypeDemoPassword(t *testing.T) {
	ph, _, d := setup(t, nil)
	cd := adb.Counted(d)
	ctx := context.Background()
	typeAndCheck(t, ctx, cd, ph, demoPassword)
	if ph.Reboots() != 0 {
		t.Errorf("$(reboot) ran: %d reboots", ph.Reboots())
	}
	got := cd.Counts()
	if got.Shell != 1 || got.Inputs != 2 {
		t.Errorf("counts = %+v, want 1 shell round trip with 2 input invocations", got)
	}
}

func TestInputBatch(t *testing.T) {
	ph, _, d := setup(t, nil)
	cd := adb.Counted(d)
	ctx := context.Background()
	err := adb.Input(ctx, cd,
		adb.KeyEvent(adb.KeyWakeup),
		adb.Tap(540, 1200),
		adb.Swipe(540, 2000, 540, 500, 200*time.Millisecond),
		adb.Text("a b"),
		adb.KeyEvent(adb.KeyBack, adb.KeyHome))
	if err != nil {
		t.Fatal(err)
	}
	if got := cd.Counts(); got.Shell != 1 || got.Inputs != 5 {
		t.Errorf("counts = %+v, want 1 shell with 5 input invocations", got)
	}
	if !strings.HasSuffix(ph.TypedText(), "a b") {
		t.Errorf("typed %q", ph.TypedText())
	}
	if err := adb.Input(ctx, cd, adb.Text("naïve")); !errors.Is(err, adb.ErrUntypable) {
		t.Errorf("non-ASCII: %v, want ErrUntypable", err)
	}
	if got := cd.Counts(); got.Shell != 1 {
		t.Errorf("an untypable text was sent: %+v", got)
	}
}

func TestInputDenied(t *testing.T) {
	_, _, d := setup(t, func(fx *fixture.Fixture) {
		denied := false
		fx.Input.Injection = &denied
	})
	err := adb.Input(context.Background(), d, adb.Text("secret pw"))
	if !errors.Is(err, adb.ErrInjectionDenied) {
		t.Fatalf("error = %v, want ErrInjectionDenied", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error %q shows the typed text", err)
	}
}

func TestPushPull(t *testing.T) {
	_, _, d := setup(t, nil)
	cd := adb.Counted(d)
	files, ok := adb.SyncerOf(cd)
	if !ok {
		t.Fatal("a counted server device has no Syncer")
	}
	ctx := context.Background()
	data := make([]byte, 1<<20)
	rng := rand.NewChaCha8([32]byte{7})
	_, _ = rng.Read(data)
	const path = "/data/local/tmp/miacct-test.bin"
	if err := files.Push(ctx, bytes.NewReader(data), path, 0o644, time.Unix(1_700_000_000, 0)); err != nil {
		t.Fatalf("Push: %v", err)
	}
	var got bytes.Buffer
	if err := files.Pull(ctx, path, &got); err != nil {
		t.Fatalf("Pull: %v", err)
	}
	if sha256.Sum256(got.Bytes()) != sha256.Sum256(data) {
		t.Errorf("pulled %d bytes differ from the %d pushed", got.Len(), len(data))
	}
	if c := cd.Counts(); c.Sync != 2 || c.Calls != 2 {
		t.Errorf("counts = %+v", c)
	}
	err := files.Pull(ctx, "/data/local/tmp/does-not-exist", io.Discard)
	if !errors.Is(err, adb.ErrFailed) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Pull(missing) = %v, want ErrFailed and fs.ErrNotExist", err)
	}
}

// Decorators forward file transfer only when the device they wrap has it.
func TestSyncerOfDecorators(t *testing.T) {
	_, _, d := setup(t, nil)
	if _, ok := adb.SyncerOf(adb.Counted(adb.Counted(d))); !ok {
		t.Error("two counting layers hide the server device's Syncer")
	}
	if _, ok := adb.SyncerOf(adb.Counted(shellOnly{d})); ok {
		t.Error("a counted device without file transfer offers a Syncer")
	}
}

// shellOnly is a Device without file transfer.
type shellOnly struct{ adb.Device }

func TestScreenshot(t *testing.T) {
	_, _, d := setup(t, nil)
	data, err := adb.Screenshot(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if img.Bounds().Dx() == 0 || img.Bounds().Dy() == 0 {
		t.Errorf("empty image %v", img.Bounds())
	}
}

func TestDumpUI(t *testing.T) {
	_, _, d := setup(t, nil)
	cd := adb.Counted(d)
	dump, err := adb.DumpUI(context.Background(), cd)
	if err != nil {
		t.Fatal(err)
	}
	h, err := hierarchy.Parse(dump.XML)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if len(h.Nodes()) == 0 {
		t.Error("no nodes")
	}
	if bytes.Contains(dump.XML, []byte("dumped to")) || bytes.Contains(dump.XML, []byte("\n")) {
		t.Errorf("uptime or status line not stripped: %q", dump.XML)
	}
	if dump.Uptime <= 0 {
		t.Errorf("uptime %s, want the phone's", dump.Uptime)
	}
	if c := cd.Counts(); c.Dumps != 1 || c.Exec != 1 {
		t.Errorf("counts = %+v", c)
	}
}

// The uptime comes from the phone's clock: it grows with phone time and
// starts again at a reboot.
func TestDumpUptime(t *testing.T) {
	ph, _, d := setup(t, nil)
	ctx := context.Background()
	first, err := adb.DumpUI(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Shell(ctx, "sleep 30"); err != nil {
		t.Fatal(err)
	}
	second, err := adb.DumpUI(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	// Phone time also passes in the calls themselves (the fixture's
	// latencies), never more than the phone's whole clock.
	if got := second.Uptime - first.Uptime; got < 30*time.Second || got > ph.Elapsed() {
		t.Errorf("uptime grew by %s over a 30 s sleep (phone time %s)", got, ph.Elapsed())
	}
	if err := adb.RebootAndWait(ctx, d, time.Minute); err != nil {
		t.Fatal(err)
	}
	after, err := adb.DumpUI(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if after.Uptime >= second.Uptime || after.Uptime > ph.Elapsed() {
		t.Errorf("uptime %s after the reboot, %s before: want it restarted", after.Uptime, second.Uptime)
	}
	res, err := d.Shell(ctx, "cat /proc/uptime")
	if err != nil || res.ExitCode != 0 || len(strings.Fields(res.String())) != 2 {
		t.Errorf("cat /proc/uptime = %q, %v", res.String(), err)
	}
}

func TestDumpFaults(t *testing.T) {
	_, _, d := setup(t, func(fx *fixture.Fixture) {
		fx.Faults.DumpIdleError = []int{1}
		fx.Faults.DumpTruncated = []int{2}
	})
	ctx := context.Background()
	if _, err := adb.DumpUI(ctx, d); !errors.Is(err, adb.ErrIdleState) {
		t.Errorf("dump 1: %v, want ErrIdleState", err)
	}
	if _, err := adb.DumpUI(ctx, d); !errors.Is(err, adb.ErrEmptyDump) {
		t.Errorf("dump 2: %v, want ErrEmptyDump", err)
	}
	if _, err := adb.DumpUI(ctx, d); err != nil {
		t.Errorf("dump 3: %v", err)
	}
}

func TestStartActivity(t *testing.T) {
	_, _, d := setup(t, nil)
	ctx := context.Background()
	err := adb.StartActivity(ctx, d, adb.Intent{Component: "com.android.settings/.MiuiSettings"})
	if err != nil {
		t.Errorf("start settings: %v", err)
	}
	err = adb.StartActivity(ctx, d, adb.Intent{
		Action:  "android.settings.XIAOMI_ACCOUNT_SYNC_SETTINGS",
		Package: "com.xiaomi.account",
		Extras:  map[string]string{"account_type": "com.xiaomi"},
	})
	if err != nil {
		t.Errorf("start account settings: %v", err)
	}
	err = adb.StartActivity(ctx, d, adb.Intent{Component: "com.example/.Nope"})
	if !errors.Is(err, adb.ErrActivityNotFound) {
		t.Errorf("start missing activity: %v, want ErrActivityNotFound", err)
	}
}

func TestRebootAndWait(t *testing.T) {
	ph, _, d := setup(t, nil)
	cd := adb.Counted(d)
	ctx := context.Background()
	before, err := adb.BootID(ctx, cd)
	if err != nil {
		t.Fatal(err)
	}
	if err := adb.RebootAndWait(ctx, cd, 10*time.Minute); err != nil {
		t.Fatalf("RebootAndWait: %v", err)
	}
	if ph.Reboots() != 1 {
		t.Errorf("reboots = %d, want 1", ph.Reboots())
	}
	after, err := adb.BootID(ctx, cd)
	if err != nil || after == before {
		t.Errorf("boot id %q -> %q, %v", before, after, err)
	}
	if v, err := adb.Prop(ctx, cd, "sys.boot_completed"); err != nil || v != "1" {
		t.Errorf("sys.boot_completed = %q, %v", v, err)
	}
	t.Logf("counts %+v", cd.Counts())
	if c := cd.Counts(); c.Reboots != 1 {
		t.Errorf("counts = %+v", c)
	}
}

// TestHangTimesOut: a command that never returns ends with ErrTimeout at
// the call's deadline.
func TestHangTimesOut(t *testing.T) {
	_, _, d := setup(t, func(fx *fixture.Fixture) {
		fx.Faults.Hang = append(fx.Faults.Hang, "getprop")
	})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := adb.Props(ctx, d)
	if !errors.Is(err, adb.ErrTimeout) {
		t.Fatalf("error = %v, want ErrTimeout", err)
	}
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("returned after %v", elapsed)
	}
}

// TestGarbageRequest: a malformed request gets FAIL and the server keeps
// serving.
func TestGarbageRequest(t *testing.T) {
	_, c, d := setup(t, nil)
	for _, garbage := range []string{"zzzzhello", "0004nope", "0000", "000ahost:bogus"} {
		conn, err := net.Dial("tcp", c.Addr())
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := conn.Write([]byte(garbage)); err != nil {
			t.Fatal(err)
		}
		reply := make([]byte, 4)
		_, err = io.ReadFull(conn, reply)
		conn.Close()
		if err != nil || string(reply) != "FAIL" {
			t.Errorf("reply to %q = %q, %v; want FAIL", garbage, reply, err)
		}
	}
	if _, err := c.Version(context.Background()); err != nil {
		t.Errorf("server stopped serving: %v", err)
	}
	if _, err := d.Shell(context.Background(), "true"); err != nil {
		t.Errorf("device unusable after garbage: %v", err)
	}
}

// TestErrorsHideTypedText: a failing input call names the command, never
// the text it typed.
func TestErrorsHideTypedText(t *testing.T) {
	_, _, d := setup(t, func(fx *fixture.Fixture) {
		fx.Faults.Hang = append(fx.Faults.Hang, "input")
	})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := adb.Input(ctx, d, adb.Text("hunter2 pw"))
	if !errors.Is(err, adb.ErrTimeout) {
		t.Fatalf("error = %v, want ErrTimeout", err)
	}
	if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "input text") {
		t.Errorf("error %q shows the command line", err)
	}
}

func TestCountingConcurrent(t *testing.T) {
	_, _, d := setup(t, nil)
	cd := adb.Counted(d)
	ctx := context.Background()
	before := cd.Counts()
	errc := make(chan error, 8)
	for range 8 {
		go func() {
			for range 5 {
				if _, err := cd.Shell(ctx, "input keyevent 4 && true"); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		}()
	}
	for range 8 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cd.State(ctx); err != nil {
		t.Fatal(err)
	}
	delta := cd.Counts().Sub(before)
	want := adb.Counts{Calls: 41, Shell: 40, Inputs: 40}
	if delta != want {
		t.Errorf("delta = %+v, want %+v", delta, want)
	}
}

func TestReboot(t *testing.T) {
	ph, _, d := setup(t, nil)
	if err := d.Reboot(context.Background()); err != nil {
		t.Fatalf("Reboot: %v", err)
	}
	if ph.Reboots() != 1 {
		t.Errorf("reboots = %d", ph.Reboots())
	}
	// Waiting brings it back in simulated time.
	if err := d.WaitForDevice(context.Background()); err != nil {
		t.Fatalf("WaitForDevice: %v", err)
	}
	if st, err := d.State(context.Background()); err != nil || st != adb.StateDevice {
		t.Errorf("State after wait = %q, %v", st, err)
	}
}
