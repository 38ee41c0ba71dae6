// Package adb talks to Android devices through an ADB server.
//
// The rest of miacct sees a phone only through the narrow Device interface:
// a handful of transport-level calls (shell, exec, reboot, state, wait).
// The Android conveniences the flows need (properties, UI dumps,
// screenshots, input events, activity starts, boot waits) are plain
// functions over a Device, so a decorator (counting, recording) wraps the
// six methods once and sees every call. File transfer (the sync:
// service) is the optional Syncer, which no product code needs.
package adb

import (
	"context"
	"io"
	"io/fs"
	"time"
)

// Device is one phone behind an ADB server. Every call takes a context and
// returns within its deadline, also when the phone stops answering.
type Device interface {
	// Serial is the serial the ADB server lists the device under.
	Serial() string

	// Shell runs cmd with the device's shell (shell: service, v1) and returns
	// the merged stdout and stderr with the command's exit status.
	Shell(ctx context.Context, cmd string) (ShellResult, error)

	// Exec runs cmd through the exec: service: no PTY, binary-safe output,
	// no exit status.
	Exec(ctx context.Context, cmd string) ([]byte, error)

	// Reboot asks adbd to restart the phone (reboot: service); it returns
	// once adbd has accepted the request, not when the phone is back.
	Reboot(ctx context.Context) error

	// State asks the ADB server for the device's state ("device",
	// "offline", "unauthorized", ...).
	State(ctx context.Context) (State, error)

	// WaitForDevice blocks until the ADB server lists the device as online
	// (the server's wait-for-any-device service), or ctx ends.
	WaitForDevice(ctx context.Context) error
}

// Syncer copies files to and from a device through the sync: service.
// The devices of a Client implement it; decorators forward it (see
// SyncerOf).
type Syncer interface {
	// Push writes src to remotePath on the device.
	Push(ctx context.Context, src io.Reader, remotePath string, mode fs.FileMode, mtime time.Time) error
	// Pull copies remotePath from the device to dst.
	Pull(ctx context.Context, remotePath string, dst io.Writer) error
}

// SyncerOf returns d's file transfer, if it has one: d itself when it is
// a Syncer, else what a decorator around it forwards. A decorator offers
// the Syncer of the device it wraps through a method
// `Syncer() (Syncer, bool)`, so a decorator of a device without one has
// none either.
func SyncerOf(d Device) (Syncer, bool) {
	if s, ok := d.(Syncer); ok {
		return s, true
	}
	if w, ok := d.(interface{ Syncer() (Syncer, bool) }); ok {
		return w.Syncer()
	}
	return nil, false
}

// ShellResult is what a shell command printed and how it exited.
type ShellResult struct {
	Output   []byte // stdout and stderr, merged as shell v1 delivers them
	ExitCode int
}

// String returns the output as text.
func (r ShellResult) String() string { return string(r.Output) }

// State is a device state as the ADB server names it.
type State string

// Device states from the ADB host protocol.
const (
	StateDevice       State = "device"
	StateOffline      State = "offline"
	StateUnauthorized State = "unauthorized"
	StateAuthorizing  State = "authorizing"
	StateConnecting   State = "connecting"
	StateBootloader   State = "bootloader"
	StateRecovery     State = "recovery"
	StateSideload     State = "sideload"
	StateUnknown      State = "unknown"
)

// DeviceInfo is one line of the ADB server's device list (host:devices-l).
type DeviceInfo struct {
	Serial  string
	State   State
	Product string // ro.product.name
	Model   string // ro.product.model, non-alphanumerics as '_'
	Device  string // ro.product.device
	// Server is the ADB server address the device was listed by
	// (HOST:PORT), so devices of several servers can be told apart.
	Server string
}
