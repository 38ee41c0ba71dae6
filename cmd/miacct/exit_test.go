package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/hierarchy"
)

// Output the phone or server garbled is a device problem (exit 7, with a
// failure report), not a bug of miacct (exit 1).
func TestBadOutputExitsSeven(t *testing.T) {
	for _, err := range []error{
		adb.ErrBadOutput, adb.ErrProtocol, adb.ErrOutputTooLarge, adb.ErrEmptyDump, adb.ErrNotPNG,
		hierarchy.ErrMalformed, hierarchy.ErrTruncated, hierarchy.ErrTooLarge,
	} {
		wrapped := fmt.Errorf("read screen: %w", err)
		if got := ExitCode(wrapped); got != ExitTimeout {
			t.Errorf("ExitCode(%v) = %d, want %d", wrapped, got, ExitTimeout)
		}
		if !needsFailureReport(wrapped) {
			t.Errorf("no failure report for %v", wrapped)
		}
	}
}

// garblingServer is an ADB server whose device list announces more bytes
// than it sends.
func garblingServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				var head [4]byte
				if _, err := io.ReadFull(c, head[:]); err != nil {
					return
				}
				n, _ := strconv.ParseUint(string(head[:]), 16, 16)
				req := make([]byte, n)
				if _, err := io.ReadFull(c, req); err != nil {
					return
				}
				switch string(req) {
				case "host:version":
					_, _ = io.WriteString(c, "OKAY00040029")
				default:
					_, _ = io.WriteString(c, "OKAY0100abc device\n")
				}
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

func TestGarbledDeviceListExitsSeven(t *testing.T) {
	r := runMain("", nil, "--adb", garblingServer(t), "devices")
	if r.code != ExitTimeout {
		t.Fatalf("exit %d, want %d; stderr: %s", r.code, ExitTimeout, r.stderr)
	}
	if !strings.Contains(r.stderr, "announced 256 bytes and sent 11") {
		t.Errorf("stderr %q does not say what the server did", r.stderr)
	}
}

// --adb at something that is not an ADB server fails at once with exit 3
// and says what it is, instead of waiting the whole call timeout.
func TestNotADBServerExitsThree(t *testing.T) {
	web := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(web.Close)
	addr := strings.TrimPrefix(web.URL, "http://")
	start := time.Now()
	r := runMain("", nil, "--adb", addr, "devices")
	if r.code != ExitNoDevice {
		t.Fatalf("exit %d, want %d; stderr: %s", r.code, ExitNoDevice, r.stderr)
	}
	if !strings.Contains(r.stderr, "not an ADB server") || !strings.Contains(r.stderr, addr) {
		t.Errorf("stderr %q does not say %s is not an ADB server", r.stderr, addr)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s (the call timeout is 30 s)", d)
	}
}
