package record

import (
	"cmp"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"image"
	"regexp"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/androidcmd"
	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/adb/hierarchy"
)

// SecretMarker stands in the recording for the typed password and every
// other configured secret.
const SecretMarker = "[redacted-password]"

// TypedMarker stands in the recording for other text typed on the phone
// (a user name, a verification code), which dumps would show in clear.
const TypedMarker = "[typed-text]"

// Kinds of personal data, each with its own placeholders.
const (
	kindAccount = "account id"
	kindEmail   = "e-mail address"
	kindPhone   = "phone number"
	kindIMEI    = "IMEI"
	kindSerial  = "serial number"
	kindMAC     = "MAC address"
	kindName    = "account name"
	kindSecret  = "password"
	kindTyped   = "typed text"
)

// minSecret is the shortest text registered as a secret: a shorter one
// would blank out common words of every output. The account password is
// always longer (Xiaomi asks for 8 characters or more).
const minSecret = 3

// Patterns of personal data found without being told the value.
var (
	emailPattern = regexp.MustCompile(`[A-Za-z0-9._%+*-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`)
	// An international number, or a number masked as Xiaomi shows them
	// (138****5678).
	phonePattern = regexp.MustCompile(`\+[0-9]{1,3}[ -]?[0-9][0-9 -]{5,14}[0-9]|[0-9]{2,}\*{3,}[0-9]{2,}`)
	// A Chinese mobile number: 11 digits starting 13 to 19.
	mobilePattern = regexp.MustCompile(`1[3-9][0-9]{9}`)
	imeiPattern   = regexp.MustCompile(`[0-9]{15}`)
	macPattern    = regexp.MustCompile(`(?i)[0-9a-f]{2}(?::[0-9a-f]{2}){5}`)
	// Property names whose values identify the phone.
	serialProp = regexp.MustCompile(`(?i)serial|(^|\.)c?sn$|(^|\.)p?sno$|cpuid|device_?id`)
	imeiProp   = regexp.MustCompile(`(?i)imei|meid`)
)

// notIdentifying are property values that identify nothing.
var notIdentifying = []string{"", "0", "1", "unknown", "null", "none", "true", "false", "00:00:00:00:00:00", "02:00:00:00:00:00"}

// sanitizer replaces secrets by SecretMarker and personal data by
// placeholders, the same value always by the same placeholder. It is
// not safe for concurrent use (the Recorder holds its lock).
type sanitizer struct {
	secrets      []secretForm      // forms of the secrets, longest first
	known        map[string]string // personal value -> its placeholder
	knownOrder   []string          // known values, longest first
	placeholders map[string]bool
	next         map[string]int // kind -> placeholders handed out
	counts       map[string]int // kind -> distinct values replaced
}

func newSanitizer() *sanitizer {
	return &sanitizer{
		known:        map[string]string{},
		placeholders: map[string]bool{SecretMarker: true, TypedMarker: true},
		next:         map[string]int{},
		counts:       map[string]int{},
	}
}

// secretForm is one way a secret can appear, and what replaces it.
type secretForm struct{ text, marker string }

// addSecret registers a secret in every form it could take on its way to
// the phone: as typed, with spaces as %s (`input text`), quoted for the
// shell, and split into the `input text` invocations EncodeText makes.
func (s *sanitizer) addSecret(secret string) { s.add(secret, SecretMarker, kindSecret) }

// addTyped registers text typed into a field that is not a password's.
func (s *sanitizer) addTyped(text string) { s.add(text, TypedMarker, kindTyped) }

func (s *sanitizer) add(secret, marker, kind string) {
	if len(secret) < minSecret {
		return
	}
	if !s.hasSecret(secret) {
		s.counts[kind]++
	}
	s.addForms(secret, marker, minSecret)
	if cmds, err := adb.EncodeText(secret); err == nil && len(cmds) > 1 {
		for _, c := range cmds {
			arg := unquoteWord(strings.TrimPrefix(c, "input text "))
			s.addForms(arg, marker, minPiece)
			s.addForms(androidcmd.InputText(arg), marker, minPiece)
		}
	}
}

func (s *sanitizer) hasSecret(text string) bool {
	return slices.ContainsFunc(s.secrets, func(f secretForm) bool { return f.text == text })
}

// addSecretForm registers a piece of a secret already counted (what one
// `input text` of a split password typed). Short pieces are left out:
// they would blank out common words; the whole secret is registered too.
func (s *sanitizer) addSecretForm(piece string) { s.addForms(piece, SecretMarker, minPiece) }

// minPiece is the shortest piece of a secret registered on its own.
const minPiece = 6

