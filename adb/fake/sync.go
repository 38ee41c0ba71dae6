package fake

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// FileSystem is the device storage the sync: service reads and writes.
// Paths are absolute device paths ("/sdcard/x.png").
type FileSystem interface {
	Stat(path string) (fs.FileInfo, error)
	ReadFile(path string) ([]byte, error)
	// WriteFile creates or replaces a file, creating missing parent
	// directories (adbd's push does).
	WriteFile(path string, data []byte, mode fs.FileMode, mtime time.Time) error
	ReadDir(path string) ([]fs.FileInfo, error)
}

// Sync protocol limits (adb's file_sync_protocol.h).
const (
	syncMaxPath  = 1024
	syncMaxChunk = 64 << 10
)

// Sync request and reply ids.
const (
	syncStat = "STAT"
	syncList = "LIST"
	syncSend = "SEND"
	syncRecv = "RECV"
	syncQuit = "QUIT"
	syncDent = "DENT"
	syncData = "DATA"
	syncDone = "DONE"
	syncOkay = "OKAY"
	syncFail = "FAIL"
)

// Linux st_mode file type bits.
const (
	linuxModeDir     = 0o040000
	linuxModeRegular = 0o100000
	linuxModeSymlink = 0o120000
)

// errSyncProtocol marks a client that broke the sync protocol; the device
// answered FAIL and ended the service.
var errSyncProtocol = errors.New("sync protocol error")

// errSyncRefused marks a request the device answered with FAIL (missing
// file, unwritable path): adbd ends the sync service after it.
var errSyncRefused = errors.New("sync request refused")

// ServeSync is the device side of the sync: service (after the server's
// OKAY): STAT, LIST, SEND, RECV and QUIT in the v1 protocol, with adbd's
// replies and failure texts. Like adbd it ends the service after any FAIL.
//
// It returns nil when the session ends normally: the client sends QUIT or
// hangs up, a request was refused (FAIL with a reason such as "No such
// file or directory"), or ctx ended while no request was pending (the
// Server cancels it when the client hangs up). It returns an error after
// answering FAIL to a request that breaks the protocol, or when writing a
// reply fails.
func ServeSync(ctx context.Context, rw io.ReadWriter, fsys FileSystem) error {
	sc := &syncConn{
		in:   bufio.NewReaderSize(rw, syncMaxChunk+8),
		out:  bufio.NewWriterSize(rw, syncMaxChunk+8),
		fsys: fsys,
	}
	for {
		if sc.in.Buffered() == 0 && ctx.Err() != nil {
			return nil
		}
		id, arg, err := sc.readHeader()
		if err != nil {
			return clientGone(err)
		}
		if id == syncQuit {
			return nil
		}
		if arg > syncMaxPath {
			return sc.protocolError("path too long")
		}
		p := make([]byte, arg)
		if _, err := io.ReadFull(sc.in, p); err != nil {
			return clientGone(err)
		}
		switch id {
		case syncStat:
			err = sc.stat(string(p))
		case syncList:
			err = sc.list(string(p))
		case syncSend:
			err = sc.send(string(p))
		case syncRecv:
			err = sc.recv(string(p))
		default:
			return sc.protocolError(fmt.Sprintf("unknown command %08x", binary.LittleEndian.Uint32([]byte(id))))
		}
		if err == nil {
			err = sc.out.Flush()
		}
		if errors.Is(err, errSyncRefused) {
			return nil
		}
		if err != nil {
			return clientGone(err)
		}
	}
}

// clientGone maps the end of the client's stream to a clean return.
func clientGone(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil
	}
	return err
}

type syncConn struct {
	in   *bufio.Reader
	out  *bufio.Writer
	fsys FileSystem
}

// readHeader reads an 8-byte message header: 4-byte id, uint32 LE.
func (sc *syncConn) readHeader() (string, uint32, error) {
	var h [8]byte
	if _, err := io.ReadFull(sc.in, h[:]); err != nil {
		return "", 0, err
	}
	return string(h[:4]), binary.LittleEndian.Uint32(h[4:]), nil
}

func (sc *syncConn) header(id string, words ...uint32) {
	b := make([]byte, 0, 4+4*len(words))
	b = append(b, id...)
	for _, w := range words {
		b = binary.LittleEndian.AppendUint32(b, w)
	}
	_, _ = sc.out.Write(b) // errors surface at Flush
}

// failure answers FAIL with a reason; the service ends after it.
func (sc *syncConn) failure(reason string) error {
	sc.header(syncFail, uint32(len(reason)))
	_, _ = sc.out.WriteString(reason)
	if err := sc.out.Flush(); err != nil {
		return err
	}
	return errSyncRefused
}

// protocolError answers FAIL to a broken request and ends the service.
func (sc *syncConn) protocolError(reason string) error {
	if err := sc.failure(reason); !errors.Is(err, errSyncRefused) {
		return clientGone(err)
	}
	return fmt.Errorf("%w: %s", errSyncProtocol, reason)
}

