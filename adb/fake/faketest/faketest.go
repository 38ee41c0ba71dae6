// Package faketest gives a test a simulated phone behind a real loopback
// ADB server, as net/http/httptest gives it an HTTP server:
//
//	dev, ph := faketest.Device(t, "miui14-en")
//	// talk to dev as to any phone; ask ph what happened
//
// Everything is closed when the test ends (t.Cleanup); a panic the fake
// server recovered while serving fails the test then.
package faketest

import (
	"context"
	"errors"
	"testing"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake"
	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/adb/fake/phone"
	"github.com/miacct/miacct/fixtures"
)

// Env is a fake ADB server with its client, and the phone it serves.
type Env struct {
	// Phone is the simulated phone (nil when Serve was given other
	// targets), for assertions: Accounts, Screen, TypedText, Counters...
	Phone  *phone.Phone
	Server *fake.Server
	Client *adb.Client
	// Device is the only served device, reached through Client; nil when
	// it is not usable (an unauthorized or offline fixture) or when
	// several targets are served: ask Client then.
	Device adb.Device
}

// Options adjust an Env; the zero value is what Device uses.
type Options struct {
	Phone  phone.Options
	Server fake.ServerOptions
	Client adb.ClientOptions
}

// Device returns a device connected through a fake ADB server to a fresh
// phone made from ref (a built-in fixture name or a fixture directory),
// and the phone.
func Device(t testing.TB, ref string) (adb.Device, *phone.Phone) {
	t.Helper()
	env := Start(t, Fixture(t, ref), Options{})
	if env.Device == nil {
		t.Fatalf("faketest: fixture %s: the phone is not usable over ADB (unauthorized or offline): use Start", ref)
	}
	return env.Device, env.Phone
}

// Fixture loads ref (a built-in fixture name or a fixture directory) for
// a test that changes it before starting a phone of it.
func Fixture(t testing.TB, ref string) *fixture.Fixture {
	t.Helper()
	fx, err := fixture.Loader{Builtin: fixtures.FS()}.Load(ref)
	if err != nil {
		t.Fatalf("faketest: load fixture %s: %v", ref, err)
	}
	return fx
}

// Start serves a fresh phone made from fx.
func Start(t testing.TB, fx *fixture.Fixture, opts Options) *Env {
	t.Helper()
	ph, err := phone.New(fx, opts.Phone)
	if err != nil {
		t.Fatalf("faketest: %v", err)
	}
	env := Serve(t, opts, ph)
	env.Phone = ph
	return env
}

// Serve serves targets (phones of other options, or Targets wrapping
// them) on a fake ADB server.
func Serve(t testing.TB, opts Options, targets ...fake.Target) *Env {
	t.Helper()
	srv, err := fake.Listen("127.0.0.1:0", opts.Server, targets...)
	if err != nil {
		t.Fatalf("faketest: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("faketest: fake ADB server: %v", err)
		}
	})
	env := &Env{Server: srv, Client: adb.NewClient(srv.Addr(), opts.Client)}
	if len(targets) == 1 {
		dev, err := env.Client.Device(context.Background(), targets[0].Serial())
		switch {
		case err == nil:
			env.Device = dev
		case errors.Is(err, adb.ErrUnauthorized), errors.Is(err, adb.ErrOffline):
		default:
			t.Fatalf("faketest: %v", err)
		}
	}
	return env
}
