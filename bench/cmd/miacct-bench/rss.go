package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// Peak RSS comes from GNU time (`/usr/bin/time -f %M`), not from this
// program's own wait4: Go starts children with vfork, so until exec they
// share this process's memory, and the kernel's peak for the child starts
// at this (large) process's size. GNU time forks a small copy of itself.

const gnuTime = "/usr/bin/time"

var errNoGNUTime = errors.New("GNU time is not installed (apt-get install time): no peak RSS figures")

// underTime returns args run under GNU time, which writes the peak RSS in
// KiB to the returned file.
func underTime(args []string) ([]string, string, error) {
	if _, err := os.Stat(gnuTime); err != nil {
		return nil, "", errNoGNUTime
	}
	f, err := os.CreateTemp("", "miacct-rss-")
	if err != nil {
		return nil, "", err
	}
	_ = f.Close()
	return append([]string{gnuTime, "-f", "%M", "-o", f.Name()}, args...), f.Name(), nil
}

func readRSS(file string) (int64, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	fields := strings.Fields(string(data))
	if len(fields) == 0 {
		return 0, fmt.Errorf("no figure from GNU time")
	}
	return strconv.ParseInt(fields[len(fields)-1], 10, 64)
}

// peakRSS runs a command under GNU time and returns its peak RSS in KiB.
func peakRSS(ctx context.Context, env []string, args ...string) (int64, error) {
	args, file, err := underTime(args)
	if err != nil {
		return 0, err
	}
	defer os.Remove(file)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("%s: %w\n%s", strings.Join(args[5:], " "), err, out.String())
	}
	return readRSS(file)
}
