package adb

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultCallTimeout bounds every call when ClientOptions.CallTimeout is zero.
const DefaultCallTimeout = 30 * time.Second

// DefaultProbeTimeout is how long Version waits for the first bytes of
// the server's answer when ClientOptions.ProbeTimeout is zero. An ADB
// server answers host:version at once.
const DefaultProbeTimeout = 500 * time.Millisecond

// ClientOptions tune a Client.
type ClientOptions struct {
	// CallTimeout bounds each call to the server or a device; the
	// effective deadline is the earlier of it and the ctx deadline.
	// Zero means DefaultCallTimeout. Override it for the calls under one
	// ctx with WithCallTimeout.
	CallTimeout time.Duration
	// ProbeTimeout bounds how long Version, the first request miacct
	// sends a server, waits for OKAY or FAIL before it says the address is
	// not an ADB server. Zero means DefaultProbeTimeout.
	ProbeTimeout time.Duration
}

// Client talks to one ADB server. It holds no connection: every call dials
// the server, as adb's own client does, so a Client is safe for concurrent
// use and never goes stale.
type Client struct {
	addr         string
	callTimeout  time.Duration
	probeTimeout time.Duration
}

// NewClient returns a client of the ADB server at addr (HOST:PORT, see
// ResolveServer). It does no I/O.
func NewClient(addr string, opts ClientOptions) *Client {
	t := opts.CallTimeout
	if t <= 0 {
		t = DefaultCallTimeout
	}
	p := opts.ProbeTimeout
	if p <= 0 {
		p = DefaultProbeTimeout
	}
	return &Client{addr: addr, callTimeout: t, probeTimeout: p}
}

// Addr is the server address the client talks to.
func (c *Client) Addr() string { return c.addr }

type callTimeoutKey struct{}

// WithCallTimeout returns a ctx under which every call uses d as its
// per-call timeout instead of the client's, e.g. for a wait for boot that
// legitimately takes minutes. d <= 0 removes the per-call timeout: only
// the ctx deadline applies.
func WithCallTimeout(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, callTimeoutKey{}, d)
}

// Caps on what one call reads from the phone, enforced while the reply
// streams in: beyond them the call fails with ErrOutputTooLarge and the
// rest is not read, so a phone that sends without end costs at most the
// cap in memory.
const (
	// MaxShellOutput caps the output of a Shell or Exec call.
	MaxShellOutput = 16 << 20
	// MaxDumpOutput caps a UI dump (DumpUI); real ones are tens of KB.
	MaxDumpOutput = 8 << 20
	// MaxScreenshot caps a screenshot (Screenshot): a PNG of a 1440x3200
	// screen is a few MB, and no more than 18 MB uncompressed.
	MaxScreenshot = 32 << 20
)

type outputLimitKey struct{}

// withOutputLimit returns a ctx under which Shell and Exec read at most
// n bytes of output instead of MaxShellOutput.
func withOutputLimit(ctx context.Context, n int64) context.Context {
	return context.WithValue(ctx, outputLimitKey{}, n)
}

// outputLimit is the output cap of the calls under ctx.
func outputLimit(ctx context.Context) int64 {
	if n, ok := ctx.Value(outputLimitKey{}).(int64); ok && n > 0 {
		return n
	}
	return MaxShellOutput
}

// callContext bounds one call: its deadline is the earlier of the ctx
// deadline and now + the call timeout.
func (c *Client) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	d := c.callTimeout
	if v, ok := ctx.Value(callTimeoutKey{}).(time.Duration); ok {
		d = v
	}
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// Version returns the ADB server's protocol version (41 for adb 29). It
// is the request that checks a server address: an answer other than OKAY
// or FAIL, or none within the probe timeout, is ErrNotADBServer.
func (c *Client) Version(ctx context.Context) (int, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	h, err := dialHost(ctx, c.addr)
	if err != nil {
		return 0, fmt.Errorf("adb server version: %w", err)
	}
	defer h.Close()
	if err := h.probe("host:version", c.probeTimeout); err != nil {
		return 0, fmt.Errorf("adb server version: %w", err)
	}
	payload, err := h.readPayload()
	if err != nil {
		return 0, fmt.Errorf("adb server version: %w", err)
	}
	v, err := strconv.ParseUint(string(payload), 16, 32)
	if err != nil {
		return 0, fmt.Errorf("adb server version: %w: version %q is not a hex number", ErrProtocol, payload)
	}
	return int(v), nil
}

