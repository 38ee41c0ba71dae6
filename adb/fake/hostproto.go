package fake

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/miacct/miacct/adb"
)

// Host protocol facts, as adb 29 (platform-tools 29.0.6) has them.
const (
	// adbServerVersion is ADB_SERVER_VERSION, reported by host:version.
	adbServerVersion = 41
	// adbHostFeatures is what host:host-features reports.
	adbHostFeatures = "shell_v2,cmd,stat_v2,ls_v2,fixed_push_mkdir,apex,abb,fixed_push_symlink_timestamp,abb_exec,remount_shell"
	// unauthorizedText is adb's FAIL reason for an unauthorized device
	// (with $ADB_VENDOR_KEYS unset).
	unauthorizedText = "device unauthorized.\n" +
		"This adb server's $ADB_VENDOR_KEYS is not set\n" +
		"Try 'adb kill-server' if that seems wrong.\n" +
		"Otherwise check for a confirmation dialog on your device."
	// statePollInterval paces the re-reading of ListState by device
	// trackers and wait-for services that have no Target call to block in.
	statePollInterval = 20 * time.Millisecond
)

// selectKind says how a request picks its device, like adb's
// TransportType plus serial and transport id.
type selectKind int

const (
	selectAny selectKind = iota
	selectUSB
	selectLocal
	selectSerial
	selectID
)

type selector struct {
	kind   selectKind
	serial string
	id     uint64
}

// hostConn is one client connection in host-protocol mode.
type hostConn struct {
	srv  *Server
	conn net.Conn
	br   *bufio.Reader
	// bound is the device chosen by a transport request: the next
	// request on the connection goes to it.
	bound *targetEntry
	// kind and serial of the request being served, for panic reports.
	kind, serial string
}

func (hc *hostConn) serve() {
	for {
		req, ok := hc.readRequest()
		if !ok || !hc.handle(req) {
			return
		}
	}
}

// readRequest reads one length-prefixed request. A connection that closes
// before a full request (gadb's NewClientWith sends nothing) just ends.
func (hc *hostConn) readRequest() (string, bool) {
	// A client sends its request as it connects; one that does not
	// within the idle timeout is let go. Services run without it.
	_ = hc.conn.SetReadDeadline(time.Now().Add(hc.srv.idle))
	defer hc.conn.SetReadDeadline(time.Time{})
	var head [4]byte
	if _, err := io.ReadFull(hc.br, head[:]); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			hc.srv.count("idle")
			hc.srv.logf("closed a connection idle for %s", hc.srv.idle)
		}
		return "", false
	}
	n, ok := parseHex4(head[:])
	if !ok || n == 0 {
		// 4 hex digits cannot exceed 0xffff, so this also bounds the size.
		hc.note("other", "")
		hc.fail("invalid request length")
		return "", false
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(hc.br, buf); err != nil {
		return "", false
	}
	return string(buf), true
}

func parseHex4(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		n = n<<4 | int(d)
	}
	return n, true
}

