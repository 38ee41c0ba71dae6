package fake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// listener is what the host-protocol Server and the device Daemon share:
// a TCP listener, the connections being served (so Close can end them),
// request counters, the panics recovered while serving, a log, and a
// Close that waits for every goroutine, so soak tests can check for
// leaks. C is the connection type each keeps.
type listener[C comparable] struct {
	name string // prefixes log lines and errors: "fake adb server"
	ln   net.Listener
	log  io.Writer
	// maxConns caps the connections served at once; beyond it a new one
	// is closed at once. idle bounds the wait for a client's request.
	maxConns int
	idle     time.Duration

	// ctx is the parent of every connection's context; close cancels it.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // the accept loop and everything it starts

	mu       sync.Mutex // guards the fields below and the owner's own
	conns    map[C]struct{}
	requests map[string]int
	panics   []string
	closed   bool
	refused  int // connections refused over maxConns

	logMu sync.Mutex
}

// Defaults of the connection limits (ServerOptions, DaemonOptions).
const (
	// DefaultMaxConns: a fleet of phones takes a few connections each.
	DefaultMaxConns = 1024
	// DefaultIdleTimeout: clients send their request as they connect.
	DefaultIdleTimeout = 30 * time.Second
)

func newListener[C comparable](name, addr string, log io.Writer, maxConns int, idle time.Duration) (*listener[C], error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: listen on %s: %w", name, addr, err)
	}
	if maxConns <= 0 {
		maxConns = DefaultMaxConns
	}
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &listener[C]{
		name: name, ln: ln, log: log, maxConns: maxConns, idle: idle, ctx: ctx, cancel: cancel,
		conns: make(map[C]struct{}), requests: make(map[string]int),
	}, nil
}

// Addr is the address listened on, HOST:PORT.
func (l *listener[C]) Addr() string { return l.ln.Addr().String() }

// Requests counts what was served so far, by kind.
func (l *listener[C]) Requests() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.requests)
}

// serve accepts connections until the listener closes, handing each to
// handle; handle returns false when the owner is closing.
func (l *listener[C]) serve(handle func(net.Conn) bool) {
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for {
			nc, err := l.ln.Accept()
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					continue
				}
				if !errors.Is(err, net.ErrClosed) {
					l.logf("accept failed, no longer serving: %v", err)
				}
				return
			}
			if l.full() {
				_ = nc.Close()
				continue
			}
			if !handle(nc) {
				_ = nc.Close()
				return
			}
		}
	}()
}

// full reports whether maxConns connections are being served; a new one
// is then refused (counted as "refused-conn" and logged, the first and
// every 100th time).
func (l *listener[C]) full() bool {
	l.mu.Lock()
	if len(l.conns) < l.maxConns {
		l.mu.Unlock()
		return false
	}
	l.refused++
	l.requests["refused-conn"]++
	n := l.refused
	l.mu.Unlock()
	if n == 1 || n%100 == 0 {
		l.logf("refused a connection: %d open, the limit (%d connections refused so far)", l.maxConns, n)
	}
	return true
}

// track registers c so close can end it; false once closing.
func (l *listener[C]) track(c C) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.conns[c] = struct{}{}
	return true
}

func (l *listener[C]) untrack(c C) {
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
}

// tracked returns the connections being served.
func (l *listener[C]) tracked() []C {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]C, 0, len(l.conns))
	for c := range l.conns {
		out = append(out, c)
	}
	return out
}

func (l *listener[C]) count(kind string) {
	l.mu.Lock()
	l.requests[kind]++
	l.mu.Unlock()
}

func (l *listener[C]) logf(format string, args ...any) {
	if l.log == nil {
		return
	}
	line := fmt.Sprintf(format, args...)
	if !strings.HasSuffix(line, "\n") {
		line += "\n"
	}
	l.logMu.Lock()
	defer l.logMu.Unlock()
	_, _ = io.WriteString(l.log, l.name+": "+line)
}

// recordPanic keeps and logs a recovered panic. Only runtime errors are
// quoted: other panic values may be built from what a client sent.
func (l *listener[C]) recordPanic(r any, where string) {
	desc := fmt.Sprintf("panic of type %T", r)
	if re, ok := r.(runtime.Error); ok {
		desc = "panic: " + re.Error()
	}
	desc += where
	l.mu.Lock()
	l.panics = append(l.panics, desc)
	l.mu.Unlock()
	l.logf("recovered %s\n%s", desc, debug.Stack())
}

// close stops listening, cancels every connection's context, ends each
// connection with drop and waits for every goroutine. It reports panics
// recovered while serving, so a test that checks the error notices them.
func (l *listener[C]) close(drop func(C)) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()

	err := l.ln.Close()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	l.cancel()
	for _, c := range l.tracked() {
		drop(c)
	}
	l.wg.Wait()

	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.panics) > 0 {
		err = errors.Join(err, fmt.Errorf("%s: recovered %d panic(s) while serving; first: %s", l.name, len(l.panics), l.panics[0]))
	}
	return err
}
