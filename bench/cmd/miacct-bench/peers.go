package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/electricbubble/gadb"
	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/bench"
	"github.com/miacct/miacct/bench/realadb"
)

// The operations every peer does, through the same adb server to the
// same fake phone (`miacct fake serve --adbd`).
const (
	opTrip   = "shell round trip (getprop)"
	opDump   = "dump and read (uiautomator dump)"
	opPush1  = "1 MB push"
	opPull1  = "1 MB pull"
	opPush10 = "10 MB push"
	opPull10 = "10 MB pull"
)

var peerOps = []string{opTrip, opDump, opPush1, opPull1, opPush10, opPull10}

// peerDumps is how many dumps a batch reads.
const peerDumps = 20

// peerRun is one batch of a peer: the time per operation.
type peerRun map[string]time.Duration

// peerFiles are the files pushed (1 MB and 10 MB of random bytes) and
// where pulls land.
type peerFiles struct {
	small, large string
	sums         map[string][32]byte // by local file
	back         string              // directory for pulled files
}

func makePeerFiles(tmp string) (peerFiles, error) {
	f := peerFiles{small: filepath.Join(tmp, "push-1mb.bin"), large: filepath.Join(tmp, "push-10mb.bin"),
		sums: map[string][32]byte{}, back: filepath.Join(tmp, "back")}
	rng := rand.NewChaCha8([32]byte{'m', 'i', 'a', 'c', 'c', 't'})
	for path, size := range map[string]int{f.small: 1 << 20, f.large: 10 << 20} {
		data := make([]byte, size)
		_, _ = rng.Read(data)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return f, err
		}
		f.sums[path] = sha256.Sum256(data)
	}
	return f, os.MkdirAll(f.back, 0o755)
}

// check verifies a pulled file against the one pushed.
func (f peerFiles) check(who, pushed, pulled string) error {
	got, err := os.ReadFile(pulled)
	if err != nil {
		return fmt.Errorf("%s: %w", who, err)
	}
	if sha256.Sum256(got) != f.sums[pushed] {
		return fmt.Errorf("%s pulled %d bytes that differ from those pushed", who, len(got))
	}
	return os.Remove(pulled)
}

// timed runs f n times and returns the time per run.
func timed(n int, f func() error) (time.Duration, error) {
	start := time.Now()
	for range n {
		if err := f(); err != nil {
			return 0, err
		}
	}
	return time.Since(start) / time.Duration(max(n, 1)), nil
}

// transfers times the push and pull of both files with push and pull.
func transfers(r peerRun, who string, files peerFiles, push func(local, remote string) error, pull func(remote, local string) error) error {
	for _, x := range []struct {
		local, pushOp, pullOp string
	}{{files.small, opPush1, opPull1}, {files.large, opPush10, opPull10}} {
		remote := "/sdcard/Download/" + who + "-" + filepath.Base(x.local)
		var err error
		if r[x.pushOp], err = timed(1, func() error { return push(x.local, remote) }); err != nil {
			return fmt.Errorf("%s push: %w", who, err)
		}
		back := filepath.Join(files.back, who+".bin")
		if r[x.pullOp], err = timed(1, func() error { return pull(remote, back) }); err != nil {
			return fmt.Errorf("%s pull: %w", who, err)
		}
		if err := files.check(who, x.local, back); err != nil {
			return err
		}
	}
	return nil
}

const benchModel = "23021RAAEG"

