package fake

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/miacct/miacct/adb"
)

// A minimal adb server side of the transport protocol, strict where adb
// is: it checks ids, the one-WRTE-outstanding rule and payload sizes.

type testHost struct {
	t    testing.TB
	conn net.Conn
	br   *bufio.Reader
	next uint32 // the next host stream id
}

func dialDaemon(t testing.TB, d *Daemon) *testHost {
	t.Helper()
	conn, err := net.Dial("tcp", d.Addr())
	if err != nil {
		t.Fatalf("dial daemon: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	// A bound on every read, so a daemon bug fails the test instead of
	// hanging it; not a timing assertion.
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	return &testHost{t: t, conn: conn, br: bufio.NewReader(conn), next: 100}
}

func (h *testHost) send(cmd, arg0, arg1 uint32, data []byte) {
	h.t.Helper()
	msg := appendHeader(nil, cmd, arg0, arg1, data, false)
	if _, err := h.conn.Write(append(msg, data...)); err != nil {
		h.t.Fatalf("send %s: %v", cmdName(cmd), err)
	}
}

func (h *testHost) read() packet {
	h.t.Helper()
	p, err := h.readErr()
	if err != nil {
		h.t.Fatalf("read packet: %v", err)
	}
	return p
}

func (h *testHost) readErr() (packet, error) {
	var hdr [headerSize]byte
	if _, err := io.ReadFull(h.br, hdr[:]); err != nil {
		return packet{}, err
	}
	le := binary.LittleEndian
	p := packet{cmd: le.Uint32(hdr[0:]), arg0: le.Uint32(hdr[4:]), arg1: le.Uint32(hdr[8:])}
	if le.Uint32(hdr[20:]) != p.cmd^0xffffffff {
		h.t.Fatalf("bad magic from the daemon")
	}
	p.data = make([]byte, le.Uint32(hdr[12:]))
	if _, err := io.ReadFull(h.br, p.data); err != nil {
		return packet{}, err
	}
	// The handshake carries its data check; later packets may write 0.
	if check := le.Uint32(hdr[16:]); check != 0 || p.cmd == aCNXN || p.cmd == aAUTH {
		var sum uint32
		for _, c := range p.data {
			sum += uint32(c)
		}
		if sum != check {
			h.t.Fatalf("%s: data check %d, want the byte sum %d", cmdName(p.cmd), check, sum)
		}
	}
	return p, nil
}

func cmdName(cmd uint32) string {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], cmd)
	return string(b[:])
}

func (p packet) String() string {
	return fmt.Sprintf("%s(%d, %d, %d bytes)", cmdName(p.cmd), p.arg0, p.arg1, len(p.data))
}

// connect does the handshake and returns the device's answer.
func (h *testHost) connect(maxData uint32) packet {
	h.t.Helper()
	h.send(aCNXN, aVersion, maxData, []byte("host::features=shell_v2,cmd,stat_v2,ls_v2,fixed_push_mkdir\x00"))
	return h.read()
}

// open opens a stream and returns the device's id for it.
func (h *testHost) open(service string) (local, remote uint32) {
	h.t.Helper()
	h.next++
	remote = h.next
	h.send(aOPEN, remote, 0, []byte(service+"\x00"))
	p := h.read()
	if p.cmd != aOKAY || p.arg1 != remote || p.arg0 == 0 {
		h.t.Fatalf("OPEN %s: got %v, want OKAY(device id, %d)", strings.Fields(service)[0], p, remote)
	}
	return p.arg0, remote
}

