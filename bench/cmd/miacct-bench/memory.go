package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/miacct/miacct/bench"
)

// memory is group 4: the peak RSS of a `remove` run, read from the
// kernel's accounting of the finished process (what /usr/bin/time -v
// prints as "Maximum resident set size").
func memory(ctx context.Context, w io.Writer, o options, mem *memoryFigures) error {
	args, file, err := underTime([]string{o.bin, "--fake", bench.Scenario, "remove", "--password-stdin", "--yes"})
	if errors.Is(err, errNoGNUTime) {
		fmt.Fprintf(w, "\n== 4. Memory: skipped: %v ==\n", err)
		return nil
	}
	if err != nil {
		return err
	}
	defer os.Remove(file)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdin = strings.NewReader(bench.Password + "\n")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("miacct --fake remove: %w\n%s", err, out.String())
	}
	fakeRSS, err := readRSS(file)
	if err != nil {
		return err
	}

	fmt.Fprintf(w, "\n== 4. Memory: peak RSS of a remove run ==\n")
	fmt.Fprintf(w, "command: /usr/bin/time -v %s --fake %s remove --password-stdin --yes   (or go run ./bench/cmd/miacct-bench -groups 4)\n", "bin/miacct", bench.Scenario)
	row := func(name string, kib int64) {
		if kib <= 0 {
			fmt.Fprintf(w, "%-62s %10s\n", name, "-")
			return
		}
		fmt.Fprintf(w, "%-62s %7.1f MB\n", name, float64(kib)/1024)
	}
	row("miacct remove --fake (miacct and the fake phone, one process)", fakeRSS)
	row("miacct remove through the real adb server (miacct alone)", mem.removeViaADB)
	row("one adb CLI client (adb shell getprop), for scale", mem.adbClient)
	fmt.Fprintf(w, "target: none set by the issue; reported for regressions\n")
	return nil
}
