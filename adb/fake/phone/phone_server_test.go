package phone

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/electricbubble/gadb"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake"
	"github.com/miacct/miacct/adb/fake/fixture"
)

// Phones behind the real host-protocol server, driven by gadb over the
// loopback socket, as the real client code will drive them.

func startPhoneServer(t *testing.T, phones ...*Phone) (*fake.Server, gadb.Client) {
	t.Helper()
	targets := make([]fake.Target, len(phones))
	for i, p := range phones {
		targets[i] = p
	}
	srv, err := fake.NewServer(targets...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("server Close: %v", err)
		}
	})
	host, portText, err := net.SplitHostPort(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		t.Fatal(err)
	}
	client, err := gadb.NewClientWith(host, port)
	if err != nil {
		t.Fatal(err)
	}
	return srv, client
}

func gadbDevice(t *testing.T, c gadb.Client, serial string) gadb.Device {
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
	t.Fatalf("no device %q in %v", serial, devs)
	return gadb.Device{}
}

func TestPhonesThroughGadb(t *testing.T) {
	fx := testFixture(t)
	one, err := New(fx, Options{Serial: "phone-1"})
	if err != nil {
		t.Fatal(err)
	}
	two, err := New(fx, Options{Serial: "phone-2", AccountID: "777"})
	if err != nil {
		t.Fatal(err)
	}
	_, client := startPhoneServer(t, one, two)
	d1, d2 := gadbDevice(t, client, "phone-1"), gadbDevice(t, client, "phone-2")
	if model, err := d1.Model(); err != nil || model != "Redmi_Note_12" {
		t.Errorf("Model = %q, %v", model, err)
	}
	if out, err := d1.RunShellCommand("getprop", "ro.product.model"); err != nil || out != "Redmi Note 12\n" {
		t.Errorf("getprop over gadb: %q, %v", out, err)
	}
	if out, err := d2.RunShellCommand("dumpsys account | grep 'Account {.*com.xiaomi'"); err != nil || out != "    Account {name=777, type=com.xiaomi}\n" {
		t.Errorf("second copy's account: %q, %v", out, err)
	}

	// Push, then read back through the shell and through Pull.
	if err := d1.Push(strings.NewReader("pushed\n"), "/data/local/tmp/p.txt", time.Unix(1700000000, 0)); err != nil {
		t.Fatalf("Push: %v", err)
	}
	if out, _ := d1.RunShellCommand("cat /data/local/tmp/p.txt"); out != "pushed\n" {
		t.Errorf("cat after push = %q", out)
	}
	if out, _ := d2.RunShellCommand("cat /data/local/tmp/p.txt"); !strings.Contains(out, "No such file") {
		t.Errorf("the copies share a file system: %q", out)
	}
	if out, _ := d1.RunShellCommand("screencap -p /sdcard/shot.png && uiautomator dump"); out != "UI hierchary dumped to: /sdcard/window_dump.xml\n" {
		t.Errorf("screencap and dump to files: %q", out)
	}
	var shot bytes.Buffer
	if err := d1.Pull("/sdcard/shot.png", &shot); err != nil {
		t.Fatalf("Pull: %v", err)
	}
	if cfg, err := png.DecodeConfig(&shot); err != nil || cfg.Width != 1080 || cfg.Height != 2400 {
		t.Errorf("pulled screenshot: %+v, %v", cfg, err)
	}
	if c := one.Counters(); c.Sync != 2 || c.Screencaps != 1 || c.Dumps != 1 {
		t.Errorf("counters = %+v", c)
	}

	// A tap through gadb (arguments joined unquoted, as gadb does).
	if _, err := d1.RunShellCommand("input", "tap", "200", "1900"); err != nil {
		t.Fatal(err)
	}
	if one.Screen() != "settings" || two.Screen() != "home" {
		t.Errorf("screens after a tap on phone-1: %s, %s", one.Screen(), two.Screen())
	}
}

func TestRebootThroughGadb(t *testing.T) {
	p := newTestPhone(t)
	_, client := startPhoneServer(t, p)
	d := gadbDevice(t, client, "fake0001")
	if _, err := d.RunShellCommand("reboot"); err != nil {
		t.Fatalf("reboot: %v", err)
	}
	// adb answers get-state of an offline device with FAIL.
	if st, err := d.State(); err == nil || !strings.Contains(err.Error(), "device offline") {
		t.Errorf("State after reboot = %v, %v", st, err)
	}
	if _, err := d.RunShellCommand("id"); err == nil {
		t.Error("a shell on the rebooting phone worked")
	}
	if err := p.WaitOnline(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st, err := d.State(); err != nil || st != gadb.StateOnline {
		t.Errorf("State after WaitOnline = %v, %v", st, err)
	}
	out, err := d.RunShellCommand(`while [ "$(getprop sys.boot_completed)" != 1 ]; do sleep 1; done; echo up`)
	if err != nil || out != "up\n" {
		t.Errorf("boot wait: %q, %v", out, err)
	}
}

func TestHangEndsWhenClientHangsUp(t *testing.T) {
	log := newLogWatch()
	p := newLoggedPhone(t, log, func(fx *fixture.Fixture) { fx.Faults.Hang = []string{"uiautomator"} })
	srv, _ := startPhoneServer(t, p)
	conn, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	request := func(req string) {
		if _, err := fmt.Fprintf(conn, "%04x%s", len(req), req); err != nil {
			t.Fatal(err)
		}
		status := make([]byte, 4)
		if _, err := conn.Read(status); err != nil || string(status) != "OKAY" {
			t.Fatalf("%s: %q %v", req, status, err)
		}
	}
	request("host:transport:fake0001")
	request("shell:uiautomator dump /dev/tty")
	log.waitFor("uiautomator hangs (fault)")
	if p.ListState() != adb.StateDevice {
		t.Error("a hung command took the phone offline")
	}
	conn.Close()
	ended := make(chan struct{})
	go func() {
		log.waitFor("hung shell ended")
		close(ended)
	}()
	select {
	case <-ended:
	case <-time.After(30 * time.Second): // a guard, not a timing check
		t.Fatal("the hung command did not end when the client hung up")
	}
}
