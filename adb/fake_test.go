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
	"github.com/miacct/miacct/adb/fake"
	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/adb/hierarchy"
	"github.com/miacct/miacct/fixtures"
)

// loadFixture loads a built-in fixture; change may edit it before the
// phone is built from it.
func loadFixture(t *testing.T, name string, change func(*fixture.Fixture)) *fixture.Fixture {
	t.Helper()
	fx, err := fixture.Loader{Builtin: fixtures.FS()}.Load(name)
	if err != nil {
		t.Fatalf("load fixture %s: %v", name, err)
	}
	if change != nil {
		change(fx)
	}
	return fx
}

func newPhone(t *testing.T, fx *fixture.Fixture) *fake.Phone {
	t.Helper()
	phone, err := fake.NewPhone(fx, fake.PhoneOptions{})
	if err != nil {
		t.Fatalf("new phone: %v", err)
	}
	return phone
}

// startServer serves targets on a real loopback socket until the test ends.
func startServer(t *testing.T, targets ...fake.Target) *fake.Server {
	t.Helper()
	srv, err := fake.NewServer(targets...)
	if err != nil {
		t.Fatalf("fake server: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("fake server: %v", err)
		}
	})
	return srv
}

// setup starts a fake miui14-en phone behind a fake server and returns
// it with a client of that server and the device.
func setup(t *testing.T, change func(*fixture.Fixture)) (*fake.Phone, *adb.Client, adb.Device) {
	t.Helper()
	phone := newPhone(t, loadFixture(t, "miui14-en", change))
	srv := startServer(t, phone)
	c := adb.NewClient(srv.Addr(), adb.ClientOptions{})
	d, err := c.Device(context.Background(), "")
	if err != nil {
		t.Fatalf("device: %v", err)
	}
	return phone, c, d
}

func TestServerQueries(t *testing.T) {
	phone, c, d := setup(t, nil)
	ctx := context.Background()
	v, err := c.Version(ctx)
	if err != nil || v != 41 {
		t.Errorf("Version = %d, %v; want 41", v, err)
	}
	list, err := c.Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Serial != phone.Serial() || list[0].State != adb.StateDevice || list[0].Server != c.Addr() {
		t.Errorf("Devices = %+v", list)
	}
	if list[0].Model != "23021RAAEG" || list[0].Product != "tapas_global" || list[0].Device != "tapas" {
		t.Errorf("attributes = %+v", list[0])
	}
	if d.Serial() != phone.Serial() {
		t.Errorf("Serial = %q, want %q", d.Serial(), phone.Serial())
	}
	st, err := d.State(ctx)
	if err != nil || st != adb.StateDevice {
		t.Errorf("State = %q, %v", st, err)
	}
	if err := d.WaitForDevice(ctx); err != nil {
		t.Errorf("WaitForDevice on an online device: %v", err)
	}
	_, err = c.Device(ctx, "nope")
	if !errors.Is(err, adb.ErrDeviceNotFound) || !strings.Contains(err.Error(), phone.Serial()) {
		t.Errorf("Device(nope) = %v, want ErrDeviceNotFound listing %s", err, phone.Serial())
	}
	d2, err := c.Device(ctx, phone.Serial())
	if err != nil || d2.Serial() != phone.Serial() {
		t.Errorf("Device(serial) = %v, %v", d2, err)
	}
}

func TestDeviceSelectionErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("none", func(t *testing.T) {
		srv := startServer(t)
		_, err := adb.NewClient(srv.Addr(), adb.ClientOptions{}).Device(ctx, "")
		if !errors.Is(err, adb.ErrNoDevice) {
			t.Errorf("error = %v, want ErrNoDevice", err)
		}
	})
	t.Run("several", func(t *testing.T) {
		a, err := fake.NewPhone(loadFixture(t, "miui14-en", nil), fake.PhoneOptions{Serial: "AAA"})
		if err != nil {
			t.Fatal(err)
		}
		b, err := fake.NewPhone(loadFixture(t, "miui14-en", nil), fake.PhoneOptions{Serial: "BBB"})
		if err != nil {
			t.Fatal(err)
		}
		srv := startServer(t, a, b)
		c := adb.NewClient(srv.Addr(), adb.ClientOptions{})
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
		phone := newPhone(t, loadFixture(t, "miui14-en", func(fx *fixture.Fixture) { fx.State = "unauthorized" }))
		srv := startServer(t, phone)
		c := adb.NewClient(srv.Addr(), adb.ClientOptions{})
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
		phone := newPhone(t, loadFixture(t, "miui14-en", func(fx *fixture.Fixture) { fx.State = "offline" }))
		srv := startServer(t, phone)
		_, err := adb.NewClient(srv.Addr(), adb.ClientOptions{}).Device(ctx, "")
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
	fx := loadFixture(t, "miui14-en", nil)
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
func typeAndCheck(t *testing.T, ctx context.Context, d adb.Device, phone *fake.Phone, s string) {
	t.Helper()
	before := phone.TypedText()
	if err := adb.Input(ctx, d, adb.Text(s)); err != nil {
		t.Fatalf("Input(Text(%q)): %v", s, err)
	}
	if got := strings.TrimPrefix(phone.TypedText(), before); got != s {
		t.Fatalf("typed %q, phone got %q", s, got)
	}
}

func TestTypeEveryPrintableCharacter(t *testing.T) {
	phone, _, d := setup(t, nil)
	ctx := context.Background()
	for c := byte(0x20); c <= 0x7e; c++ {
		s := string(c)
		for _, text := range []string{s, "%" + s, s + "%", "s" + s, s + "s", "%" + s + "s " + s + "%s%" + s} {
			typeAndCheck(t, ctx, d, phone, text)
		}
	}
	if phone.Reboots() != 0 {
		t.Errorf("typing rebooted the phone %d times", phone.Reboots())
	}
}

func TestTypeDemoPassword(t *testing.T) {
	phone, _, d := setup(t, nil)
	cd := adb.Counted(d)
	ctx := context.Background()
	typeAndCheck(t, ctx, cd, phone, demoPassword)
	if phone.Reboots() != 0 {
		t.Errorf("$(reboot) ran: %d reboots", phone.Reboots())
	}
	got := cd.Counts()
	if got.Shell != 1 || got.Inputs != 2 {
		t.Errorf("counts = %+v, want 1 shell round trip with 2 input invocations", got)
	}
}

func TestInputBatch(t *testing.T) {
	phone, _, d := setup(t, nil)
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
	if !strings.HasSuffix(phone.TypedText(), "a b") {
		t.Errorf("typed %q", phone.TypedText())
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
	ctx := context.Background()
	data := make([]byte, 1<<20)
	rng := rand.NewChaCha8([32]byte{7})
	_, _ = rng.Read(data)
	const path = "/data/local/tmp/miacct-test.bin"
	if err := cd.Push(ctx, bytes.NewReader(data), path, 0o644, time.Unix(1_700_000_000, 0)); err != nil {
		t.Fatalf("Push: %v", err)
	}
	var got bytes.Buffer
	if err := cd.Pull(ctx, path, &got); err != nil {
		t.Fatalf("Pull: %v", err)
	}
	if sha256.Sum256(got.Bytes()) != sha256.Sum256(data) {
		t.Errorf("pulled %d bytes differ from the %d pushed", got.Len(), len(data))
	}
	if c := cd.Counts(); c.Sync != 2 || c.Calls != 2 {
		t.Errorf("counts = %+v", c)
	}
	err := cd.Pull(ctx, "/data/local/tmp/does-not-exist", io.Discard)
	if !errors.Is(err, adb.ErrFailed) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Pull(missing) = %v, want ErrFailed and fs.ErrNotExist", err)
	}
}

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
	xml := dump.XML
	h, err := hierarchy.Parse(xml)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if len(h.Nodes()) == 0 {
		t.Error("no nodes")
	}
	if bytes.Contains(xml, []byte("dumped to")) {
		t.Error("status line not stripped")
	}
	if c := cd.Counts(); c.Dumps != 1 || c.Exec != 1 {
		t.Errorf("counts = %+v", c)
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
	phone, _, d := setup(t, nil)
	cd := adb.Counted(d)
	ctx := context.Background()
	before, err := adb.BootID(ctx, cd)
	if err != nil {
		t.Fatal(err)
	}
	if err := adb.RebootAndWait(ctx, cd, 10*time.Minute); err != nil {
		t.Fatalf("RebootAndWait: %v", err)
	}
	if phone.Reboots() != 1 {
		t.Errorf("reboots = %d, want 1", phone.Reboots())
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
	phone, _, d := setup(t, nil)
	if err := d.Reboot(context.Background()); err != nil {
		t.Fatalf("Reboot: %v", err)
	}
	if phone.Reboots() != 1 {
		t.Errorf("reboots = %d", phone.Reboots())
	}
	// Waiting brings it back in simulated time.
	if err := d.WaitForDevice(context.Background()); err != nil {
		t.Fatalf("WaitForDevice: %v", err)
	}
	if st, err := d.State(context.Background()); err != nil || st != adb.StateDevice {
		t.Errorf("State after wait = %q, %v", st, err)
	}
}
