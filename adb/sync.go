package adb

// File transfer (the sync: service) goes through gadb
// (github.com/electricbubble/gadb v0.1.0), confined to this file: it
// speaks sync well but takes no context, so every call runs under runGadb
// and the caller's reader or writer is guarded.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/electricbubble/gadb"
)

var _ Syncer = (*serverDevice)(nil)

func (d *serverDevice) Push(ctx context.Context, src io.Reader, remotePath string, mode fs.FileMode, mtime time.Time) error {
	ctx, cancel := d.client.callContext(ctx)
	defer cancel()
	perm := mode.Perm()
	if perm == 0 {
		perm = 0o644
	}
	if mtime.IsZero() {
		mtime = time.Now()
	}
	g := &streamGuard{ctx: ctx}
	_, err := runGadb(ctx, func() (struct{}, error) {
		gd, err := d.gadbDevice()
		if err != nil {
			return struct{}{}, err
		}
		return struct{}{}, gd.Push(guardedReader{g, src}, remotePath, mtime, perm)
	})
	g.close()
	if err != nil {
		return fmt.Errorf("%s: push %s: %w", d.serial, remotePath, d.syncError(ctx, err))
	}
	return nil
}

func (d *serverDevice) Pull(ctx context.Context, remotePath string, dst io.Writer) error {
	ctx, cancel := d.client.callContext(ctx)
	defer cancel()
	g := &streamGuard{ctx: ctx}
	_, err := runGadb(ctx, func() (struct{}, error) {
		gd, err := d.gadbDevice()
		if err != nil {
			return struct{}{}, err
		}
		return struct{}{}, gd.Pull(remotePath, guardedWriter{g, dst})
	})
	g.close()
	if err != nil {
		return fmt.Errorf("%s: pull %s: %w", d.serial, remotePath, d.syncError(ctx, err))
	}
	return nil
}

// errNotInGadbList: gadb can only address devices its DeviceList returns.
var errNotInGadbList = errors.New("device missing from gadb's device list")

// gadbDevice finds the device in gadb's list: gadb.Device is a concrete
// struct that only DeviceList creates.
func (d *serverDevice) gadbDevice() (gadb.Device, error) {
	gc, err := d.client.gadbClient()
	if err != nil {
		return gadb.Device{}, err
	}
	list, err := gc.DeviceList()
	if err != nil {
		return gadb.Device{}, err
	}
	for _, gd := range list {
		if gd.Serial() == d.serial {
			return gd, nil
		}
	}
	return gadb.Device{}, errNotInGadbList
}

// syncError maps a push/pull error; a device gadb cannot see is explained
// with the server's own list.
func (d *serverDevice) syncError(ctx context.Context, err error) error {
	if !errors.Is(err, errNotInGadbList) || ctx.Err() != nil {
		return d.client.gadbError(ctx, err)
	}
	list, lerr := d.client.Devices(ctx)
	if lerr != nil {
		return lerr
	}
	for _, info := range list {
		if info.Serial != d.serial {
			continue
		}
		switch info.State {
		case StateUnauthorized, StateAuthorizing:
			return fmt.Errorf("%w: accept the RSA key prompt on the phone", ErrUnauthorized)
		case StateOffline, StateConnecting:
			return ErrOffline
		}
		return fmt.Errorf("%w: the sync library (gadb) skips this device: its device-list line lacks product/model/device attributes", ErrFailed)
	}
	return fmt.Errorf("%w: not listed by the adb server at %s", ErrDeviceNotFound, d.client.addr)
}

// errStopped ends gadb's use of a caller's reader or writer once the call
// is over.
var errStopped = errors.New("call ended")

// streamGuard keeps gadb's goroutine from touching the caller's reader or
// writer after the call returned: close waits for a Read/Write in progress
// and makes every later one fail.
type streamGuard struct {
	ctx    context.Context
	mu     sync.Mutex
	closed bool
}

func (g *streamGuard) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

type guardedReader struct {
	g *streamGuard
	r io.Reader
}

func (r guardedReader) Read(p []byte) (int, error) {
	r.g.mu.Lock()
	defer r.g.mu.Unlock()
	if r.g.closed || r.g.ctx.Err() != nil {
		return 0, errStopped
	}
	n, err := r.r.Read(p)
	if n > 0 && err == io.EOF {
		// gadb drops the bytes of a Read that also returns EOF; the next
		// Read returns the EOF again.
		err = nil
	}
	return n, err
}

type guardedWriter struct {
	g *streamGuard
	w io.Writer
}

func (w guardedWriter) Write(p []byte) (int, error) {
	w.g.mu.Lock()
	defer w.g.mu.Unlock()
	if w.g.closed || w.g.ctx.Err() != nil {
		return 0, errStopped
	}
	return w.w.Write(p)
}

// gadbClient returns a gadb client of the server. gadb.NewClientWith dials
// (and closes) a connection, so this is I/O and runs under runGadb.
func (c *Client) gadbClient() (gadb.Client, error) {
	host, portText, err := net.SplitHostPort(c.addr)
	if err != nil {
		return gadb.Client{}, fmt.Errorf("%w: %q: want HOST:PORT", ErrBadAddress, c.addr)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return gadb.Client{}, fmt.Errorf("%w: %q: want HOST:PORT", ErrBadAddress, c.addr)
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // gadb joins host and port with a bare colon
	}
	return gadb.NewClientWith(host, port)
}

// runGadb runs a gadb call, which takes no context, so that the caller
// returns when ctx ends even while gadb blocks in a read. The abandoned
// goroutine ends when the server answers or the connection drops, at the
// latest by gadb's own 60 s read deadline (a write blocked on a full
// socket buffer, or a dial, has no gadb deadline: it ends when the
// server goes away).
func runGadb[T any](ctx context.Context, call func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := call()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctxError(ctx)
	}
}

// gadbError maps the plain errors gadb returns to the package's errors.
func (c *Client) gadbError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctxError(ctx)
	}
	if errors.Is(err, ErrBadAddress) || errors.Is(err, ErrTimeout) || errors.Is(err, context.Canceled) {
		return err
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return fmt.Errorf("%w at %s (is it running? `adb start-server` starts it): %v", ErrServerUnreachable, c.addr, dialReason(err))
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("%w at %s: %v", ErrServerUnreachable, c.addr, dialReason(err))
	}
	msg := err.Error()
	if reason, ok := strings.CutPrefix(msg, "command failed: "); ok {
		return failError(reason)
	}
	// Sync failures: "sync verify status (fail): MSG" (push) and
	// "sync read chunk: status (fail): MSG" (pull).
	const syncFail = "status (fail): "
	if i := strings.LastIndex(msg, syncFail); i >= 0 {
		reason := msg[i+len(syncFail):]
		if strings.Contains(reason, "No such file") {
			return fmt.Errorf("%w: %s (%w)", ErrFailed, reason, fs.ErrNotExist)
		}
		return fmt.Errorf("%w: %s", ErrFailed, reason)
	}
	if errors.Is(err, errStopped) {
		return ctxError(ctx)
	}
	if errors.Is(err, gadb.ErrConnBroken) || isDrop(err) {
		return fmt.Errorf("%w: %v", ErrDeviceLost, err)
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return fmt.Errorf("%w: no answer within gadb's read timeout", ErrTimeout)
	}
	return fmt.Errorf("%w: %v", ErrProtocol, err)
}
