package main

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// `adb start-server` gets a scrubbed environment: the adb server lives on
// after miacct, and must not keep MIACCT_PASSWORD for its whole life. The
// adb here is a script that writes its environment to a file.
func TestStartADBServerScrubsEnvironment(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in adb is a shell script")
	}
	dir := t.TempDir()
	envFile := filepath.Join(dir, "env")
	script := filepath.Join(dir, "adb")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nenv > '"+envFile+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MIACCT_PASSWORD", "Mi pa$$ secret")
	t.Setenv("MIACCT_CODE", "123456")
	t.Setenv("SOME_TOKEN", "t0ken")
	t.Setenv("ANDROID_ADB_SERVER_PORT", "15999")
	var stderr syncBuffer
	app := &App{IO: &IOStreams{ErrOut: &stderr, Out: &stderr, Getenv: os.Getenv}}
	if err := app.startADBServer(context.Background(), script); err != nil {
		t.Fatalf("start-server: %v (%s)", err, stderr.String())
	}
	data, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	env := string(data)
	for _, secret := range []string{"MIACCT_PASSWORD", "Mi pa$$ secret", "MIACCT_CODE", "SOME_TOKEN"} {
		if strings.Contains(env, secret) {
			t.Errorf("the adb server's environment holds %q:\n%s", secret, env)
		}
	}
	for _, kept := range []string{"PATH=", "ANDROID_ADB_SERVER_PORT=15999"} {
		if !strings.Contains(env, kept) {
			t.Errorf("the adb server's environment lacks %s:\n%s", kept, env)
		}
	}
}
