package adb

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// ErrBadAddress: an ADB server address setting (flag or environment
// variable) is malformed.
var ErrBadAddress = errors.New("bad adb server address")

// DefaultServerAddr is where adb's own client looks for the server.
const DefaultServerAddr = "127.0.0.1:5037"

// ResolveServer finds the ADB server address the way the adb client does:
// the --adb HOST:PORT flag, else ADB_SERVER_SOCKET=tcp:HOST:PORT, else
// ANDROID_ADB_SERVER_ADDRESS (host) and ANDROID_ADB_SERVER_PORT (port),
// else 127.0.0.1:5037. getenv is injected so callers and tests control the
// environment (os.Getenv in production).
func ResolveServer(flag string, getenv func(string) string) (string, error) {
	if flag != "" {
		return checkHostPort("--adb", flag, "HOST:PORT, e.g. 127.0.0.1:5037")
	}
	if sock := getenv("ADB_SERVER_SOCKET"); sock != "" {
		hostPort, ok := strings.CutPrefix(sock, "tcp:")
		if !ok {
			return "", fmt.Errorf("%w: ADB_SERVER_SOCKET=%q: want tcp:HOST:PORT (only tcp: sockets are supported)", ErrBadAddress, sock)
		}
		return checkHostPort("ADB_SERVER_SOCKET", hostPort, "tcp:HOST:PORT, e.g. tcp:127.0.0.1:5037")
	}
	host, port := "127.0.0.1", "5037"
	if h := getenv("ANDROID_ADB_SERVER_ADDRESS"); h != "" {
		if strings.ContainsAny(h, " \t/") || strings.Count(h, ":") == 1 {
			return "", fmt.Errorf("%w: ANDROID_ADB_SERVER_ADDRESS=%q: want a host name or IP address without a port (set the port with ANDROID_ADB_SERVER_PORT)", ErrBadAddress, h)
		}
		host = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	}
	if p := getenv("ANDROID_ADB_SERVER_PORT"); p != "" {
		if _, err := parsePort(p); err != nil {
			return "", fmt.Errorf("%w: ANDROID_ADB_SERVER_PORT=%q: want a port number 1..65535", ErrBadAddress, p)
		}
		port = p
	}
	return net.JoinHostPort(host, port), nil
}

// checkHostPort validates a HOST:PORT setting and returns it normalised
// (IPv6 hosts bracketed).
func checkHostPort(setting, value, want string) (string, error) {
	host, port, err := net.SplitHostPort(value)
	if err != nil || host == "" {
		return "", fmt.Errorf("%w: %s %q: want %s", ErrBadAddress, setting, value, want)
	}
	if _, err := parsePort(port); err != nil {
		return "", fmt.Errorf("%w: %s %q: port must be a number 1..65535; want %s", ErrBadAddress, setting, value, want)
	}
	return net.JoinHostPort(host, port), nil
}

func parsePort(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 || strings.HasPrefix(s, "+") {
		return 0, errors.New("bad port")
	}
	return n, nil
}

// ResolveSerial picks the device serial the way the adb client does: the
// -s flag, else ANDROID_SERIAL; "" means "the only device".
func ResolveSerial(flag string, getenv func(string) string) string {
	if flag != "" {
		return flag
	}
	return getenv("ANDROID_SERIAL")
}
