// Package hierarchy reads and writes the XML that `uiautomator dump`
// prints: a tree of on-screen nodes with their texts, ids, flags and
// bounds. The flows read it to find what to tap; the fake phone writes it.
package hierarchy

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/miacct/miacct/adb"
)

// Errors of Parse. Each is also adb.ErrBadOutput: a dump comes from the
// phone, and one that cannot be read is the phone's problem.
var (
	// ErrTruncated reports a dump that ends before its closing tag, as
	// uiautomator prints when it crashes mid-way.
	ErrTruncated error = &badDump{"hierarchy dump is truncated"}
	// ErrEmpty reports input that holds no hierarchy element at all.
	ErrEmpty error = &badDump{"hierarchy dump is empty"}
	// ErrMalformed reports input that is not a uiautomator dump: not
	// XML, or XML of other elements or attributes.
	ErrMalformed error = &badDump{"hierarchy dump is malformed"}
	// ErrTooLarge reports a dump nested deeper than MaxDepth or with more
	// than MaxNodes nodes.
	ErrTooLarge error = &badDump{"hierarchy dump is too large"}
)

// badDump is a sentinel error that is also adb.ErrBadOutput.
type badDump struct{ msg string }

func (e *badDump) Error() string { return e.msg }
func (e *badDump) Unwrap() error { return adb.ErrBadOutput }

// Bounds of what Parse accepts. A real screen has a few hundred nodes
// some 30 levels deep; these keep a hostile dump from costing more than
// some tens of MB and a moment.
const (
	MaxDepth = 512
	MaxNodes = 50000
)

// Rect is a node's bounds in screen pixels; Right and Bottom are exclusive.
type Rect struct {
	Left, Top, Right, Bottom int
}

// Center is where a finger taps the node.
func (r Rect) Center() (x, y int) {
	return (r.Left + r.Right) / 2, (r.Top + r.Bottom) / 2
}

// Contains reports whether the point lies inside r.
func (r Rect) Contains(x, y int) bool {
	return x >= r.Left && x < r.Right && y >= r.Top && y < r.Bottom
}

// Empty reports whether r covers no pixel.
func (r Rect) Empty() bool { return r.Right <= r.Left || r.Bottom <= r.Top }

// Width of r.
func (r Rect) Width() int { return r.Right - r.Left }

// Height of r.
func (r Rect) Height() int { return r.Bottom - r.Top }

// String formats r as uiautomator does: [left,top][right,bottom].
func (r Rect) String() string {
	return fmt.Sprintf("[%d,%d][%d,%d]", r.Left, r.Top, r.Right, r.Bottom)
}

// ParseRect reads the uiautomator bounds form [left,top][right,bottom].
func ParseRect(s string) (Rect, error) {
	var r Rect
	rest, ok := strings.CutPrefix(s, "[")
	if !ok {
		return r, fmt.Errorf("bounds %q: want [left,top][right,bottom]", s)
	}
	a, b, ok := strings.Cut(rest, "][")
	if !ok || !strings.HasSuffix(b, "]") {
		return r, fmt.Errorf("bounds %q: want [left,top][right,bottom]", s)
	}
	b = strings.TrimSuffix(b, "]")
	var err error
	if r.Left, r.Top, err = parsePoint(a); err != nil {
		return r, fmt.Errorf("bounds %q: %w", s, err)
	}
	if r.Right, r.Bottom, err = parsePoint(b); err != nil {
		return r, fmt.Errorf("bounds %q: %w", s, err)
	}
	return r, nil
}

func parsePoint(s string) (int, int, error) {
	xs, ys, ok := strings.Cut(s, ",")
	if !ok {
		return 0, 0, errors.New("want x,y")
	}
	x, err := strconv.Atoi(xs)
	if err != nil {
		return 0, 0, errors.New("x is not a number")
	}
	y, err := strconv.Atoi(ys)
	if err != nil {
		return 0, 0, errors.New("y is not a number")
	}
	return x, y, nil
}

// Node is one element of the screen.
type Node struct {
	Index         int
	Text          string
	ResourceID    string
	Class         string
	Package       string
	ContentDesc   string
	Checkable     bool
	Checked       bool
	Clickable     bool
	Enabled       bool
	Focusable     bool
	Focused       bool
	Scrollable    bool
	LongClickable bool
	Password      bool
	Selected      bool
	Bounds        Rect
	// Extra keeps attributes newer Android versions add (hint,
	// drawing-order, display-id, NAF...) so a dump survives a round trip.
	Extra []xml.Attr

	Parent   *Node
	Children []*Node
}

// Hierarchy is a whole dump.
type Hierarchy struct {
	Rotation int
	// Roots are the top-level nodes (one per window; usually one).
	Roots []*Node
}

// Walk calls fn for every node in document order until fn returns false.
func (h *Hierarchy) Walk(fn func(*Node) bool) {
	for _, r := range h.Roots {
		if !r.Walk(fn) {
			return
		}
	}
}

