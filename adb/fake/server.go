package fake

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Server is an ADB server on a TCP port that serves Targets, the way
// httptest.Server serves an http.Handler: ADB clients (gadb, the host
// protocol of the adb CLI) talk to it unchanged over a real socket.
//
// It speaks the host protocol (version, device lists, transport selection,
// get-state, wait-for, ...) itself and hands device services (shell:,
// exec:, sync:, reboot:) to the selected Target.
type Server struct {
	*listener[net.Conn]

	targets []*targetEntry // guarded by mu
	changed chan struct{}  // closed and replaced when the target set changes
	nextID  uint64         // the last transport id given; guarded by mu
}

// ServerOptions configure a Server.
type ServerOptions struct {
	// Log, if set, receives one line per request: its kind and the
	// device serial. Never the request text: a shell command may carry a
	// typed password.
	Log io.Writer
	// MaxConns caps the connections served at once (DefaultMaxConns when
	// zero); more are closed as they come, and logged.
	MaxConns int
	// IdleTimeout bounds how long a connection may wait to send its
	// next request (DefaultIdleTimeout when zero); then it is closed.
	// Services that run (shell, wait-for, track-devices) are not bound.
	IdleTimeout time.Duration
}

// targetEntry is a Target with the transport id it was registered under.
// The id doubles as its USB port number (fake devices are all USB).
type targetEntry struct {
	target Target
	id     uint64
	// ctx ends when the target is removed (unplugged): the services
	// running on it end with it, as a real transport's streams close.
	ctx    context.Context
	unplug context.CancelFunc
}

// NewServer starts a server on 127.0.0.1 at a free port serving targets,
// as httptest.NewServer does for a handler.
func NewServer(targets ...Target) (*Server, error) {
	return Listen("127.0.0.1:0", ServerOptions{}, targets...)
}

// Listen starts a server on addr (HOST:PORT; port 0 picks a free one)
// serving targets.
func Listen(addr string, opts ServerOptions, targets ...Target) (*Server, error) {
	l, err := newListener[net.Conn]("fake adb server", addr, opts.Log, opts.MaxConns, opts.IdleTimeout)
	if err != nil {
		return nil, err
	}
	s := &Server{listener: l, changed: make(chan struct{})}
	for _, t := range targets {
		s.Add(t)
	}
	s.serve(s.accept)
	return s, nil
}

// Add serves one more device, as if plugged in. Its transport id (and
// USB port) counts the targets added so far, starting at 1, and is never
// given again, as adb's are not.
func (s *Server) Add(t Target) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	ctx, unplug := context.WithCancel(s.ctx)
	s.targets = append(s.targets, &targetEntry{target: t, id: s.nextID, ctx: ctx, unplug: unplug})
	s.changedLocked()
}

// Remove stops serving the device listed under serial, as if its cable
// were pulled: it leaves the device list (trackers hear of it), and the
// services running on it end, so their clients see the connection drop.
// It reports whether such a device was served.
func (s *Server) Remove(serial string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, e := range s.targets {
		if e.target.Serial() == serial {
			e.unplug()
			s.targets = append(s.targets[:i:i], s.targets[i+1:]...)
			s.changedLocked()
			return true
		}
	}
	return false
}

// changedLocked wakes device trackers and waiters.
func (s *Server) changedLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Requests (from listener) counts the requests served by kind: version,
// devices, transport, shell, exec, sync, reboot, wait, state, features,
// other.

// Close stops listening, cancels the context of every running service,
// closes every connection and waits until all of the server's goroutines
// have ended. It reports panics recovered while serving connections, so a
// test that checks Close's error notices them.
func (s *Server) Close() error {
	return s.close(func(c net.Conn) { _ = c.Close() })
}

// accept starts serving one client connection; false once closing.
func (s *Server) accept(conn net.Conn) bool {
	if !s.track(conn) {
		return false
	}
	s.wg.Add(1)
	go s.serveConn(conn)
	return true
}

