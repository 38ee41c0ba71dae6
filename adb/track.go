package adb

import (
	"context"
	"fmt"
	"time"
)

// TrackDevices follows the server's device list with its device-tracking
// service (host:track-devices-l): the server sends the whole list at once
// and again on every change (a phone plugged in, authorized, unplugged,
// rebooting), so nothing is polled. fn gets each list in turn; an error
// from fn ends the tracking with that error.
//
// It returns when ctx ends (ctx's error) or when the server closes the
// connection (an error wrapping ErrServerUnreachable or ErrProtocol). The
// call timeout bounds only the server's first answer: the tracking itself
// lasts as long as ctx.
func (c *Client) TrackDevices(ctx context.Context, fn func([]DeviceInfo) error) error {
	h, err := dialHost(ctx, c.addr)
	if err != nil {
		return fmt.Errorf("track devices: %w", err)
	}
	defer h.Close()
	// The request and its OKAY are bounded like any call; the lists that
	// follow come whenever the phones change.
	_ = h.conn.SetDeadline(time.Now().Add(c.callTimeout))
	if err := h.request("host:track-devices-l"); err != nil {
		return fmt.Errorf("track devices: %w", err)
	}
	_ = h.conn.SetDeadline(time.Time{})
	if ctx.Err() != nil {
		return ctxError(ctx)
	}
	for {
		payload, err := h.readPayload()
		if err != nil {
			return fmt.Errorf("track devices at %s: %w", c.addr, err)
		}
		if err := fn(parseDevices(string(payload), c.addr)); err != nil {
			return err
		}
	}
}
