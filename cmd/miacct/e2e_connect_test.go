package main

import (
	"context"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/miacct/miacct/adb/fake"
	"github.com/miacct/miacct/adb/fake/phone"
)

// connect and disconnect through Google's adb server (Debian's adb 29):
// the fake phone listens as a device daemon, as a phone with wireless
// debugging does, and miacct asks the server to connect to it, then
// works on it by its HOST:PORT serial.
func TestRealADBConnect(t *testing.T) {
	srv := startRealADB(t)
	fx, err := loadFixture("miui14-en")
	if err != nil {
		t.Fatal(err)
	}
	ph, err := phone.New(fx, phone.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := fake.NewDaemon(ph, fake.DaemonOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	addr := d.Addr()

	r := runMain("", nil, "--adb", srv.Addr(), "connect", addr)
	if r.code != 0 || r.stdout != "connected to "+addr+"\n" {
		t.Fatalf("miacct connect %s: exit %d\n%s%s", addr, r.code, r.stdout, r.stderr)
	}
	r = runMain("", nil, "--adb", srv.Addr(), "connect", addr)
	if r.code != 0 || r.stdout != "already connected to "+addr+"\n" {
		t.Errorf("miacct connect %s again: exit %d\n%s%s", addr, r.code, r.stdout, r.stderr)
	}
	// adb answers before the phone's handshake is done: wait for it.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.WaitState(ctx, addr, "device"); err != nil {
		t.Fatal(err)
	}
	r = runMain("", nil, "--adb", srv.Addr(), "-s", addr, "doctor")
	if r.code != 0 || !regexp.MustCompile(`(?m)^PASS  device connected and authorized: `+regexp.QuoteMeta(addr)+`$`).MatchString(r.stdout) {
		t.Errorf("miacct -s %s doctor: exit %d\n%s%s", addr, r.code, r.stdout, r.stderr)
	}

	r = runMain("", nil, "--adb", srv.Addr(), "disconnect", addr)
	if r.code != 0 || r.stdout != "disconnected "+addr+"\n" {
		t.Errorf("miacct disconnect %s: exit %d\n%s%s", addr, r.code, r.stdout, r.stderr)
	}
	r = runMain("", nil, "--adb", srv.Addr(), "devices")
	if strings.Contains(r.stdout, addr) {
		t.Errorf("the phone is still listed after disconnect:\n%s", r.stdout)
	}
	r = runMain("", nil, "--adb", srv.Addr(), "disconnect", addr)
	if r.code != ExitNoDevice {
		t.Errorf("disconnecting again: exit %d, want %d\n%s", r.code, ExitNoDevice, r.stderr)
	}

	// Nothing listens on a port just closed: adb says it failed, miacct exits 3.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	r = runMain("", nil, "--adb", srv.Addr(), "connect", closed)
	if r.code != ExitNoDevice || !strings.Contains(r.stderr, "failed to connect to") {
		t.Errorf("connect to a closed port: exit %d, want %d\n%s%s", r.code, ExitNoDevice, r.stdout, r.stderr)
	}
}
