package fake

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
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
	ln  net.Listener
	log io.Writer

	// ctx is the parent of every service's context; Close cancels it.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // accept loop and one per connection

	mu       sync.Mutex
	targets  []*targetEntry
	changed  chan struct{} // closed and replaced when the target set changes
	conns    map[net.Conn]struct{}
	requests map[string]int
	panics   []string
	closed   bool

	logMu sync.Mutex
}

// ServerOptions configure a Server.
type ServerOptions struct {
	// Log, if set, receives one line per request: its kind and the
	// device serial. Never the request text: a shell command may carry a
	// typed password.
	Log io.Writer
}

// targetEntry is a Target with the transport id it was registered under.
// The id doubles as its USB port number (fake devices are all USB).
type targetEntry struct {
	target Target
	id     uint64
}

// NewServer starts a server on 127.0.0.1 at a free port serving targets.
func NewServer(targets ...Target) (*Server, error) {
	return ListenWith(ServerOptions{}, "127.0.0.1:0", targets...)
}

// NewServerWith is NewServer with options.
func NewServerWith(opts ServerOptions, targets ...Target) (*Server, error) {
	return ListenWith(opts, "127.0.0.1:0", targets...)
}

// Listen starts a server on addr (HOST:PORT) serving targets.
func Listen(addr string, targets ...Target) (*Server, error) {
	return ListenWith(ServerOptions{}, addr, targets...)
}

// ListenWith is Listen with options.
func ListenWith(opts ServerOptions, addr string, targets ...Target) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("fake adb server: listen on %s: %w", addr, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		ln:       ln,
		log:      opts.Log,
		ctx:      ctx,
		cancel:   cancel,
		changed:  make(chan struct{}),
		conns:    make(map[net.Conn]struct{}),
		requests: make(map[string]int),
	}
	for _, t := range targets {
		s.Add(t)
	}
	s.wg.Add(1)
	go s.acceptLoop()
	return s, nil
}

// Addr is the address the server listens on, HOST:PORT.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Add serves one more device. Its transport id (and USB port) is its
// position among all targets added so far, starting at 1.
func (s *Server) Add(t Target) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.targets = append(s.targets, &targetEntry{target: t, id: uint64(len(s.targets) + 1)})
	close(s.changed) // wake device trackers and waiters
	s.changed = make(chan struct{})
}

// Targets returns the served devices in the order they were added.
func (s *Server) Targets() []Target {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Target, len(s.targets))
	for i, e := range s.targets {
		out[i] = e.target
	}
	return out
}

// Requests counts the requests served so far by kind: version, devices,
// transport, shell, exec, sync, reboot, wait, state, features, other.
func (s *Server) Requests() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.requests)
}

// Close stops listening, cancels the context of every running service,
// closes every connection and waits until all of the server's goroutines
// have ended. It reports panics recovered while serving connections, so a
// test that checks Close's error notices them.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	conns := make([]net.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()

	err := s.ln.Close()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	s.cancel()
	for _, c := range conns {
		_ = c.Close()
	}
	s.wg.Wait()

	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.panics) > 0 {
		err = errors.Join(err, fmt.Errorf("fake adb server: recovered %d panic(s) while serving; first: %s",
			len(s.panics), s.panics[0]))
	}
	return err
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			if !errors.Is(err, net.ErrClosed) {
				s.logf("accept failed, no longer serving: %v", err)
			}
			return
		}
		if !s.trackConn(conn) {
			_ = conn.Close()
			return
		}
		s.wg.Add(1)
		go s.serveConn(conn)
	}
}

// trackConn registers conn so that Close can close it; false once the
// server is closed.
func (s *Server) trackConn(conn net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[conn] = struct{}{}
	return true
}

func (s *Server) untrackConn(conn net.Conn) {
	s.mu.Lock()
	delete(s.conns, conn)
	s.mu.Unlock()
	_ = conn.Close()
}

func (s *Server) serveConn(conn net.Conn) {
	defer s.wg.Done()
	defer s.untrackConn(conn)
	hc := &hostConn{srv: s, conn: conn, br: bufio.NewReader(conn)}
	// Last resort: garbage or a buggy Target must not take the server
	// down. Deferred after untrackConn, so it runs first.
	defer func() {
		if r := recover(); r != nil {
			s.recordPanic(hc, r)
		}
	}()
	hc.serve()
}

// recordPanic keeps and logs a recovered panic. Only runtime errors are
// quoted: other panic values may be built from request text.
func (s *Server) recordPanic(hc *hostConn, r any) {
	desc := fmt.Sprintf("panic of type %T", r)
	if re, ok := r.(runtime.Error); ok {
		desc = "panic: " + re.Error()
	}
	desc = fmt.Sprintf("%s (request kind %q, serial %q)", desc, hc.kind, hc.serial)
	s.mu.Lock()
	s.panics = append(s.panics, desc)
	s.mu.Unlock()
	s.logf("recovered %s\n%s", desc, debug.Stack())
}

// note counts a request and logs its kind and serial.
func (s *Server) note(kind, serial string) {
	s.mu.Lock()
	s.requests[kind]++
	s.mu.Unlock()
	switch {
	case serial == "":
		serial = "-"
	case len(serial) > 128 || strings.ContainsFunc(serial, unicode.IsControl):
		// A serial comes from the client: keep a hostile one to one line.
		serial = strconv.Quote(serial[:min(len(serial), 128)])
	}
	s.logf("%s %s", kind, serial)
}

func (s *Server) logf(format string, args ...any) {
	if s.log == nil {
		return
	}
	line := fmt.Sprintf(format, args...)
	if !strings.HasSuffix(line, "\n") {
		line += "\n"
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	_, _ = io.WriteString(s.log, "fake adb server: "+line)
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
