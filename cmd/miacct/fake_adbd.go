package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/miacct/miacct/adb/fake"
	"github.com/miacct/miacct/adb/fake/phone"
)

// runFakeServeADBD serves one fake phone as a device daemon: a real adb
// server reaches it after `adb connect ADDR` and lists it as ADDR.
func runFakeServeADBD(ctx context.Context, opts *FakeServeOptions) error {
	app := opts.App
	if len(opts.Scenarios) != 1 {
		return usagef("fake serve --adbd serves one phone per address; got %d scenarios", len(opts.Scenarios))
	}
	ref := opts.Scenarios[0]
	fx, err := loadFixture(ref)
	if err != nil {
		return err
	}
	var log io.Writer
	if app.Global.Verbose {
		log = app.IO.ErrOut
	}
	ph, err := phone.New(fx, phone.Options{Log: log})
	if err != nil {
		return fmt.Errorf("fake phone %s: %w", ref, err)
	}
	d, err := fake.ListenDaemon(opts.Listen, fake.DaemonOptions{Auth: opts.ADBDAuth, Log: log}, ph)
	if err != nil {
		return usagef("listen on %s: %v", opts.Listen, err)
	}
	defer d.Close()
	warnIfNotLoopback(app, "fake adbd", d.Addr())
	app.IO.Printf("%s\n", d.Addr())
	auth := ""
	if opts.ADBDAuth {
		auth = " (demands authentication: listed unauthorized)"
	}
	app.IO.Errorf("fake adbd for %s on %s%s; try: adb connect %s (Ctrl-C stops)\n", ref, d.Addr(), auth, d.Addr())
	if opts.AddrFile != "" {
		if err := os.WriteFile(opts.AddrFile, []byte(d.Addr()+"\n"), 0o644); err != nil {
			return fmt.Errorf("write --addr-file: %w", err)
		}
	}
	<-ctx.Done() // a stop signal
	return nil
}
