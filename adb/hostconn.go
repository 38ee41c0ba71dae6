package adb

// The host protocol is spoken here rather than through gadb because gadb
// v0.1.0 cannot honour a context: RunShellCommand reads to EOF with no
// deadline it lets us set, and it has no exec:, reboot:, wait-for or a
// device list that keeps the state column (DeviceList drops the state and
// every line with fewer than four fields, e.g. an unauthorized TCP
// device). gadb stays in use for what it does well, file transfer over
// the sync: service, in sync.go only.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// maxRequest is the longest request the 4-hex-digit length prefix allows.
const maxRequest = 0xffff

// hostConn is one connection to the ADB server. Every blocking read and
// write ends when ctx ends: the connection's deadline is the ctx deadline,
// and a cancellation moves the deadline into the past.
type hostConn struct {
	ctx  context.Context
	addr string
	conn net.Conn
	r    *bufio.Reader
	stop func() bool
	// device is set once the connection is bound to a device (transport
	// switched): from then on a dropped connection means the device left.
	device bool
	// secret is the command of the running device service; a FAIL reason
	// that echoes it is scrubbed, since commands may carry typed text.
	secret string
}

// dialHost connects to the ADB server at addr.
func dialHost(ctx context.Context, addr string) (*hostConn, error) {
	if err := ctx.Err(); err != nil {
		return nil, ctxError(ctx)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		if ctx.Err() != nil {
			if errors.Is(ctx.Err(), context.Canceled) {
				return nil, ctxError(ctx)
			}
			return nil, fmt.Errorf("%w at %s: connecting timed out: %w", ErrServerUnreachable, addr, ErrTimeout)
		}
		return nil, fmt.Errorf("%w at %s (is it running? `adb start-server` starts it): %v", ErrServerUnreachable, addr, dialReason(err))
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	h := &hostConn{ctx: ctx, addr: addr, conn: conn, r: bufio.NewReader(conn)}
	// A deadline in the past unblocks any pending read or write at once;
	// the error is then mapped from ctx.Err().
	h.stop = context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	return h, nil
}

// dialReason shortens a dial error to its cause ("connection refused").
func dialReason(err error) string {
	var se *os.SyscallError
	if errors.As(err, &se) {
		return se.Err.Error()
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.Error()
	}
	return err.Error()
}

// Close releases the connection.
func (h *hostConn) Close() error {
	h.stop()
	return h.conn.Close()
}

// ctxError maps an ended context to the package's errors: a deadline is
// ErrTimeout (and still context.DeadlineExceeded), a cancellation stays
// context.Canceled so Ctrl-C can be told from a slow phone.
func ctxError(ctx context.Context) error {
	err := ctx.Err()
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w (%w)", ErrTimeout, err)
	}
	if cause := context.Cause(ctx); cause != nil && cause != err {
		return fmt.Errorf("%w: %w", err, cause)
	}
	return err
}

// ioError maps an error of a read or write on the connection.
func (h *hostConn) ioError(err error) error {
	if h.ctx.Err() != nil {
		return ctxError(h.ctx)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// The connection deadline is the ctx deadline; the poller may
		// fire a moment before the context's own timer.
		return fmt.Errorf("%w (%w)", ErrTimeout, context.DeadlineExceeded)
	}
	if isDrop(err) {
		if h.device {
			return fmt.Errorf("%w: connection closed by the adb server", ErrDeviceLost)
		}
		return fmt.Errorf("%w: adb server at %s closed the connection", ErrProtocol, h.addr)
	}
	return fmt.Errorf("adb server at %s: %w", h.addr, err)
}

// isDrop reports an error that means the other side went away.
func isDrop(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, net.ErrClosed)
}

// send writes one request: 4 hex digits of length, then the text.
func (h *hostConn) send(req string) error {
	if len(req) > maxRequest {
		return fmt.Errorf("%w: request of %d bytes is longer than the protocol's %d", ErrFailed, len(req), maxRequest)
	}
	msg := make([]byte, 0, 4+len(req))
	msg = fmt.Appendf(msg, "%04x", len(req))
	msg = append(msg, req...)
	if _, err := h.conn.Write(msg); err != nil {
		return h.ioError(err)
	}
	return nil
}

// readStatus reads OKAY, or FAIL with its reason mapped to an error.
func (h *hostConn) readStatus() error {
	var status [4]byte
	if _, err := io.ReadFull(h.r, status[:]); err != nil {
		return h.ioError(err)
	}
	return h.status(status)
}

// status maps a status word read from the server.
func (h *hostConn) status(status [4]byte) error {
	switch string(status[:]) {
	case "OKAY":
		return nil
	case "FAIL":
		reason, err := h.readPayload()
		if err != nil {
			return err
		}
		r := string(reason)
		if h.secret != "" && strings.Contains(r, h.secret) {
			r = strings.ReplaceAll(r, h.secret, "<command>")
		}
		return failError(r)
	default:
		return fmt.Errorf("%w: got %q where OKAY or FAIL belongs", ErrProtocol, status[:])
	}
}

