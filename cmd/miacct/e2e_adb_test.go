package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake"
	"github.com/miacct/miacct/adb/fake/faketest"
	"github.com/miacct/miacct/adb/fake/phone"
	"github.com/miacct/miacct/adb/hierarchy"
	"github.com/miacct/miacct/bench"
	"github.com/miacct/miacct/bench/realadb"
)

// End to end through Google's adb server (Debian's package adb, version
// 29): a private server on a free port, fake phones served as device
// daemons (fake.Daemon) it reaches with `adb connect`, and both the adb
// CLI and miacct talking to them through it. Skipped only when adb is not
// installed; CI installs it (.ci/run).

func startRealADB(t *testing.T) *realadb.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := realadb.Start(ctx, t.TempDir())
	if errors.Is(err, realadb.ErrNotInstalled) {
		t.Skip("skipping the end-to-end tests through the real adb server: adb is not installed (apt-get install adb)")
	}
	if err != nil {
		t.Fatal(err)
	}
	// Registered after TempDir's cleanup, so it runs before it: the server
	// stops even when the test failed.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("adb server log:\n%s", lastLines(srv.Log(), 40))
		}
		if err := srv.Kill(); err != nil {
			t.Errorf("stop the private adb server: %v", err)
		}
	})
	return srv
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// serveDaemon serves a fresh built-in phone as a device daemon and
// connects the adb server to it.
func serveDaemon(t *testing.T, srv *realadb.Server, scenario string, opts fake.DaemonOptions) (*phone.Phone, string) {
	t.Helper()
	fx, err := loadFixture(scenario)
	if err != nil {
		t.Fatal(err)
	}
	ph, err := phone.New(fx, phone.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ph, serveTarget(t, srv, ph, opts)
}

// serveTarget serves a phone as a device daemon, connects the adb server
// to it and returns its serial.
func serveTarget(t *testing.T, srv *realadb.Server, ph *phone.Phone, opts fake.DaemonOptions) string {
	t.Helper()
	d, err := fake.NewDaemon(ph, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("close fake adbd: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Connect(ctx, d.Addr()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = srv.Run(ctx, "disconnect", d.Addr())
	})
	if err := srv.WaitState(ctx, d.Addr(), "device"); err != nil {
		t.Fatal(err)
	}
	return d.Addr()
}

// adbRun runs the adb CLI against the private server and fails the test
// when it exits non-zero.
func adbRun(t *testing.T, srv *realadb.Server, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := srv.Run(ctx, args...)
	if err != nil {
		t.Fatalf("adb %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func TestRealADB(t *testing.T) {
	srv := startRealADB(t)

	t.Run("connect lists product, model and device", func(t *testing.T) {
		_, serial := serveDaemon(t, srv, "miui14-en", fake.DaemonOptions{})
		out := adbRun(t, srv, "devices", "-l")
		want := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(serial) + `\s+device product:tapas_global model:23021RAAEG device:tapas transport_id:\d+$`)
		if !want.MatchString(out) {
			t.Errorf("adb devices -l:\n%s\nwant a line matching %s", out, want)
		}
	})

	t.Run("shell, exec-out screencap, push and pull", func(t *testing.T) {
		_, serial := serveDaemon(t, srv, "miui14-en", fake.DaemonOptions{})
		if got := adbRun(t, srv, "-s", serial, "shell", "getprop", "ro.product.model"); got != "23021RAAEG\n" {
			t.Errorf("adb shell getprop: %q", got)
		}
		if got := adbRun(t, srv, "-s", serial, "shell", "echo one; echo two"); got != "one\ntwo\n" {
			t.Errorf("adb shell with two commands: %q", got)
		}

		shot := adbRun(t, srv, "-s", serial, "exec-out", "screencap -p")
		img, err := png.Decode(strings.NewReader(shot))
		if err != nil {
			t.Fatalf("screencap -p through adb is not a PNG (%d bytes): %v", len(shot), err)
		}
		if b := img.Bounds(); b.Dx() != 1080 || b.Dy() != 2400 {
			t.Errorf("screenshot %v, want 1080x2400", b)
		}

		dir := t.TempDir()
		src := filepath.Join(dir, "big.bin")
		data := bytes.Repeat([]byte("0123456789abcdef-miacct-"), (10<<20)/24+1)[:10<<20]
		for i := 0; i < len(data); i += 4099 {
			data[i] = byte(i >> 12) // no two blocks alike
		}
		if err := os.WriteFile(src, data, 0o644); err != nil {
			t.Fatal(err)
		}
		adbRun(t, srv, "-s", serial, "push", src, "/sdcard/Download/big.bin")
		back := filepath.Join(dir, "back.bin")
		adbRun(t, srv, "-s", serial, "pull", "/sdcard/Download/big.bin", back)
		got, err := os.ReadFile(back)
		if err != nil {
			t.Fatal(err)
		}
		if sha256.Sum256(got) != sha256.Sum256(data) {
			t.Errorf("pulled %d bytes, not the %d pushed", len(got), len(data))
		}
	})

	t.Run("a 500 KB dump arrives intact", func(t *testing.T) {
		fx, err := loadFixture("miui14-en")
		if err != nil {
			t.Fatal(err)
		}
		xml, err := bench.LargeDump(500 << 10)
		if err != nil {
			t.Fatal(err)
		}
		big, err := hierarchy.Parse(xml)
		if err != nil {
			t.Fatal(err)
		}
		fx.Dumps[fx.Display.Start] = big
		// The reference: the same phone's dump through the in-process
		// host-protocol server.
		ref := faketest.Start(t, fx, faketest.Options{}).Device
		wantDump, err := adb.DumpUI(context.Background(), ref)
		if err != nil {
			t.Fatal(err)
		}
		want := wantDump.XML
		if len(want) < 500<<10 {
			t.Fatalf("reference dump of %d bytes, want >= 500 KB", len(want))
		}

		ph, err := phone.New(fx, phone.Options{})
		if err != nil {
			t.Fatal(err)
		}
		serial := serveTarget(t, srv, ph, fake.DaemonOptions{})
		out := adbRun(t, srv, "-s", serial, "exec-out", "uiautomator dump /dev/tty")
		if !strings.HasPrefix(out, string(want)) {
			t.Errorf("adb exec-out dump: %d bytes, not the %d-byte dump", len(out), len(want))
		}
		dev, err := adb.NewClient(srv.Addr(), adb.ClientOptions{}).Device(context.Background(), serial)
		if err != nil {
			t.Fatal(err)
		}
		gotDump, err := adb.DumpUI(context.Background(), dev)
		if err != nil {
			t.Fatal(err)
		}
		if got := gotDump.XML; !bytes.Equal(got, want) {
			t.Errorf("miacct's dump through adb: %d bytes, not the %d-byte dump", len(got), len(want))
		}
	})

	t.Run("shell v2 exit status and stderr", func(t *testing.T) {
		_, serial := serveDaemon(t, srv, "miui14-en", fake.DaemonOptions{Features: []string{"shell_v2"}})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := srv.Command(ctx, "-s", serial, "shell", "echo out; echo err >&2; exit 3")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 3 {
			t.Errorf("adb shell 'exit 3' over shell v2: %v, want exit status 3", err)
		}
		if stdout.String() != "out\n" || stderr.String() != "err\n" {
			t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
		}
	})

	t.Run("reboot and the device coming back", func(t *testing.T) {
		ph, serial := serveDaemon(t, srv, "miui14-en", fake.DaemonOptions{})
		bootID := adbRun(t, srv, "-s", serial, "shell", "cat /proc/sys/kernel/random/boot_id")
		adbRun(t, srv, "-s", serial, "reboot")
		// The connection drops; the adb server lists the device offline
		// and reconnects on its own (adb 29 retries TCP devices), and
		// wait-for-device returns once it has. Like any script, ask again
		// if the device drops while asking (bounded).
		var out string
		for attempt := 1; ; attempt++ {
			adbRun(t, srv, "-s", serial, "wait-for-device")
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			var err error
			out, err = srv.Run(ctx, "-s", serial, "shell",
				`while [ "$(getprop sys.boot_completed)" != 1 ]; do sleep 1; done; cat /proc/sys/kernel/random/boot_id`)
			cancel()
			if err == nil {
				break
			}
			if attempt == 3 {
				t.Fatalf("waiting for the boot: %v: %s", err, out)
			}
		}
		if out == bootID || strings.TrimSpace(out) == "" {
			t.Errorf("boot id %q after the reboot, was %q", out, bootID)
		}
		if ph.Reboots() != 1 {
			t.Errorf("the phone rebooted %d times, want 1", ph.Reboots())
		}
	})

	t.Run("fake serve --adbd-auth is listed unauthorized", func(t *testing.T) {
		addr := startFakeServe(t, "miui14-en", "--adbd", "--adbd-auth", "--listen", "127.0.0.1:0")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, _ := srv.Run(ctx, "connect", addr)
		if !strings.Contains(out, "failed to authenticate to "+addr) {
			t.Errorf("adb connect to a daemon demanding AUTH: %q", out)
		}
		t.Cleanup(func() { _, _ = srv.Run(context.Background(), "disconnect", addr) })
		if err := srv.WaitState(ctx, addr, "unauthorized"); err != nil {
			t.Fatal(err)
		}
		if out, err := srv.Run(ctx, "-s", addr, "shell", "echo hi"); err == nil || !strings.Contains(out, "unauthorized") {
			t.Errorf("adb shell on an unauthorized device: %v, %q", err, out)
		}
	})

	t.Run("fake serve --adbd serves the phone", func(t *testing.T) {
		addr := startFakeServe(t, "miui14-en", "--adbd", "--listen", "127.0.0.1:0")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.Connect(ctx, addr); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _, _ = srv.Run(context.Background(), "disconnect", addr) })
		if err := srv.WaitState(ctx, addr, "device"); err != nil {
			t.Fatal(err)
		}
		if got := adbRun(t, srv, "-s", addr, "shell", "getprop ro.product.marketname"); got != "Redmi Note 12\n" {
			t.Errorf("getprop: %q", got)
		}
	})

	t.Run("miacct remove through the real adb server", func(t *testing.T) {
		ph, serial := serveDaemon(t, srv, "miui14-en", fake.DaemonOptions{})
		var stdout, stderr bytes.Buffer
		streams := &IOStreams{
			In:     strings.NewReader(demoPassword + "\n"),
			Out:    &stdout,
			ErrOut: &stderr,
			Getenv: func(string) string { return "" },
		}
		code := Main(streams, []string{"--adb", srv.Addr(), "-s", serial, "remove", "--password-stdin", "--yes", "--json"})
		if code != 0 {
			t.Fatalf("miacct remove exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
		}
		var res struct {
			OK    bool `json:"ok"`
			Steps []struct {
				Name, Status, Message string
			} `json:"steps"`
		}
		if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
			t.Fatalf("remove --json: %v\n%s", err, stdout.String())
		}
		if !res.OK || len(res.Steps) != 8 {
			t.Errorf("ok %v with %d steps, want ok with 8", res.OK, len(res.Steps))
		}
		for _, st := range res.Steps {
			// The account intent resolves: Settings is not needed.
			skippedSettings := st.Name == "open-settings" && st.Status == "skipped"
			if st.Status != "ok" && !skippedSettings {
				t.Errorf("step %s: %s (%s)", st.Name, st.Status, st.Message)
			}
		}
		for _, a := range ph.Accounts() {
			if a.Type == "com.xiaomi" {
				t.Errorf("the Xiaomi account is still on the phone")
			}
		}
		if ph.Reboots() != 1 || ph.TypedText() != demoPassword {
			t.Errorf("reboots %d, typed text right: %v", ph.Reboots(), ph.TypedText() == demoPassword)
		}
		if strings.Contains(stdout.String()+stderr.String(), "pa$$") {
			t.Error("the password leaked into the output")
		}
	})
}

// startFakeServe runs `miacct fake serve ARGS...` in-process until the
// test ends and returns the address it prints.
func startFakeServe(t *testing.T, args ...string) string {
	t.Helper()
	out := &lineWriter{line: make(chan string, 1)}
	var errOut bytes.Buffer
	app := &App{IO: &IOStreams{In: strings.NewReader(""), Out: out, ErrOut: &syncWriter{w: &errOut}, Getenv: func(string) string { return "" }}}
	root := newRootCmd(app)
	root.SetArgs(append([]string{"fake", "serve"}, args...))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("fake serve: %v", err)
		}
		_ = app.cleanup()
	})
	select {
	case addr := <-out.line:
		return addr
	case err := <-done:
		done <- err
		t.Fatalf("fake serve ended before serving: %v\n%s", err, errOut.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("fake serve printed no address within 30s")
	}
	return ""
}

// lineWriter hands the first line written to it to a channel.
type lineWriter struct {
	mu   sync.Mutex
	buf  []byte
	sent bool
	line chan string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if i := bytes.IndexByte(w.buf, '\n'); i >= 0 && !w.sent {
		w.sent = true
		w.line <- strings.TrimSpace(string(w.buf[:i]))
	}
	return len(p), nil
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}
