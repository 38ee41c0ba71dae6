package fake

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miacct/miacct/adb"
)

// Daemon serves one Target the way adbd serves a phone over TCP (`adb
// connect HOST:PORT`): it speaks the ADB transport protocol (CNXN, AUTH,
// OPEN, OKAY, WRTE, CLSE) to a real adb server, which then lists the
// device as HOST:PORT and hands it the device services its clients ask
// for. The Daemon is the counterpart of Server: Server replaces the adb
// server, Daemon sits behind a real one.
//
// Reboots and disconnects: when a stream ends and the Target is no longer
// online (it rebooted, or dropped off ADB), the Daemon drops every TCP
// connection without closing the stream first, as a phone going down
// does; the adb server lists the device offline and reconnects to TCP
// devices on its own (adb 29: about 0.3 s later). The Target's offline
// time is simulated, not slept: the next connection finds the phone back
// (its clock moves to the end of the offline period, as Target.WaitOnline
// does for the host-protocol server), so in real time the device is away
// only as long as the adb server takes to reconnect.
type Daemon struct {
	*listener[*daemonConn]
	target Target
	opts   DaemonOptions
}

// DaemonOptions configure a Daemon.
type DaemonOptions struct {
	// Auth demands authentication: the daemon answers the host's CNXN
	// with AUTH TOKEN and never accepts a signature or key, so the adb
	// server lists the device `unauthorized`. A Target listed
	// unauthorized by its fixture behaves so without it.
	Auth bool
	// Features advertised in the CNXN banner. Nil takes the Target's
	// features. Either way only those the daemon and the fake phone
	// implement are sent: shell_v2 and fixed_push_mkdir.
	Features []string
	// Log, if set, receives one line per connection event and per opened
	// stream (its kind only: a service name may carry typed text).
	Log io.Writer
	// MaxConns caps the connections served at once (DefaultMaxConns when
	// zero); more are closed as they come, and logged.
	MaxConns int
	// IdleTimeout bounds the wait for a new connection's first packet
	// (DefaultIdleTimeout when zero). A connection that has shaken hands
	// may be idle as long as it likes: an adb server keeps it open.
	IdleTimeout time.Duration
}

// daemonFeatures are the features the daemon may advertise: the fake
// phone frames shell v2 and creates parent directories on push. Never
// STLS or delayed_ack: adb 29 does not know them.
var daemonFeatures = []string{"shell_v2", "fixed_push_mkdir"}

// Transport protocol constants (adb.h, protocol.txt).
const (
	aCNXN = 0x4e584e43
	aAUTH = 0x48545541
	aOPEN = 0x4e45504f
	aOKAY = 0x59414b4f
	aWRTE = 0x45545257
	aCLSE = 0x45534c43

	// aVersion is A_VERSION since adb 1.0.32: no data checksums.
	aVersion = 0x01000001
	// maxPayload is MAX_PAYLOAD: the most a packet may carry.
	maxPayload = 1 << 20
	// maxPayloadV1 is what a host of protocol version 0x01000000 takes.
	maxPayloadV1 = 4096
	headerSize   = 24

	authToken        = 1
	authSignature    = 2
	authRSAPublicKey = 3
	authTokenSize    = 20

	// streamInLimit bounds the host's bytes a service has not read yet;
	// above it the OKAY of the host's WRTE waits, which stops the host.
	streamInLimit = 1 << 20
)

// NewDaemon serves t on 127.0.0.1 at a free port.
func NewDaemon(t Target, opts DaemonOptions) (*Daemon, error) {
	return ListenDaemon("127.0.0.1:0", opts, t)
}

// ListenDaemon serves t on addr (HOST:PORT). Keep the port outside
// 5555..5585: adb 29 probes those as emulators.
func ListenDaemon(addr string, opts DaemonOptions, t Target) (*Daemon, error) {
	if t == nil {
		return nil, errors.New("fake adbd: no target")
	}
	l, err := newListener[*daemonConn]("fake adbd", addr, opts.Log, opts.MaxConns, opts.IdleTimeout)
	if err != nil {
		return nil, err
	}
	l.name = "fake adbd " + l.Addr()
	d := &Daemon{listener: l, target: t, opts: opts}
	d.serve(d.accept)
	return d, nil
}

