package faketest_test

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake/faketest"
	"github.com/miacct/miacct/adb/fake/phone"
)

func TestDeviceTalksToThePhone(t *testing.T) {
	dev, ph := faketest.Device(t, "miui14-en")
	model, err := adb.Prop(context.Background(), dev, "ro.product.model")
	if err != nil || model != "23021RAAEG" {
		t.Fatalf("model %q, %v", model, err)
	}
	if dev.Serial() != ph.Serial() {
		t.Errorf("device %s, phone %s", dev.Serial(), ph.Serial())
	}
	if ph.Counters().Shell != 1 {
		t.Errorf("the phone saw %d shell calls, want 1", ph.Counters().Shell)
	}
}

// Everything is closed when the test ends.
func TestCleanupClosesTheServer(t *testing.T) {
	var addr string
	t.Run("inner", func(t *testing.T) {
		env := faketest.Start(t, faketest.Fixture(t, "miui14-en"), faketest.Options{})
		addr = env.Server.Addr()
	})
	conn, err := net.Dial("tcp", addr)
	if err == nil {
		_ = conn.Close()
		t.Fatalf("%s still accepts connections after the test ended", addr)
	}
}

// A phone that is not usable over ADB gets no Device; the client says why.
func TestStartUnauthorized(t *testing.T) {
	fx := faketest.Fixture(t, "miui14-en")
	fx.State = "unauthorized"
	env := faketest.Start(t, fx, faketest.Options{Phone: phone.Options{Serial: "S1"}})
	if env.Device != nil {
		t.Fatal("an unauthorized phone got a Device")
	}
	if _, err := env.Client.Device(context.Background(), "S1"); !errors.Is(err, adb.ErrUnauthorized) {
		t.Errorf("Device: %v, want ErrUnauthorized", err)
	}
}

func TestServeSeveral(t *testing.T) {
	var targets []*phone.Phone
	for _, serial := range []string{"A", "B"} {
		ph, err := phone.New(faketest.Fixture(t, "miui14-en"), phone.Options{Serial: serial})
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, ph)
	}
	env := faketest.Serve(t, faketest.Options{}, targets[0], targets[1])
	if env.Device != nil || env.Phone != nil {
		t.Error("Device and Phone are for one phone only")
	}
	list, err := env.Client.Devices(context.Background())
	if err != nil || len(list) != 2 {
		t.Fatalf("devices %v, %v", list, err)
	}
}
