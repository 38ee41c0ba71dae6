package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake"
	"github.com/miacct/miacct/adb/fake/phone"
	"github.com/miacct/miacct/bench"
	"github.com/miacct/miacct/bench/realadb"
)

// memoryFigures are the peak RSS figures group 2 collects for group 4, in
// KiB.
type memoryFigures struct {
	removeViaADB int64 // miacct remove through the real adb server
	adbClient    int64 // one `adb shell getprop` process
}

// sideBySide is group 2: miacct and the adb CLI through the same real adb
// server to fake device daemons of the same phone.
func sideBySide(ctx context.Context, w io.Writer, o options, tmp string, mem *memoryFigures) error {
	fmt.Fprintf(w, "\n== 2. Side by side with the adb CLI (same adb server, same fake adbd) ==\n")
	fmt.Fprintf(w, "command: go run ./bench/cmd/miacct-bench -groups 2   (median of %d)\n", o.reps)
	srv, err := realadb.Start(ctx, filepath.Join(tmp, "adb"))
	if errors.Is(err, realadb.ErrNotInstalled) {
		fmt.Fprintf(w, "skipped: %v\n", err)
		return nil
	}
	if err != nil {
		return err
	}
	defer func() {
		if err := srv.Kill(); err != nil {
			fmt.Fprintf(os.Stderr, "miacct-bench: %v\n", err)
		}
	}()

	if err := peers(ctx, w, o, srv, tmp); err != nil {
		return err
	}

	ph, err := bench.NewPhone(phone.Options{})
	if err != nil {
		return err
	}
	serial, closeDaemon, err := serve(ctx, srv, ph)
	if err != nil {
		return err
	}
	defer closeDaemon()
	dev, err := adb.NewClient(srv.Addr(), adb.ClientOptions{}).Device(ctx, serial)
	if err != nil {
		return err
	}

	// The adb server's own part of a reboot: it notices the dropped
	// connection and reconnects. Both sides of the remove comparison wait
	// for it alike.
	reconnect, err := median(o.reps, func() (time.Duration, error) {
		start := time.Now()
		err := dev.Reboot(ctx)
		if err == nil {
			err = dev.WaitForDevice(ctx)
		}
		return time.Since(start), err
	})
	if err != nil {
		return fmt.Errorf("reboot and reconnect: %w", err)
	}

	// The remove flow: miacct, then the script replaying the commands
	// miacct sent, each on a fresh phone.
	var cmdsM, cmdsS []bench.DeviceCommand
	removeM, err := median(o.reps, func() (time.Duration, error) {
		d, cmds, err := runRemove(ctx, srv, o, nil, nil)
		cmdsM = cmds
		return d, err
	})
	if err != nil {
		return err
	}
	removeS, err := median(o.reps, func() (time.Duration, error) {
		d, cmds, err := runRemove(ctx, srv, o, cmdsM, nil)
		cmdsS = cmds
		return d, err
	})
	if err != nil {
		return err
	}

	// Peak memory for group 4, in runs of their own (GNU time in between
	// would add to the timings above).
	if _, _, err := runRemove(ctx, srv, o, nil, &mem.removeViaADB); err != nil {
		return err
	}
	if mem.adbClient, err = peakRSS(ctx, srv.Env(), srv.Path, "-P", strconv.Itoa(srv.Port), "-s", serial, "shell", "getprop", "ro.product.model"); err != nil {
		return err
	}

	fmt.Fprintf(w, "\n%-34s %12s %12s %8s\n", "", "miacct", "script", "ratio")
	fmt.Fprintf(w, "%-34s %12s %12s %8s   (script = %s: the adb CLI replaying miacct's commands)\n", "remove, whole flow", round(removeM), round(removeS), ratio(removeS, removeM), o.script)
	if reconnect < removeM && reconnect < removeS {
		fmt.Fprintf(w, "%-34s %12s %12s %8s   (the adb server reconnecting after the reboot: %s, the same for both)\n",
			"  remove without the reconnection", round(removeM-reconnect), round(removeS-reconnect), ratio(removeS-reconnect, removeM-reconnect), round(reconnect))
	}
	same := "the same device commands in the same order"
	if diff := bench.Compare(cmdsM, cmdsS); diff != "" {
		same = "NOT the same commands: " + diff + " (update " + o.script + ")"
	}
	fmt.Fprintf(w, "  the phone received %d commands from miacct and %d from the script: %s\n", len(cmdsM), len(cmdsS), same)
	return nil
}