// probe sends req, the first request to a server, and reads its status
// checking that the server speaks the host protocol: OKAY or FAIL must
// start arriving within wait (unless ctx ends first), or the address is
// not an ADB server; the error then says what it answered.
func (h *hostConn) probe(req string, wait time.Duration) error {
	if err := h.send(req); err != nil {
		return err
	}
	probeEnd := time.Now().Add(wait)
	ctxEnd, hasCtxEnd := h.ctx.Deadline()
	if hasCtxEnd && !ctxEnd.After(probeEnd) {
		return h.readStatus() // the call ends first: a plain timeout
	}
	_ = h.conn.SetReadDeadline(probeEnd)
	var status [4]byte
	n, err := io.ReadFull(h.r, status[:])
	// Back to the call's deadline; a cancellation meanwhile stays in
	// force (its deadline in the past is set again).
	_ = h.conn.SetReadDeadline(ctxEnd)
	if h.ctx.Err() != nil {
		_ = h.conn.SetDeadline(time.Unix(1, 0))
		return ctxError(h.ctx)
	}
	switch {
	case err == nil && (string(status[:]) == "OKAY" || string(status[:]) == "FAIL"):
		return h.status(status)
	case err == nil:
		return h.notADB(status[:])
	case errors.Is(err, os.ErrDeadlineExceeded) && n == 0:
		return fmt.Errorf("%w: %s answered nothing to %s within %s (if it is a stuck adb server, restart it: `adb kill-server`)",
			ErrNotADBServer, h.addr, req, wait)
	case errors.Is(err, os.ErrDeadlineExceeded), isDrop(err) && n > 0:
		return h.notADB(status[:n])
	case isDrop(err):
		return fmt.Errorf("%w: %s closed the connection without answering %s", ErrNotADBServer, h.addr, req)
	}
	return h.ioError(err)
}

// notADB describes what a server that is no ADB server answered: its
// first bytes (what else came at once), printable.
func (h *hostConn) notADB(first []byte) error {
	const show = 48
	got := append([]byte(nil), first...)
	_ = h.conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	more := make([]byte, show)
	if n, _ := h.r.Read(more); n > 0 {
		got = append(got, more[:n]...)
	}
	if len(got) > show {
		got = got[:show]
	}
	return fmt.Errorf("%w: %s answered %s where an ADB server answers OKAY or FAIL: is it the adb server's address?",
		ErrNotADBServer, h.addr, strconv.QuoteToASCII(string(got)))
}

// request sends req and reads its status.
func (h *hostConn) request(req string) error {
	if err := h.send(req); err != nil {
		return err
	}
	return h.readStatus()
}

// readPayload reads a hex4 length and that many bytes.
func (h *hostConn) readPayload() ([]byte, error) {
	var hexLen [4]byte
	if _, err := io.ReadFull(h.r, hexLen[:]); err != nil {
		return nil, h.ioError(err)
	}
	n, err := strconv.ParseUint(string(hexLen[:]), 16, 16)
	if err != nil {
		return nil, fmt.Errorf("%w: bad length %q", ErrProtocol, hexLen[:])
	}
	buf := make([]byte, n)
	if got, err := io.ReadFull(h.r, buf); err != nil {
		if h.ctx.Err() == nil && (errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)) {
			return nil, fmt.Errorf("%w: the adb server at %s announced %d bytes and sent %d", ErrProtocol, h.addr, n, got)
		}
		return nil, h.ioError(err)
	}
	return buf, nil
}

// maxListing bounds a device list: adb sends at most its 1 MiB payload.
const maxListing = 1 << 20

// readListing reads the length-prefixed reply of a query the server
// answers and then closes (host:devices-l), however long it is. adb
// formats the length with "%04x", so from 64 KiB on (some 600 phones) it
// takes 5 digits, which a reader of 4 would take for a shorter list and
// lose phones without a word. The reply is read to its end and its
// length checked against 4, 5 or 6 digits; anything else is ErrProtocol.
func (h *hostConn) readListing() ([]byte, error) {
	raw, err := h.readAll(maxListing + 8)
	if err != nil {
		return nil, err
	}
	for digits := 4; digits <= 6 && digits <= len(raw); digits++ {
		n := len(raw) - digits
		if strings.EqualFold(fmt.Sprintf("%04x", n), string(raw[:digits])) {
			return raw[digits:], nil
		}
	}
	if len(raw) >= 4 {
		if n, err := strconv.ParseUint(string(raw[:4]), 16, 16); err == nil {
			return nil, fmt.Errorf("%w: the adb server at %s announced %d bytes and sent %d", ErrProtocol, h.addr, n, len(raw)-4)
		}
	}
	return nil, fmt.Errorf("%w: the adb server at %s sent %q where a length belongs", ErrProtocol, h.addr, raw[:min(len(raw), 4)])
}

// readAll reads the raw stream to EOF, the end of a device service.
// More than limit bytes is ErrOutputTooLarge, noticed as the limit is
// passed: the rest is never read.
func (h *hostConn) readAll(limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(h.r, limit+1))
	if err != nil {
		return data, h.ioError(err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrOutputTooLarge, limit)
	}
	return data, nil
}

// transport binds the connection to the device with serial.
func (h *hostConn) transport(serial string) error {
	if err := h.request("host:transport:" + serial); err != nil {
		return err
	}
	h.device = true
	return nil
}

// failError maps a FAIL reason of the ADB server to the package's errors.
func failError(reason string) error {
	r := strings.TrimSpace(reason)
	switch {
	case strings.HasPrefix(r, "device '") && strings.HasSuffix(r, "' not found"),
		strings.HasPrefix(r, "device not found"):
		return fmt.Errorf("%w: %s", ErrDeviceNotFound, r)
	case r == "device offline" || strings.HasPrefix(r, "device offline"):
		return ErrOffline
	case strings.HasPrefix(r, "device still connecting"):
		return fmt.Errorf("%w: still connecting", ErrOffline)
	case strings.HasPrefix(r, "device unauthorized"), strings.HasPrefix(r, "device still authorizing"):
		return fmt.Errorf("%w: accept the \"Allow USB debugging\" RSA key prompt on the phone", ErrUnauthorized)
	case strings.HasPrefix(r, "no devices/emulators found"):
		return ErrNoDevice
	default:
		return fmt.Errorf("%w: %s", ErrFailed, r)
	}
}
