package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/miacct/miacct/bench"
)

// fleetScale is how much of the fixture's real-phone latency the served
// phones really wait: a dump 1.5 s * 0.05 = 75 ms. Scaled down so the
// group takes seconds, not minutes; the ratios are what matter.
const fleetScale = 0.05

// fleet is group 5: `remove --all` on 1, 8 and 32 fake phones of one
// fake ADB server whose phones really wait (scaled) latencies like a
// real phone's, so the figure shows how well phones overlap; and the
// memory each extra phone costs the miacct process.
func fleet(ctx context.Context, w io.Writer, o options, tmp string) error {
	fmt.Fprintf(w, "\n== 5. Fleet: remove --all on 1, 8 and 32 phones ==\n")
	fmt.Fprintf(w, "command: miacct fake serve %s --copies N --latency-scale %g; miacct --adb ADDR remove --all --password-stdin --yes\n", bench.Scenario, fleetScale)
	fmt.Fprintf(w, "         (phones really wait %g x a real phone's latencies; the reboot's offline time stays simulated)\n", fleetScale)
	fmt.Fprintf(w, "%-8s %10s %10s %12s\n", "phones", "wall", "vs 1", "peak RSS")
	var one time.Duration
	var rss1, rss32 int64
	for _, n := range []int{1, 8, 32} {
		took, rss, err := fleetRun(ctx, o, tmp, n)
		if err != nil {
			return fmt.Errorf("%d phones: %w", n, err)
		}
		if n == 1 {
			one, rss1 = took, rss
		}
		if n == 32 {
			rss32 = rss
		}
		mem := "-"
		if rss > 0 {
			mem = fmt.Sprintf("%.1f MB", float64(rss)/1024)
		}
		fmt.Fprintf(w, "%-8d %10s %10s %12s\n", n, round(took), ratio(took, one), mem)
		if n == 32 {
			fmt.Fprintf(w, "target: 32 phones within 2x the time of one: %s (%.2fx)\n", verdict(took <= 2*one), float64(took)/float64(one))
		}
	}
	if rss1 > 0 && rss32 > 0 {
		fmt.Fprintf(w, "memory per extra phone (miacct process): %.0f KB\n", float64(rss32-rss1)/31)
	}
	return nil
}

// fleetRun serves n phones and times one `remove --all` over them.
func fleetRun(ctx context.Context, o options, tmp string, n int) (time.Duration, int64, error) {
	addrFile := filepath.Join(tmp, fmt.Sprintf("fleet-%d.addr", n))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	serve := exec.CommandContext(ctx, o.bin, "fake", "serve", bench.Scenario, "--copies", fmt.Sprint(n),
		"--latency-scale", fmt.Sprint(fleetScale), "--addr-file", addrFile)
	serve.Stdout, serve.Stderr = io.Discard, io.Discard
	if err := serve.Start(); err != nil {
		return 0, 0, err
	}
	defer func() { _ = serve.Process.Kill(); _ = serve.Wait() }()
	addr, err := waitFile(addrFile, 20*time.Second)
	if err != nil {
		return 0, 0, err
	}
	args := []string{o.bin, "--adb", addr, "remove", "--all", "--password-stdin", "--yes", "--json"}
	rssFile := ""
	if a, f, err := underTime(args); err == nil {
		args, rssFile = a, f
		defer os.Remove(f)
	} else if !errors.Is(err, errNoGNUTime) {
		return 0, 0, err
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdin = strings.NewReader(bench.Password + "\n")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, fmt.Errorf("remove --all: %w\n%s", err, out.String())
	}
	took := time.Since(start)
	if !strings.Contains(out.String(), fmt.Sprintf(`"ok": %d`, n)) {
		return 0, 0, fmt.Errorf("remove --all did not report %d ok phones:\n%s", n, out.String())
	}
	var rss int64
	if rssFile != "" {
		if rss, err = readRSS(rssFile); err != nil {
			return 0, 0, err
		}
	}
	return took, rss, nil
}

func waitFile(path string, limit time.Duration) (string, error) {
	deadline := time.Now().Add(limit)
	for {
		data, err := os.ReadFile(path)
		if err == nil && strings.HasSuffix(string(data), "\n") {
			return strings.TrimSpace(string(data)), nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no address in %s", path)
		}
		time.Sleep(20 * time.Millisecond) // waiting for another process
	}
}
