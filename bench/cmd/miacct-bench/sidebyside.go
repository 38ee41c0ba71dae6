package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
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

	ph, err := bench.NewPhone(phone.Options{})
	if err != nil {
		return err
	}
	timer := bench.NewServiceTimer(ph)
	serial, closeDaemon, err := serve(ctx, srv, timer)
	if err != nil {
		return err
	}
	defer closeDaemon()
	dev, err := adb.NewClient(srv.Addr(), adb.ClientOptions{}).Device(ctx, serial)
	if err != nil {
		return err
	}
	const model = "23021RAAEG"

	// Shell round trips.
	miacctTrip := func() error {
		v, err := adb.Prop(ctx, dev, "ro.product.model")
		if err == nil && v != model {
			err = fmt.Errorf("getprop through miacct: %q", v)
		}
		return err
	}
	cliTrip := func() error {
		out, err := srv.Command(ctx, "-s", serial, "shell", "getprop", "ro.product.model").Output()
		if err == nil && string(out) != model+"\n" {
			err = fmt.Errorf("adb shell getprop: %q", out)
		}
		return err
	}
	for range 5 { // warm up both paths
		if err := miacctTrip(); err != nil {
			return err
		}
		if err := cliTrip(); err != nil {
			return err
		}
	}
	// Each batch also notes how long the fake phone itself ran the
	// commands: the same work for both tools, which a real phone does in
	// its own time.
	var phoneM, phoneC time.Duration
	batch := func(trip func() error, phoneTime *time.Duration) func() (time.Duration, error) {
		return func() (time.Duration, error) {
			timer.Take()
			start := time.Now()
			for range o.trips {
				if err := trip(); err != nil {
					return 0, err
				}
			}
			d := time.Since(start)
			*phoneTime = timer.Take()
			return d, nil
		}
	}
	tripsM, err := median(o.reps, batch(miacctTrip, &phoneM))
	if err != nil {
		return err
	}
	tripsC, err := median(o.reps, batch(cliTrip, &phoneC))
	if err != nil {
		return err
	}

	// A file each way.
	files, ok := adb.SyncerOf(dev)
	if !ok {
		return fmt.Errorf("the device has no file transfer")
	}
	data := make([]byte, o.size)
	rng := rand.NewChaCha8([32]byte{'m', 'i', 'a', 'c', 'c', 't'})
	_, _ = rng.Read(data)
	sum := sha256.Sum256(data)
	local := filepath.Join(tmp, "bench.bin")
	if err := os.WriteFile(local, data, 0o644); err != nil {
		return err
	}
	back := filepath.Join(tmp, "back.bin")
	checkBack := func(who string) error {
		got, err := os.ReadFile(back)
		if err != nil {
			return err
		}
		if sha256.Sum256(got) != sum {
			return fmt.Errorf("%s pulled %d bytes that differ from the %d pushed", who, len(got), len(data))
		}
		return os.Remove(back)
	}
	pushM, err := median(o.reps, func() (time.Duration, error) {
		start := time.Now()
		err := files.Push(ctx, bytes.NewReader(data), "/sdcard/Download/miacct.bin", 0o644, time.Time{})
		return time.Since(start), err
	})
	if err != nil {
		return err
	}
	pullM, err := median(o.reps, func() (time.Duration, error) {
		f, err := os.Create(back)
		if err != nil {
			return 0, err
		}
		start := time.Now()
		err = files.Pull(ctx, "/sdcard/Download/miacct.bin", f)
		d := time.Since(start)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = checkBack("miacct")
		}
		return d, err
	})
	if err != nil {
		return err
	}
	pushC, err := median(o.reps, func() (time.Duration, error) {
		start := time.Now()
		out, err := srv.Run(ctx, "-s", serial, "push", local, "/sdcard/Download/cli.bin")
		if err != nil {
			err = fmt.Errorf("adb push: %w: %s", err, out)
		}
		return time.Since(start), err
	})
	if err != nil {
		return err
	}
	pullC, err := median(o.reps, func() (time.Duration, error) {
		start := time.Now()
		out, err := srv.Run(ctx, "-s", serial, "pull", "/sdcard/Download/cli.bin", back)
		d := time.Since(start)
		if err != nil {
			return d, fmt.Errorf("adb pull: %w: %s", err, out)
		}
		return d, checkBack("adb pull")
	})
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

	// The remove flow: miacct against the script, each on a fresh phone.
	var cmdsM, cmdsS []bench.DeviceCommand
	removeM, err := median(o.reps, func() (time.Duration, error) {
		d, cmds, err := runRemove(ctx, srv, o, false, nil)
		cmdsM = cmds
		return d, err
	})
	if err != nil {
		return err
	}
	removeS, err := median(o.reps, func() (time.Duration, error) {
		d, cmds, err := runRemove(ctx, srv, o, true, nil)
		cmdsS = cmds
		return d, err
	})
	if err != nil {
		return err
	}

	// Peak memory for group 4, in runs of their own (GNU time in between
	// would add to the timings above).
	if _, _, err := runRemove(ctx, srv, o, false, &mem.removeViaADB); err != nil {
		return err
	}
	if mem.adbClient, err = peakRSS(ctx, srv.Env(), srv.Path, "-P", strconv.Itoa(srv.Port), "-s", serial, "shell", "getprop", "ro.product.model"); err != nil {
		return err
	}

	mb := float64(o.size) / (1 << 20)
	fmt.Fprintf(w, "%-34s %12s %12s %8s   %s\n", "", "miacct", "adb CLI", "ratio", "target")
	fmt.Fprintf(w, "%-34s %12s %12s %8s   %s\n", fmt.Sprintf("%d shell round trips (getprop)", o.trips), round(tripsM), round(tripsC), ratio(tripsC, tripsM),
		">= 5x: "+verdict(tripsC >= 5*tripsM))
	fmt.Fprintf(w, "%-34s %12s %12s\n", "  one round trip", round(tripsM/time.Duration(o.trips)), round(tripsC/time.Duration(o.trips)))
	if phoneM < tripsM && phoneC < tripsC {
		fmt.Fprintf(w, "%-34s %12s %12s %8s   (the fake phone's own share, %s and %s, taken out)\n", "  without the fake phone's work",
			round((tripsM-phoneM)/time.Duration(o.trips)), round((tripsC-phoneC)/time.Duration(o.trips)), ratio(tripsC-phoneC, tripsM-phoneM),
			round(phoneM/time.Duration(o.trips)), round(phoneC/time.Duration(o.trips)))
	}
	fmt.Fprintf(w, "%-34s %12s %12s %8s\n", fmt.Sprintf("%.0f MB push", mb), round(pushM), round(pushC), ratio(pushC, pushM))
	fmt.Fprintf(w, "%-34s %12s %12s %8s\n", fmt.Sprintf("%.0f MB pull", mb), round(pullM), round(pullC), ratio(pullC, pullM))
	fmt.Fprintf(w, "%-34s %12s %12s %8s   (adb CLI = %s)\n", "remove, whole flow", round(removeM), round(removeS), ratio(removeS, removeM), o.script)
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
func runRemove(ctx context.Context, srv *realadb.Server, o options, script bool, rss *int64) (time.Duration, []bench.DeviceCommand, error) {
	ph, err := bench.NewPhone(phone.Options{})
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
		cmd = exec.CommandContext(ctx, "sh", o.script)
		cmd.Env = append(srv.Env(), "ADB="+srv.Path+" -P "+strconv.Itoa(srv.Port), "SERIAL="+serial, "TYPE_PASSWORD="+typed)
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