// addForms registers text as typed, with spaces as %s, both quoted for
// the shell, and as XML (a dump, or a file the phone printed, escapes
// & " ' < >) and JSON write it.
func (s *sanitizer) addForms(text, marker string, minLen int) {
	forms := []string{text, strings.ReplaceAll(text, " ", "%s")}
	for _, f := range slices.Clone(forms) {
		forms = append(forms, quotings(f)...)
	}
	forms = append(forms, escapings(text)...)
	for _, f := range forms {
		if len(f) >= minLen && !s.hasSecret(f) {
			s.secrets = append(s.secrets, secretForm{text: f, marker: marker})
		}
	}
	slices.SortStableFunc(s.secrets, func(a, b secretForm) int { return cmp.Compare(len(b.text), len(a.text)) })
}

// quotings are the ways a shell word holding text is commonly written:
// as syntax.Quote writes it; in single quotes, each quote in it closed,
// escaped and reopened; in double quotes, a backslash before each double
// quote, dollar, backquote and backslash.
func quotings(text string) []string {
	var out []string
	if q, err := syntax.Quote(text, syntax.LangPOSIX); err == nil {
		out = append(out, q)
	}
	out = append(out, "'"+strings.ReplaceAll(text, "'", `'\''`)+"'")
	dq := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`").Replace(text)
	return append(out, `"`+dq+`"`)
}

// escapings are the ways markup and JSON write text: XML escaped as
// uiautomator and Android write it (&amp; &lt; &gt; &quot; &apos;), as
// Go's encoding/xml does (&#34; &#39;), and inside a JSON string.
func escapings(text string) []string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(text))
	return append([]string{
		b.String(),
		strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(text),
	}, jsonStrings(text)...)
}

// jsonStrings are text inside a JSON string, as encoders write it: with
// & < > escaped for HTML (Go's default) and without.
func jsonStrings(text string) []string {
	var out []string
	for _, html := range []bool{true, false} {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(html)
		_ = enc.Encode(text)
		j := strings.TrimSuffix(b.String(), "\n")
		out = append(out, j[1:len(j)-1])
	}
	return out
}

// unquoteWord reads one shell word as the shell would; the word itself
// when it does not parse.
func unquoteWord(w string) string {
	f, err := syntax.NewParser().Parse(strings.NewReader("x "+w), "")
	if err != nil || len(f.Stmts) != 1 {
		return w
	}
	call, ok := f.Stmts[0].Cmd.(*syntax.CallExpr)
	if !ok || len(call.Args) != 2 {
		return w
	}
	if lit, ok := literal(call.Args[1]); ok {
		return lit
	}
	return w
}

// addKnown registers a personal value of a kind, so it is replaced
// wherever it shows up, also where no pattern would find it.
func (s *sanitizer) addKnown(kind, value string) string {
	value = strings.TrimSpace(value)
	if slices.Contains(notIdentifying, strings.ToLower(value)) || len(value) < 4 || s.placeholders[value] {
		return value
	}
	if p, ok := s.known[value]; ok {
		return p
	}
	p := s.newPlaceholder(kind, value)
	s.known[value] = p
	s.knownOrder = append(s.knownOrder, value)
	slices.SortStableFunc(s.knownOrder, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	if kind == kindAccount {
		// Xiaomi shows account ids masked too: 12******90.
		if m := maskID(value); m != value && len(m) >= 4 {
			mp := maskID(p)
			s.known[m] = mp
			s.placeholders[mp] = true
			s.knownOrder = append(s.knownOrder, m)
			slices.SortStableFunc(s.knownOrder, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
		}
	}
	return p
}

// newPlaceholder hands out the next placeholder of a kind, shaped like
// the value it replaces where the flows read it.
func (s *sanitizer) newPlaceholder(kind, value string) string {
	if kind == kindAccount || kind == kindName {
		switch {
		case emailPattern.MatchString(value):
			kind = kindEmail
		case isDigits(value):
			kind = kindAccount
		case strings.HasPrefix(value, "+"):
			kind = kindPhone
		default:
			kind = kindName
		}
	}
	s.next[kind]++
	s.counts[kind]++
	n := s.next[kind]
	var p string
	switch kind {
	case kindAccount:
		p = fmt.Sprintf("%d", 1000000000+n)
	case kindEmail:
		p = fmt.Sprintf("user%d@example.com", n)
	case kindPhone:
		p = fmt.Sprintf("PHONE%d", n)
	case kindIMEI:
		p = fmt.Sprintf("IMEI%d", n)
	case kindSerial:
		p = fmt.Sprintf("SERIAL%d", n)
	case kindMAC:
		p = fmt.Sprintf("02:00:00:00:%02x:%02x", n/256%256, n%256)
	default:
		p = fmt.Sprintf("account%d", n)
	}
	s.placeholders[p] = true
	return p
}

// text returns v with secrets and personal data replaced.
func (s *sanitizer) text(v string) string {
	if v == "" {
		return v
	}
	for _, f := range s.secrets {
		v = strings.ReplaceAll(v, f.text, f.marker)
	}
	for _, k := range s.knownOrder {
		v = replaceBounded(v, k, s.known[k])
	}
	v = s.replacePattern(v, emailPattern, kindEmail, false)
	v = s.replacePattern(v, phonePattern, kindPhone, true)
	v = s.replacePattern(v, mobilePattern, kindPhone, true)
	v = s.replacePattern(v, imeiPattern, kindIMEI, true)
	v = s.replacePattern(v, macPattern, kindMAC, true)
	return v
}

// replacePattern replaces the matches of re that are not placeholders;
// bounded matches must not touch letters or digits on either side.
func (s *sanitizer) replacePattern(v string, re *regexp.Regexp, kind string, bounded bool) string {
	locs := re.FindAllStringIndex(v, -1)
	if locs == nil {
		return v
	}
	var b strings.Builder
	last := 0
	for _, loc := range locs {
		m := v[loc[0]:loc[1]]
		if s.placeholders[m] || bounded && !isBoundary(v, loc[0], loc[1]) || slices.Contains(notIdentifying, strings.ToLower(m)) {
			continue
		}
		p, ok := s.known[m]
		if !ok {
			p = s.newPlaceholder(kind, m)
			s.known[m] = p
		}
		b.WriteString(v[last:loc[0]])
		b.WriteString(p)
		last = loc[1]
	}
	b.WriteString(v[last:])
	return b.String()
}

// replaceBounded replaces old by repl where it stands alone: not inside
// a longer word of letters and digits.
func replaceBounded(v, old, repl string) string {
	if !strings.Contains(v, old) {
		return v
	}
	var b strings.Builder
	for {
		i := strings.Index(v, old)
		if i < 0 {
			b.WriteString(v)
			return b.String()
		}
		end := i + len(old)
		b.WriteString(v[:i])
		if isBoundary(v, i, end) {
			b.WriteString(repl)
		} else {
			b.WriteString(old)
		}
		v = v[end:]
	}
}

func isBoundary(v string, start, end int) bool {
	return (start == 0 || !isAlnum(v[start-1])) && (end == len(v) || !isAlnum(v[end]))
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// maskID hides the middle of an account id as Xiaomi's screens do.
func maskID(id string) string {
	if local, domain, ok := strings.Cut(id, "@"); ok && local != "" {
		return local[:1] + "***@" + domain
	}
	if len(id) <= 4 {
		return id
	}
	return id[:2] + strings.Repeat("*", len(id)-4) + id[len(id)-2:]
}

// learnProps registers the identifying values of getprop output.
func (s *sanitizer) learnProps(props map[string]string) {
	for _, name := range sortedKeys(props) {
		switch {
		case imeiProp.MatchString(name):
			s.addKnown(kindIMEI, props[name])
		case serialProp.MatchString(name):
			s.addKnown(kindSerial, props[name])
		}
	}
}

// learnAccounts registers the account names of dumpsys account output.
func (s *sanitizer) learnAccounts(accts []account) {
	for _, a := range accts {
		kind := kindName
		if (fixture.Account{Name: a.Name, Type: a.Type}).Xiaomi() {
			kind = kindAccount
		}
		s.addKnown(kind, a.Name)
	}
}

// hierarchy sanitises a dump: texts, descriptions and extra attributes;
// a password field's bullets (they tell the password's length) are
// emptied, its hint ("Enter password") is kept.
func (s *sanitizer) hierarchy(h *hierarchy.Hierarchy) {
	h.Walk(func(n *hierarchy.Node) bool {
		if n.Password && masked(n.Text) {
			n.Text = ""
		} else {
			n.Text = s.text(n.Text)
		}
		n.ContentDesc = s.text(n.ContentDesc)
		for i := range n.Extra {
			n.Extra[i].Value = s.text(n.Extra[i].Value)
		}
		return true
	})
}

// privateRegions are the screen areas of h's nodes whose text or
// description the sanitiser replaces (an account id, an e-mail address,
// typed text), for blacking them out on a screenshot of that moment.
func (s *sanitizer) privateRegions(h *hierarchy.Hierarchy) []image.Rectangle {
	var out []image.Rectangle
	h.Walk(func(n *hierarchy.Node) bool {
		if !n.Password && (s.text(n.Text) != n.Text || s.text(n.ContentDesc) != n.ContentDesc) {
			b := n.Bounds
			out = append(out, image.Rect(b.Left, b.Top, b.Right, b.Bottom))
		}
		return true
	})
	return out
}

// replaced says what was replaced, by kind: how many distinct values
// (never the values).
func (s *sanitizer) replaced() map[string]int {
	out := map[string]int{}
	for k, v := range s.counts {
		if v > 0 {
			out[k] = v
		}
	}
	return out
}

// masked reports whether text is what a password field shows for typed
// characters: any mask character (•, ●, *, ...), also with the last
// typed character shown in the clear.
func masked(text string) bool { return strings.ContainsAny(text, "•●∙·*⚫") }