// handle serves one request; it reports whether the connection stays in
// host mode for another request (after a transport switch).
func (hc *hostConn) handle(req string) bool {
	var sel selector
	var rest string
	hostPrefix := false
	switch {
	case strings.HasPrefix(req, "host:"):
		rest, hostPrefix = req[len("host:"):], true
	case strings.HasPrefix(req, "host-serial:"):
		serial, r, ok := splitHostSerial(req[len("host-serial:"):])
		if !ok {
			hc.note("other", "")
			hc.fail("unknown host service")
			return false
		}
		sel, rest = selector{kind: selectSerial, serial: serial}, r
	case strings.HasPrefix(req, "host-usb:"):
		sel, rest = selector{kind: selectUSB}, req[len("host-usb:"):]
	case strings.HasPrefix(req, "host-local:"):
		sel, rest = selector{kind: selectLocal}, req[len("host-local:"):]
	case strings.HasPrefix(req, "host-transport-id:"):
		idText, r, ok := strings.Cut(req[len("host-transport-id:"):], ":")
		id, err := strconv.ParseUint(idText, 10, 64)
		if !ok || err != nil {
			hc.note("other", "")
			hc.fail("invalid transport id")
			return false
		}
		sel, rest = selector{kind: selectID, id: id}, r
	default:
		return hc.deviceService(req)
	}
	if sel.kind == selectID && sel.id == 0 {
		sel = selector{} // adb treats transport id 0 as "none given"
	}

	switch {
	case rest == "version":
		hc.note("version", "")
		hc.okayString(fmt.Sprintf("%04x", adbServerVersion))
	case rest == "devices" || rest == "devices-l":
		hc.note("devices", "")
		hc.okayString(hc.srv.deviceList(rest == "devices-l"))
	case rest == "track-devices" || rest == "track-devices-l":
		hc.note("devices", "")
		hc.trackDevices(rest == "track-devices-l")
	case rest == "features":
		e, _, msg := hc.selectForQuery(sel, "features")
		if e == nil {
			hc.fail(msg)
			break
		}
		hc.okayString(strings.Join(e.target.Attributes().Features, ","))
	case rest == "host-features":
		hc.note("features", "")
		hc.okayString(adbHostFeatures)
	case rest == "get-state":
		e, st, msg := hc.selectForQuery(sel, "state")
		if e == nil {
			hc.fail(msg)
			break
		}
		hc.okayString(string(st))
	case rest == "get-serialno":
		e, _, msg := hc.selectForQuery(sel, "other")
		if e == nil {
			hc.fail(msg)
			break
		}
		serial := e.target.Serial()
		if serial == "" {
			serial = "unknown"
		}
		hc.okayString(serial)
	case rest == "get-devpath":
		e, _, msg := hc.selectForQuery(sel, "other")
		if e == nil {
			hc.fail(msg)
			break
		}
		hc.okayString(e.devpath())
	case rest == "kill":
		// Not the user's server: acknowledge and keep serving.
		hc.note("other", "")
		hc.okay()
	case strings.HasPrefix(rest, "connect:"):
		hc.note("other", "")
		hc.okayString(hc.srv.connectReply(rest[len("connect:"):]))
	case strings.HasPrefix(rest, "disconnect:"):
		hc.note("other", "")
		reply, ok := hc.srv.disconnectReply(rest[len("disconnect:"):])
		if !ok {
			hc.fail(reply)
			break
		}
		hc.okayString(reply)
	case strings.HasPrefix(rest, "wait-for-"):
		hc.waitFor(sel, rest[len("wait-for-"):])
	case hostPrefix && (strings.HasPrefix(rest, "transport") || strings.HasPrefix(rest, "tport:")):
		return hc.switchTransport(rest)
	default:
		hc.note("other", "")
		hc.fail("unknown host service")
	}
	return false
}

// hostSerialRequests are the requests host-serial:S: can carry; the
// serial may itself contain ':' (127.0.0.1:5555), so the request is
// recognised from the right.
var hostSerialRequests = []string{
	"get-state", "get-serialno", "get-devpath", "features", "list-forward",
	"killforward-all", "reconnect",
}

var hostSerialRequestPrefixes = []string{"wait-for-", "forward:", "killforward:"}

func splitHostSerial(s string) (serial, req string, ok bool) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] != ':' {
			continue
		}
		r := s[i+1:]
		if slices.Contains(hostSerialRequests, r) {
			return s[:i], r, true
		}
		for _, p := range hostSerialRequestPrefixes {
			if strings.HasPrefix(r, p) {
				return s[:i], r, true
			}
		}
	}
	// Unknown request: split at the first ':'; it fails as unknown anyway.
	return strings.Cut(s, ":")
}

