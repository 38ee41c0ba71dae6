package bench

import (
	"context"
	"testing"

	"github.com/miacct/miacct/adb/fake/phone"
	"github.com/miacct/miacct/adb/hierarchy"
	"github.com/miacct/miacct/flows/ui"
)

// Group 1 of BENCHMARKS.md: what miacct costs the host. Run with
// `make bench` or `go test -run '^$' -bench . -benchmem ./bench/`.

// largeDumpSize is the size of the dump the parsing benchmarks use.
const largeDumpSize = 256 << 10

func BenchmarkRemoveInProcess(b *testing.B) {
	fx, err := LoadFixture(Scenario)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		phone, err := phone.New(fx, phone.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := RemoveInProcess(context.Background(), phone, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseLargeDump(b *testing.B) {
	data, err := LargeDump(largeDumpSize)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := hierarchy.Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSelectorLookup(b *testing.B) {
	data, err := LargeDump(largeDumpSize)
	if err != nil {
		b.Fatal(err)
	}
	h, err := hierarchy.Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	sel := ui.Selector{Text: []string{LastRowText}}
	b.ReportAllocs()
	for b.Loop() {
		if sel.Find(h) == nil {
			b.Fatal("the last row was not found")
		}
	}
}

func TestLargeDump(t *testing.T) {
	data, err := LargeDump(largeDumpSize)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 200<<10 {
		t.Fatalf("dump of %d bytes, want at least 200 KB", len(data))
	}
	h, err := hierarchy.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	n := ui.Selector{Text: []string{LastRowText}}.FindAll(h)
	if len(n) != 1 {
		t.Fatalf("%d nodes with the last row's text, want 1", len(n))
	}
	all := h.Nodes()
	at := 0
	for i, node := range all {
		if node == n[0] {
			at = i
		}
	}
	if at < len(all)*9/10 {
		t.Errorf("the looked-for row is node %d of %d: a lookup would not walk the dump", at, len(all))
	}
}

// The sequence comparison is what keeps bench/remove.sh faithful: it
// must notice a difference without quoting the commands.
func TestCompareCommands(t *testing.T) {
	a := []DeviceCommand{Normalize("shell:(getprop\n)\necho :miacct-exit:$?"), Normalize("exec:uiautomator dump /dev/tty")}
	b := []DeviceCommand{Normalize("shell,v2,raw:getprop"), Normalize("exec:uiautomator dump /dev/tty")}
	if d := Compare(a, b); d != "" {
		t.Errorf("same commands compare as different: %s", d)
	}
	c := []DeviceCommand{Normalize("shell:input text secret"), b[1]}
	d := Compare(a, c)
	if d == "" {
		t.Fatal("different commands compare as the same")
	}
	if d != "command 1 differs: shell getprop... vs shell input..." {
		t.Errorf("difference described as %q", d)
	}
	if Compare(a, a[:1]) == "" {
		t.Error("sequences of different length compare as the same")
	}
}
