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
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/miacct/miacct/bench"
)

// fleetScale is how much of the fixture's real-phone latency the served
// phones really wait: a dump 1.5 s * 0.2 = 300 ms; one phone's remove
// takes about 9 s (the restart's offline time stays simulated). Scaled
// down so the group takes a minute, not an hour; at 0.1 the fake phones'
// own CPU (they share the machine's 2 cores with miacct) is more of the
// wall time than at 0.2, and the ratio moves from 1.7x to 2.0x.
const fleetScale = 0.2

// fleetSizes are the fleets group 5 measures.
var fleetSizes = []int{1, 32, 256}

// fleetFigure is one fleet's run: the wall time of `remove --all`, the
// CPU the fake server (every phone) and miacct spent, miacct's peak RSS.
type fleetFigure struct {
	wall, phonesCPU, miacctCPU time.Duration
	rss                        int64
}

// fleet is group 5: `remove --all` on 1, 32 and 256 fake phones of one
// fake ADB server whose phones really wait (scaled) latencies like a
// real phone's, so the figure shows how well phones overlap; and how
// much of the time the fake phones themselves spend on the CPU (on a
// 2-core machine they share it with miacct).
func fleet(ctx context.Context, w io.Writer, o options, tmp string) error {
	fmt.Fprintf(w, "\n== 5. Fleet: remove --all on %v phones ==\n", fleetSizes)
	fmt.Fprintf(w, "command: miacct fake serve %s --copies N --latency-scale %g; miacct --adb ADDR remove --all --parallel N --password-stdin --yes --json   (%d runs each)\n", bench.Scenario, fleetScale, o.reps)
	fmt.Fprintf(w, "         (phones really wait %g x a real phone's latencies; the reboot's offline time stays simulated)\n", fleetScale)
	fmt.Fprintf(w, "%-7s %18s %8s %22s %14s %12s\n", "phones", "wall (min-max)", "vs 1", "fake phones' CPU", "miacct CPU", "peak RSS")
	var one time.Duration
	var rss1, rssLast int64
	for _, n := range fleetSizes {
		var figs []fleetFigure
		for range max(o.reps, 1) {
			f, err := fleetRun(ctx, o, tmp, n)
			if err != nil {
				return fmt.Errorf("%d phones: %w", n, err)
			}
			figs = append(figs, f)
		}
		slices.SortFunc(figs, func(a, b fleetFigure) int { return int(a.wall - b.wall) })
		med := figs[len(figs)/2]
		if n == 1 {
			one, rss1 = med.wall, med.rss
		}
		rssLast = med.rss
		mem := "-"
		if med.rss > 0 {
			mem = fmt.Sprintf("%.1f MB", float64(med.rss)/1024)
		}
		share := float64(med.phonesCPU) / float64(med.wall) / float64(runtime.NumCPU())
		fmt.Fprintf(w, "%-7d %8s (%s-%s) %8s %9s (%3.0f%% of %d cores) %14s %12s\n", n, round(med.wall), round(figs[0].wall), round(figs[len(figs)-1].wall),
			ratio(med.wall, one), round(med.phonesCPU), 100*share, runtime.NumCPU(), round(med.miacctCPU), mem)
		if n == fleetSizes[len(fleetSizes)-1] {
			fmt.Fprintf(w, "target: %d phones within 2x the time of one: %s (%.2fx)\n", n, verdict(med.wall <= 2*one), float64(med.wall)/float64(one))
			if rss1 > 0 && rssLast > 0 {
				fmt.Fprintf(w, "memory per extra phone (miacct process): %.0f KB\n", float64(rssLast-rss1)/float64(n-1))
			}
		}
	}
	return nil
}

// fleetRun serves n phones and times one `remove --all` over them.
func fleetRun(ctx context.Context, o options, tmp string, n int) (fleetFigure, error) {
	addrFile := filepath.Join(tmp, fmt.Sprintf("fleet-%d.addr", n))
	_ = os.Remove(addrFile)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	serve := exec.CommandContext(ctx, o.bin, "fake", "serve", bench.Scenario, "--copies", fmt.Sprint(n),
		"--latency-scale", fmt.Sprint(fleetScale), "--addr-file", addrFile)
	serve.Stdout, serve.Stderr = io.Discard, io.Discard
	if err := serve.Start(); err != nil {
		return fleetFigure{}, err
	}
	served := false
	defer func() {
		if !served {
			_ = serve.Process.Kill()
			_ = serve.Wait()
		}
	}()
	addr, err := waitFile(addrFile, 20*time.Second)
	if err != nil {
		return fleetFigure{}, err
	}
	cpuBefore, err := processCPU(serve.Process.Pid)
	if err != nil {
		return fleetFigure{}, err
	}
	args := []string{o.bin, "--adb", addr, "remove", "--all", "--parallel", fmt.Sprint(n), "--password-stdin", "--yes", "--json"}
	rssFile := ""
	if a, f, err := underTime(args); err == nil {
		args, rssFile = a, f
		defer os.Remove(f)
	} else if !errors.Is(err, errNoGNUTime) {
		return fleetFigure{}, err
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdin = strings.NewReader(bench.Password + "\n")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return fleetFigure{}, fmt.Errorf("remove --all: %w\n%s", err, out.String())
	}
	f := fleetFigure{wall: time.Since(start)}
	f.miacctCPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	cpuAfter, err := processCPU(serve.Process.Pid)
	if err != nil {
		return fleetFigure{}, err
	}
	f.phonesCPU = cpuAfter - cpuBefore
	served = true
	_ = serve.Process.Kill()
	_ = serve.Wait()
	if !strings.Contains(out.String(), fmt.Sprintf(`"ok": %d`, n)) {
		return fleetFigure{}, fmt.Errorf("remove --all did not report %d ok phones:\n%s", n, out.String())
	}
	if rssFile != "" {
		if f.rss, err = readRSS(rssFile); err != nil {
			return fleetFigure{}, err
		}
	}
	return f, nil
}

// processCPU is the CPU time (user and system) process pid has spent so
// far, from /proc/PID/stat.
func processCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read the fake server's CPU time: %w", err)
	}
	// The fields after the command name, which is in parentheses.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, fmt.Errorf("read the fake server's CPU time: no command name in /proc/%d/stat", pid)
	}
	fields := strings.Fields(string(data[i+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("read the fake server's CPU time: /proc/%d/stat is short", pid)
	}
	// utime and stime are fields 14 and 15 of stat, in clock ticks (100 a
	// second on Linux).
	var ticks int64
	for _, f := range fields[11:13] {
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("read the fake server's CPU time: %w", err)
		}
		ticks += v
	}
	return time.Duration(ticks) * 10 * time.Millisecond, nil
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
