// Command miacct-bench measures miacct the way BENCHMARKS.md reports it:
//
//  1. host cost: `remove` on the in-process fake, parsing a large dump, a
//     selector lookup (the same as `go test -bench . ./bench/`);
//  2. side by side with peers (the adb command-line tool, a raw gadb
//     program, Node's adbkit), through one real adb server (Debian's
//     adb) to one fake phone (`miacct fake serve --adbd`): a shell round
//     trip, a dump, 1 MB and 10 MB push and pull; and `remove` against
//     bench/remove.sh, the adb CLI replaying the commands miacct sent;
//  3. the simulated device time of `remove` on a phone with a real
//     phone's latency, against the physical floor and the least of the
//     current design;
//  4. the peak memory (RSS) of a `remove` run;
//  5. `remove --all` on 1, 32 and 256 phones with (scaled) real
//     latencies, and the CPU the fake phones take.
//
// Run it from the module root (make bench does):
//
//	go run ./bench/cmd/miacct-bench -bin bin/miacct
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

type options struct {
	bin    string // the miacct binary (built when empty)
	script string // bench/remove.sh
	trips  int    // shell round trips per batch
	reps   int    // repetitions of each timed batch (the median is reported)
	groups string // which groups to run, e.g. "1,2,3,4,5"
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "", "miacct binary to measure (default: go build ./cmd/miacct into a temporary directory)")
	flag.StringVar(&o.script, "script", "bench/remove.sh", "the shell-script version of remove")
	flag.IntVar(&o.trips, "trips", 200, "shell round trips per batch")
	flag.IntVar(&o.reps, "reps", 3, "repetitions of each timed batch; the median is reported")
	flag.StringVar(&o.groups, "groups", "1,2,3,4,5", "groups to run")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, o); err != nil {
		fmt.Fprintf(os.Stderr, "miacct-bench: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer, o options) error {
	tmp, err := os.MkdirTemp("", "miacct-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if o.bin == "" {
		o.bin = filepath.Join(tmp, "miacct")
		build := exec.CommandContext(ctx, "go", "build", "-o", o.bin, "./cmd/miacct")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build miacct: %w", err)
		}
	}
	if o.bin, err = filepath.Abs(o.bin); err != nil {
		return err
	}
	fmt.Fprintf(w, "miacct benchmarks, %s\n", time.Now().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "machine: %s, %d cores, %s/%s, %s\n", cpuModel(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Fprintf(w, "adb: %s\n", adbVersion(ctx))

	groups := strings.Split(o.groups, ",")
	var mem memoryFigures
	var device deviceTime
	if slices.Contains(groups, "3") || slices.Contains(groups, "1") {
		if device, err = measureDeviceTime(ctx); err != nil {
			return fmt.Errorf("device time: %w", err)
		}
	}
	if slices.Contains(groups, "1") {
		if err := hostCost(w, device); err != nil {
			return fmt.Errorf("host cost: %w", err)
		}
	}
	if slices.Contains(groups, "2") {
		if err := sideBySide(ctx, w, o, tmp, &mem); err != nil {
			return fmt.Errorf("side by side: %w", err)
		}
	}
	if slices.Contains(groups, "3") {
		device.print(w)
	}
	if slices.Contains(groups, "4") {
		if err := memory(ctx, w, o, &mem); err != nil {
			return fmt.Errorf("memory: %w", err)
		}
	}
	if slices.Contains(groups, "5") {
		if err := fleet(ctx, w, o, tmp); err != nil {
			return fmt.Errorf("fleet: %w", err)
		}
	}
	return nil
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func adbVersion(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, "adb", "version").Output()
	if err != nil {
		return "not installed (group 2 needs it: apt-get install adb)"
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "Version ") {
			return strings.TrimPrefix(line, "Version ")
		}
	}
	return strings.TrimSpace(string(out))
}

// median times f reps times and returns the median.
func median(reps int, f func() (time.Duration, error)) (time.Duration, error) {
	var ds []time.Duration
	for range max(reps, 1) {
		d, err := f()
		if err != nil {
			return 0, err
		}
		ds = append(ds, d)
	}
	slices.Sort(ds)
	return ds[len(ds)/2], nil
}

// ratio formats a/b as "12.3x".
func ratio(a, b time.Duration) string {
	if b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fx", float64(a)/float64(b))
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// round shortens a duration for tables.
func round(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond)
	case d >= 10*time.Microsecond:
		return d.Round(100 * time.Nanosecond)
	}
	return d
}
