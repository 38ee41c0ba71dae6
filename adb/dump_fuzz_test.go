package adb_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/hierarchy"
)

// FuzzDumpReader feeds arbitrary phone output to what reads a dump
// (ParseDump, then hierarchy.ParseContext with its depth and node caps):
// whatever the phone sends, the reader returns a dump within the bounds or
// a typed error saying the phone sent garbage, and never panics. (The byte
// caps, enforced while the output streams in, are TestEndlessOutputIsCut's;
// a socket per input would exhaust the loopback ports.)
func FuzzDumpReader(f *testing.F) {
	valid := `<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation="0"><node index="0" text="OK" resource-id="android:id/button1" class="android.widget.Button" package="p" content-desc="" checkable="false" checked="false" clickable="true" enabled="true" focusable="true" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,0][100,100]" /></hierarchy>`
	for _, seed := range []string{
		"1234.56 7890.12\n" + valid + "UI hierchary dumped to: /dev/tty\n",
		valid,
		"ERROR: could not get idle state.\n",
		"ERROR: null root node returned by UiTestAutomationBridge.\n",
		"12.00 1.00\n" + valid[:len(valid)/2],
		"\x00\x01\x02\xff",
		"<hierarchy>" + strings.Repeat(`<node bounds="[0,0][1,1]">`, 600) + "</hierarchy>",
		"<hierarchy><node index=\"1e9\" bounds=\"[0,0][1,1]\"/></hierarchy>",
		"nan nan\n<hierarchy></hierarchy>",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, out []byte) {
		ctx := context.Background()
		dump, err := adb.ParseDump(out)
		if err != nil {
			if !errors.Is(err, adb.ErrBadOutput) && !errors.Is(err, adb.ErrIdleState) {
				t.Fatalf("ParseDump(%q) = %v, want ErrBadOutput or ErrIdleState", out, err)
			}
			return
		}
		if dump.Uptime < 0 || !bytes.Contains(out, dump.XML) || !bytes.HasSuffix(dump.XML, []byte("</hierarchy>")) {
			t.Fatalf("ParseDump(%q) = %+v", out, dump)
		}
		h, err := hierarchy.ParseContext(ctx, dump.XML)
		if err != nil {
			if !errors.Is(err, adb.ErrBadOutput) {
				t.Fatalf("ParseContext(%q) = %v, want ErrBadOutput", dump.XML, err)
			}
			return
		}
		if n := len(h.Nodes()); n > hierarchy.MaxNodes {
			t.Fatalf("%d nodes, over the cap", n)
		}
		var depth func(n *hierarchy.Node) int
		depth = func(n *hierarchy.Node) int {
			d := 0
			for _, c := range n.Children {
				d = max(d, depth(c))
			}
			return d + 1
		}
		for _, r := range h.Roots {
			if d := depth(r); d > hierarchy.MaxDepth {
				t.Fatalf("depth %d, over the cap", d)
			}
		}
	})
}