// collect reads one stream to its CLSE, acknowledging every WRTE, and
// checks each payload against maxData.
func (h *testHost) collect(local, remote, maxData uint32) []byte {
	h.t.Helper()
	var out []byte
	for {
		p := h.read()
		if p.arg0 != local || p.arg1 != remote {
			h.t.Fatalf("packet %v for another stream (want %d, %d)", p, local, remote)
		}
		switch p.cmd {
		case aWRTE:
			if uint32(len(p.data)) > maxData {
				h.t.Fatalf("WRTE of %d bytes, over the agreed %d", len(p.data), maxData)
			}
			out = append(out, p.data...)
			h.send(aOKAY, remote, local, nil)
		case aCLSE:
			h.send(aCLSE, remote, local, nil)
			return out
		default:
			h.t.Fatalf("unexpected %v", p)
		}
	}
}

func (h *testHost) run(service string) []byte {
	h.t.Helper()
	local, remote := h.open(service)
	return h.collect(local, remote, maxPayload)
}

func newTestDaemon(t *testing.T, target Target, opts DaemonOptions) *Daemon {
	t.Helper()
	d, err := NewDaemon(target, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("close daemon: %v", err)
		}
	})
	return d
}

// daemonTarget is the device behind a test daemon: online, with
// attributes like a Redmi Note 12.
func daemonTarget() *hostTestTarget {
	t := newHostTestTarget("ignored", adb.StateDevice)
	t.attrs = Attributes{Product: "tapas_global", Model: "23021RAAEG", Device: "tapas"}
	return t
}

func TestDaemonHandshakeBanner(t *testing.T) {
	p := daemonTarget()
	for _, tc := range []struct {
		name     string
		features []string
		want     string
	}{
		{"fixture features (none)", nil, "features="},
		{"only implemented ones", []string{"delayed_ack", "shell_v2", "stat_v2", "fixed_push_mkdir", "shell_v2"}, "features=shell_v2,fixed_push_mkdir"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDaemon(t, p, DaemonOptions{Features: tc.features})
			h := dialDaemon(t, d)
			got := h.connect(maxPayload)
			if got.cmd != aCNXN || got.arg0 != aVersion || got.arg1 != maxPayload {
				t.Fatalf("answer %v (arg0 %08x), want CNXN(%08x, %d)", got, got.arg0, aVersion, maxPayload)
			}
			banner := string(got.data)
			want := "device::ro.product.name=tapas_global;ro.product.model=23021RAAEG;ro.product.device=tapas;" + tc.want
			if banner != want {
				t.Errorf("banner %q\nwant   %q", banner, want)
			}
		})
	}
}

func TestDaemonShellStream(t *testing.T) {
	p := daemonTarget()
	d := newTestDaemon(t, p, DaemonOptions{})
	h := dialDaemon(t, d)
	h.connect(maxPayload)
	if got := string(h.run("shell:echo 23021RAAEG")); got != "23021RAAEG\n" {
		t.Errorf("echo: %q", got)
	}
	// Streams are independent and ids are not reused.
	l1, _ := h.open("shell:echo one")
	out := h.collect(l1, h.next, maxPayload)
	l2, _ := h.open("shell:echo two")
	if l2 == l1 {
		t.Errorf("stream id %d reused", l1)
	}
	out = append(out, h.collect(l2, h.next, maxPayload)...)
	if string(out) != "one\ntwo\n" {
		t.Errorf("outputs %q", out)
	}
	if got := d.Requests()["shell"]; got != 3 {
		t.Errorf("shell requests %d, want 3", got)
	}
}

