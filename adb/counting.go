package adb

import (
	"context"
	"io"
	"io/fs"
	"strings"
	"sync"
	"time"

	"mvdan.cc/sh/v3/syntax"
)

// Counts are the device calls a CountingDevice saw. Dumps, Inputs and
// Screenshots count the tool invocations inside shell and exec commands
// (one Shell call may run several `input` invocations), because those are
// what cost seconds on a phone.
type Counts struct {
	Calls       int // every Device call except Serial
	Shell       int
	Exec        int
	Sync        int // Push and Pull (through Syncer)
	Reboots     int
	Waits       int // WaitForDevice
	Dumps       int // `uiautomator dump` invocations
	Inputs      int // `input` invocations
	Screenshots int // `screencap` invocations
}

// Sub returns c - o, the calls made between two snapshots.
func (c Counts) Sub(o Counts) Counts {
	return Counts{
		Calls:       c.Calls - o.Calls,
		Shell:       c.Shell - o.Shell,
		Exec:        c.Exec - o.Exec,
		Sync:        c.Sync - o.Sync,
		Reboots:     c.Reboots - o.Reboots,
		Waits:       c.Waits - o.Waits,
		Dumps:       c.Dumps - o.Dumps,
		Inputs:      c.Inputs - o.Inputs,
		Screenshots: c.Screenshots - o.Screenshots,
	}
}

// CountingDevice is a Device that counts the calls made through it, for
// budgets and reports. It is safe for concurrent use.
type CountingDevice struct {
	Device
	mu     sync.Mutex
	counts Counts
}

// Counted wraps d so its calls are counted.
func Counted(d Device) *CountingDevice { return &CountingDevice{Device: d} }

// Counts returns a snapshot of the counts.
func (c *CountingDevice) Counts() Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts
}

func (c *CountingDevice) add(f func(*Counts)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts.Calls++
	f(&c.counts)
}

func (c *CountingDevice) addTools(n *Counts, cmd string) {
	t := countTools(cmd)
	n.Dumps += t.Dumps
	n.Inputs += t.Inputs
	n.Screenshots += t.Screenshots
}

func (c *CountingDevice) Shell(ctx context.Context, cmd string) (ShellResult, error) {
	c.add(func(n *Counts) { n.Shell++; c.addTools(n, cmd) })
	return c.Device.Shell(ctx, cmd)
}

func (c *CountingDevice) Exec(ctx context.Context, cmd string) ([]byte, error) {
	c.add(func(n *Counts) { n.Exec++; c.addTools(n, cmd) })
	return c.Device.Exec(ctx, cmd)
}

// Syncer forwards the wrapped device's file transfer, counted; false
// when the wrapped device has none.
func (c *CountingDevice) Syncer() (Syncer, bool) {
	inner, ok := SyncerOf(c.Device)
	if !ok {
		return nil, false
	}
	return countingSyncer{c: c, inner: inner}, true
}

// countingSyncer counts the Push and Pull calls of a CountingDevice.
type countingSyncer struct {
	c     *CountingDevice
	inner Syncer
}

func (s countingSyncer) Push(ctx context.Context, src io.Reader, remotePath string, mode fs.FileMode, mtime time.Time) error {
	s.c.add(func(n *Counts) { n.Sync++ })
	return s.inner.Push(ctx, src, remotePath, mode, mtime)
}

func (s countingSyncer) Pull(ctx context.Context, remotePath string, dst io.Writer) error {
	s.c.add(func(n *Counts) { n.Sync++ })
	return s.inner.Pull(ctx, remotePath, dst)
}

func (c *CountingDevice) Reboot(ctx context.Context) error {
	c.add(func(n *Counts) { n.Reboots++ })
	return c.Device.Reboot(ctx)
}

func (c *CountingDevice) State(ctx context.Context) (State, error) {
	c.add(func(*Counts) {})
	return c.Device.State(ctx)
}

func (c *CountingDevice) WaitForDevice(ctx context.Context) error {
	c.add(func(n *Counts) { n.Waits++ })
	return c.Device.WaitForDevice(ctx)
}

// countTools counts the simple commands of cmd that run input,
// `uiautomator dump` and screencap, by parsing cmd as the shell would (so
// the word "input" inside quoted text does not count). A command that
// does not parse is counted by its words.
func countTools(cmd string) Counts {
	var n Counts
	count := func(name, arg string) {
		switch name {
		case "input":
			n.Inputs++
		case "uiautomator":
			if arg == "dump" {
				n.Dumps++
			}
		case "screencap":
			n.Screenshots++
		}
	}
	file, err := syntax.NewParser(syntax.Variant(syntax.LangPOSIX)).Parse(strings.NewReader(cmd), "")
	if err != nil {
		f := strings.Fields(cmd)
		if len(f) > 0 {
			arg := ""
			if len(f) > 1 {
				arg = f[1]
			}
			count(f[0], arg)
		}
		return n
	}
	syntax.Walk(file, func(node syntax.Node) bool {
		call, ok := node.(*syntax.CallExpr)
		if !ok || len(call.Args) == 0 {
			return true
		}
		arg := ""
		if len(call.Args) > 1 {
			arg = call.Args[1].Lit()
		}
		count(call.Args[0].Lit(), arg)
		return true
	})
	return n
}
