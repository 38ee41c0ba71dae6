//go:build !unix

package main

import "github.com/rogpeppe/go-internal/testscript"

// signal: only Unix sends SIGTERM and SIGHUP; the scripts that use it
// skip on other systems.
func cmdSignal(ts *testscript.TestScript, neg bool, args []string) {
	ts.Fatalf("signal: not on this system")
}