// selectForQuery picks the device of a get-state/features style query:
// the bound one after a transport switch, else one that must be usable.
func (hc *hostConn) selectForQuery(sel selector, kind string) (*targetEntry, adb.State, string) {
	if hc.bound != nil {
		hc.note(kind, hc.bound.target.Serial())
		return hc.bound, hc.bound.target.ListState(), ""
	}
	e, st, msg := hc.srv.acquire(sel, true, false)
	hc.note(kind, selectedSerial(e, sel))
	return e, st, msg
}

func selectedSerial(e *targetEntry, sel selector) string {
	if e != nil {
		return e.target.Serial()
	}
	return sel.serial
}

// switchTransport binds the connection to a device: host:transport:S,
// transport-any/-usb/-local/-id:N, and adb 29's tport:serial:S/any/usb/
// local/id:N, which answer the transport id after OKAY.
func (hc *hostConn) switchTransport(req string) bool {
	sel := selector{}
	legacy := true
	badID := false
	if r, ok := strings.CutPrefix(req, "tport:"); ok {
		legacy = false
		switch {
		case strings.HasPrefix(r, "serial:"):
			sel = selector{kind: selectSerial, serial: r[len("serial:"):]}
		case r == "usb":
			sel.kind = selectUSB
		case r == "local":
			sel.kind = selectLocal
		case strings.HasPrefix(r, "id:"):
			id, err := strconv.ParseUint(r[len("id:"):], 10, 64)
			sel, badID = selector{kind: selectID, id: id}, err != nil
		}
	} else {
		switch {
		case strings.HasPrefix(req, "transport-id:"):
			id, err := strconv.ParseUint(req[len("transport-id:"):], 10, 64)
			sel, badID = selector{kind: selectID, id: id}, err != nil
		case req == "transport-usb":
			sel.kind = selectUSB
		case req == "transport-local":
			sel.kind = selectLocal
		case strings.HasPrefix(req, "transport:"):
			sel = selector{kind: selectSerial, serial: req[len("transport:"):]}
		}
	}
	if badID {
		hc.note("transport", "")
		hc.fail("invalid transport id")
		return false
	}
	if sel.kind == selectID && sel.id == 0 {
		sel = selector{}
	}
	e, _, msg := hc.srv.acquire(sel, true, false)
	hc.note("transport", selectedSerial(e, sel))
	if e == nil {
		hc.fail(msg)
		return false
	}
	hc.bound = e
	reply := []byte("OKAY")
	if !legacy {
		reply = binary.LittleEndian.AppendUint64(reply, e.id)
	}
	hc.write(reply)
	return true
}

// deviceService hands a device service to the bound device and runs it on
// the connection.
func (hc *hostConn) deviceService(service string) bool {
	kind := serviceKind(service)
	if hc.bound == nil {
		hc.note(kind, "")
		hc.fail("device offline (no transport)")
		return false
	}
	t := hc.bound.target
	hc.note(kind, t.Serial())
	if msg := stateFailure(t.ListState()); msg != "" {
		hc.fail(msg)
		return false
	}
	// The service ends when the client hangs up, the server closes or
	// the device is unplugged (Remove).
	ctx, cancel := context.WithCancel(hc.bound.ctx)
	defer cancel()
	in := startClientStream(hc.br, cancel, false)
	defer in.stop(hc.conn)

	svc, err := t.Open(ctx, service)
	if err != nil {
		hc.fail(err.Error())
		return false
	}
	if svc == nil {
		hc.fail("closed")
		return false
	}
	if !hc.okay() {
		return false
	}
	// The service's own error ends the stream like any other return; its
	// text is not logged (it may quote what the client sent).
	_ = svc(ctx, serviceStream{in: in, out: hc.conn})
	return false
}

func serviceKind(service string) string {
	switch {
	case strings.HasPrefix(service, "shell:"), strings.HasPrefix(service, "shell,"):
		return "shell"
	case strings.HasPrefix(service, "exec:"):
		return "exec"
	case strings.HasPrefix(service, "sync:"):
		return "sync"
	case strings.HasPrefix(service, "reboot:"):
		return "reboot"
	}
	return "other"
}

