package adb_test

import (
	"context"
	"errors"
	"testing"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake/faketest"
	"github.com/miacct/miacct/adb/fake/phone"
)

// A phone with wireless debugging is listed under HOST:PORT; the fake
// server has one under such a serial, so connecting to it is "already
// connected", and any other address fails as a real server says.
func TestConnectAndDisconnect(t *testing.T) {
	const addr = "127.0.0.1:40001"
	env := faketest.Start(t, faketest.Fixture(t, "miui14-en"), faketest.Options{Phone: phone.Options{Serial: addr}})
	c := env.Client
	ctx := context.Background()

	reply, err := c.Connect(ctx, addr)
	if err != nil || reply != "already connected to "+addr {
		t.Errorf("Connect(%s) = %q, %v; want already connected", addr, reply, err)
	}
	_, err = c.Connect(ctx, "127.0.0.1:40002")
	if !errors.Is(err, adb.ErrDeviceNotFound) {
		t.Errorf("Connect to an address with no phone: %v, want ErrDeviceNotFound", err)
	}

	// A serial with a colon is a serial like any other.
	dev, err := c.Device(ctx, addr)
	if err != nil {
		t.Fatalf("Device(%s): %v", addr, err)
	}
	if out, err := dev.Shell(ctx, "getprop ro.serialno"); err != nil || out.String() != addr+"\n" {
		t.Errorf("getprop ro.serialno on %s = %q, %v", addr, out.String(), err)
	}

	reply, err = c.Disconnect(ctx, addr)
	if err != nil || reply != "disconnected "+addr {
		t.Errorf("Disconnect(%s) = %q, %v", addr, reply, err)
	}
	_, err = c.Disconnect(ctx, "127.0.0.1:40002")
	if !errors.Is(err, adb.ErrDeviceNotFound) {
		t.Errorf("Disconnect of an unknown address: %v, want ErrDeviceNotFound", err)
	}
}

func TestConnectServerUnreachable(t *testing.T) {
	c := adb.NewClient("127.0.0.1:1", adb.ClientOptions{})
	if _, err := c.Connect(context.Background(), "127.0.0.1:40001"); !errors.Is(err, adb.ErrServerUnreachable) {
		t.Errorf("Connect with no server: %v, want ErrServerUnreachable", err)
	}
}
