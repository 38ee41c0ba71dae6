//go:build !windows

package main

import "os"

// enableANSI reports whether f, a terminal, takes ANSI escapes: Unix
// terminals do.
func enableANSI(*os.File) bool { return true }