// Walk calls fn for n and its descendants in document order until fn
// returns false; it reports whether the walk ran to the end.
func (n *Node) Walk(fn func(*Node) bool) bool {
	if !fn(n) {
		return false
	}
	for _, c := range n.Children {
		if !c.Walk(fn) {
			return false
		}
	}
	return true
}

// Nodes returns every node in document order.
func (h *Hierarchy) Nodes() []*Node {
	var out []*Node
	h.Walk(func(n *Node) bool { out = append(out, n); return true })
	return out
}

// At returns the deepest, last-drawn node whose bounds contain the point,
// the node a finger at (x, y) lands on; nil when none does.
func (h *Hierarchy) At(x, y int) *Node {
	var hit *Node
	var depthHit int
	var visit func(n *Node, depth int)
	visit = func(n *Node, depth int) {
		if !n.Bounds.Contains(x, y) {
			return
		}
		if hit == nil || depth >= depthHit {
			hit, depthHit = n, depth
		}
		for _, c := range n.Children {
			visit(c, depth+1)
		}
	}
	for _, r := range h.Roots {
		visit(r, 0)
	}
	return hit
}

// ClickTarget returns the node that handles a tap on n: n itself or its
// nearest clickable ancestor, as Android dispatches touches.
func (n *Node) ClickTarget() *Node {
	for c := n; c != nil; c = c.Parent {
		if c.Clickable {
			return c
		}
	}
	return n
}

// Contains reports whether d is n or lies inside n.
func (n *Node) Contains(d *Node) bool {
	for c := d; c != nil; c = c.Parent {
		if c == n {
			return true
		}
	}
	return false
}

// Describe names the node for people and error messages:
// class, id and text where present.
func (n *Node) Describe() string {
	var parts []string
	cls := n.Class
	if i := strings.LastIndexByte(cls, '.'); i >= 0 {
		cls = cls[i+1:]
	}
	if cls != "" {
		parts = append(parts, cls)
	}
	if n.ResourceID != "" {
		parts = append(parts, n.ResourceID)
	}
	if n.Text != "" {
		parts = append(parts, strconv.Quote(n.Text))
	} else if n.ContentDesc != "" {
		parts = append(parts, "desc="+strconv.Quote(n.ContentDesc))
	}
	return strings.Join(parts, " ")
}

// Parse reads a uiautomator dump. Text before the XML declaration or after
// the closing tag (the "UI hierchary dumped to" status line) is ignored.
func Parse(data []byte) (*Hierarchy, error) {
	return ParseContext(context.Background(), data)
}

// ctxCheckEvery is how many XML tokens ParseContext reads between looks
// at its context.
const ctxCheckEvery = 512

// ParseContext is Parse that stops when ctx ends, returning ctx's error:
// reading a dump stays within the deadline of the call that fetched it.
func ParseContext(ctx context.Context, data []byte) (*Hierarchy, error) {
	start := bytes.Index(data, []byte("<hierarchy"))
	if start < 0 {
		if len(bytes.TrimSpace(data)) == 0 || !bytes.Contains(data, []byte("<")) {
			return nil, ErrEmpty
		}
		return nil, fmt.Errorf("%w: no <hierarchy> element", ErrTruncated)
	}
	dec := xml.NewDecoder(bytes.NewReader(data[start:]))
	dec.Strict = true
	h := &Hierarchy{}
	var stack []*Node
	seenRoot := false
	nodes := 0
	for tokens := 0; ; tokens++ {
		if tokens%ctxCheckEvery == 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("parse hierarchy: %w", ctx.Err())
		}
		tok, err := dec.RawToken()
		if err == io.EOF {
			return nil, ErrTruncated
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) && strings.Contains(se.Msg, "unexpected EOF") {
				return nil, ErrTruncated
			}
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "hierarchy":
				if seenRoot {
					return nil, fmt.Errorf("%w: nested <hierarchy>", ErrMalformed)
				}
				seenRoot = true
				for _, a := range t.Attr {
					if a.Name.Local == "rotation" {
						h.Rotation, _ = strconv.Atoi(a.Value)
					}
				}
			case "node":
				if !seenRoot {
					return nil, fmt.Errorf("%w: <node> outside <hierarchy>", ErrMalformed)
				}
				if len(stack) >= MaxDepth {
					return nil, fmt.Errorf("%w: nodes nested deeper than %d levels", ErrTooLarge, MaxDepth)
				}
				if nodes++; nodes > MaxNodes {
					return nil, fmt.Errorf("%w: more than %d nodes", ErrTooLarge, MaxNodes)
				}
				n, err := nodeFromAttrs(t.Attr)
				if err != nil {
					return nil, fmt.Errorf("%w: line %d: %v", ErrMalformed, lineOf(data[start:], dec.InputOffset()), err)
				}
				if len(stack) > 0 {
					p := stack[len(stack)-1]
					n.Parent = p
					p.Children = append(p.Children, n)
				} else {
					h.Roots = append(h.Roots, n)
				}
				stack = append(stack, n)
			default:
				return nil, fmt.Errorf("%w: unexpected element <%s>", ErrMalformed, t.Name.Local)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "node":
				if len(stack) == 0 {
					return nil, fmt.Errorf("%w: unbalanced </node>", ErrMalformed)
				}
				stack = stack[:len(stack)-1]
			case "hierarchy":
				if len(stack) != 0 {
					return nil, fmt.Errorf("%w: </hierarchy> inside a node", ErrMalformed)
				}
				return h, nil
			}
		}
	}
}

