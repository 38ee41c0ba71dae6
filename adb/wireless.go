package adb

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Connect asks the ADB server to connect to a device daemon listening on
// TCP, as `adb connect` does: a phone with wireless debugging on
// (Android 11+, after `adb pair`), or one switched to `adb tcpip`. addr is
// HOST:PORT, or HOST for adb's default port 5555. Once connected, the
// server lists the device under the serial HOST:PORT.
//
// The server answers failures as text in an OKAY reply ("failed to
// connect to ..."); they come back as errors wrapping ErrDeviceNotFound,
// or ErrUnauthorized when the phone refused this computer's key. On
// success it returns the server's answer ("connected to 192.0.2.7:5555",
// "already connected to ...").
func (c *Client) Connect(ctx context.Context, addr string) (string, error) {
	reply, err := c.hostQuery(ctx, "host:connect:"+addr)
	if err != nil {
		return "", fmt.Errorf("connect %s: %w", addr, err)
	}
	if err := connectOutcome(reply); err != nil {
		return "", fmt.Errorf("connect %s: %w", addr, err)
	}
	return reply, nil
}

// Disconnect asks the ADB server to drop the TCP device at addr (HOST:PORT
// or HOST), as `adb disconnect` does. An address the server has no device
// for is an error wrapping ErrDeviceNotFound.
func (c *Client) Disconnect(ctx context.Context, addr string) (string, error) {
	reply, err := c.hostQuery(ctx, "host:disconnect:"+addr)
	if err != nil {
		// adb answers an unknown address with FAIL "no such device 'X'".
		if errors.Is(err, ErrFailed) && strings.Contains(err.Error(), "no such device") {
			return "", fmt.Errorf("disconnect %s: %w: the adb server at %s has no device at that address", addr, ErrDeviceNotFound, c.addr)
		}
		return "", fmt.Errorf("disconnect %s: %w", addr, err)
	}
	return reply, nil
}

// hostQuery sends one host request and reads its OKAY and text reply.
func (c *Client) hostQuery(ctx context.Context, req string) (string, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	h, err := dialHost(ctx, c.addr)
	if err != nil {
		return "", err
	}
	defer h.Close()
	if err := h.request(req); err != nil {
		return "", err
	}
	payload, err := h.readPayload()
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(payload)), nil
}

// connectOutcome reads the text host:connect answers: adb says
// "connected to X" or "already connected to X" when it worked and a
// sentence such as "failed to connect to X", "failed to authenticate to
// X" or "cannot resolve host" when it did not.
func connectOutcome(reply string) error {
	switch {
	case strings.HasPrefix(reply, "connected to "), strings.HasPrefix(reply, "already connected to "):
		return nil
	case strings.HasPrefix(reply, "failed to authenticate"):
		return fmt.Errorf("%w: %s: accept the \"Allow debugging?\" prompt on the phone, then connect again", ErrUnauthorized, reply)
	case reply == "":
		return fmt.Errorf("%w: the adb server gave no answer", ErrProtocol)
	}
	return fmt.Errorf("%w: %s", ErrDeviceNotFound, reply)
}

// WirelessSerial is the serial the ADB server lists a phone connected at
// addr under (adb's ParseNetAddress): HOST:PORT, with the default port
// 5555 when addr has none.
func WirelessSerial(addr string) string {
	const defaultPort = "5555"
	if strings.HasPrefix(addr, "[") {
		if strings.Contains(addr, "]:") {
			return addr
		}
		return addr + ":" + defaultPort
	}
	switch strings.Count(addr, ":") {
	case 0:
		return addr + ":" + defaultPort
	case 1:
		return addr
	}
	return "[" + addr + "]:" + defaultPort // a bare IPv6 address
}