// Addr (from listener) is the address the daemon listens on, HOST:PORT:
// the serial the adb server lists the device under after `adb connect
// ADDR`.

// Requests (from listener) counts what the daemon served by kind:
// connect (TCP connections), cnxn (handshakes answered), auth (tokens
// sent), shell, exec, sync, reboot, other (opened streams), refused (OPENs
// answered with CLSE), drop (connections dropped because the device went
// away).

// Close stops listening, drops every connection, and waits until all the
// daemon's goroutines (services included) have ended. It reports panics
// recovered while serving.
func (d *Daemon) Close() error {
	return d.close(func(c *daemonConn) { c.drop() })
}

// accept starts serving one host connection; false once closing.
func (d *Daemon) accept(nc net.Conn) bool {
	ctx, cancel := context.WithCancel(d.ctx)
	c := &daemonConn{d: d, nc: nc, ctx: ctx, cancel: cancel, streams: make(map[uint32]*daemonStream)}
	if !d.track(c) {
		cancel()
		return false
	}
	d.count("connect")
	d.logf("connection from %s", nc.RemoteAddr())
	d.wg.Add(1)
	go c.serve()
	return true
}

// dropAll drops every connection: the device went away.
func (d *Daemon) dropAll(why string) {
	conns := d.tracked()
	// Counted before the sockets close: whoever sees a connection end
	// sees the drop counted.
	var up []*daemonConn
	for _, c := range conns {
		if c.markDropped() {
			up = append(up, c)
		}
	}
	if len(up) > 0 {
		d.count("drop")
		d.logf("dropping %d connection(s): %s", len(up), why)
	}
	for _, c := range up {
		c.teardown()
	}
}

// banner is the CNXN payload: the device's identity and features.
func (d *Daemon) banner() string {
	attrs := d.target.Attributes()
	features := d.opts.Features
	if features == nil {
		features = attrs.Features
	}
	var adv []string
	for _, f := range features {
		if slices.Contains(daemonFeatures, f) && !slices.Contains(adv, f) {
			adv = append(adv, f)
		}
	}
	return "device::ro.product.name=" + bannerValue(attrs.Product) +
		";ro.product.model=" + bannerValue(attrs.Model) +
		";ro.product.device=" + bannerValue(attrs.Device) +
		";features=" + strings.Join(adv, ",")
}

// bannerValue drops the banner's separators from a property value.
func bannerValue(v string) string {
	return strings.Map(func(r rune) rune {
		if r == ':' || r == ';' || r == '=' || r < 0x20 {
			return -1
		}
		return r
	}, v)
}

// packet is one transport message.
type packet struct {
	cmd, arg0, arg1 uint32
	data            []byte
}

// readPacket reads a header and its payload, checking the magic and the
// size.
func readPacket(r io.Reader, limit uint32) (packet, error) {
	var hdr [headerSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return packet{}, err
	}
	le := binary.LittleEndian
	p := packet{cmd: le.Uint32(hdr[0:]), arg0: le.Uint32(hdr[4:]), arg1: le.Uint32(hdr[8:])}
	n := le.Uint32(hdr[12:])
	if magic := le.Uint32(hdr[20:]); magic != p.cmd^0xffffffff {
		return packet{}, fmt.Errorf("bad magic %08x for command %08x", magic, p.cmd)
	}
	if n > limit {
		return packet{}, fmt.Errorf("payload of %d bytes exceeds %d", n, limit)
	}
	if n > 0 {
		p.data = make([]byte, n)
		if _, err := io.ReadFull(r, p.data); err != nil {
			return packet{}, err
		}
	}
	return p, nil
}

// appendHeader appends the 24-byte header of a packet carrying data. The
// data check (a byte sum) is only written when withSum: since protocol
// version 0x01000001 nobody checks it and a sender may write 0.
func appendHeader(b []byte, cmd, arg0, arg1 uint32, data []byte, withSum bool) []byte {
	var sum uint32
	if withSum {
		for _, c := range data {
			sum += uint32(c)
		}
	}
	le := binary.LittleEndian
	b = le.AppendUint32(b, cmd)
	b = le.AppendUint32(b, arg0)
	b = le.AppendUint32(b, arg1)
	b = le.AppendUint32(b, uint32(len(data)))
	b = le.AppendUint32(b, sum)
	return le.AppendUint32(b, cmd^0xffffffff)
}