func lineOf(data []byte, offset int64) int {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	return 1 + bytes.Count(data[:offset], []byte("\n"))
}

func nodeFromAttrs(attrs []xml.Attr) (*Node, error) {
	n := &Node{Enabled: true}
	for _, a := range attrs {
		v := a.Value
		switch a.Name.Local {
		case "index":
			i, err := strconv.Atoi(v)
			if err != nil {
				return nil, fmt.Errorf("index %q is not a number", v)
			}
			n.Index = i
		case "text":
			n.Text = v
		case "resource-id":
			n.ResourceID = v
		case "class":
			n.Class = v
		case "package":
			n.Package = v
		case "content-desc":
			n.ContentDesc = v
		case "checkable":
			n.Checkable = v == "true"
		case "checked":
			n.Checked = v == "true"
		case "clickable":
			n.Clickable = v == "true"
		case "enabled":
			n.Enabled = v == "true"
		case "focusable":
			n.Focusable = v == "true"
		case "focused":
			n.Focused = v == "true"
		case "scrollable":
			n.Scrollable = v == "true"
		case "long-clickable":
			n.LongClickable = v == "true"
		case "password":
			n.Password = v == "true"
		case "selected":
			n.Selected = v == "true"
		case "bounds":
			r, err := ParseRect(v)
			if err != nil {
				return nil, err
			}
			n.Bounds = r
		default:
			n.Extra = append(n.Extra, xml.Attr{Name: xml.Name{Local: a.Name.Local}, Value: v})
		}
	}
	return n, nil
}

// Marshal writes h as uiautomator does: one line, attributes in
// uiautomator's order, no trailing newline.
func (h *Hierarchy) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>")
	fmt.Fprintf(&b, `<hierarchy rotation="%d">`, h.Rotation)
	for _, r := range h.Roots {
		writeNode(&b, r)
	}
	b.WriteString("</hierarchy>")
	return b.Bytes()
}

func writeNode(b *bytes.Buffer, n *Node) {
	b.WriteString(`<node index="`)
	b.WriteString(strconv.Itoa(n.Index))
	writeAttr(b, "text", n.Text)
	writeAttr(b, "resource-id", n.ResourceID)
	writeAttr(b, "class", n.Class)
	writeAttr(b, "package", n.Package)
	writeAttr(b, "content-desc", n.ContentDesc)
	writeBool(b, "checkable", n.Checkable)
	writeBool(b, "checked", n.Checked)
	writeBool(b, "clickable", n.Clickable)
	writeBool(b, "enabled", n.Enabled)
	writeBool(b, "focusable", n.Focusable)
	writeBool(b, "focused", n.Focused)
	writeBool(b, "scrollable", n.Scrollable)
	writeBool(b, "long-clickable", n.LongClickable)
	writeBool(b, "password", n.Password)
	writeBool(b, "selected", n.Selected)
	writeAttr(b, "bounds", n.Bounds.String())
	for _, a := range n.Extra {
		writeAttr(b, a.Name.Local, a.Value)
	}
	if len(n.Children) == 0 {
		b.WriteString(`" />`)
		return
	}
	b.WriteString(`">`)
	for _, c := range n.Children {
		writeNode(b, c)
	}
	b.WriteString(`</node>`)
}

func writeAttr(b *bytes.Buffer, name, value string) {
	b.WriteString(`" `)
	b.WriteString(name)
	b.WriteString(`="`)
	escapeAttr(b, value)
}

// escapeAttr escapes like Android's XmlSerializer does in uiautomator
// dumps: &, <, >, " and control characters; an apostrophe stays as is.
func escapeAttr(b *bytes.Buffer, v string) {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\n':
			b.WriteString("&#10;")
		case '\r':
			b.WriteString("&#13;")
		case '\t':
			b.WriteString("&#9;")
		default:
			b.WriteByte(c)
		}
	}
}

func writeBool(b *bytes.Buffer, name string, v bool) {
	if v {
		writeAttr(b, name, "true")
	} else {
		writeAttr(b, name, "false")
	}
}

// Clone returns a deep copy of h; the fake phone edits copies of its
// screens (focus, typed text) without touching the fixture.
func (h *Hierarchy) Clone() *Hierarchy {
	c := &Hierarchy{Rotation: h.Rotation, Roots: make([]*Node, len(h.Roots))}
	for i, r := range h.Roots {
		c.Roots[i] = r.clone(nil)
	}
	return c
}

func (n *Node) clone(parent *Node) *Node {
	c := *n
	c.Parent = parent
	c.Extra = append([]xml.Attr(nil), n.Extra...)
	c.Children = make([]*Node, len(n.Children))
	for i, ch := range n.Children {
		c.Children[i] = ch.clone(&c)
	}
	return &c
}
