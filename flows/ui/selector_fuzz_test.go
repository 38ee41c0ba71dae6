package ui

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/miacct/miacct/adb/hierarchy"
)

// selectorFor is the tightest selector describing n by its own
// attributes: it must always find n.
func selectorFor(n *hierarchy.Node) Selector {
	s := Selector{ID: n.ResourceID, Class: n.Class, Packages: []string{n.Package},
		Checked: Flag(n.Checked), Enabled: Flag(n.Enabled), Password: Flag(n.Password),
		Clickable: Flag(n.Clickable), Scrollable: Flag(n.Scrollable), Focused: Flag(n.Focused)}
	if t := strings.TrimSpace(n.Text); t != "" {
		s.Text = []string{t}
	}
	if d := strings.TrimSpace(n.ContentDesc); d != "" {
		s.Desc = []string{d}
	}
	return s
}

// oracleMatch is Match for the plain fields, written independently.
func oracleMatch(s Selector, n *hierarchy.Node) bool {
	if s.ID != "" && s.ID != n.ResourceID {
		return false
	}
	if len(s.Text) > 0 && !slices.Contains(s.Text, strings.TrimSpace(n.Text)) {
		return false
	}
	if len(s.TextPrefix) > 0 && !slices.ContainsFunc(s.TextPrefix, func(p string) bool { return strings.HasPrefix(strings.TrimSpace(n.Text), p) }) {
		return false
	}
	if s.Class != "" {
		short := n.Class[strings.LastIndex(n.Class, ".")+1:]
		if strings.Contains(s.Class, ".") && n.Class != s.Class ||
			!strings.Contains(s.Class, ".") && n.Class != s.Class && (short != s.Class || !strings.Contains(n.Class, ".")) {
			return false
		}
	}
	if len(s.Packages) > 0 && !slices.Contains(s.Packages, n.Package) {
		return false
	}
	for _, f := range []struct {
		want *bool
		got  bool
	}{{s.Checked, n.Checked}, {s.Enabled, n.Enabled}, {s.Password, n.Password}, {s.Clickable, n.Clickable}, {s.Scrollable, n.Scrollable}, {s.Focused, n.Focused}} {
		if f.want != nil && *f.want != f.got {
			return false
		}
	}
	return true
}

// FuzzSelector matches selectors built from arbitrary strings and flags
// against arbitrary dumps: Match agrees with an independent reading of
// the fields, Find is the first of FindAll, a node's own attributes
// always find it (also inside its parent and after its previous sibling),
// a screen signature holds exactly when its selector finds something,
// and nothing panics.
func FuzzSelector(f *testing.F) {
	f.Add([]byte(accountXML), "com.xiaomi.account:id/logout_btn", "Sign out", "", "Button", "com.xiaomi.account", uint16(0))
	f.Add([]byte(accountXML), "", "Find device", "Find", "Switch", "", uint16(0x3ff))
	f.Add([]byte(accountXML), "", "", "Xiaomi", "android.widget.TextView", "", uint16(0x155))
	f.Add([]byte(accountXML), "", " Sign out ", "", "widget.Button", "", uint16(0x2aa))
	f.Add([]byte(`<hierarchy rotation="0"><node index="0" text="a" class="A" bounds="[0,0][1,1]"><node index="0" class=".A" bounds="[0,0][1,1]"/></node></hierarchy>`), "", "a", "", "A", "", uint16(1))
	// The built-in fixtures' screens: real Xiaomi layouts.
	if files, _ := filepath.Glob("../../fixtures/*/screens/*.xml"); len(files) > 0 {
		for _, p := range files[:min(len(files), 12)] {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data, "android:id/button2", "OK", "Sign", "Button", "", uint16(0x10))
			}
		}
	}
	f.Fuzz(func(t *testing.T, xml []byte, id, text, prefix, class, pkg string, flags uint16) {
		h, err := hierarchy.Parse(xml)
		if err != nil {
			return
		}
		// Two bits per flag: unset, false, true.
		flag := func(i int) *bool {
			switch (flags >> (2 * i)) & 3 {
			case 1:
				return Flag(false)
			case 2:
				return Flag(true)
			}
			return nil
		}
		sel := Selector{ID: id, Class: class,
			Checked: flag(0), Enabled: flag(1), Password: flag(2), Clickable: flag(3), Scrollable: flag(4), Focused: flag(5)}
		if text != "" {
			sel.Text = []string{text, text + "x"}
		}
		if pkg != "" {
			sel.Packages = []string{pkg}
		}
		if prefix != "" {
			sel.TextPrefix = []string{prefix}
		}
		_ = sel.String()

		nodes := h.Nodes()
		var want []*hierarchy.Node
		for _, n := range nodes {
			got := sel.Match(n)
			if got != oracleMatch(sel, n) {
				t.Fatalf("Match(%s) on %s = %t, oracle says %t", sel, n.Describe(), got, !got)
			}
			if got {
				want = append(want, n)
			}
		}
		all := sel.FindAll(h)
		if len(all) != len(want) {
			t.Fatalf("FindAll found %d nodes, %d match", len(all), len(want))
		}
		found := sel.Find(h)
		if (found == nil) != (len(all) == 0) || found != nil && found != all[0] {
			t.Fatalf("Find is not the first of FindAll")
		}
		scr := Screen{Name: "s", Require: []Selector{sel}}
		if scr.Matches(h) != (found != nil) {
			t.Fatalf("a screen requiring %s matches %t, but Find found %v", sel, scr.Matches(h), found)
		}
		forbid := Screen{Name: "f", Require: []Selector{{}}, Forbid: []Selector{sel}}
		if len(nodes) > 0 && forbid.Matches(h) != (found == nil) {
			t.Fatalf("a screen forbidding %s matches %t, but Find found %v", sel, forbid.Matches(h), found)
		}
		// A tighter selector never finds more.
		tight := sel
		tight.Inside = &Selector{Scrollable: Flag(true)}
		if len(tight.FindAll(h)) > len(all) {
			t.Fatal("adding Inside found more nodes")
		}

		for _, n := range nodes {
			own := selectorFor(n)
			if !own.Match(n) {
				t.Fatalf("%s does not match the node it was made from (%s)", own, n.Describe())
			}
			if p := n.Parent; p != nil {
				parent := selectorFor(p)
				in := Selector{Inside: &parent}
				if !in.Match(n) {
					t.Fatalf("%s is not inside its parent", n.Describe())
				}
				if i := slices.Index(p.Children, n); i > 0 {
					prev := selectorFor(p.Children[i-1])
					after := Selector{After: &prev}
					if !after.Match(n) {
						t.Fatalf("%s does not come after its previous sibling", n.Describe())
					}
				}
			}
		}
		o := OutlineOf(h)
		_ = o.String()
		if len(o.Buttons) > 8 {
			t.Fatalf("outline lists %d buttons", len(o.Buttons))
		}
	})
}