// daemonConn is one TCP connection from an adb server.
type daemonConn struct {
	d      *Daemon
	nc     net.Conn
	ctx    context.Context // cancelled when the connection ends
	cancel context.CancelFunc

	wmu sync.Mutex // one packet on the wire at a time

	mu        sync.Mutex
	online    bool   // handshake done: streams may be opened
	auth      bool   // the device demands AUTH
	maxData   uint32 // the most a WRTE to the host may carry
	withSum   bool   // the host is older than aVersion: it checks data sums
	streams   map[uint32]*daemonStream
	nextLocal uint32
	dropped   bool
}

func (c *daemonConn) serve() {
	d := c.d
	defer d.wg.Done()
	defer func() {
		c.drop()
		d.untrack(c)
	}()
	defer func() {
		if r := recover(); r != nil {
			d.recordPanic(r, "")
		}
	}()
	// A phone that is still rebooting answers once it is back.
	switch d.target.ListState() {
	case adb.StateUnauthorized:
		c.auth = true
	case adb.StateDevice:
	default:
		if err := d.target.WaitOnline(c.ctx); err != nil {
			return
		}
	}
	c.auth = c.auth || d.opts.Auth
	br := bufio.NewReaderSize(c.nc, 64<<10)
	_ = c.nc.SetReadDeadline(time.Now().Add(d.idle))
	for first := true; ; first = false {
		p, err := readPacket(br, maxPayload)
		if first {
			_ = c.nc.SetReadDeadline(time.Time{})
		}
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				d.count("idle")
				d.logf("closed a connection that sent nothing for %s", d.idle)
			} else if c.ctx.Err() == nil && !isClosedErr(err) {
				d.logf("connection ends: %v", err)
			}
			return
		}
		if !c.handle(p) {
			return
		}
	}
}

func isClosedErr(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrUnexpectedEOF)
}

// drop ends the connection: every stream's service is cancelled and sees
// the end of its input, and the socket closes.
func (c *daemonConn) drop() {
	if c.markDropped() {
		c.teardown()
	}
}

// markDropped marks the connection as ending; false if it already was.
// No stream is opened on it after this.
func (c *daemonConn) markDropped() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dropped {
		return false
	}
	c.dropped = true
	return true
}

func (c *daemonConn) teardown() {
	c.mu.Lock()
	streams := make([]*daemonStream, 0, len(c.streams))
	for _, s := range c.streams {
		streams = append(streams, s)
	}
	c.mu.Unlock()
	c.cancel()
	for _, s := range streams {
		s.hostGone()
	}
	_ = c.nc.Close()
}

// send writes one packet. The handshake packets always carry their data
// check: the host reads them before it knows our version.
func (c *daemonConn) send(cmd, arg0, arg1 uint32, data []byte) error {
	c.mu.Lock()
	withSum := c.withSum || cmd == aCNXN || cmd == aAUTH
	c.mu.Unlock()
	hdr := appendHeader(make([]byte, 0, headerSize), cmd, arg0, arg1, data, withSum)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	bufs := net.Buffers{hdr}
	if len(data) > 0 {
		bufs = append(bufs, data)
	}
	if _, err := bufs.WriteTo(c.nc); err != nil {
		return fmt.Errorf("send to host: %w", err)
	}
	return nil
}

// handle acts on one packet from the host; false ends the connection.
func (c *daemonConn) handle(p packet) bool {
	switch p.cmd {
	case aCNXN:
		return c.connect(p)
	case aAUTH:
		return c.authPacket(p)
	case aOPEN:
		return c.open(p)
	case aOKAY:
		if s := c.stream(p.arg1, p.arg0); s != nil {
			s.ready()
		}
	case aWRTE:
		// The OKAY goes before the service can see the data, as adbd's
		// does: a service that ends on it (sync's QUIT) closes after it.
		if s := c.stream(p.arg1, p.arg0); s != nil {
			room := s.hasRoom(len(p.data))
			if room && c.send(aOKAY, s.local, s.remote, nil) != nil {
				return false
			}
			s.deliver(p.data, !room)
		}
	case aCLSE:
		// Late and duplicate CLSEs happen: unknown ids are ignored, and a
		// CLSE is never answered with OKAY.
		if s := c.stream(p.arg1, p.arg0); s != nil {
			s.hostGone()
		}
	default:
		c.d.logf("ignored unknown command %08x", p.cmd)
	}
	return true
}

