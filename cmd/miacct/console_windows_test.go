//go:build windows

package main

import (
	"os"
	"path/filepath"
	"testing"
)

// A file is no console: it takes no virtual-terminal mode, and miacct
// falls back to plain lines.
func TestEnableANSIOnAFile(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if enableANSI(f) {
		t.Error("enableANSI on a file reported a console that takes ANSI escapes")
	}
}