func (s *Server) serveConn(conn net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.untrack(conn)
		_ = conn.Close()
	}()
	hc := &hostConn{srv: s, conn: conn, br: bufio.NewReader(conn)}
	// Last resort: garbage or a buggy Target must not take the server
	// down. Deferred after untrackConn, so it runs first.
	defer func() {
		if r := recover(); r != nil {
			s.recordPanic(r, fmt.Sprintf(" (request kind %q, serial %q)", hc.kind, hc.serial))
		}
	}()
	hc.serve()
}

// note counts a request and logs its kind and serial.
func (s *Server) note(kind, serial string) {
	s.count(kind)
	switch {
	case serial == "":
		serial = "-"
	case len(serial) > 128 || strings.ContainsFunc(serial, unicode.IsControl):
		// A serial comes from the client: keep a hostile one to one line.
		serial = strconv.Quote(serial[:min(len(serial), 128)])
	}
	s.logf("%s %s", kind, serial)
}

// snapshot returns the registered targets and a channel closed at the next
// change of the target set.
func (s *Server) snapshot() ([]*targetEntry, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*targetEntry(nil), s.targets...), s.changed
}

// clientStreamLimit bounds what a device service may leave unread.
const clientStreamLimit = 1 << 20

// clientStream is what a device service reads: the client's bytes after
// the service request. A goroutine pumps them from the connection so that
// the client hanging up is noticed while the service is busy writing, the
// way adbd sees the CLSE of a closed stream. The hang-up cancels the
// service's context once the service has read everything sent before it
// (data sent before a close is still delivered, as with adb).
type clientStream struct {
	mu      sync.Mutex
	cond    sync.Cond
	buf     []byte
	eof     bool // the pump has stopped: the client is gone
	stopped bool // the connection is being torn down
	discard bool // nobody reads: drop the client's bytes
	hangup  context.CancelFunc
	done    chan struct{}
}

func startClientStream(src io.Reader, hangup context.CancelFunc, discard bool) *clientStream {
	cs := &clientStream{hangup: hangup, discard: discard, done: make(chan struct{})}
	cs.cond.L = &cs.mu
	go cs.pump(src)
	return cs
}

func (cs *clientStream) pump(src io.Reader) {
	defer close(cs.done)
	chunk := make([]byte, 32<<10)
	for {
		n, err := src.Read(chunk)
		cs.mu.Lock()
		if n > 0 && !cs.discard {
			for len(cs.buf) >= clientStreamLimit && !cs.stopped {
				cs.cond.Wait()
			}
			cs.buf = append(cs.buf, chunk[:n]...)
			cs.cond.Broadcast()
		}
		if err != nil || cs.stopped {
			cs.eof = true
			if len(cs.buf) == 0 {
				cs.hangup()
			}
			cs.cond.Broadcast()
			cs.mu.Unlock()
			return
		}
		cs.mu.Unlock()
	}
}

// Read returns the client's bytes, then io.EOF once the client is gone.
func (cs *clientStream) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for len(cs.buf) == 0 && !cs.eof {
		cs.cond.Wait()
	}
	if len(cs.buf) == 0 {
		cs.hangup()
		return 0, io.EOF
	}
	n := copy(p, cs.buf)
	cs.buf = cs.buf[n:]
	if len(cs.buf) == 0 && cs.eof {
		cs.hangup()
	}
	cs.cond.Broadcast() // room for the pump
	return n, nil
}

// stop closes conn and waits for the pump to end.
func (cs *clientStream) stop(conn net.Conn) {
	cs.mu.Lock()
	cs.stopped = true
	cs.cond.Broadcast()
	cs.mu.Unlock()
	_ = conn.Close()
	<-cs.done
}

// serviceStream is the io.ReadWriter a Service gets: reads come from the
// pumped client stream, writes go straight to the connection.
type serviceStream struct {
	in  *clientStream
	out net.Conn
}

func (ss serviceStream) Read(p []byte) (int, error)  { return ss.in.Read(p) }
func (ss serviceStream) Write(p []byte) (int, error) { return ss.out.Write(p) }
