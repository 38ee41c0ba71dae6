package adb

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// stalledServer answers the transport switch of any request with OKAY and
// then never answers again: a device whose command never returns, seen
// through a real socket.
func stalledServer(t *testing.T) string {
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
			go func() {
				defer wg.Done()
				var head [4]byte
				if _, err := io.ReadFull(c, head[:]); err != nil {
					return
				}
				var n int
				for _, ch := range head {
					n = n*16 + strings.IndexByte("0123456789abcdef", ch)
				}
				req := make([]byte, n)
				if _, err := io.ReadFull(c, req); err != nil {
					return
				}
				if bytes.HasPrefix(req, []byte("host:transport:")) || bytes.Contains(req, []byte("wait-for-")) {
					_, _ = c.Write([]byte("OKAY"))
				}
				_, _ = io.Copy(io.Discard, c)
			}()
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

func TestDeviceCallsHonourDeadline(t *testing.T) {
	addr := stalledServer(t)
	d := &serverDevice{client: NewClient(addr, ClientOptions{CallTimeout: 150 * time.Millisecond}), serial: "X"}
	calls := map[string]func(context.Context) error{
		"shell": func(ctx context.Context) error { _, err := d.Shell(ctx, "input text secret"); return err },
		"exec":  func(ctx context.Context) error { _, err := d.Exec(ctx, "screencap -p"); return err },
		"wait":  d.WaitForDevice,
		"state": func(ctx context.Context) error { _, err := d.State(ctx); return err },
		"push": func(ctx context.Context) error {
			return d.Push(ctx, strings.NewReader("data"), "/data/local/tmp/x", 0o644, time.Time{})
		},
		"pull":   func(ctx context.Context) error { return d.Pull(ctx, "/data/local/tmp/x", io.Discard) },
		"reboot": d.Reboot,
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			err := call(context.Background())
			if !errors.Is(err, ErrTimeout) {
				t.Fatalf("error = %v, want ErrTimeout", err)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q shows the command", err)
			}
			if elapsed := time.Since(start); elapsed > 10*time.Second {
				t.Errorf("returned after %v", elapsed)
			}
		})
	}
	// A longer ctx deadline does not lift the per-call timeout, and
	// WithCallTimeout does.
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	if err := d.WaitForDevice(ctx); !errors.Is(err, ErrTimeout) {
		t.Errorf("wait under a long ctx: %v, want ErrTimeout from the call timeout", err)
	}
	short, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if err := d.WaitForDevice(WithCallTimeout(short, time.Hour)); !errors.Is(err, ErrTimeout) {
		t.Errorf("wait under a short ctx: %v, want ErrTimeout from the ctx", err)
	}
}