// Devices lists every device the server knows, in every state.
func (c *Client) Devices(ctx context.Context) ([]DeviceInfo, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	h, err := dialHost(ctx, c.addr)
	if err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	defer h.Close()
	if err := h.request("host:devices-l"); err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	payload, err := h.readListing()
	if err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	return parseDevices(string(payload), c.addr), nil
}

// deviceAttrs are the attribute keys host:devices-l appends after the state.
var deviceAttrs = [...]string{"usb:", "product:", "model:", "device:", "transport_id:"}

func isDeviceAttr(field string) bool {
	for _, a := range deviceAttrs {
		if strings.HasPrefix(field, a) {
			return true
		}
	}
	return false
}

// parseDevices reads host:devices-l (and host:devices) output. The state
// is everything between the serial and the first attribute, since a
// no-permissions state is a sentence with spaces.
func parseDevices(text, server string) []DeviceInfo {
	var out []DeviceInfo
	for _, line := range strings.Split(text, "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		end := len(fields)
		for end > 2 && isDeviceAttr(fields[end-1]) {
			end--
		}
		info := DeviceInfo{
			Serial: fields[0],
			State:  State(strings.Join(fields[1:end], " ")),
			Server: server,
		}
		for _, f := range fields[end:] {
			k, v, _ := strings.Cut(f, ":")
			switch k {
			case "product":
				info.Product = v
			case "model":
				info.Model = v
			case "device":
				info.Device = v
			}
		}
		out = append(out, info)
	}
	return out
}

// Device returns the device with serial, or the only device when serial
// is "". The device must be online: an unauthorized or offline device is
// an error that says what to do.
func (c *Client) Device(ctx context.Context, serial string) (Device, error) {
	list, err := c.Devices(ctx)
	if err != nil {
		return nil, err
	}
	var info DeviceInfo
	if serial == "" {
		switch len(list) {
		case 0:
			return nil, fmt.Errorf("%w to the adb server at %s: plug the phone in and enable USB debugging", ErrNoDevice, c.addr)
		case 1:
			info = list[0]
		default:
			return nil, &MultipleDevicesError{Devices: list}
		}
	} else {
		found := false
		for _, d := range list {
			if d.Serial == serial {
				info, found = d, true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("%w: %q is not listed by the adb server at %s; connected: %s", ErrDeviceNotFound, serial, c.addr, describeDevices(list))
		}
	}
	switch info.State {
	case StateDevice:
		return &serverDevice{client: c, serial: info.Serial}, nil
	case StateUnauthorized, StateAuthorizing:
		return nil, fmt.Errorf("%s: %w: accept the RSA key prompt (\"Allow USB debugging?\") on the phone, then try again", info.Serial, ErrUnauthorized)
	case StateOffline, StateConnecting:
		return nil, fmt.Errorf("%s: %w: reconnect the cable, or restart the adb server (`adb kill-server`)", info.Serial, ErrOffline)
	default:
		return nil, fmt.Errorf("%s: %w: device is in state %q, not a running system", info.Serial, ErrFailed, info.State)
	}
}

func describeDevices(list []DeviceInfo) string {
	if len(list) == 0 {
		return "none"
	}
	parts := make([]string, len(list))
	for i, d := range list {
		parts[i] = d.Serial + " (" + string(d.State) + ")"
	}
	return strings.Join(parts, ", ")
}
