package main

import (
	"image"
	"regexp"
	"strings"

	"github.com/miacct/miacct/adb/hierarchy"
	"github.com/miacct/miacct/flows"
)

// privacy masks what identifies a phone's owner in the files miacct
// writes for people (reports, failure reports): the Xiaomi account id,
// e-mail addresses and phone numbers, as the terminal shows them
// (12******90, j***@example.com, 138******78). A nil *privacy masks
// nothing (--show-account).
type privacy struct {
	account string
}

func newPrivacy(account string) *privacy { return &privacy{account: account} }

var (
	// An e-mail address; '*' is allowed so an already masked one matches.
	emailPattern = regexp.MustCompile(`[A-Za-z0-9._%+*-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`)
	// An international number, or a Chinese mobile number (11 digits
	// from 13 to 19).
	phonePattern = regexp.MustCompile(`\+[0-9]{1,3}[ -]?[0-9][0-9 -]{5,14}[0-9]|\b1[3-9][0-9]{9}\b`)
)

// text masks s.
func (p *privacy) text(s string) string {
	if p == nil {
		return s
	}
	if p.account != "" {
		s = strings.ReplaceAll(s, p.account, flows.MaskID(p.account))
	}
	s = emailPattern.ReplaceAllStringFunc(s, flows.MaskID)
	return phonePattern.ReplaceAllStringFunc(s, maskNumber)
}

// bytes masks data (JSON, HTML, XML and logs: none of the masked values
// holds a character those formats escape).
func (p *privacy) bytes(data []byte) []byte {
	if p == nil {
		return data
	}
	return []byte(p.text(string(data)))
}

// sensitive reports whether s shows something text would mask.
func (p *privacy) sensitive(s string) bool {
	if p == nil || s == "" {
		return false
	}
	return p.text(s) != s
}

// maskNumber keeps a phone number's first three and last two digits.
func maskNumber(n string) string {
	digits := 0
	for _, r := range n {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	var b strings.Builder
	seen := 0
	for _, r := range n {
		if r >= '0' && r <= '9' {
			seen++
			if seen > 3 && seen <= digits-2 {
				b.WriteByte('*')
				continue
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

// regions are the screen areas of the nodes of a dump whose text or
// description shows something private: a screenshot of the same moment
// has them blacked out.
func (p *privacy) regions(xml []byte) []image.Rectangle {
	if p == nil || len(xml) == 0 {
		return nil
	}
	h, err := hierarchy.Parse(xml)
	if err != nil {
		return nil
	}
	var out []image.Rectangle
	h.Walk(func(n *hierarchy.Node) bool {
		if p.sensitive(n.Text) || p.sensitive(n.ContentDesc) {
			b := n.Bounds
			out = append(out, image.Rect(b.Left, b.Top, b.Right, b.Bottom))
		}
		return true
	})
	return out
}
