package hierarchy_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/hierarchy"
)

// sample is shaped like a MIUI account screen dump: a clickable row whose
// text child is not clickable, a dialog window as a second root, and
// attributes newer Android versions add.
const sample = `<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>` +
	`<hierarchy rotation="0">` +
	`<node index="0" text="" resource-id="" class="android.widget.FrameLayout" package="com.xiaomi.account" content-desc="" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,0][1080,2400]">` +
	`<node index="0" text="" resource-id="com.xiaomi.account:id/logout_btn" class="android.widget.LinearLayout" package="com.xiaomi.account" content-desc="" checkable="false" checked="false" clickable="true" enabled="true" focusable="true" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,2200][1080,2400]">` +
	`<node index="0" text="Sign out &amp; &quot;leave&quot; it's" resource-id="" class="android.widget.TextView" package="com.xiaomi.account" content-desc="" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[400,2250][680,2350]" drawing-order="1" hint="" />` +
	`</node>` +
	`<node index="1" text="" resource-id="com.xiaomi.account:id/et_account_password" class="android.widget.EditText" package="com.xiaomi.account" content-desc="" checkable="false" checked="false" clickable="true" enabled="true" focusable="true" focused="true" scrollable="false" long-clickable="true" password="true" selected="false" bounds="[60,800][1020,950]" />` +
	`</node>` +
	`<node index="0" text="OK" resource-id="android:id/button2" class="android.widget.Button" package="com.xiaomi.account" content-desc="" checkable="false" checked="false" clickable="true" enabled="true" focusable="true" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[540,1800][1000,1900]" />` +
	`</hierarchy>`

func mustParse(t *testing.T, data string) *hierarchy.Hierarchy {
	t.Helper()
	h, err := hierarchy.Parse([]byte(data))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return h
}

func TestParseFields(t *testing.T) {
	h := mustParse(t, sample+"UI hierchary dumped to: /dev/tty\n")
	if len(h.Roots) != 2 {
		t.Fatalf("roots = %d, want 2", len(h.Roots))
	}
	nodes := h.Nodes()
	if len(nodes) != 5 {
		t.Fatalf("nodes = %d, want 5", len(nodes))
	}
	text := nodes[2]
	if text.Text != `Sign out & "leave" it's` || text.Clickable || text.Parent != nodes[1] {
		t.Errorf("text node = %+v", text)
	}
	if text.Bounds != (hierarchy.Rect{Left: 400, Top: 2250, Right: 680, Bottom: 2350}) {
		t.Errorf("bounds = %v", text.Bounds)
	}
	if len(text.Extra) != 2 || text.Extra[0].Name.Local != "drawing-order" {
		t.Errorf("extra attributes = %v", text.Extra)
	}
	pw := nodes[3]
	if !pw.Password || !pw.Focused || !pw.LongClickable || pw.ResourceID != "com.xiaomi.account:id/et_account_password" {
		t.Errorf("password node = %+v", pw)
	}
}

func TestRoundTrip(t *testing.T) {
	h := mustParse(t, sample)
	out := h.Marshal()
	// Byte-exact: uiautomator writes &quot; for a quote and leaves an
	// apostrophe bare, and so does Marshal.
	if !bytes.Equal(out, []byte(sample)) {
		t.Errorf("Marshal differs from the dump:\n got %s\nwant %s", out, sample)
	}
	again := mustParse(t, string(out))
	if !bytes.Equal(again.Marshal(), out) {
		t.Error("second round trip differs")
	}
	clone := h.Clone()
	clone.Nodes()[2].Text = "changed"
	if h.Nodes()[2].Text == "changed" {
		t.Error("Clone shares nodes with the original")
	}
	if clone.Nodes()[2].Parent != clone.Nodes()[1] {
		t.Error("Clone's parent links point outside the clone")
	}
}