// connect answers the host's CNXN: with our own CNXN, or with an AUTH
// token when the device demands authentication.
func (c *daemonConn) connect(p packet) bool {
	maxData := min(p.arg1, maxPayload)
	if p.arg0 < aVersion {
		maxData = min(maxData, maxPayloadV1)
	}
	if maxData == 0 {
		maxData = maxPayloadV1
	}
	c.mu.Lock()
	c.maxData = maxData
	c.withSum = p.arg0 < aVersion
	auth := c.auth
	if !auth {
		c.online = true
	}
	c.mu.Unlock()
	if auth {
		c.d.logf("host CNXN: demanding authentication")
		return c.sendToken()
	}
	c.d.count("cnxn")
	c.d.logf("host CNXN (version %08x, max payload %d): device online", p.arg0, maxData)
	return c.send(aCNXN, aVersion, maxPayload, []byte(c.d.banner())) == nil
}

// authPacket answers the host's AUTH packets: every signature is refused
// with a fresh token, and an offered key waits forever for a user who
// never accepts it, so the device stays unauthorized.
func (c *daemonConn) authPacket(p packet) bool {
	c.mu.Lock()
	auth := c.auth
	c.mu.Unlock()
	if !auth {
		return true
	}
	switch p.arg0 {
	case authSignature:
		return c.sendToken()
	case authRSAPublicKey:
		c.d.logf("host offered its public key; nobody accepts it")
	}
	return true
}

func (c *daemonConn) sendToken() bool {
	token := make([]byte, authTokenSize)
	_, _ = rand.Read(token)
	c.d.count("auth")
	return c.send(aAUTH, authToken, 0, token) == nil
}

// open starts the service the host asks for on a new stream.
func (c *daemonConn) open(p packet) bool {
	c.mu.Lock()
	online := c.online && !c.dropped
	c.mu.Unlock()
	if !online || p.arg0 == 0 {
		return true // adbd ignores OPEN before the handshake
	}
	remote := p.arg0
	service := strings.TrimRight(string(p.data), "\x00")
	kind := serviceKind(service)
	ctx, cancel := context.WithCancel(c.ctx)
	svc, err := c.d.target.Open(ctx, service)
	if err != nil || svc == nil {
		cancel()
		c.d.count("refused")
		c.d.logf("refused %s stream", kind)
		return c.send(aCLSE, 0, remote, nil) == nil
	}
	c.mu.Lock()
	if c.dropped {
		c.mu.Unlock()
		cancel()
		return false
	}
	c.nextLocal++
	s := &daemonStream{c: c, local: c.nextLocal, remote: remote, ctx: ctx, hangup: cancel}
	s.cond.L = &s.mu
	c.streams[s.local] = s
	c.mu.Unlock()
	c.d.count(kind)
	c.d.logf("%s stream %d", kind, s.local)
	if err := c.send(aOKAY, s.local, remote, nil); err != nil {
		cancel()
		return false
	}
	c.d.wg.Add(1)
	go s.run(svc)
	return true
}

// stream finds a stream by our id; the host's id must match unless it
// is 0 (old hosts close with CLSE(0, id)).
func (c *daemonConn) stream(local, remote uint32) *daemonStream {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.streams[local]
	if s == nil || (remote != 0 && s.remote != remote) {
		return nil
	}
	return s
}

func (c *daemonConn) forget(s *daemonStream) {
	c.mu.Lock()
	delete(c.streams, s.local)
	c.mu.Unlock()
}

func (c *daemonConn) payloadLimit() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return int(c.maxData)
}

// daemonStream is one stream: the io.ReadWriter a Service gets.
type daemonStream struct {
	c      *daemonConn
	local  uint32 // our id
	remote uint32 // the host's id
	ctx    context.Context
	hangup context.CancelFunc // cancels the service's context

	wmu sync.Mutex // one Write at a time

	mu          sync.Mutex
	cond        sync.Cond
	in          []byte // the host's bytes the service has not read
	okayOwed    bool   // the host's last WRTE waits for room in `in`
	outstanding bool   // our WRTE waits for the host's OKAY
	gone        bool   // the host closed the stream or the connection ended
	finished    bool   // the service returned
}

var errStreamClosed = errors.New("stream closed by the host")