// A 500 KB output through a host that takes 4 KiB packets: every WRTE
// within the limit, one outstanding at a time, the bytes intact.
func TestDaemonLargeOutputFlowControl(t *testing.T) {
	p := daemonTarget()
	want := bigOutput(500 << 10)
	d := newTestDaemon(t, p, DaemonOptions{})
	h := dialDaemon(t, d)
	const hostMax = 4096
	h.connect(hostMax)
	local, remote := h.open(fmt.Sprintf("exec:big %d", len(want)))
	var got []byte
	checked := 0
	for {
		pk := h.read()
		if pk.arg0 != local || pk.arg1 != remote {
			t.Fatalf("packet %v for another stream", pk)
		}
		if pk.cmd == aCLSE {
			h.send(aCLSE, remote, local, nil)
			break
		}
		if pk.cmd != aWRTE {
			t.Fatalf("unexpected %v", pk)
		}
		if len(pk.data) > hostMax {
			t.Fatalf("WRTE of %d bytes, over the host's %d", len(pk.data), hostMax)
		}
		got = append(got, pk.data...)
		// Before acknowledging, make the daemon answer a whole other
		// stream: a second WRTE of the output in between breaks the rule.
		if checked < 3 {
			checked++
			l2, r2 := h.open("shell:echo ping")
			if out := h.collect(l2, r2, hostMax); string(out) != "ping\n" {
				t.Fatalf("ping stream: %q", out)
			}
		}
		h.send(aOKAY, remote, local, nil)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("output through the daemon: %d bytes, differs from the %d bytes sent", len(got), len(want))
	}
}

// syncRequest is one sync request: id, length, payload.
func syncRequest(id string, payload []byte) []byte {
	b := append([]byte(id), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(payload)))
	return append(b, payload...)
}

// writeStream sends data on a stream in WRTEs of at most maxData, each
// after the device's OKAY for the previous one.
func (h *testHost) writeStream(local, remote uint32, data []byte, maxData int) {
	h.t.Helper()
	for len(data) > 0 {
		n := min(len(data), maxData)
		h.send(aWRTE, remote, local, data[:n])
		data = data[n:]
		p := h.read()
		if p.cmd != aOKAY || p.arg0 != local || p.arg1 != remote {
			h.t.Fatalf("after WRTE: %v, want OKAY(%d, %d)", p, local, remote)
		}
	}
}

// A 10 MB push and pull over sync: every host WRTE is acknowledged and
// the file comes back intact.
func TestDaemonPushPull10MB(t *testing.T) {
	p := daemonTarget()
	d := newTestDaemon(t, p, DaemonOptions{})
	h := dialDaemon(t, d)
	h.connect(maxPayload)

	block := make([]byte, 4099) // a prime length: chunks never align with it
	for i := range block {
		block[i] = byte(i*7 + i>>5)
	}
	file := bytes.Repeat(block, (10<<20)/len(block)+1)[:10<<20]
	var req []byte
	req = append(req, syncRequest("SEND", []byte("/sdcard/big.bin,33188"))...)
	for off := 0; off < len(file); off += syncMaxChunk {
		req = append(req, syncRequest("DATA", file[off:min(off+syncMaxChunk, len(file))])...)
	}
	done := syncRequest("DONE", nil)
	binary.LittleEndian.PutUint32(done[4:], 1700000000)
	req = append(req, done...)

	local, remote := h.open("sync:")
	h.writeStream(local, remote, req, maxPayload)
	if p := h.read(); p.cmd != aWRTE || !bytes.HasPrefix(p.data, []byte("OKAY")) {
		t.Fatalf("push status %v %q", p, p.data)
	} else {
		h.send(aOKAY, remote, local, nil)
	}
	// Pull it back on the same sync session.
	h.writeStream(local, remote, syncRequest("RECV", []byte("/sdcard/big.bin")), maxPayload)
	var raw []byte
	for !bytes.HasSuffix(raw, append([]byte("DONE"), 0, 0, 0, 0)) {
		p := h.read()
		if p.cmd != aWRTE || p.arg0 != local {
			t.Fatalf("during pull: %v", p)
		}
		raw = append(raw, p.data...)
		h.send(aOKAY, remote, local, nil)
	}
	var pulled []byte
	for r := raw; len(r) >= 8; {
		id, n := string(r[:4]), binary.LittleEndian.Uint32(r[4:8])
		if id == "DONE" {
			break
		}
		if id != "DATA" {
			t.Fatalf("sync reply %q", id)
		}
		pulled = append(pulled, r[8:8+n]...)
		r = r[8+n:]
	}
	if sha256.Sum256(pulled) != sha256.Sum256(file) {
		t.Fatalf("pulled %d bytes, differ from the %d pushed", len(pulled), len(file))
	}
	h.writeStream(local, remote, syncRequest("QUIT", nil), maxPayload)
	if p := h.read(); p.cmd != aCLSE || p.arg0 != local || p.arg1 != remote {
		t.Fatalf("after QUIT: %v, want CLSE", p)
	}
}