func TestParseNamedEntities(t *testing.T) {
	h := mustParse(t, `<hierarchy rotation="0"><node text="&quot;a&quot; &lt;b&gt; &apos;c&apos;" bounds="[0,0][1,1]" /></hierarchy>`)
	if got := h.Roots[0].Text; got != `"a" <b> 'c'` {
		t.Errorf("text = %q", got)
	}
}

func TestAtAndClickTarget(t *testing.T) {
	h := mustParse(t, sample)
	nodes := h.Nodes()
	tests := []struct {
		x, y        int
		hit, target *hierarchy.Node
	}{
		{540, 2300, nodes[2], nodes[1]}, // the text: the row handles the tap
		{100, 2300, nodes[1], nodes[1]}, // the row itself
		{10, 10, nodes[0], nodes[0]},    // the frame: nothing clickable above it
		{700, 1850, nodes[4], nodes[4]}, // the dialog root drawn last wins
		{100, 900, nodes[3], nodes[3]},
		{1080, 100, nil, nil}, // Right is exclusive
		{-1, 5, nil, nil},
	}
	for _, tt := range tests {
		got := h.At(tt.x, tt.y)
		if got != tt.hit {
			t.Errorf("At(%d,%d) = %v, want %v", tt.x, tt.y, describe(got), describe(tt.hit))
			continue
		}
		if got != nil && got.ClickTarget() != tt.target {
			t.Errorf("At(%d,%d).ClickTarget() = %v, want %v", tt.x, tt.y, describe(got.ClickTarget()), describe(tt.target))
		}
	}
	if !nodes[1].Contains(nodes[2]) || nodes[2].Contains(nodes[1]) {
		t.Error("Contains is wrong")
	}
	if d := nodes[2].Describe(); !strings.Contains(d, "TextView") || !strings.Contains(d, "Sign out") {
		t.Errorf("Describe = %q", d)
	}
}

func describe(n *hierarchy.Node) string {
	if n == nil {
		return "<nil>"
	}
	return n.Describe()
}

func TestTruncatedAndEmpty(t *testing.T) {
	for _, cut := range []int{len(sample) - 1, len(sample) - len("</hierarchy>"), len(sample) / 2, 120} {
		_, err := hierarchy.Parse([]byte(sample[:cut]))
		if !errors.Is(err, hierarchy.ErrTruncated) {
			t.Errorf("cut at %d: error = %v, want ErrTruncated", cut, err)
		}
	}
	for _, in := range []string{"", "  \n", "ERROR: could not get idle state."} {
		if _, err := hierarchy.Parse([]byte(in)); !errors.Is(err, hierarchy.ErrEmpty) {
			t.Errorf("Parse(%q) = %v, want ErrEmpty", in, err)
		}
	}
	if _, err := hierarchy.Parse([]byte(`<hierarchy><node bounds="[0,0][1,x]"/></hierarchy>`)); err == nil {
		t.Error("bad bounds: no error")
	}
	if _, err := hierarchy.Parse([]byte(`<hierarchy><window/></hierarchy>`)); err == nil {
		t.Error("unknown element: no error")
	}
}

