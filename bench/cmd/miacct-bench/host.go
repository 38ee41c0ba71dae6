package main

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/miacct/miacct/adb/fake/phone"
	"github.com/miacct/miacct/adb/hierarchy"
	"github.com/miacct/miacct/bench"
	"github.com/miacct/miacct/flows/ui"
)

// hostCost is group 1: what miacct costs the host, in-process, with the
// fake answering at once (its latencies are simulated).
func hostCost(w io.Writer, device deviceTime) error {
	fx, err := bench.LoadFixture(bench.Scenario)
	if err != nil {
		return err
	}
	var runErr error
	remove := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ph, err := phone.New(fx, phone.Options{})
			if err == nil {
				_, err = bench.RemoveInProcess(context.Background(), ph, nil)
			}
			if err != nil {
				runErr = err
				b.SkipNow()
			}
		}
	})
	if runErr != nil {
		return runErr
	}
	data, err := bench.LargeDump(256 << 10)
	if err != nil {
		return err
	}
	parse := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := hierarchy.Parse(data); err != nil {
				runErr = err
				b.SkipNow()
			}
		}
	})
	h, err := hierarchy.Parse(data)
	if err != nil {
		return err
	}
	sel := ui.Selector{Text: []string{bench.LastRowText}}
	lookup := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if sel.Find(h) == nil {
				runErr = fmt.Errorf("the last row was not found")
				b.SkipNow()
			}
		}
	})
	if runErr != nil {
		return runErr
	}

	fmt.Fprintf(w, "\n== 1. Host cost (in-process fake, no real latency) ==\n")
	fmt.Fprintf(w, "command: go test -run '^$' -bench . -benchmem ./bench/ ./flows/  (and this program)\n")
	fmt.Fprintf(w, "%-44s %12s %12s %12s\n", "", "time/op", "bytes/op", "allocs/op")
	row := func(name string, r testing.BenchmarkResult) {
		fmt.Fprintf(w, "%-44s %12s %12s %12d\n", name, round(time.Duration(r.NsPerOp())), bytesString(r.AllocedBytesPerOp()), r.AllocsPerOp())
	}
	row("remove, whole flow (client + fake ph)", remove)
	row(fmt.Sprintf("parse a %d KB hierarchy dump", len(data)>>10), parse)
	row(fmt.Sprintf("selector lookup (last of %d nodes)", len(h.Nodes())), lookup)
	perRemove := time.Duration(remove.NsPerOp())
	if device.total > 0 {
		fmt.Fprintf(w, "ratio: the host spends %s per remove, the phone %s: 1 : %.0f\n",
			round(perRemove), round(device.total), float64(device.total)/float64(perRemove))
	}
	fmt.Fprintf(w, "ratio: parsing one dump takes %s, a phone takes %s to dump: 1 : %.0f\n",
		round(time.Duration(parse.NsPerOp())), device.dumpLatency, float64(device.dumpLatency)/float64(parse.NsPerOp()))
	return nil
}

func bytesString(n int64) string {
	switch {
	case n >= 10<<20:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 10<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
