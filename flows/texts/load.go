package texts

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// builtin holds the language files shipped with miacct.
//
//go:embed *.yaml
var builtin embed.FS

// Kinds of evidence a string can have, most to least sure.
const (
	KindStock     = "stock"     // Xiaomi's own resources
	KindCommunity = "community" // community translations, automation code that ran on phones
	KindGuide     = "guide"     // how-to pages quoting the screen
	KindAssumed   = "assumed"   // no source: a guess, said so
)

// Candidate is one wording of a key, with where it was read.
type Candidate struct {
	Text   string `yaml:"text"`
	Kind   string `yaml:"kind"`
	Source string `yaml:"source"`
}

// Language is one language file: its own candidates only.
type Language struct {
	// Code is the file's code: a language (de) or language-REGION (es-US).
	Code string
	// Name is the language's English name.
	Name string
	// Base is the code of the language a regional file adds to (es for
	// es-US); its candidates come after this file's own.
	Base string
	// Locales are the Android locales the file covers, matched as
	// prefixes at tag boundaries; the longest match wins.
	Locales []string
	// Texts are the candidates per key, in order of preference.
	Texts map[Key][]Candidate
	// Origin is where the file came from: "builtin" or a path.
	Origin string
}

// fileFormat is a language file as written.
type fileFormat struct {
	Lang    string    `yaml:"lang"`
	Name    string    `yaml:"name"`
	Base    string    `yaml:"base"`
	Locales []string  `yaml:"locales"`
	Texts   yaml.Node `yaml:"texts"`
}

// maxFileSize bounds a language file: the largest shipped is a few KB.
const maxFileSize = 1 << 20

// ErrFormat: a language file is malformed; the message names file and line.
var ErrFormat = errors.New("bad language file")

// Parse reads one language file; name is used in error messages.
func Parse(name string, data []byte) (*Language, error) {
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%w: %s: larger than %d bytes", ErrFormat, name, maxFileSize)
	}
	var f fileFormat
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrFormat, name, err)
	}
	at := func(line int, format string, args ...any) error {
		return fmt.Errorf("%w: %s:%d: %s", ErrFormat, name, line, fmt.Sprintf(format, args...))
	}
	if !validCode(f.Lang) {
		return nil, at(1, "lang %q: want a language code such as de or es-US", f.Lang)
	}
	if f.Name == "" {
		return nil, at(1, "name: missing (the language's English name)")
	}
	if f.Base != "" && !validCode(f.Base) {
		return nil, at(1, "base %q: want a language code", f.Base)
	}
	if len(f.Locales) == 0 {
		f.Locales = []string{f.Lang}
	}
	lang := &Language{Code: f.Lang, Name: f.Name, Base: f.Base, Texts: map[Key][]Candidate{}, Origin: name}
	for _, l := range f.Locales {
		n := NormalizeLocale(l)
		if !validCode(n) {
			return nil, at(1, "locale %q: want an Android locale such as en-US or zh-Hant", l)
		}
		lang.Locales = append(lang.Locales, n)
	}
	if f.Texts.Kind == 0 {
		return lang, nil
	}
	if f.Texts.Kind != yaml.MappingNode {
		return nil, at(f.Texts.Line, "texts: want a map of key to candidates")
	}
	for i := 0; i+1 < len(f.Texts.Content); i += 2 {
		kn, vn := f.Texts.Content[i], f.Texts.Content[i+1]
		k := Key(kn.Value)
		if _, ok := Info(k); !ok {
			return nil, at(kn.Line, "unknown key %q; the keys are: %s", kn.Value, strings.Join(keyNames(), ", "))
		}
		if _, dup := lang.Texts[k]; dup {
			return nil, at(kn.Line, "key %q given twice", k)
		}
		var cands []Candidate
		if err := vn.Decode(&cands); err != nil {
			return nil, at(vn.Line, "%s: %v", k, err)
		}
		for j, c := range cands {
			line := vn.Line
			var node *yaml.Node
			if vn.Kind == yaml.SequenceNode && j < len(vn.Content) {
				node = vn.Content[j]
				line = node.Line
			}
			if f := unknownField(node); f != nil {
				return nil, at(f.Line, "%s: field %q: a candidate has only %s", k, f.Value, strings.Join(candidateFields(), ", "))
			}
			switch {
			case strings.TrimSpace(c.Text) == "":
				return nil, at(line, "%s: a candidate without text", k)
			case c.Text != strings.TrimSpace(c.Text):
				return nil, at(line, "%s: %q has leading or trailing spaces (screens are compared trimmed)", k, c.Text)
			case !slices.Contains([]string{KindStock, KindCommunity, KindGuide, KindAssumed}, c.Kind):
				return nil, at(line, "%s: %q: kind %q: want stock, community, guide or assumed", k, c.Text, c.Kind)
			case strings.TrimSpace(c.Source) == "":
				return nil, at(line, "%s: %q: source missing (say where it was read, or why it is assumed)", k, c.Text)
			}
		}
		lang.Texts[k] = cands
	}
	return lang, nil
}

