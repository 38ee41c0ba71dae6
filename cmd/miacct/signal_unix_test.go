//go:build unix

package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/rogpeppe/go-internal/testscript"
)

// signal NAME PIDFILE: send the signal NAME (INT, TERM, HUP) to the
// process whose id PIDFILE holds.
func cmdSignal(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: signal INT|TERM|HUP PIDFILE")
	}
	sig, ok := map[string]syscall.Signal{"INT": syscall.SIGINT, "TERM": syscall.SIGTERM, "HUP": syscall.SIGHUP}[args[0]]
	if !ok {
		ts.Fatalf("signal: unknown signal %s", args[0])
	}
	data, err := os.ReadFile(ts.MkAbs(args[1]))
	if err != nil {
		ts.Fatalf("signal: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		ts.Fatalf("signal: %s holds no process id", args[1])
	}
	if err := syscall.Kill(pid, sig); err != nil {
		ts.Fatalf("signal: %v", err)
	}
}
