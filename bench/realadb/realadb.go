// Package realadb runs a private instance of Google's adb server (the
// `adb` program, e.g. Debian's package adb 29) for end-to-end tests and
// benchmarks: on its own port, with its own HOME and TMPDIR (keys and
// log), never the developer's server on 5037.
package realadb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ErrNotInstalled: no adb program on PATH.
var ErrNotInstalled = errors.New("adb is not installed (Debian/Ubuntu: apt-get install adb)")

// Server is a running private adb server.
type Server struct {
	// Path is the adb program.
	Path string
	// Port the server listens on (127.0.0.1).
	Port int
	dir  string
	env  []string
	// proc is the server, run in the foreground; logFile its output.
	proc    *exec.Cmd
	logFile *os.File
}

// Start starts an adb server on a free loopback port, keeping its key and
// log under dir. Stop it with Kill.
func Start(ctx context.Context, dir string) (*Server, error) {
	path, err := exec.LookPath("adb")
	if err != nil {
		return nil, ErrNotInstalled
	}
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("pick a port for the adb server: %w", err)
	}
	home := filepath.Join(dir, "home")
	tmp := filepath.Join(dir, "tmp")
	for _, d := range []string{home, tmp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("adb server directory: %w", err)
		}
	}
	env := make([]string, 0, len(os.Environ())+4)
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "HOME", "TMPDIR", "ANDROID_ADB_SERVER_PORT", "ANDROID_ADB_SERVER_ADDRESS", "ADB_SERVER_SOCKET",
			"ANDROID_SERIAL", "ADB_VENDOR_KEYS", "ADB_EMU", "ANDROID_SDK_HOME", "ANDROID_USER_HOME":
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"HOME="+home,  // ~/.android/adbkey of this server only
		"TMPDIR="+tmp, // its log, adb.UID.log
		"ADB_EMU=0",   // no emulator probing of 5555..5585
	)
	s := &Server{Path: path, Port: port, dir: dir, env: env}
	// In the foreground (nodaemon), as a child of this process: it is
	// ended by its process id, never by name or by another server's
	// kill-server.
	s.proc = exec.Command(path, "-P", strconv.Itoa(port), "nodaemon", "server")
	s.proc.Env = env
	logFile, err := os.Create(filepath.Join(tmp, "adb-server.log"))
	if err != nil {
		return nil, fmt.Errorf("adb server log: %w", err)
	}
	s.proc.Stdout, s.proc.Stderr = logFile, logFile
	if err := s.proc.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start the adb server on port %d: %w", port, err)
	}
	s.logFile = logFile
	for {
		c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
		if err == nil {
			c.Close()
			return s, nil
		}
		select {
		case <-ctx.Done():
			_ = s.Kill()
			return nil, fmt.Errorf("the adb server on port %d did not listen: %w", port, ctx.Err())
		case <-time.After(20 * time.Millisecond): // another process: nothing to wait on
		}
	}
}

// freePort asks the kernel for a free loopback port. Ephemeral ports lie
// far above the 5555..5585 emulator range adb probes.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Env is the environment the server's adb commands run with (its own
// HOME and TMPDIR), for scripts that call adb themselves.
func (s *Server) Env() []string { return append([]string(nil), s.env...) }

// Addr is the server's address for miacct --adb.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// Command is `adb -P PORT args...` with the server's environment.
func (s *Server) Command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, s.Path, append([]string{"-P", strconv.Itoa(s.Port)}, args...)...)
	cmd.Env = s.env
	// The server is a daemon child of the first adb command: never wait
	// for pipes it might have inherited.
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// Run runs `adb -P PORT args...` and returns its combined output.
func (s *Server) Run(ctx context.Context, args ...string) (string, error) {
	out, err := s.Command(ctx, args...).CombinedOutput()
	return string(out), err
}

// Connect runs `adb connect addr` and checks it connected.
func (s *Server) Connect(ctx context.Context, addr string) error {
	out, err := s.Run(ctx, "connect", addr)
	if err != nil {
		return fmt.Errorf("adb connect %s: %w: %s", addr, err, strings.TrimSpace(out))
	}
	if !strings.Contains(out, "connected to "+addr) {
		return fmt.Errorf("adb connect %s: %s", addr, strings.TrimSpace(out))
	}
	return nil
}

// State is the device's state in `adb devices` ("" when not listed).
func (s *Server) State(ctx context.Context, serial string) (string, error) {
	out, err := s.Run(ctx, "devices")
	if err != nil {
		return "", fmt.Errorf("adb devices: %w: %s", err, strings.TrimSpace(out))
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == serial {
			return strings.Join(f[1:], " "), nil
		}
	}
	return "", nil
}

// WaitState waits until `adb devices` lists serial in state, or ctx ends.
// It polls: the adb server is another process with no way to wait on.
func (s *Server) WaitState(ctx context.Context, serial, state string) error {
	last := ""
	for {
		st, err := s.State(ctx, serial)
		if err == nil && st == state {
			return nil
		}
		if err == nil {
			last = st
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s still %q, not %q: %w", serial, last, state, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Log is the server's log file, for failure messages.
func (s *Server) Log() string {
	matches, _ := filepath.Glob(filepath.Join(s.dir, "tmp", "adb*.log"))
	var b bytes.Buffer
	for _, m := range matches {
		data, _ := os.ReadFile(m)
		b.Write(data)
	}
	return b.String()
}

// Kill ends the server by its process id and waits for it.
func (s *Server) Kill() error {
	defer s.logFile.Close()
	if err := s.proc.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill the adb server (pid %d): %w", s.proc.Process.Pid, err)
	}
	_ = s.proc.Wait() // killed: its exit status says so
	return nil
}
