package adb_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake"
	"github.com/miacct/miacct/adb/fake/faketest"
	"github.com/miacct/miacct/adb/fake/phone"
	"github.com/miacct/miacct/adb/hierarchy"
)

// scriptedServer answers every connection's first host request with
// reply(request); it stands for an ADB server that misbehaves.
func scriptedServer(t *testing.T, reply func(req string) []byte) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				var head [4]byte
				if _, err := io.ReadFull(c, head[:]); err != nil {
					return
				}
				n, err := strconv.ParseUint(string(head[:]), 16, 16)
				if err != nil {
					return
				}
				req := make([]byte, n)
				if _, err := io.ReadFull(c, req); err != nil {
					return
				}
				_, _ = c.Write(reply(string(req)))
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

// A server that announces more bytes than it sends sent garbage.
func TestShortPayloadIsBadOutput(t *testing.T) {
	addr := scriptedServer(t, func(string) []byte { return []byte("OKAY0040abc\tdevice\n") })
	_, err := adb.NewClient(addr, adb.ClientOptions{CallTimeout: 5 * time.Second}).Devices(context.Background())
	if !errors.Is(err, adb.ErrBadOutput) || !errors.Is(err, adb.ErrProtocol) {
		t.Fatalf("Devices = %v, want ErrBadOutput (ErrProtocol)", err)
	}
	if !strings.Contains(err.Error(), "announced 64 bytes and sent 11") {
		t.Errorf("message %q does not say what was wrong", err)
	}
}

// endless is a device whose every exec: prints without end.
type endless struct{ written chan int64 }

func (endless) Serial() string                       { return "endless" }
func (endless) ListState() adb.State                 { return adb.StateDevice }
func (endless) Attributes() fake.Attributes          { return fake.Attributes{Model: "m"} }
func (endless) WaitOnline(ctx context.Context) error { return nil }
func (e endless) Open(ctx context.Context, service string) (fake.Service, error) {
	return func(ctx context.Context, rw io.ReadWriter) error {
		chunk := []byte(strings.Repeat(`<node index="0" text="x" bounds="[0,0][1,1]">`, 1000))
		var n int64
		defer func() { e.written <- n }()
		if _, err := io.WriteString(rw, `<?xml version='1.0' ?><hierarchy rotation="0">`); err != nil {
			return nil
		}
		for ctx.Err() == nil {
			k, err := rw.Write(chunk)
			n += int64(k)
			if err != nil {
				return nil
			}
		}
		return nil
	}, nil
}

// A phone that never stops sending is cut off at the cap, while the
// reply streams in: the call fails fast and reads little more than the cap.
func TestEndlessOutputIsCut(t *testing.T) {
	for _, tc := range []struct {
		name string
		call func(context.Context, adb.Device) error
		cap  int64
	}{
		{"dump", func(ctx context.Context, d adb.Device) error { _, err := adb.DumpUI(ctx, d); return err }, adb.MaxDumpOutput},
		{"exec", func(ctx context.Context, d adb.Device) error { _, err := d.Exec(ctx, "cat /dev/zero"); return err }, adb.MaxShellOutput},
		{"shell", func(ctx context.Context, d adb.Device) error { _, err := d.Shell(ctx, "yes"); return err }, adb.MaxShellOutput},
		{"screenshot", func(ctx context.Context, d adb.Device) error { _, err := adb.Screenshot(ctx, d); return err }, adb.MaxScreenshot},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := endless{written: make(chan int64, 1)}
			env := faketest.Serve(t, faketest.Options{Client: adb.ClientOptions{CallTimeout: time.Minute}}, target)
			err := tc.call(context.Background(), env.Device)
			if !errors.Is(err, adb.ErrOutputTooLarge) || !errors.Is(err, adb.ErrBadOutput) {
				t.Fatalf("error = %v, want ErrOutputTooLarge (ErrBadOutput)", err)
			}
			// What the phone wrote into socket buffers before the client
			// hung up: the cap plus some MB in flight, not the minute's
			// worth of gigabytes an unbounded read would take.
			if written := <-target.written; written > tc.cap+32<<20 {
				t.Errorf("the phone got to send %d bytes for a cap of %d", written, tc.cap)
			}
		})
	}
}