// serve serves a phone as a fake device daemon and connects the adb
// server to it.
func serve(ctx context.Context, srv *realadb.Server, t fake.Target) (string, func(), error) {
	d, err := fake.NewDaemon(t, fake.DaemonOptions{})
	if err != nil {
		return "", nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := srv.Connect(cctx, d.Addr()); err != nil {
		_ = d.Close()
		return "", nil, err
	}
	if err := srv.WaitState(cctx, d.Addr(), "device"); err != nil {
		_ = d.Close()
		return "", nil, err
	}
	return d.Addr(), func() {
		_, _ = srv.Run(context.Background(), "disconnect", d.Addr())
		_ = d.Close()
	}, nil
}

// runRemove runs remove on a fresh phone, with the miacct binary or with
// the script, and returns the time and the commands the phone received.
// With rss set it runs miacct under GNU time and stores its peak RSS.
func runRemove(ctx context.Context, srv *realadb.Server, o options, replay []bench.DeviceCommand, rss *int64) (time.Duration, []bench.DeviceCommand, error) {
	script := replay != nil
	ph, err := bench.NewPhone(phone.Options{Log: phoneLog(script)})
	if err != nil {
		return 0, nil, err
	}
	rec := bench.NewRecorder(ph)
	serial, closeDaemon, err := serve(ctx, srv, rec)
	if err != nil {
		return 0, nil, err
	}
	defer closeDaemon()
	rec.Commands() // forget what connecting cost
	var cmd *exec.Cmd
	var rssFile string
	switch {
	case script:
		typed, err := bench.InputTextCommands()
		if err != nil {
			return 0, nil, err
		}
		cmdsFile, err := writeCommands(filepath.Join(os.TempDir(), fmt.Sprintf("miacct-bench-cmds-%d", os.Getpid())), replay, typed)
		if err != nil {
			return 0, nil, err
		}
		defer os.Remove(cmdsFile)
		cmd = exec.CommandContext(ctx, "sh", o.script)
		cmd.Env = append(srv.Env(), "ADB="+srv.Path+" -P "+strconv.Itoa(srv.Port), "SERIAL="+serial, "TYPE_PASSWORD="+typed, "CMDS="+cmdsFile)
	default:
		args := []string{o.bin, "--adb", srv.Addr(), "-s", serial, "remove", "--password-stdin", "--yes"}
		if rss != nil {
			if args, rssFile, err = underTime(args); err != nil {
				return 0, nil, err
			}
			defer os.Remove(rssFile)
		}
		cmd = exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.Env = srv.Env()
		cmd.Stdin = strings.NewReader(bench.Password + "\n")
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err = cmd.Run()
	d := time.Since(start)
	who := "miacct remove"
	if script {
		who = o.script
	}
	if err != nil {
		// The output never holds the password (miacct's rule; the script
		// passes it only on the phone's command line).
		return 0, nil, fmt.Errorf("%s: %w\n%s", who, err, out.String())
	}
	for _, a := range ph.Accounts() {
		if a.Type == "com.xiaomi" {
			return 0, nil, fmt.Errorf("%s: the Xiaomi account is still on the phone", who)
		}
	}
	if ph.Reboots() != 1 {
		return 0, nil, fmt.Errorf("%s: %d reboots, want 1", who, ph.Reboots())
	}
	if rss != nil {
		if *rss, err = readRSS(rssFile); err != nil {
			return 0, nil, err
		}
	}
	return d, rec.Commands(), nil
}

// writeCommands writes the commands for bench/remove.sh (KIND BASE64 a
// line), the password's `input text` commands replaced by a mark the
// script fills in from its environment.
func writeCommands(path string, cmds []bench.DeviceCommand, typed string) (string, error) {
	var b strings.Builder
	for _, c := range cmds {
		line := c.Cmd
		if typed != "" {
			line = strings.ReplaceAll(line, typed, "@TYPE_PASSWORD@")
		}
		fmt.Fprintf(&b, "%s %s\n", c.Kind, base64.StdEncoding.EncodeToString([]byte(line)))
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return "", fmt.Errorf("write the commands for the script: %w", err)
	}
	return path, nil
}

func phoneLog(on bool) io.Writer {
	if on && os.Getenv("MIACCT_BENCH_DEBUG") != "" {
		return os.Stderr
	}
	return nil
}