// candidateFields are the keys a candidate may have: its YAML tags.
func candidateFields() []string {
	t := reflect.TypeFor[Candidate]()
	out := make([]string, t.NumField())
	for i := range out {
		out[i] = t.Field(i).Tag.Get("yaml")
	}
	return out
}

// unknownField is the first key of a candidate's mapping that Candidate
// does not have (a misspelt "soruce" would otherwise be dropped), or nil.
// Node.Decode has no strict mode; checking the keys in place keeps one
// decode per file on every run.
func unknownField(n *yaml.Node) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	fields := candidateFields()
	for i := 0; i < len(n.Content); i += 2 {
		if !slices.Contains(fields, n.Content[i].Value) {
			return n.Content[i]
		}
	}
	return nil
}

func keyNames() []string {
	var out []string
	for _, ki := range keyTable() {
		out = append(out, string(ki.Key))
	}
	return out
}

// validCode accepts lowercase-normalised or written codes: letters,
// digits and hyphens, starting with two or three letters.
func validCode(c string) bool {
	if len(c) < 2 || len(c) > 35 {
		return false
	}
	for i, r := range c {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case (r >= '0' && r <= '9' || r == '-') && i >= 2:
		default:
			return false
		}
	}
	return true
}

// NormalizeLocale turns an Android locale (en_US, zh-Hans-CN, in-ID) into
// lowercase hyphenated tags with the legacy language codes replaced.
func NormalizeLocale(locale string) string {
	l := strings.ToLower(strings.TrimSpace(strings.ReplaceAll(locale, "_", "-")))
	lang, rest, _ := strings.Cut(l, "-")
	switch lang {
	case "in":
		lang = "id"
	case "iw":
		lang = "he"
	case "ji":
		lang = "yi"
	}
	if rest != "" {
		return lang + "-" + rest
	}
	return lang
}

// Catalog is every language miacct knows: the built-in files and the
// user's (--texts).
type Catalog struct {
	langs []*Language
}

