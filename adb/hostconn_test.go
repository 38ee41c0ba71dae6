package adb_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake/faketest"
)

// silentServer accepts connections, reads what the client sends and never
// answers: a stuck ADB server. It is a real socket peer, not a mock of
// the client's code.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); _, _ = io.Copy(io.Discard, c) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// closedPort returns an address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestServerUnreachable(t *testing.T) {
	addr := closedPort(t)
	c := adb.NewClient(addr, adb.ClientOptions{})
	ctx := context.Background()
	_, err := c.Devices(ctx)
	if !errors.Is(err, adb.ErrServerUnreachable) || !strings.Contains(err.Error(), addr) {
		t.Errorf("Devices: %v, want ErrServerUnreachable naming %s", err, addr)
	}
	_, err = c.Version(ctx)
	if !errors.Is(err, adb.ErrServerUnreachable) {
		t.Errorf("Version: %v, want ErrServerUnreachable", err)
	}
	_, err = c.Device(ctx, "")
	if !errors.Is(err, adb.ErrServerUnreachable) {
		t.Errorf("Device: %v, want ErrServerUnreachable", err)
	}
}

// TestStuckServerTimesOut: every kind of call returns ErrTimeout by its
// deadline when the server accepts and never answers.
func TestStuckServerTimesOut(t *testing.T) {
	addr := silentServer(t)
	c := adb.NewClient(addr, adb.ClientOptions{CallTimeout: 200 * time.Millisecond})
	calls := map[string]func(context.Context) error{
		"devices": func(ctx context.Context) error { _, err := c.Devices(ctx); return err },
		"version": func(ctx context.Context) error { _, err := c.Version(ctx); return err },
		"device":  func(ctx context.Context) error { _, err := c.Device(ctx, "x"); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			err := call(context.Background())
			if !errors.Is(err, adb.ErrTimeout) {
				t.Fatalf("error = %v, want ErrTimeout", err)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error = %v, want it to match context.DeadlineExceeded too", err)
			}
			// Generous bound: the point is "returns", not how fast.
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("returned after %v", d)
			}
		})
	}
}

// TestCancelIsNotTimeout: a cancelled ctx (Ctrl-C) is context.Canceled,
// not ErrTimeout.
func TestCancelIsNotTimeout(t *testing.T) {
	addr := silentServer(t)
	c := adb.NewClient(addr, adb.ClientOptions{CallTimeout: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := c.Devices(ctx); errc <- err }()
	cancel()
	err := <-errc
	if !errors.Is(err, context.Canceled) || errors.Is(err, adb.ErrTimeout) {
		t.Errorf("error = %v, want context.Canceled and not ErrTimeout", err)
	}
}

func TestWithCallTimeoutOverrides(t *testing.T) {
	addr := silentServer(t)
	c := adb.NewClient(addr, adb.ClientOptions{CallTimeout: time.Hour})
	ctx := adb.WithCallTimeout(context.Background(), 100*time.Millisecond)
	if _, err := c.Devices(ctx); !errors.Is(err, adb.ErrTimeout) {
		t.Errorf("error = %v, want ErrTimeout from the overriding call timeout", err)
	}
}

// An address that is not an ADB server is told within the probe timeout,
// not after the call's, with what it answered.
func TestNotADBServer(t *testing.T) {
	web := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(web.Close)
	webAddr := strings.TrimPrefix(web.URL, "http://")
	chatty := scriptedServer(t, func(string) []byte { return []byte("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n\r\n") })
	binary := scriptedServer(t, func(string) []byte { return []byte{0x16, 0x03, 0x01, 0x00} })
	for _, tc := range []struct {
		name, addr, want string
	}{
		{"an HTTP server (waits for a whole line)", webAddr, "answered nothing to host:version within 500ms"},
		{"a server that answers at once", chatty, `answered "HTTP/1.1 400 Bad Request\r\nContent-Type: text/pla"`}, // its first 48 bytes
		{"binary", binary, `answered "\x16\x03\x01\x00"`},
		{"silent", silentServer(t), "answered nothing to host:version within 500ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := adb.NewClient(tc.addr, adb.ClientOptions{CallTimeout: 30 * time.Second})
			start := time.Now()
			_, err := c.Version(context.Background())
			if !errors.Is(err, adb.ErrNotADBServer) || errors.Is(err, adb.ErrTimeout) {
				t.Fatalf("Version = %v, want ErrNotADBServer", err)
			}
			if !strings.Contains(err.Error(), tc.addr) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("message %q does not name %s and say %s", err, tc.addr, tc.want)
			}
			// Generous bound for a loaded machine; the call's own
			// timeout is 30 s.
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %s", d)
			}
		})
	}
	// A real (fake) ADB server passes the check.
	env := faketest.Serve(t, faketest.Options{})
	if v, err := env.Client.Version(context.Background()); err != nil || v != 41 {
		t.Errorf("Version of an ADB server = %d, %v", v, err)
	}
}
