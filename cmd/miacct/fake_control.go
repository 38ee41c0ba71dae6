package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/miacct/miacct/adb/fake"
	"github.com/miacct/miacct/adb/fake/phone"
)

// fakeControl reads commands for a running `fake serve --control-stdin`,
// one per line, so a script (or a test) plugs phones in and pulls them
// out while a station watches:
//
//	add SCENARIO [SERIAL]   serve one more phone (a new serial and account
//	                        when the scenario's are taken); prints "added SERIAL"
//	remove SERIAL           pull a phone out; prints "removed SERIAL"
//	list                    print the served serials, one line
//
// An unknown command or a failure prints "error: ..." and goes on. The
// server's device tracking tells every tracker of each change.
type fakeControl struct {
	app      *App
	srv      *fake.Server
	opts     *FakeServeOptions
	taken    map[string]bool // serials
	accounts map[string]bool // Xiaomi account ids, per scenario
	served   []string
}

func (fc *fakeControl) serve(ctx context.Context, in io.Reader) {
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		if ctx.Err() != nil {
			return
		}
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		switch {
		case fields[0] == "add" && (len(fields) == 2 || len(fields) == 3):
			serial := ""
			if len(fields) == 3 {
				serial = fields[2]
			}
			s, err := fc.add(fields[1], serial)
			if err != nil {
				fc.app.IO.Printf("error: %v\n", err)
				continue
			}
			fc.app.IO.Printf("added %s\n", s)
		case fields[0] == "remove" && len(fields) == 2:
			if !fc.srv.Remove(fields[1]) {
				fc.app.IO.Printf("error: no phone %s\n", fields[1])
				continue
			}
			for i, s := range fc.served {
				if s == fields[1] {
					fc.served = append(fc.served[:i], fc.served[i+1:]...)
					break
				}
			}
			fc.app.IO.Printf("removed %s\n", fields[1])
		case fields[0] == "list" && len(fields) == 1:
			fc.app.IO.Printf("%s\n", strings.Join(fc.served, " "))
		default:
			fc.app.IO.Printf("error: unknown command %q (add SCENARIO [SERIAL], remove SERIAL, list)\n", fields[0])
		}
	}
}

// add serves one more phone of a scenario.
func (fc *fakeControl) add(ref, serial string) (string, error) {
	fx, err := loadFixture(ref)
	if err != nil {
		return "", err
	}
	if serial == "" || fc.taken[serial] {
		serial = uniqueSerial(fx.Serial, fc.taken)
	} else {
		fc.taken[serial] = true
	}
	po := phone.Options{Log: fc.app.IO.ErrOut, Realtime: fc.opts.LatencyScale, Serial: serial, AccountID: uniqueAccountID(fx, fc.accounts)}
	ph, err := phone.New(fx, po)
	if err != nil {
		return "", fmt.Errorf("fake phone %s: %w", ref, err)
	}
	fc.app.watchReplay(fx, ph)
	fc.srv.Add(ph)
	fc.served = append(fc.served, ph.Serial())
	fc.app.IO.Errorf("serving %s as %s\n", ref, ph.Serial())
	return ph.Serial(), nil
}