// stateFailure is adb's reason for refusing a device in state st, or "".
// An empty state means the device is not listed at the moment.
func stateFailure(st adb.State) string {
	switch st {
	case adb.StateOffline, "":
		return "device offline"
	case adb.StateUnauthorized:
		return unauthorizedText
	case adb.StateConnecting:
		return "device still connecting"
	case adb.StateAuthorizing:
		return "device still authorizing"
	}
	return ""
}

// isActiveState reports whether adb would hand out a transport in state st
// (what wait-for-*-any waits for and wait-for-*-disconnect waits to end).
func isActiveState(st adb.State) bool {
	return st != "" && stateFailure(st) == ""
}

// acquire picks one device as adb's acquire_one_transport does, with its
// error texts. checkState refuses devices that are not usable (offline,
// unauthorized, ...). includeUnlisted also considers devices whose
// ListState is empty (momentarily unlisted, e.g. rebooting); wait-for
// uses it. Each candidate's ListState is asked once.
func (s *Server) acquire(sel selector, checkState, includeUnlisted bool) (*targetEntry, adb.State, string) {
	entries, _ := s.snapshot()
	var notFound, ambiguous string
	switch sel.kind {
	case selectID:
		notFound = fmt.Sprintf("no device with transport id '%d'", sel.id)
	case selectSerial:
		notFound, ambiguous = fmt.Sprintf("device '%s' not found", sel.serial), "more than one device"
	case selectLocal:
		notFound = "no emulators found" // fake devices are all USB
	case selectUSB:
		notFound, ambiguous = "no devices found", "more than one device"
	default:
		notFound, ambiguous = "no devices/emulators found", "more than one device/emulator"
	}
	if sel.kind == selectLocal {
		return nil, "", notFound
	}
	var found *targetEntry
	var foundState adb.State
	for _, e := range entries {
		switch sel.kind {
		case selectID:
			if e.id != sel.id {
				continue
			}
		case selectSerial:
			if !e.matches(sel.serial) {
				continue
			}
		}
		st := e.target.ListState()
		if st == "" && !includeUnlisted {
			continue
		}
		if found != nil {
			return nil, "", ambiguous
		}
		found, foundState = e, st
		if sel.kind == selectID {
			break
		}
	}
	if found == nil {
		return nil, "", notFound
	}
	if checkState {
		if msg := stateFailure(foundState); msg != "" {
			return nil, "", msg
		}
	}
	return found, foundState, ""
}

// matches is adb's atransport::MatchesTarget for a USB device: the serial,
// the dev path, or product:X / model:X / device:X.
func (e *targetEntry) matches(target string) bool {
	if serial := e.target.Serial(); serial != "" && target == serial {
		return true
	}
	if target == e.devpath() {
		return true
	}
	a := e.target.Attributes()
	return qualMatch(target, "product:", a.Product, false) ||
		qualMatch(target, "model:", a.Model, true) ||
		qualMatch(target, "device:", a.Device, false)
}

func qualMatch(target, prefix, value string, alnum bool) bool {
	rest, ok := strings.CutPrefix(target, prefix)
	if !ok || value == "" {
		return false
	}
	if alnum {
		value = sanitizeAlnum(value)
	}
	return rest == value
}

func (e *targetEntry) devpath() string { return fmt.Sprintf("usb:1-1.%d", e.id) }