func TestParseRect(t *testing.T) {
	good := map[string]hierarchy.Rect{
		"[0,0][1080,2400]":  {0, 0, 1080, 2400},
		"[-5,10][20,30]":    {-5, 10, 20, 30},
		"[400,2250][680,1]": {400, 2250, 680, 1},
	}
	for in, want := range good {
		got, err := hierarchy.ParseRect(in)
		if err != nil || got != want {
			t.Errorf("ParseRect(%q) = %v, %v; want %v", in, got, err, want)
		}
		if got.String() != in {
			t.Errorf("String() = %q, want %q", got.String(), in)
		}
	}
	for _, in := range []string{"", "0,0][1,1]", "[0,0][1,1", "[0,0]", "[0;0][1,1]", "[a,0][1,1]", "[0,0][1,b]", "[0,0][1]", "[0,0]x[1,1]"} {
		if _, err := hierarchy.ParseRect(in); err == nil {
			t.Errorf("ParseRect(%q): no error", in)
		}
	}
	r := hierarchy.Rect{Left: 10, Top: 20, Right: 30, Bottom: 60}
	if x, y := r.Center(); x != 20 || y != 40 {
		t.Errorf("Center = %d,%d", x, y)
	}
	if r.Width() != 20 || r.Height() != 40 || r.Empty() || !(hierarchy.Rect{}).Empty() {
		t.Error("Width/Height/Empty wrong")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte(sample + "UI hierchary dumped to: /dev/tty\n"))
	f.Add([]byte(sample[:len(sample)/2]))
	f.Add([]byte(`<hierarchy rotation="1"></hierarchy>`))
	f.Add([]byte("ERROR: could not get idle state."))
	f.Add([]byte(`<hierarchy><node bounds="[0,0][1,1]"><node index="x"/></node></hierarchy>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := hierarchy.Parse(data)
		if err != nil {
			return
		}
		// What parses must survive a marshal round trip unchanged.
		out := h.Marshal()
		h2, err := hierarchy.Parse(out)
		if err != nil {
			t.Fatalf("re-parse of marshalled dump: %v\n%s", err, out)
		}
		if out2 := h2.Marshal(); !bytes.Equal(out, out2) {
			t.Fatalf("round trip not stable:\n%s\n%s", out, out2)
		}
		for _, n := range h.Nodes() {
			for _, c := range n.Children {
				if c.Parent != n {
					t.Fatal("child's parent link is wrong")
				}
			}
		}
	})
}

// nested is a dump with depth nodes, each inside the one before.
func nested(depth int) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation="0">`)
	for range depth {
		b.WriteString(`<node index="0" bounds="[0,0][1,1]">`)
	}
	for range depth {
		b.WriteString(`</node>`)
	}
	b.WriteString(`</hierarchy>`)
	return b.Bytes()
}

func TestParseBounds(t *testing.T) {
	if _, err := hierarchy.Parse(nested(hierarchy.MaxDepth)); err != nil {
		t.Fatalf("%d levels: %v", hierarchy.MaxDepth, err)
	}
	start := time.Now()
	_, err := hierarchy.Parse(nested(300000))
	if !errors.Is(err, hierarchy.ErrTooLarge) || !errors.Is(err, adb.ErrBadOutput) {
		t.Fatalf("300000 levels: %v, want hierarchy.ErrTooLarge (ErrBadOutput)", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("refusing 300000 levels took %s", d)
	}
	flat := bytes.Repeat([]byte(`<node index="0" bounds="[0,0][1,1]" />`), hierarchy.MaxNodes+1)
	many := append(append([]byte(`<hierarchy rotation="0">`), flat...), "</hierarchy>"...)
	if _, err := hierarchy.Parse(many); !errors.Is(err, hierarchy.ErrTooLarge) {
		t.Errorf("%d nodes: %v, want hierarchy.ErrTooLarge", hierarchy.MaxNodes+1, err)
	}
}

// Parsing stops when the context of the call that fetched the dump ends.
func TestParseContextStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := hierarchy.ParseContext(ctx, nested(100)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v, want context.Canceled", err)
	}
	if _, err := hierarchy.ParseContext(context.Background(), nested(100)); err != nil {
		t.Errorf("not cancelled: %v", err)
	}
}

func TestParseErrorsAreBadOutput(t *testing.T) {
	for name, in := range map[string]string{
		"empty":     "",
		"truncated": `<hierarchy rotation="0"><node index="0" bounds="[0,0][1,1]">`,
		"malformed": `<hierarchy rotation="0"><node index="x" bounds="[0,0][1,1]" /></hierarchy>`,
		"element":   `<hierarchy><window/></hierarchy>`,
		"binary":    "<hierarchy>\x00\x01\xff</hierarchy>",
	} {
		if _, err := hierarchy.Parse([]byte(in)); !errors.Is(err, adb.ErrBadOutput) {
			t.Errorf("%s: %v, want ErrBadOutput", name, err)
		}
	}
}