// miacctPeer is miacct's own client (package adb).
func miacctPeer(ctx context.Context, srv *realadb.Server, serial string, trips int, files peerFiles) (peerRun, error) {
	dev, err := adb.NewClient(srv.Addr(), adb.ClientOptions{}).Device(ctx, serial)
	if err != nil {
		return nil, err
	}
	r := peerRun{}
	if r[opTrip], err = timed(trips, func() error {
		v, err := adb.Prop(ctx, dev, "ro.product.model")
		if err == nil && v != benchModel {
			err = fmt.Errorf("getprop through miacct: %q", v)
		}
		return err
	}); err != nil {
		return nil, err
	}
	if r[opDump], err = timed(peerDumps, func() error { _, err := adb.DumpUI(ctx, dev); return err }); err != nil {
		return nil, err
	}
	sync, ok := adb.SyncerOf(dev)
	if !ok {
		return nil, fmt.Errorf("the device has no file transfer")
	}
	return r, transfers(r, "miacct", files, func(local, remote string) error {
		data, err := os.ReadFile(local)
		if err != nil {
			return err
		}
		return sync.Push(ctx, bytes.NewReader(data), remote, 0o644, time.Time{})
	}, func(remote, local string) error {
		f, err := os.Create(local)
		if err != nil {
			return err
		}
		err = sync.Pull(ctx, remote, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	})
}

// gadbPeer is a raw program on github.com/electricbubble/gadb, the
// library miacct's file transfer once went through.
func gadbPeer(srv *realadb.Server, serial string, trips int, files peerFiles) (peerRun, error) {
	c, err := gadb.NewClientWith("127.0.0.1", srv.Port)
	if err != nil {
		return nil, err
	}
	devs, err := c.DeviceList()
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(devs, func(d gadb.Device) bool { return d.Serial() == serial })
	if i < 0 {
		return nil, fmt.Errorf("gadb does not list %s", serial)
	}
	dev := devs[i]
	r := peerRun{}
	if r[opTrip], err = timed(trips, func() error {
		v, err := dev.RunShellCommand("getprop", "ro.product.model")
		if err == nil && strings.TrimSpace(v) != benchModel {
			err = fmt.Errorf("getprop through gadb: %q", v)
		}
		return err
	}); err != nil {
		return nil, err
	}
	if r[opDump], err = timed(peerDumps, func() error {
		out, err := dev.RunShellCommandWithBytes("uiautomator dump /dev/tty")
		if err == nil && !bytes.Contains(out, []byte("</hierarchy>")) {
			err = fmt.Errorf("gadb: no hierarchy in the dump")
		}
		return err
	}); err != nil {
		return nil, err
	}
	return r, transfers(r, "gadb", files, func(local, remote string) error {
		f, err := os.Open(local)
		if err != nil {
			return err
		}
		defer f.Close()
		return dev.PushFile(f, remote, time.Now())
	}, func(remote, local string) error {
		f, err := os.Create(local)
		if err != nil {
			return err
		}
		err = dev.Pull(remote, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	})
}

// cliPeer is Debian's adb command: one process per operation.
func cliPeer(ctx context.Context, srv *realadb.Server, serial string, trips int, files peerFiles) (peerRun, error) {
	r := peerRun{}
	var err error
	if r[opTrip], err = timed(trips, func() error {
		out, err := srv.Command(ctx, "-s", serial, "shell", "getprop", "ro.product.model").Output()
		if err == nil && string(out) != benchModel+"\n" {
			err = fmt.Errorf("adb shell getprop: %q", out)
		}
		return err
	}); err != nil {
		return nil, err
	}
	if r[opDump], err = timed(peerDumps, func() error {
		out, err := srv.Command(ctx, "-s", serial, "exec-out", "uiautomator dump /dev/tty").Output()
		if err == nil && !bytes.Contains(out, []byte("</hierarchy>")) {
			err = fmt.Errorf("adb exec-out: no hierarchy in the dump")
		}
		return err
	}); err != nil {
		return nil, err
	}
	run := func(args ...string) error {
		out, err := srv.Run(ctx, append([]string{"-s", serial}, args...)...)
		if err != nil {
			return fmt.Errorf("adb %s: %w: %s", args[0], err, out)
		}
		return nil
	}
	return r, transfers(r, "cli", files, func(local, remote string) error { return run("push", local, remote) },
		func(remote, local string) error { return run("pull", remote, local) })
}

// adbkit installs @devicefarmer/adbkit from the npm registry into a
// directory of its own and returns the NODE_PATH to run bench/peers/adbkit.js
// with ("" and why not when node or npm is missing or the install fails).
func installAdbkit(ctx context.Context, tmp string) (nodePath, why string) {
	if _, err := exec.LookPath("node"); err != nil {
		return "", "node is not installed"
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return "", "npm is not installed"
	}
	dir := filepath.Join(tmp, "adbkit")
	cmd := exec.CommandContext(ctx, "npm", "install", "--prefix", dir, "--no-audit", "--no-fund", "--silent", adbkitPackage)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Sprintf("npm install %s: %v: %s", adbkitPackage, err, strings.TrimSpace(string(out)))
	}
	return filepath.Join(dir, "node_modules"), ""
}

// adbkitPackage is the npm package and version of the Node peer.
const adbkitPackage = "@devicefarmer/adbkit@3.3.9"

func adbkitPeer(ctx context.Context, srv *realadb.Server, serial string, trips int, files peerFiles, nodePath string) (peerRun, error) {
	cmd := exec.CommandContext(ctx, "node", "bench/peers/adbkit.js", fmt.Sprint(srv.Port), serial, fmt.Sprint(trips), fmt.Sprint(peerDumps),
		files.small, files.large, files.back)
	cmd.Env = append(os.Environ(), "NODE_PATH="+nodePath)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("adbkit: %w: %s", err, errOut.String())
	}
	var ms map[string]float64
	if err := json.Unmarshal(out.Bytes(), &ms); err != nil {
		return nil, fmt.Errorf("adbkit printed %q: %w", out.String(), err)
	}
	d := func(key string, n int) time.Duration {
		return time.Duration(ms[key] * float64(time.Millisecond) / float64(n))
	}
	r := peerRun{opTrip: d("trips_ms", trips), opDump: d("dumps_ms", peerDumps),
		opPush1: d("push1_ms", 1), opPull1: d("pull1_ms", 1), opPush10: d("push10_ms", 1), opPull10: d("pull10_ms", 1)}
	for key, local := range map[string]string{"1": files.small, "10": files.large} {
		if err := files.check("adbkit", local, filepath.Join(files.back, "adbkit-"+key+".bin")); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// servePhone starts `miacct fake serve miui14-en --adbd` and connects the
// adb server to it; the returned function ends it (by its process id).
func servePhone(ctx context.Context, o options, srv *realadb.Server, tmp string) (string, int, func(), error) {
	addrFile := filepath.Join(tmp, "adbd.addr")
	cmd := exec.CommandContext(ctx, o.bin, "fake", "serve", bench.Scenario, "--adbd", "--listen", "127.0.0.1:0", "--addr-file", addrFile)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return "", 0, nil, err
	}
	stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	addr, err := waitFile(addrFile, 20*time.Second)
	if err == nil {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err = srv.Connect(cctx, addr); err == nil {
			err = srv.WaitState(cctx, addr, "device")
		}
	}
	if err != nil {
		stop()
		return "", 0, nil, err
	}
	return addr, cmd.Process.Pid, func() { _, _ = srv.Run(context.Background(), "disconnect", addr); stop() }, nil
}

// peers is the first half of group 2: every peer, the same operations,
// o.reps batches each; the median per operation and the spread.
func peers(ctx context.Context, w io.Writer, o options, srv *realadb.Server, tmp string) error {
	serial, phonePID, stop, err := servePhone(ctx, o, srv, tmp)
	if err != nil {
		return err
	}
	defer stop()
	files, err := makePeerFiles(tmp)
	if err != nil {
		return err
	}
	nodePath, why := installAdbkit(ctx, tmp)
	type peerDef struct {
		name string
		run  func() (peerRun, error)
	}
	defs := []peerDef{
		{"miacct", func() (peerRun, error) { return miacctPeer(ctx, srv, serial, o.trips, files) }},
		{"gadb", func() (peerRun, error) { return gadbPeer(srv, serial, o.trips, files) }},
		{"adb CLI", func() (peerRun, error) { return cliPeer(ctx, srv, serial, o.trips, files) }},
	}
	if nodePath != "" {
		defs = append(defs, peerDef{"adbkit", func() (peerRun, error) { return adbkitPeer(ctx, srv, serial, o.trips, files, nodePath) }})
	}
	runs := map[string][]peerRun{}
	phoneCPU := map[string]time.Duration{} // the fake phone's, over all batches
	for range max(o.reps, 1) {
		for _, p := range defs { // interleaved, so a busy moment hits all alike
			before, err := processCPU(phonePID)
			if err != nil {
				return err
			}
			r, err := p.run()
			if err != nil {
				return fmt.Errorf("%s: %w", p.name, err)
			}
			after, err := processCPU(phonePID)
			if err != nil {
				return err
			}
			phoneCPU[p.name] += after - before
			runs[p.name] = append(runs[p.name], r)
		}
	}
	fmt.Fprintf(w, "peers: miacct (package adb), a raw gadb v0.1.0 program, Debian's adb CLI (a process per operation), Node's %s; %d round trips and %d dumps a batch, median of %d batches (min-max)\n",
		adbkitPackage, o.trips, peerDumps, o.reps)
	if why != "" {
		fmt.Fprintf(w, "adbkit skipped: %s\n", why)
	}
	fmt.Fprintf(w, "%-34s", "per operation")
	for _, p := range defs {
		fmt.Fprintf(w, " %27s", p.name)
	}
	fmt.Fprintln(w)
	for _, op := range peerOps {
		fmt.Fprintf(w, "%-34s", op)
		var mMed time.Duration
		for _, p := range defs {
			var ds []time.Duration
			for _, r := range runs[p.name] {
				ds = append(ds, r[op])
			}
			slices.Sort(ds)
			med := ds[len(ds)/2]
			if p.name == "miacct" {
				mMed = med
			}
			fmt.Fprintf(w, " %27s", fmt.Sprintf("%s (%s-%s) %s", round(med), round(ds[0]), round(ds[len(ds)-1]), ratio(med, mMed)))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "(the ratio after each figure is to miacct's median)\n")
	fmt.Fprintf(w, "the fake phone's own CPU time for one batch (all operations):")
	for _, p := range defs {
		fmt.Fprintf(w, " %s %s;", p.name, round(phoneCPU[p.name]/time.Duration(max(o.reps, 1))))
	}
	fmt.Fprintln(w)
	return nil
}