func (sc *syncConn) stat(p string) error {
	fi, err := sc.fsys.Stat(p)
	if err != nil {
		sc.header(syncStat, 0, 0, 0) // missing: all zero
		return nil
	}
	sc.header(syncStat, linuxMode(fi.Mode()), uint32(fi.Size()), unixTime(fi.ModTime()))
	return nil
}

// list answers one DENT per entry (with "." and "..", as readdir gives
// them) and DONE; a path that is not a readable directory just gets DONE.
func (sc *syncConn) list(p string) error {
	dir, err := sc.fsys.Stat(p)
	if err == nil && dir.IsDir() {
		entries, err := sc.fsys.ReadDir(p)
		if err == nil {
			sc.dent(".", dir)
			if parent, err := sc.fsys.Stat(path.Dir(path.Clean(p))); err == nil {
				sc.dent("..", parent)
			}
			for _, e := range entries {
				sc.dent(e.Name(), e)
			}
		}
	}
	sc.header(syncDone, 0, 0, 0, 0)
	return nil
}

func (sc *syncConn) dent(name string, fi fs.FileInfo) {
	sc.header(syncDent, linuxMode(fi.Mode()), uint32(fi.Size()), unixTime(fi.ModTime()), uint32(len(name)))
	_, _ = sc.out.WriteString(name)
}

// send receives "path,mode" then DATA chunks and DONE mtime, and answers
// OKAY or FAIL after the DONE. The file is written only when complete.
func (sc *syncConn) send(spec string) error {
	comma := strings.LastIndexByte(spec, ',')
	if comma < 0 {
		return sc.protocolError("missing , in ID_SEND")
	}
	target := spec[:comma]
	mode, ok := parseSyncMode(spec[comma+1:])
	if !ok {
		return sc.protocolError("bad mode")
	}
	var data bytes.Buffer
	for {
		id, n, err := sc.readHeader()
		if err != nil {
			return err
		}
		switch id {
		case syncData:
			if n > syncMaxChunk {
				return sc.protocolError("oversize data message")
			}
			if _, err := io.CopyN(&data, sc.in, int64(n)); err != nil {
				return err
			}
			continue
		case syncDone:
			mtime := time.Unix(int64(n), 0)
			perm := fs.FileMode(mode & 0o777)
			if err := sc.fsys.WriteFile(target, data.Bytes(), perm, mtime); err != nil {
				return sc.failure("couldn't create file: " + Strerror(err))
			}
			sc.header(syncOkay, 0)
			return nil
		default:
			return sc.protocolError("invalid data message")
		}
	}
}

// parseSyncMode reads SEND's mode as adbd does (strtoul base 0: gadb and
// the adb CLI send decimal; "0644" would be octal). Empty means 0.
func parseSyncMode(s string) (uint32, bool) {
	if s == "" {
		return 0, true
	}
	base := 10
	switch {
	case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
		s, base = s[2:], 16
	case len(s) > 1 && s[0] == '0':
		s, base = s[1:], 8
	}
	m, err := strconv.ParseUint(s, base, 32)
	return uint32(m), err == nil
}

// recv sends a file as DATA chunks and DONE, or FAIL.
func (sc *syncConn) recv(p string) error {
	data, err := sc.fsys.ReadFile(p)
	if err != nil {
		reason := "open failed: " + Strerror(err)
		if errors.Is(err, syscall.EISDIR) {
			reason = "read failed: " + Strerror(err)
		}
		return sc.failure(reason)
	}
	for len(data) > 0 {
		n := min(len(data), syncMaxChunk)
		sc.header(syncData, uint32(n))
		if _, err := sc.out.Write(data[:n]); err != nil {
			return err
		}
		data = data[n:]
	}
	sc.header(syncDone, 0)
	return nil
}

// linuxMode is fi's mode as a Linux st_mode.
func linuxMode(m fs.FileMode) uint32 {
	perm := uint32(m.Perm())
	switch {
	case m.IsDir():
		return linuxModeDir | perm
	case m&fs.ModeSymlink != 0:
		return linuxModeSymlink | perm
	}
	return linuxModeRegular | perm
}

func unixTime(t time.Time) uint32 {
	if t.IsZero() || t.Unix() < 0 {
		return 0
	}
	return uint32(t.Unix())
}

// Strerror is strerror for err as bionic spells it, so messages read
// like a phone's.
func Strerror(err error) string {
	switch {
	case errors.Is(err, syscall.ENOENT), errors.Is(err, fs.ErrNotExist):
		return "No such file or directory"
	case errors.Is(err, syscall.EISDIR):
		return "Is a directory"
	case errors.Is(err, syscall.ENOTDIR):
		return "Not a directory"
	case errors.Is(err, syscall.EACCES), errors.Is(err, fs.ErrPermission):
		return "Permission denied"
	case errors.Is(err, syscall.EROFS):
		return "Read-only file system"
	case errors.Is(err, syscall.ENOSPC):
		return "No space left on device"
	case errors.Is(err, syscall.EEXIST), errors.Is(err, fs.ErrExist):
		return "File exists"
	}
	return err.Error()
}