// Closing: the host's CLSE is answered with a CLSE, never an OKAY;
// duplicate, late and unknown CLSEs are ignored and the connection goes on.
func TestDaemonCloseFromHost(t *testing.T) {
	p := daemonTarget()
	d := newTestDaemon(t, p, DaemonOptions{})
	h := dialDaemon(t, d)
	h.connect(maxPayload)

	local, remote := h.open("sync:") // waits for requests
	h.send(aCLSE, remote, local, nil)
	if got := h.read(); got.cmd != aCLSE || got.arg0 != local || got.arg1 != remote {
		t.Fatalf("after the host's CLSE: %v, want CLSE(%d, %d)", got, local, remote)
	}
	h.send(aCLSE, remote, local, nil) // duplicate
	h.send(aCLSE, 0, local, nil)      // old-style, late
	h.send(aCLSE, 7, 9999, nil)       // unknown ids
	h.send(aOKAY, remote, local, nil) // late OKAY
	h.send(aWRTE, remote, local, []byte("late"))
	// The next packet must belong to a new stream: nothing answered the
	// stray packets above.
	if got := string(h.run("shell:echo still here")); got != "still here\n" {
		t.Fatalf("after stray CLSEs: %q", got)
	}

	// A running stream closed by the host with CLSE(0, id) (old hosts).
	local, remote = h.open("sync:")
	h.send(aCLSE, 0, local, nil)
	if got := h.read(); got.cmd != aCLSE || got.arg0 != local || got.arg1 != remote {
		t.Fatalf("after CLSE(0, id): %v, want CLSE", got)
	}
	// A CLSE naming another host id leaves the stream alone.
	local, remote = h.open("sync:")
	h.send(aCLSE, remote+1000, local, nil)
	h.writeStream(local, remote, syncRequest("QUIT", nil), maxPayload)
	if got := h.read(); got.cmd != aCLSE || got.arg0 != local || got.arg1 != remote {
		t.Fatalf("after QUIT: %v", got)
	}
}

func TestDaemonRefusesUnknownService(t *testing.T) {
	p := daemonTarget()
	d := newTestDaemon(t, p, DaemonOptions{})
	h := dialDaemon(t, d)
	h.connect(maxPayload)
	h.send(aOPEN, 55, 0, []byte("jdwp:1234\x00"))
	if got := h.read(); got.cmd != aCLSE || got.arg0 != 0 || got.arg1 != 55 {
		t.Fatalf("got %v, want CLSE(0, 55)", got)
	}
	if d.Requests()["refused"] != 1 {
		t.Errorf("requests %v", d.Requests())
	}
}

func TestDaemonAuthNeverAccepts(t *testing.T) {
	p := daemonTarget()
	d := newTestDaemon(t, p, DaemonOptions{Auth: true})
	h := dialDaemon(t, d)
	tok := h.connect(maxPayload)
	if tok.cmd != aAUTH || tok.arg0 != authToken || len(tok.data) != authTokenSize {
		t.Fatalf("answer to CNXN: %v, want AUTH(TOKEN) with %d bytes", tok, authTokenSize)
	}
	// An OPEN before authentication is ignored: the packet after it
	// answers the signature that follows.
	h.send(aOPEN, 1, 0, []byte("shell:id\x00"))
	h.send(aAUTH, authSignature, 0, bytes.Repeat([]byte{1}, 256))
	tok2 := h.read()
	if tok2.cmd != aAUTH || tok2.arg0 != authToken || bytes.Equal(tok2.data, tok.data) {
		t.Fatalf("answer to a signature: %v, want a fresh AUTH(TOKEN)", tok2)
	}
	h.send(aAUTH, authRSAPublicKey, 0, []byte("QAAAA... host@key\x00"))
	h.send(aAUTH, authSignature, 0, bytes.Repeat([]byte{2}, 256))
	if got := h.read(); got.cmd != aAUTH {
		t.Fatalf("after the public key: %v, want still AUTH", got)
	}
	if d.Requests()["cnxn"] != 0 || d.Requests()["shell"] != 0 {
		t.Errorf("requests %v: the device came online", d.Requests())
	}
}

