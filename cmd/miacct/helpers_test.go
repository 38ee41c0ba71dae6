package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake"
	"github.com/miacct/miacct/adb/fake/faketest"
	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/adb/fake/phone"
)

// run is one in-process invocation of the CLI.
type run struct {
	args   []string
	code   int
	stdout string
	stderr string
}

// runMain runs miacct in-process with stdin and an environment of its
// own (no terminal), as the binary would run in a script.
// Its streams are safe for concurrent writes, as the process's are: with
// -v the in-process fake phone logs to stderr from the server's goroutines.
func runMain(stdin string, env map[string]string, args ...string) run {
	var out, errOut syncBuffer
	streams := &IOStreams{
		In:     strings.NewReader(stdin),
		Out:    &out,
		ErrOut: &errOut,
		Getenv: func(k string) string { return env[k] },
	}
	code := Main(streams, args)
	return run{args: args, code: code, stdout: out.String(), stderr: errOut.String()}
}

// syncBuffer is a buffer several goroutines write to (a phone's and a
// server's log).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// loadBuiltin loads a built-in fixture.
func loadBuiltin(t testing.TB, name string) *fixture.Fixture {
	t.Helper()
	return faketest.Fixture(t, name)
}

// rearmable is one device on a fake server whose phone can be swapped
// for a fresh one between runs: the same serial, the same server, a
// phone that is signed in again.
type rearmable struct {
	mu    sync.Mutex
	phone *phone.Phone
}

func (r *rearmable) current() *phone.Phone {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.phone
}

func (r *rearmable) rearm(p *phone.Phone) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.phone = p
}

func (r *rearmable) Serial() string                       { return r.current().Serial() }
func (r *rearmable) ListState() adb.State                 { return r.current().ListState() }
func (r *rearmable) Attributes() fake.Attributes          { return r.current().Attributes() }
func (r *rearmable) WaitOnline(ctx context.Context) error { return r.current().WaitOnline(ctx) }
func (r *rearmable) Open(ctx context.Context, service string) (fake.Service, error) {
	return r.current().Open(ctx, service)
}
