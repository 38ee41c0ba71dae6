package adb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// serverDevice is a Device reached through the ADB server of a Client.
type serverDevice struct {
	client *Client
	serial string
}

func (d *serverDevice) Serial() string { return d.serial }

// maxRebootOutput caps what the reboot: service may print.
const maxRebootOutput = 64 << 10

// exitMarker precedes the exit status the shell wrapper echoes.
const exitMarker = ":miacct-exit:"

// wrapShell makes a shell v1 command report its exit status: the command
// runs in a subshell (so `exit N` ends only the subshell and the status
// is still echoed), on its own lines (so a trailing comment or `&` in cmd
// cannot swallow the marker), then the marker and $? are echoed.
func wrapShell(cmd string) string {
	return "(" + cmd + "\n)\necho " + exitMarker + "$?"
}

// parseShellOutput strips the exit marker line the wrapper prints last and
// returns the command's output and exit status. ok is false when the
// stream ends without a complete marker line (the connection dropped).
// The marker follows the output directly, also when the output does not
// end in a newline; PTY devices end the line with \r\n.
func parseShellOutput(out []byte) (res ShellResult, ok bool) {
	i := bytes.LastIndex(out, []byte(exitMarker))
	if i < 0 {
		return ShellResult{Output: out}, false
	}
	tail := out[i+len(exitMarker):]
	tail, hadNL := bytes.CutSuffix(tail, []byte("\n"))
	tail = bytes.TrimSuffix(tail, []byte("\r"))
	if !hadNL || len(tail) == 0 || len(tail) > 3 {
		return ShellResult{Output: out}, false
	}
	code, err := strconv.Atoi(string(tail))
	if err != nil || code < 0 || tail[0] == '+' {
		return ShellResult{Output: out}, false
	}
	return ShellResult{Output: out[:i], ExitCode: code}, true
}

// commandName is what error messages may say about a command: its first
// word, cut at the first shell metacharacter. The rest may be typed text.
// The uptime read that starts DumpCommand is skipped: the command is
// named after the dump.
func commandName(cmd string) string {
	cmd = strings.TrimSpace(cmd)
	if rest, ok := strings.CutPrefix(cmd, uptimeRead); ok {
		cmd = strings.TrimSpace(rest)
	}
	end := 0
	for end < len(cmd) && end < 40 {
		c := cmd[end]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '/' {
			end++
			continue
		}
		break
	}
	if end == 0 {
		return "command"
	}
	return cmd[:end]
}

// service opens a device service (after a transport switch) and reads its
// stream to EOF. secret is the command text, scrubbed from FAIL reasons.
func (d *serverDevice) service(ctx context.Context, svc, secret string) ([]byte, error) {
	h, err := dialHost(ctx, d.client.addr)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	if err := h.transport(d.serial); err != nil {
		return nil, err
	}
	h.secret = secret
	if err := h.request(svc); err != nil {
		return nil, err
	}
	return h.readAll(outputLimit(ctx))
}

func (d *serverDevice) Shell(ctx context.Context, cmd string) (ShellResult, error) {
	ctx, cancel := d.client.callContext(ctx)
	defer cancel()
	out, err := d.service(ctx, "shell:"+wrapShell(cmd), cmd)
	if err != nil {
		return ShellResult{Output: out}, fmt.Errorf("%s: shell %s: %w", d.serial, commandName(cmd), err)
	}
	res, ok := parseShellOutput(out)
	if !ok {
		return res, fmt.Errorf("%s: shell %s: %w: the stream ended before the exit status", d.serial, commandName(cmd), ErrDeviceLost)
	}
	return res, nil
}

func (d *serverDevice) Exec(ctx context.Context, cmd string) ([]byte, error) {
	ctx, cancel := d.client.callContext(ctx)
	defer cancel()
	out, err := d.service(ctx, "exec:"+cmd, cmd)
	if err != nil {
		return out, fmt.Errorf("%s: exec %s: %w", d.serial, commandName(cmd), err)
	}
	return out, nil
}

func (d *serverDevice) Reboot(ctx context.Context) error {
	ctx, cancel := d.client.callContext(ctx)
	defer cancel()
	h, err := dialHost(ctx, d.client.addr)
	if err != nil {
		return fmt.Errorf("%s: reboot: %w", d.serial, err)
	}
	defer h.Close()
	if err := h.transport(d.serial); err != nil {
		return fmt.Errorf("%s: reboot: %w", d.serial, err)
	}
	if err := h.request("reboot:"); err != nil {
		return fmt.Errorf("%s: reboot: %w", d.serial, err)
	}
	// adbd may drop the connection as the phone goes down: once it
	// accepted the request that is success, not a lost device.
	if _, err := h.readAll(maxRebootOutput); err != nil && !errors.Is(err, ErrDeviceLost) {
		return fmt.Errorf("%s: reboot: %w", d.serial, err)
	}
	return nil
}

func (d *serverDevice) State(ctx context.Context) (State, error) {
	ctx, cancel := d.client.callContext(ctx)
	defer cancel()
	h, err := dialHost(ctx, d.client.addr)
	if err != nil {
		return StateUnknown, fmt.Errorf("%s: get state: %w", d.serial, err)
	}
	defer h.Close()
	err = h.request("host-serial:" + d.serial + ":get-state")
	// The server answers get-state of a device it cannot use with FAIL;
	// those are states, not errors, for the caller.
	switch {
	case errors.Is(err, ErrOffline):
		return StateOffline, nil
	case errors.Is(err, ErrUnauthorized):
		return StateUnauthorized, nil
	case err != nil:
		return StateUnknown, fmt.Errorf("%s: get state: %w", d.serial, err)
	}
	payload, err := h.readPayload()
	if err != nil {
		return StateUnknown, fmt.Errorf("%s: get state: %w", d.serial, err)
	}
	return State(strings.TrimSpace(string(payload))), nil
}

func (d *serverDevice) WaitForDevice(ctx context.Context) error {
	ctx, cancel := d.client.callContext(ctx)
	defer cancel()
	h, err := dialHost(ctx, d.client.addr)
	if err != nil {
		return fmt.Errorf("%s: wait for device: %w", d.serial, err)
	}
	defer h.Close()
	// The first OKAY accepts the request, the second says the device is
	// online; FAIL instead of either is an error.
	if err := h.request("host-serial:" + d.serial + ":wait-for-any-device"); err != nil {
		return fmt.Errorf("%s: wait for device: %w", d.serial, err)
	}
	if err := h.readStatus(); err != nil {
		return fmt.Errorf("%s: wait for device: %w", d.serial, err)
	}
	return nil
}
