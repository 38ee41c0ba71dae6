// Package ui finds things on an Android screen and acts on them: selectors
// over uiautomator hierarchies, screen recognition by signature, and an
// engine that dumps, waits for screens to settle, scrolls and taps through
// an adb.Device. It knows nothing of Xiaomi; package flows does.
package ui

import (
	"strconv"
	"strings"

	"github.com/miacct/miacct/adb/hierarchy"
)

// Selector matches nodes of a hierarchy. Every field that is set must
// match; list fields match when any of their values does.
type Selector struct {
	// ID is the resource-id, e.g. com.xiaomi.account:id/logout_btn.
	ID string
	// IDPrefix matches resource-ids starting with it (keyguard views
	// differ between Android versions but share a prefix).
	IDPrefix string
	// Text is any of these candidates, compared exactly after trimming
	// spaces (on-screen texts differ by language and OS version).
	Text []string
	// TextPrefix matches texts starting with any of these.
	TextPrefix []string
	// Desc is any of these content-desc candidates.
	Desc []string
	// Class is the widget class; a value without a dot matches the last
	// part (EditText matches android.widget.EditText).
	Class string
	// Packages: the node belongs to one of these apps.
	Packages []string
	// Checked, Enabled, Password, Clickable, Scrollable, Focused
	// constrain flags.
	Checked, Enabled, Password, Clickable, Scrollable, Focused *bool
	// Inside requires an ancestor matching this selector.
	Inside *Selector
	// After requires the node to come after (in document order, within
	// the same parent's subtree) a node matching this selector: "the
	// switch following the label Find device".
	After *Selector
}

// Flag returns a pointer for a Selector's flag fields.
func Flag(b bool) *bool { return &b }

// ByID selects by resource-id.
func ByID(id string) Selector { return Selector{ID: id} }

// ByText selects by any of the given texts.
func ByText(texts ...string) Selector { return Selector{Text: texts} }

// Match reports whether n matches s.
func (s Selector) Match(n *hierarchy.Node) bool {
	if s.ID != "" && n.ResourceID != s.ID {
		return false
	}
	if s.IDPrefix != "" && !strings.HasPrefix(n.ResourceID, s.IDPrefix) {
		return false
	}
	if len(s.Text) > 0 && !matchAny(strings.TrimSpace(n.Text), s.Text) {
		return false
	}
	if len(s.TextPrefix) > 0 && !prefixAny(strings.TrimSpace(n.Text), s.TextPrefix) {
		return false
	}
	if len(s.Desc) > 0 && !matchAny(strings.TrimSpace(n.ContentDesc), s.Desc) {
		return false
	}
	if s.Class != "" && !classMatches(n.Class, s.Class) {
		return false
	}
	if len(s.Packages) > 0 && !matchAny(n.Package, s.Packages) {
		return false
	}
	if !flagMatches(s.Checked, n.Checked) || !flagMatches(s.Enabled, n.Enabled) ||
		!flagMatches(s.Password, n.Password) || !flagMatches(s.Clickable, n.Clickable) ||
		!flagMatches(s.Scrollable, n.Scrollable) || !flagMatches(s.Focused, n.Focused) {
		return false
	}
	if s.Inside != nil {
		found := false
		for p := n.Parent; p != nil; p = p.Parent {
			if s.Inside.Match(p) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if s.After != nil && !s.followsLabel(n) {
		return false
	}
	return true
}

// followsLabel reports whether a node matching s.After comes before n in
// document order inside the subtree of one of n's ancestors — i.e. a label
// and the control next to it share a row.
func (s Selector) followsLabel(n *hierarchy.Node) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		seenLabel := false
		done := false
		p.Walk(func(c *hierarchy.Node) bool {
			if c == n {
				done = true
				return false
			}
			if s.After.Match(c) {
				seenLabel = true
			}
			return true
		})
		if done && seenLabel {
			return true
		}
	}
	return false
}

func matchAny(v string, candidates []string) bool {
	for _, c := range candidates {
		if v == c {
			return true
		}
	}
	return false
}

func prefixAny(v string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	return false
}

func classMatches(class, want string) bool {
	if strings.Contains(want, ".") {
		return class == want
	}
	return class == want || strings.HasSuffix(class, "."+want)
}

func flagMatches(want *bool, got bool) bool { return want == nil || *want == got }

// Find returns the first node of h, in document order, that matches s.
func (s Selector) Find(h *hierarchy.Hierarchy) *hierarchy.Node {
	if h == nil {
		return nil
	}
	var found *hierarchy.Node
	h.Walk(func(n *hierarchy.Node) bool {
		if s.Match(n) {
			found = n
			return false
		}
		return true
	})
	return found
}

// FindAll returns every node of h that matches s, in document order.
func (s Selector) FindAll(h *hierarchy.Hierarchy) []*hierarchy.Node {
	var out []*hierarchy.Node
	if h == nil {
		return out
	}
	h.Walk(func(n *hierarchy.Node) bool {
		if s.Match(n) {
			out = append(out, n)
		}
		return true
	})
	return out
}

// String describes s for people: `id=... text="Sign out"|"Выйти"`.
func (s Selector) String() string {
	var parts []string
	if s.ID != "" {
		parts = append(parts, "id="+s.ID)
	}
	if s.IDPrefix != "" {
		parts = append(parts, "id^="+s.IDPrefix)
	}
	if len(s.Text) > 0 {
		parts = append(parts, "text="+quoteAll(s.Text))
	}
	if len(s.TextPrefix) > 0 {
		parts = append(parts, "text^="+quoteAll(s.TextPrefix))
	}
	if len(s.Desc) > 0 {
		parts = append(parts, "desc="+quoteAll(s.Desc))
	}
	if s.Class != "" {
		parts = append(parts, "class="+s.Class)
	}
	if len(s.Packages) > 0 {
		parts = append(parts, "package="+strings.Join(s.Packages, "|"))
	}
	for _, f := range []struct {
		name string
		v    *bool
	}{{"checked", s.Checked}, {"enabled", s.Enabled}, {"password", s.Password}, {"clickable", s.Clickable}, {"scrollable", s.Scrollable}, {"focused", s.Focused}} {
		if f.v != nil {
			parts = append(parts, f.name+"="+strconv.FormatBool(*f.v))
		}
	}
	if s.Inside != nil {
		parts = append(parts, "inside("+s.Inside.String()+")")
	}
	if s.After != nil {
		parts = append(parts, "after("+s.After.String()+")")
	}
	if len(parts) == 0 {
		return "any node"
	}
	return strings.Join(parts, " ")
}

func quoteAll(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, "|")
}

// FirstOf returns the first node that the selectors find, trying them in
// order: resource ids first, texts second.
func FirstOf(h *hierarchy.Hierarchy, sels ...Selector) *hierarchy.Node {
	for _, s := range sels {
		if n := s.Find(h); n != nil {
			return n
		}
	}
	return nil
}
