package adb

import (
	"errors"
	"strings"
)

// Errors a caller can tell apart with errors.Is. They are wrapped with the
// call that failed; messages never contain the text of a shell command,
// because commands may carry typed secrets.
var (
	// ErrServerUnreachable: nothing answers at the ADB server address.
	ErrServerUnreachable = errors.New("adb server not reachable")
	// ErrNotADBServer: something answers at the ADB server address, but
	// not the ADB protocol (an HTTP server, another program), or nothing
	// within ProbeTimeout.
	ErrNotADBServer = errors.New("not an ADB server")
	// ErrNoDevice: the server lists no device.
	ErrNoDevice = errors.New("no device connected")
	// ErrDeviceNotFound: the server does not list the requested serial.
	ErrDeviceNotFound = errors.New("device not found")
	// ErrUnauthorized: the phone has not accepted this computer's RSA key.
	ErrUnauthorized = errors.New("device unauthorized")
	// ErrOffline: the device is listed but offline.
	ErrOffline = errors.New("device offline")
	// ErrDeviceLost: the connection to the device dropped during a call.
	ErrDeviceLost = errors.New("device connection lost")
	// ErrTimeout: the call's deadline passed before the device answered.
	ErrTimeout = errors.New("device did not answer in time")
	// ErrBadOutput: the phone or the ADB server sent something that
	// cannot be what was asked for (malformed XML, binary garbage, output
	// cut off mid-transfer, a length larger than the data behind it,
	// more than a documented cap). A device or transport problem, not a
	// bug of the caller. The more specific errors below are ErrBadOutput
	// too (errors.Is).
	ErrBadOutput = errors.New("device or adb server sent malformed output")
	// ErrOutputTooLarge: a reply was larger than its cap (MaxShellOutput,
	// MaxDumpOutput, MaxScreenshot); reading stopped there. It is
	// ErrBadOutput.
	ErrOutputTooLarge error = &badOutput{"output larger than allowed"}
	// ErrProtocol: the server answered something the protocol does not
	// allow. It is ErrBadOutput.
	ErrProtocol error = &badOutput{"adb protocol error"}
	// ErrFailed: the server or device refused a request (FAIL).
	ErrFailed = errors.New("adb request failed")

	// ErrIdleState: uiautomator could not get an idle state (the screen
	// keeps animating). Retrying usually helps.
	ErrIdleState = errors.New("uiautomator: could not get idle state")
	// ErrEmptyDump: uiautomator printed no hierarchy, or a truncated one
	// (screen off, dump crashed, cut off in transfer). Retrying usually
	// helps. It is ErrBadOutput.
	ErrEmptyDump error = &badOutput{"uiautomator: empty or truncated hierarchy"}
	// ErrInjectionDenied: `input` was refused for lack of INJECT_EVENTS
	// (MIUI's "USB debugging (Security settings)" is off).
	ErrInjectionDenied = errors.New("input injection not allowed")
	// ErrUntypable: text holds characters `input text` cannot type.
	ErrUntypable = errors.New("text cannot be typed with input text")
	// ErrActivityNotFound: `am start` could not resolve the intent.
	ErrActivityNotFound = errors.New("activity not found")
	// ErrNotPNG: screencap did not return a PNG image. It is ErrBadOutput.
	ErrNotPNG error = &badOutput{"screenshot is not a PNG image"}
)

// badOutput is a sentinel error that is also ErrBadOutput.
type badOutput struct{ msg string }

func (e *badOutput) Error() string { return e.msg }
func (e *badOutput) Unwrap() error { return ErrBadOutput }

// MultipleDevicesError is returned when no serial was given and the server
// lists more than one device.
type MultipleDevicesError struct {
	Devices []DeviceInfo
}

func (e *MultipleDevicesError) Error() string {
	var b strings.Builder
	b.WriteString("more than one device connected; choose one with -s SERIAL:")
	for _, d := range e.Devices {
		b.WriteString("\n  ")
		b.WriteString(d.Serial)
		b.WriteString("\t")
		b.WriteString(string(d.State))
		if d.Model != "" {
			b.WriteString("\t")
			b.WriteString(d.Model)
		}
	}
	return b.String()
}
