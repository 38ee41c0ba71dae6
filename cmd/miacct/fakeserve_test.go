package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serveUntilListening runs `fake serve` in the background until the test
// ends and returns its address and stderr.
func serveUntilListening(t *testing.T, opts FakeServeOptions) (string, *syncBuffer) {
	t.Helper()
	addrFile := filepath.Join(t.TempDir(), "addr")
	stderr := &syncBuffer{}
	opts.App = &App{IO: &IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: stderr, Getenv: func(string) string { return "" }}}
	opts.AddrFile = addrFile
	if opts.Copies == 0 {
		opts.Copies = 1
	}
	done := make(chan error, 1)
	ctx, stop := context.WithCancel(context.Background())
	go func() { done <- runFakeServe(ctx, &opts) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("fake serve: %v", err)
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; {
		if data, err := os.ReadFile(addrFile); err == nil && bytes.HasSuffix(data, []byte("\n")) {
			return strings.TrimSpace(string(data)), stderr
		}
		if time.Now().After(deadline) {
			t.Fatalf("fake serve wrote no address; stderr: %s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond) // waiting for the server goroutine to listen
	}
}

// Listening beyond loopback is allowed, with a warning: the fake's phones
// obey whoever connects.
func TestFakeServeWarnsWhenNotLoopback(t *testing.T) {
	_, stderr := serveUntilListening(t, FakeServeOptions{Scenarios: []string{"miui14-en"}, Listen: "0.0.0.0:0"})
	if !strings.Contains(stderr.String(), "warning: the fake ADB server listens on ") {
		t.Errorf("no warning for 0.0.0.0; stderr: %s", stderr.String())
	}
	_, quiet := serveUntilListening(t, FakeServeOptions{Scenarios: []string{"miui14-en"}, Listen: "127.0.0.1:0"})
	if strings.Contains(quiet.String(), "warning") {
		t.Errorf("a warning for loopback: %s", quiet.String())
	}
	_, adbd := serveUntilListening(t, FakeServeOptions{Scenarios: []string{"miui14-en"}, Listen: "0.0.0.0:0", ADBD: true})
	if !strings.Contains(adbd.String(), "warning: the fake adbd listens on ") {
		t.Errorf("no warning for the daemon on 0.0.0.0; stderr: %s", adbd.String())
	}
}