// deviceList renders host:devices or host:devices-l as adb's
// list_transports does: sorted by serial, unlisted devices left out.
func (s *Server) deviceList(long bool) string {
	entries, _ := s.snapshot()
	type line struct {
		serial string
		text   string
	}
	lines := make([]line, 0, len(entries))
	for _, e := range entries {
		st := e.target.ListState()
		if st == "" {
			continue
		}
		serial := e.target.Serial()
		if serial == "" {
			serial = "(no serial number)"
		}
		var b strings.Builder
		if !long {
			b.WriteString(serial + "\t" + string(st))
		} else {
			a := e.target.Attributes()
			fmt.Fprintf(&b, "%-22s %s", serial, st)
			b.WriteString(" " + e.devpath())
			appendListInfo(&b, "product:", a.Product, false)
			appendListInfo(&b, "model:", a.Model, true)
			appendListInfo(&b, "device:", a.Device, false)
			fmt.Fprintf(&b, " transport_id:%d", e.id)
		}
		b.WriteByte('\n')
		lines = append(lines, line{serial: serial, text: b.String()})
	}
	slices.SortStableFunc(lines, func(a, b line) int { return strings.Compare(a.serial, b.serial) })
	var out strings.Builder
	for _, l := range lines {
		out.WriteString(l.text)
	}
	return out.String()
}

func appendListInfo(b *strings.Builder, key, value string, alnum bool) {
	if value == "" {
		return
	}
	if alnum {
		value = sanitizeAlnum(value)
	} else {
		value = strings.ReplaceAll(value, "\n", "_")
	}
	b.WriteString(" " + key + value)
}

// sanitizeAlnum replaces every byte that is not an ASCII letter or digit
// with '_', as adb does with the model (C isalnum, byte by byte).
func sanitizeAlnum(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			b[i] = '_'
		}
	}
	return string(b)
}

// trackDevices serves host:track-devices[-l]: the list now and again on
// every change, until the client hangs up or the server closes.
func (hc *hostConn) trackDevices(long bool) {
	ctx, cancel := context.WithCancel(hc.srv.ctx)
	defer cancel()
	in := startClientStream(hc.br, cancel, true)
	defer in.stop(hc.conn)
	if !hc.okay() {
		return
	}
	ticker := time.NewTicker(statePollInterval)
	defer ticker.Stop()
	last := ""
	first := true
	for {
		_, changed := hc.srv.snapshot()
		list := hc.srv.deviceList(long)
		if first || list != last {
			if !hc.writeProtocolString(list) {
				return
			}
			first, last = false, list
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-ticker.C:
		}
	}
}

// waitFor serves wait-for-TRANSPORT-STATE. adb's client reads two
// statuses: OKAY when the service starts, then OKAY when the state is
// reached (or FAIL). A serial the server does not know fails at once
// with "device 'S' not found" rather than waiting for it to appear (adb
// would wait until the client gives up).
func (hc *hostConn) waitFor(sel selector, spec string) {
	transport, state, _ := strings.Cut(spec, "-")
	switch transport {
	case "any", "usb", "local":
	default:
		hc.note("wait", sel.serial)
		hc.fail("unknown host service")
		return
	}
	switch state {
	case "device", "recovery", "rescue", "sideload", "bootloader", "any", "disconnect":
	default:
		hc.note("wait", sel.serial)
		hc.fail("unknown host service")
		return
	}
	if hc.bound != nil {
		sel = selector{kind: selectID, id: hc.bound.id}
	} else if sel.kind != selectSerial && sel.kind != selectID {
		sel = selector{kind: map[string]selectKind{"any": selectAny, "usb": selectUSB, "local": selectLocal}[transport]}
	}

	e, st, msg := hc.srv.acquire(sel, false, true)
	hc.note("wait", selectedSerial(e, sel))
	if !hc.okay() {
		return
	}
	if e == nil {
		if state == "disconnect" && !strings.HasPrefix(msg, "more than one") {
			hc.okay() // nothing there: already disconnected
			return
		}
		hc.fail(msg)
		return
	}

	ctx, cancel := context.WithCancel(hc.srv.ctx)
	defer cancel()
	in := startClientStream(hc.br, cancel, true)
	defer in.stop(hc.conn)

	var err error
	switch state {
	case "device":
		err = e.target.WaitOnline(ctx)
	case "disconnect":
		err = hc.pollState(ctx, e, st, func(s adb.State) bool { return !isActiveState(s) })
	case "any":
		err = hc.pollState(ctx, e, st, isActiveState)
	default:
		want := adb.State(state)
		err = hc.pollState(ctx, e, st, func(s adb.State) bool { return s == want })
	}
	if ctx.Err() != nil {
		return // client gone or server closing: nobody to answer
	}
	if err != nil {
		hc.fail(err.Error())
		return
	}
	hc.okay()
}