// Builtin returns the catalog of the shipped language files.
func Builtin() (*Catalog, error) {
	names, err := fs.Glob(builtin, "*.yaml")
	if err != nil {
		return nil, err
	}
	c := &Catalog{}
	for _, n := range names {
		data, err := builtin.ReadFile(n)
		if err != nil {
			return nil, err
		}
		l, err := Parse(path.Join("flows/texts", n), data)
		if err != nil {
			return nil, err
		}
		l.Origin = "builtin"
		if err := c.add(l); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// add puts a language into the catalog. A language whose code is already
// there is merged into it: its candidates come first (a user's file
// overrides the shipped wording), its locales are added.
func (c *Catalog) add(l *Language) error {
	for _, have := range c.langs {
		if have.Code != l.Code {
			continue
		}
		for k, cands := range l.Texts {
			have.Texts[k] = append(slices.Clone(cands), have.Texts[k]...)
		}
		for _, loc := range l.Locales {
			if !slices.Contains(have.Locales, loc) {
				have.Locales = append(have.Locales, loc)
			}
		}
		if l.Base != "" {
			have.Base = l.Base
		}
		have.Origin += ", " + l.Origin
		return nil
	}
	c.langs = append(c.langs, l)
	sort.Slice(c.langs, func(i, j int) bool { return c.langs[i].Code < c.langs[j].Code })
	return nil
}

// With returns a catalog with the user's language files added (--texts):
// new languages, or candidates put in front of a shipped language's.
func (c *Catalog) With(name string, data []byte) (*Catalog, error) {
	l, err := Parse(name, data)
	if err != nil {
		return nil, err
	}
	out := &Catalog{}
	for _, have := range c.langs {
		cp := *have
		cp.Texts = map[Key][]Candidate{}
		for k, v := range have.Texts {
			cp.Texts[k] = slices.Clone(v)
		}
		cp.Locales = slices.Clone(have.Locales)
		out.langs = append(out.langs, &cp)
	}
	if err := out.add(l); err != nil {
		return nil, err
	}
	return out, nil
}

// Languages lists the codes of the catalog's languages, sorted.
func (c *Catalog) Languages() []string {
	var out []string
	for _, l := range c.langs {
		out = append(out, l.Code)
	}
	return out
}

// Language returns the language file with that code.
func (c *Catalog) Language(code string) (*Language, bool) {
	for _, l := range c.langs {
		if strings.EqualFold(l.Code, code) {
			return l, true
		}
	}
	return nil, false
}

// Resolve finds the language of an Android locale (or a code given with
// --lang): the file whose locales hold the longest prefix of it.
func (c *Catalog) Resolve(locale string) (*Language, bool) {
	loc := NormalizeLocale(locale)
	if loc == "" {
		return nil, false
	}
	var best *Language
	bestLen := 0
	for _, l := range c.langs {
		for _, p := range append([]string{strings.ToLower(l.Code)}, l.Locales...) {
			if (loc == p || strings.HasPrefix(loc, p+"-")) && len(p) > bestLen {
				best, bestLen = l, len(p)
			}
		}
	}
	return best, best != nil
}

// Table is the words of one reading of the screens: per key, the
// candidates in order, deduplicated.
type Table struct {
	// Lang is the language code ("" when every language is merged).
	Lang string
	// Name is the language's name, or a description of the merge.
	Name  string
	words map[Key][]string
}

// Get returns the candidates of a key.
func (t Table) Get(k Key) []string { return t.words[k] }

// Table returns the words for a locale: the language's own candidates,
// then its base language's, then English (phones leave screens
// untranslated). ok is false when no file covers the locale.
func (c *Catalog) Table(locale string) (Table, bool) {
	l, ok := c.Resolve(locale)
	if !ok {
		return Table{}, false
	}
	chain := []*Language{l}
	for base := l.Base; base != ""; {
		b, ok := c.Language(base)
		if !ok || slices.Contains(chain, b) {
			break
		}
		chain = append(chain, b)
		base = b.Base
	}
	if en, ok := c.Language("en"); ok && !slices.Contains(chain, en) {
		chain = append(chain, en)
	}
	return merge(l.Code, l.Name, chain), true
}

// All merges every language, English first: for a phone whose locale no
// file covers, the screens themselves tell which words apply.
func (c *Catalog) All() Table {
	var chain []*Language
	if en, ok := c.Language("en"); ok {
		chain = append(chain, en)
	}
	for _, l := range c.langs {
		if l.Code != "en" {
			chain = append(chain, l)
		}
	}
	return merge("", "every language (the phone's locale has no file)", chain)
}

// merge is the one loop that combines languages: for every key, each
// language's candidates in turn, each wording once.
func merge(code, name string, chain []*Language) Table {
	t := Table{Lang: code, Name: name, words: map[Key][]string{}}
	for _, ki := range keyTable() {
		for _, l := range chain {
			for _, c := range l.Texts[ki.Key] {
				if !slices.Contains(t.words[ki.Key], c.Text) {
					t.words[ki.Key] = append(t.words[ki.Key], c.Text)
				}
			}
		}
	}
	return t
}
