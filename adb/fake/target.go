// Package fake speaks the ADB protocols on real sockets, so a test or a
// demo can put a simulated device where a phone and its adb server would
// be, the way net/http/httptest puts a handler behind a real HTTP server.
//
// A Target is a device as ADB sees it (the http.Handler of this package):
// something to list, to wait for, and to open device services (shell:,
// exec:, sync:, reboot:) on. Server replaces the adb server: it speaks
// the host protocol on a TCP port and routes device services to its
// Targets. Daemon replaces adbd behind a real adb server (`adb connect`).
// ServeSync and MemFS are the device side of the sync: service for
// Targets that store files.
//
// The simulated Xiaomi phone is a Target of its own package,
// adb/fake/phone; adb/fake/faketest wires a phone, a Server and an
// adb.Device together for tests.
package fake

import (
	"context"
	"io"

	"github.com/miacct/miacct/adb"
)

// Target is a device as the host-protocol server sees it: something to
// list, to route device services to and to wait for. The simulated phone
// (adb/fake/phone) implements it.
type Target interface {
	// Serial the device is listed under.
	Serial() string
	// ListState is the state the server lists now. Asking an offline
	// device counts as a poll and moves its simulated clock on.
	ListState() adb.State
	// Attributes are the product, model and device for host:devices-l and
	// the features for host-serial:S:features.
	Attributes() Attributes
	// WaitOnline blocks until the device is online (in simulated time:
	// it moves the clock to that moment) or ctx ends.
	WaitOnline(ctx context.Context) error
	// Open starts a device service ("shell:...", "exec:...", "sync:",
	// "reboot:"). An error is the FAIL reason sent to the client; else the
	// server answers OKAY and runs the service on the connection.
	Open(ctx context.Context, service string) (Service, error)
}

// Attributes describe a device in the device list.
type Attributes struct {
	Product  string // ro.product.name
	Model    string // ro.product.model
	Device   string // ro.product.device
	Features []string
}

// Service runs one device service on an accepted stream. It reads what the
// client sends (stdin, sync requests) from rw and writes its output to rw;
// returning ends the stream and the server closes the connection. It must
// return when ctx ends (the client hung up or the server is closing).
type Service func(ctx context.Context, rw io.ReadWriter) error