// pollState re-reads e's ListState until done says so or ctx ends; st is
// the state already read.
func (hc *hostConn) pollState(ctx context.Context, e *targetEntry, st adb.State, done func(adb.State) bool) error {
	ticker := time.NewTicker(statePollInterval)
	defer ticker.Stop()
	for !done(st) {
		_, changed := hc.srv.snapshot()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		case <-ticker.C:
		}
		st = e.target.ListState()
	}
	return nil
}

// connectReply is the text adb connect answers. Fake devices are USB
// devices, so connecting to an address never succeeds.
func (s *Server) connectReply(addr string) string {
	if addr == "" {
		return "empty address"
	}
	serial := adb.WirelessSerial(addr)
	if e, _, _ := s.acquire(selector{kind: selectSerial, serial: serial}, false, false); e != nil {
		return "already connected to " + serial
	}
	return "failed to connect to " + serial
}

// disconnectReply is adb disconnect's answer and whether it is an OKAY
// (adb answers an unknown address with FAIL "no such device 'X'").
func (s *Server) disconnectReply(addr string) (string, bool) {
	if addr == "" {
		return "disconnected everything", true
	}
	serial := adb.WirelessSerial(addr)
	entries, _ := s.snapshot()
	for _, e := range entries {
		if e.target.Serial() == serial {
			return "disconnected " + addr, true
		}
	}
	return fmt.Sprintf("no such device '%s'", serial), false
}

func (hc *hostConn) note(kind, serial string) {
	hc.kind, hc.serial = kind, serial
	hc.srv.note(kind, serial)
}

func (hc *hostConn) write(b []byte) bool {
	_, err := hc.conn.Write(b)
	return err == nil
}

func (hc *hostConn) okay() bool { return hc.write([]byte("OKAY")) }

// okayString answers OKAY plus a length-prefixed payload.
func (hc *hostConn) okayString(payload string) bool {
	if !hc.write([]byte("OKAY")) {
		return false
	}
	return hc.writeProtocolString(payload)
}

// writeProtocolString writes a length-prefixed payload. One adb cannot
// send (over its 1 MiB payload) ends the connection instead, as adb's
// does: never a payload cut in silence.
func (hc *hostConn) writeProtocolString(payload string) bool {
	msg, ok := protocolString(payload)
	if !ok {
		hc.srv.logf("reply of %d bytes is over the protocol's %d: connection closed", len(payload), maxProtocolString)
		return false
	}
	return hc.write(msg)
}

// fail answers FAIL plus a length-prefixed reason.
func (hc *hostConn) fail(reason string) bool {
	if !hc.write([]byte("FAIL")) {
		return false
	}
	return hc.writeProtocolString(reason)
}

// maxProtocolString is the longest payload adb's SendProtocolString
// sends (MAX_PAYLOAD minus the length digits).
const maxProtocolString = 1<<20 - 4

// protocolString is s with its length in hex, formatted as adb's
// SendProtocolString does ("%04x"): from 64 KiB on the length takes 5
// digits, which clients reading 4 must notice (a device list of some 600
// phones is that long). ok is false when s is longer than adb would send.
func protocolString(s string) (msg []byte, ok bool) {
	if len(s) > maxProtocolString {
		return nil, false
	}
	return fmt.Appendf(nil, "%04x%s", len(s), s), true
}
