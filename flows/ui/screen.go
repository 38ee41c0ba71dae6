package ui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/miacct/miacct/adb/hierarchy"
)

// Screen is a screen the flows know, recognised by signature: every
// Require selector finds a node and no Forbid selector does.
type Screen struct {
	// Name is the stable identifier, e.g. "account".
	Name string
	// Title names the screen for people: "the Xiaomi Account screen".
	Title string
	// Require and Forbid make the signature.
	Require []Selector
	Forbid  []Selector
	// Parts are the things on the screen the flows touch, by name ("ok",
	// "sign-out"): each a list of selectors tried in order, so the most
	// reliable way to find it comes first.
	Parts map[string][]Selector
}

// Part finds a named part on h: the node the first of its selectors finds.
func (s *Screen) Part(h *hierarchy.Hierarchy, name string) *hierarchy.Node {
	return FirstOf(h, s.Parts[name]...)
}

// Matches reports whether h shows s.
func (s *Screen) Matches(h *hierarchy.Hierarchy) bool {
	if h == nil || len(s.Require) == 0 {
		return false
	}
	for _, sel := range s.Require {
		if sel.Find(h) == nil {
			return false
		}
	}
	for _, sel := range s.Forbid {
		if sel.Find(h) != nil {
			return false
		}
	}
	return true
}

// Identify returns the first screen in screens that h shows, or nil.
// Order matters: list dialogs before the screens they cover.
func Identify(h *hierarchy.Hierarchy, screens []Screen) *Screen {
	for i := range screens {
		if screens[i].Matches(h) {
			return &screens[i]
		}
	}
	return nil
}

// titleIDs are where Android and MIUI put a screen's or dialog's title,
// most specific first; an id starting with ":" matches that id in any
// app's namespace (miuix puts action-bar titles in the app's own).
func titleIDs() []string {
	return []string{
		"android:id/alertTitle",
		":id/alertTitle",
		":id/action_bar_title_expand",
		":id/action_bar_title",
		// The passport password prompt's title; list rows use the same
		// id, so it comes last.
		"android:id/title",
	}
}

// hasID reports whether n has id, or id's name in any namespace when id
// starts with ":".
func hasID(n *hierarchy.Node, id string) bool {
	if strings.HasPrefix(id, ":") {
		return strings.HasSuffix(n.ResourceID, id)
	}
	return n.ResourceID == id
}

// Outline is what a person would say a screen shows: its title and the
// buttons on it. It names unknown screens in errors and reports.
type Outline struct {
	Package string   `json:"package,omitempty"`
	Title   string   `json:"title,omitempty"`
	Buttons []string `json:"buttons,omitempty"`
}

// Outline reads the title and buttons of h.
func OutlineOf(h *hierarchy.Hierarchy) Outline {
	var o Outline
	if h == nil {
		return o
	}
	nodes := h.Nodes()
	for _, n := range nodes {
		if o.Package == "" && n.Package != "" {
			o.Package = n.Package
		}
	}
	for _, id := range titleIDs() {
		for _, n := range nodes {
			if hasID(n, id) && strings.TrimSpace(n.Text) != "" {
				o.Title = strings.TrimSpace(n.Text)
				break
			}
		}
		if o.Title != "" {
			break
		}
	}
	if o.Title == "" {
		for _, n := range nodes {
			if t := strings.TrimSpace(n.Text); t != "" && !n.Clickable {
				o.Title = t
				break
			}
		}
	}
	seen := map[string]bool{}
	for _, n := range nodes {
		if !n.Clickable || !n.Enabled {
			continue
		}
		label := LabelOf(n)
		if label == "" || seen[label] || label == o.Title {
			continue
		}
		seen[label] = true
		o.Buttons = append(o.Buttons, label)
		if len(o.Buttons) == 8 {
			break
		}
	}
	return o
}

// LabelOf is the text a person reads on a clickable node: its own text,
// its description, or the first text inside it.
func LabelOf(n *hierarchy.Node) string {
	if t := strings.TrimSpace(n.Text); t != "" {
		return t
	}
	if d := strings.TrimSpace(n.ContentDesc); d != "" {
		return d
	}
	var label string
	n.Walk(func(c *hierarchy.Node) bool {
		if t := strings.TrimSpace(c.Text); t != "" {
			label = t
			return false
		}
		return true
	})
	return label
}

// String says what the outline shows: `a screen titled "X" (com.pkg) with
// buttons "A", "B"`.
func (o Outline) String() string {
	var b strings.Builder
	b.WriteString("a screen")
	if o.Title != "" {
		b.WriteString(" titled ")
		b.WriteString(strconv.Quote(o.Title))
	}
	if o.Package != "" {
		fmt.Fprintf(&b, " (%s)", o.Package)
	}
	if len(o.Buttons) > 0 {
		q := make([]string, len(o.Buttons))
		for i, l := range o.Buttons {
			q[i] = strconv.Quote(l)
		}
		b.WriteString(" with buttons ")
		b.WriteString(strings.Join(q, ", "))
	}
	return b.String()
}

// ErrUnexpectedScreen is matched by every *UnexpectedScreenError.
var ErrUnexpectedScreen = errors.New("unexpected screen")

// UnexpectedScreenError says which screen a step waited for and what the
// phone showed instead.
type UnexpectedScreenError struct {
	Want []string // titles of the screens that would have been right
	Got  *Screen  // the known screen shown, or nil when unknown
	Seen Outline  // what the phone showed
	// Hierarchy is the last dump, for reports.
	Hierarchy *hierarchy.Hierarchy
	// Detail adds what was being done, e.g. "after tapping Sign out".
	Detail string
}

func (e *UnexpectedScreenError) Error() string {
	want := strings.Join(e.Want, " or ")
	if want == "" {
		want = "a known screen"
	}
	got := e.Seen.String()
	if e.Got != nil {
		got = e.Got.Title
	}
	msg := fmt.Sprintf("expected %s; the phone shows %s", want, got)
	if e.Detail != "" {
		msg += " " + e.Detail
	}
	return msg
}

// Is makes errors.Is(err, ErrUnexpectedScreen) true.
func (e *UnexpectedScreenError) Is(target error) bool { return target == ErrUnexpectedScreen }
