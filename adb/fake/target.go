// Package fake is a simulated Xiaomi phone behind a real ADB socket.
//
// Server speaks the ADB host protocol on a loopback listener, the way the
// adb server does, so gadb (and any ADB client) talks to it unchanged, like
// net/http/httptest does for HTTP. Behind the server, each Phone simulates a
// device loaded from a fixture: a real shell interpreter with Android's
// commands, screens from genuine uiautomator dumps, taps that follow the
// fixture's transitions, reboots, and a simulated clock so nothing sleeps
// for real.
package fake

import (
	"context"
	"io"

	"github.com/miacct/miacct/adb"
)

// Target is a device as the host-protocol server sees it: something to
// list, to route device services to and to wait for. *Phone implements it.
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