// Garbage in place of a dump: binary output, malformed XML, a dump cut
// off mid-transfer. Each is ErrBadOutput, not a bug of miacct.
func TestGarbageDumpsAreBadOutput(t *testing.T) {
	for name, out := range map[string]string{
		"binary":    "\x00\x01\x02\xff\xfe garbage",
		"malformed": `<?xml version='1.0' ?><hierarchy rotation="0"><node index="0" bounds="[0,0][1,1]"><node></hierarchy>`,
		"not utf-8": "<hierarchy rotation=\"0\"><node index=\"0\" text=\"\xff\xfe\" bounds=\"[0,0][1,1]\" /></hierarchy>",
		"cut off":   `<?xml version='1.0' ?><hierarchy rotation="0"><node index="0" text="Settings" bounds="[0,0][1`,
		"window":    `<hierarchy rotation="0"><window/></hierarchy>`,
	} {
		t.Run(name, func(t *testing.T) {
			dump, err := adb.ParseDump([]byte(out))
			if err == nil {
				_, err = hierarchy.ParseContext(context.Background(), dump.XML)
			}
			if !errors.Is(err, adb.ErrBadOutput) {
				t.Fatalf("error = %v, want ErrBadOutput", err)
			}
		})
	}
}

func TestParseDumpUptime(t *testing.T) {
	const xml = `<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation="0"></hierarchy>`
	for _, tc := range []struct {
		name, out string
		want      time.Duration
	}{
		{"uptime then dump", "12345.67 98765.43\n" + xml + "UI hierchary dumped to: /dev/tty\n", 12345670 * time.Millisecond},
		{"dump alone", xml + "UI hierchary dumped to: /dev/tty\n", 0},
		{"garbled uptime", "cat: /proc/uptime: Permission denied\n" + xml, 0},
		{"one field", "12.5\n" + xml, 0},
		{"negative", "-5.00 1.00\n" + xml, 0},
		{"exponent", "1e9 1.00\n" + xml, 0},
		{"just booted", "0.42 0.10\n" + xml, 420 * time.Millisecond},
	} {
		d, err := adb.ParseDump([]byte(tc.out))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if d.Uptime != tc.want || string(d.XML) != xml {
			t.Errorf("%s: uptime %s, xml %q; want %s", tc.name, d.Uptime, d.XML, tc.want)
		}
	}
	if _, err := adb.ParseDump([]byte("12.00 1.00\nERROR: could not get idle state.\n")); !errors.Is(err, adb.ErrIdleState) {
		t.Errorf("idle: %v, want ErrIdleState", err)
	}
}

// More phones than a 4-hex-digit length can list (some 600 of them on
// one server): every one is listed, none dropped in silence.
func TestDevicesBeyond64KiB(t *testing.T) {
	fx := faketest.Fixture(t, "miui14-en")
	var targets []fake.Target
	for i := range 1024 {
		ph, err := phone.New(fx, phone.Options{Serial: fmt.Sprintf("%08x", 0x6d8f0000+i)})
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, ph)
	}
	c := faketest.Serve(t, faketest.Options{}, targets...).Client
	list, err := c.Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1024 {
		t.Fatalf("%d devices listed, want 1024", len(list))
	}
	seen := map[string]bool{}
	for _, d := range list {
		if d.State != adb.StateDevice || d.Model != "23021RAAEG" || seen[d.Serial] {
			t.Fatalf("device %+v (seen before: %t)", d, seen[d.Serial])
		}
		seen[d.Serial] = true
	}
	dev, err := c.Device(context.Background(), fmt.Sprintf("%08x", 0x6d8f0000+1023))
	if err != nil {
		t.Fatalf("the last phone: %v", err)
	}
	if _, err := adb.Prop(context.Background(), dev, "ro.product.model"); err != nil {
		t.Errorf("the last phone does not answer: %v", err)
	}
}

// A length that matches the data in no way is garbage, not a shorter list.
func TestDeviceListLengthMismatch(t *testing.T) {
	for _, reply := range []string{
		"OKAY0005abc\tdevice\n",           // shorter than the data
		"OKAY1ab0abc\tdevice\n",           // no digit count fits
		"OKAYzzzzabc\tdevice\n",           // not hex
		"OKAY" + strings.Repeat("x", 100), // no length at all
	} {
		addr := scriptedServer(t, func(string) []byte { return []byte(reply) })
		_, err := adb.NewClient(addr, adb.ClientOptions{}).Devices(context.Background())
		if !errors.Is(err, adb.ErrProtocol) {
			t.Errorf("reply %q: %v, want ErrProtocol", reply, err)
		}
	}
}