func TestDaemonUnauthorizedFixture(t *testing.T) {
	p := daemonTarget()
	p.state = adb.StateUnauthorized
	d := newTestDaemon(t, p, DaemonOptions{})
	if got := dialDaemon(t, d).connect(maxPayload); got.cmd != aAUTH {
		t.Fatalf("answer %v, want AUTH", got)
	}
}

// A reboot drops the connection; the next connection waits until the
// device is online again.
func TestDaemonRebootDropsAndComesBack(t *testing.T) {
	p := daemonTarget()
	d := newTestDaemon(t, p, DaemonOptions{})
	h := dialDaemon(t, d)
	h.connect(maxPayload)
	bootID := string(h.run("shell:boot-id"))
	h.open("sync:") // a stream that is busy when the phone goes down

	// The phone goes down: the connection drops, with no CLSE first.
	h.open("reboot:")
	if pk, err := h.readErr(); err == nil {
		t.Fatalf("while rebooting: %v, want the connection to drop", pk)
	}
	if p.rebootCount() != 1 {
		t.Fatalf("reboots %d", p.rebootCount())
	}
	if d.Requests()["drop"] != 1 {
		t.Errorf("requests %v, want one drop", d.Requests())
	}

	h2 := dialDaemon(t, d)
	if got := h2.connect(maxPayload); got.cmd != aCNXN {
		t.Fatalf("after the reboot: %v, want CNXN", got)
	}
	if newID := string(h2.run("shell:boot-id")); newID == bootID || newID == "" {
		t.Errorf("boot id %q after the reboot, was %q", newID, bootID)
	}
}

// Close ends connections and services and leaves no goroutine behind.
func TestDaemonCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	p := daemonTarget()
	d, err := NewDaemon(p, DaemonOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h := dialDaemon(t, d)
	h.connect(maxPayload)
	h.run("shell:echo hi")
	h.open("sync:")            // waiting for a request
	h.open("shell:echo later") // output not acknowledged
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := net.Dial("tcp", d.Addr()); err == nil {
		t.Error("still listening after Close")
	}
	_ = h.conn.Close()
	// Goroutines of the Go runtime and the test's own connection take a
	// moment to end; wait for them (bounded), asserting no timing.
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines after Close, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

// A connection that sends no CNXN within IdleTimeout is closed; one that
// shook hands may stay idle, as an adb server's does.
func TestDaemonIdleTimeout(t *testing.T) {
	d := newTestDaemon(t, daemonTarget(), DaemonOptions{IdleTimeout: 50 * time.Millisecond})
	c, err := net.Dial("tcp", d.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("a silent connection was kept")
	}
	h := dialDaemon(t, d)
	h.connect(maxPayload)
	// Another silent connection is closed meanwhile: the handshaken one
	// has been idle longer than the idle timeout.
	c2, err := net.Dial("tcp", d.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	_ = c2.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c2.Read(make([]byte, 1)); err == nil {
		t.Fatal("a silent connection was kept")
	}
	if got := string(h.run("shell:echo still here")); got != "still here\n" {
		t.Errorf("after idling: %q", got)
	}
	if d.Requests()["idle"] != 2 {
		t.Errorf("requests %v, want two idle connections closed", d.Requests())
	}
}