func (s *daemonStream) run(svc Service) {
	defer s.c.d.wg.Done()
	defer func() {
		if r := recover(); r != nil {
			s.c.d.recordPanic(r, "")
		}
		s.finish()
	}()
	// The service's own error ends the stream like any other return; its
	// text is not logged (it may quote what the host sent).
	_ = svc(s.ctx, s)
}

// finish closes the stream after the service returned, once the host has
// taken the last WRTE. If the device went away meanwhile (a reboot, a
// dropped cable) every connection drops instead, with no CLSE, as when a
// phone goes down: the adb server then marks the device offline before
// its client sees the end of the stream.
func (s *daemonStream) finish() {
	s.mu.Lock()
	for s.outstanding && !s.gone {
		s.cond.Wait()
	}
	s.finished = true
	s.in = nil
	s.cond.Broadcast()
	s.mu.Unlock()
	s.hangup()
	s.c.forget(s)
	if st := s.c.d.target.ListState(); st != adb.StateDevice && st != adb.StateUnauthorized {
		s.c.d.dropAll("the device went " + string(st))
		return
	}
	// Also after the host's own CLSE, as adbd does; the host ignores
	// the CLSE of a stream it already closed.
	if s.c.ctx.Err() == nil {
		_ = s.c.send(aCLSE, s.local, s.remote, nil)
	}
}

// Read returns the host's bytes, then io.EOF once the host closed the
// stream.
func (s *daemonStream) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	s.mu.Lock()
	for len(s.in) == 0 && !s.gone && !s.finished {
		s.cond.Wait()
	}
	if len(s.in) == 0 {
		s.mu.Unlock()
		s.hangup()
		return 0, io.EOF
	}
	n := copy(p, s.in)
	s.in = s.in[n:]
	sendOkay := s.okayOwed && len(s.in) <= streamInLimit && !s.gone
	if sendOkay {
		s.okayOwed = false
	}
	if len(s.in) == 0 && s.gone {
		defer s.hangup()
	}
	s.mu.Unlock()
	if sendOkay {
		_ = s.c.send(aOKAY, s.local, s.remote, nil)
	}
	return n, nil
}

// Write sends p to the host in WRTE packets of at most the agreed payload,
// each only after the host took the previous one (OKAY).
func (s *daemonStream) Write(p []byte) (int, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	limit := s.c.payloadLimit()
	n := 0
	for len(p) > 0 {
		s.mu.Lock()
		for s.outstanding && !s.gone {
			s.cond.Wait()
		}
		if s.gone {
			s.mu.Unlock()
			return n, errStreamClosed
		}
		// Before the send: the host's OKAY may arrive before Write
		// returns from it.
		s.outstanding = true
		s.mu.Unlock()
		chunk := p[:min(len(p), limit)]
		if err := s.c.send(aWRTE, s.local, s.remote, chunk); err != nil {
			s.hostGone()
			return n, err
		}
		n += len(chunk)
		p = p[len(chunk):]
	}
	return n, nil
}

// hasRoom reports whether n more bytes of the host fit the stream's input
// (one packet always does), so their OKAY may go at once.
func (s *daemonStream) hasRoom(n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gone || s.finished || len(s.in) == 0 || len(s.in)+n <= streamInLimit
}

// deliver queues the host's bytes for the service; with owed set their
// OKAY waits until Read has made room.
func (s *daemonStream) deliver(data []byte, owed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone || s.finished {
		return // nobody reads: take it and let it go
	}
	if len(s.in) == 0 {
		s.in = data // a packet's payload is never reused: take it as is
	} else {
		s.in = append(s.in, data...)
	}
	s.okayOwed = s.okayOwed || owed
	s.cond.Broadcast()
}

// ready is the host's OKAY: the next WRTE may go.
func (s *daemonStream) ready() {
	s.mu.Lock()
	s.outstanding = false
	s.cond.Broadcast()
	s.mu.Unlock()
}

// hostGone ends the stream from the host's side (its CLSE, or the
// connection ending). The service's context ends once it has read what
// the host sent before (data sent before a close is still delivered).
func (s *daemonStream) hostGone() {
	s.mu.Lock()
	s.gone = true
	empty := len(s.in) == 0
	s.cond.Broadcast()
	s.mu.Unlock()
	if empty || s.c.ctx.Err() != nil {
		s.hangup()
	}
}
