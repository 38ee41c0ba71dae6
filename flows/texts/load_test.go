package texts

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBuiltinFilesLoad(t *testing.T) {
	c, err := Builtin()
	require.NoError(t, err)
	// Every locale of the evidence has a file (real-miui.md section 4).
	for _, locale := range []string{"en", "zh-CN", "zh-TW", "ru", "es", "es-US", "pt-BR", "de", "fr", "it", "pl", "uk", "tr", "vi", "th", "ar", "id"} {
		l, ok := c.Resolve(locale)
		if assert.True(t, ok, locale) {
			assert.Equal(t, NormalizeLocale(locale), NormalizeLocale(l.Code), locale)
		}
	}
	for _, code := range c.Languages() {
		l, _ := c.Language(code)
		if l.Base != "" {
			_, ok := c.Language(l.Base)
			assert.True(t, ok, "%s: base %s has a file", code, l.Base)
		}
	}
	en, ok := c.Language("en")
	require.True(t, ok)
	for k, cands := range en.Texts {
		for _, cand := range cands {
			assert.NotEmpty(t, cand.Source, "%s %q", k, cand.Text)
		}
	}
}

func TestResolveLocales(t *testing.T) {
	c := catalogOf(t,
		"lang: en\nname: English\n",
		"lang: es\nname: Spanish\n",
		"lang: es-US\nname: Spanish (US)\nbase: es\nlocales: [es-US, es-419]\n",
		"lang: zh-CN\nname: Chinese (Simplified)\nlocales: [zh-CN, zh-Hans, zh]\n",
		"lang: zh-TW\nname: Chinese (Traditional)\nbase: zh-CN\nlocales: [zh-TW, zh-HK, zh-Hant]\n",
		"lang: id\nname: Indonesian\n",
	)
	for locale, want := range map[string]string{
		"en-US": "en", "en": "en", "EN_gb": "en",
		"es-ES": "es", "es": "es", "es-US": "es-US", "es_419": "es-US",
		"zh-CN": "zh-CN", "zh": "zh-CN", "zh-Hans-CN": "zh-CN", "zh-Hant-TW": "zh-TW", "zh-HK": "zh-TW", "zh-TW": "zh-TW",
		"in-ID": "id", "id": "id",
	} {
		l, ok := c.Resolve(locale)
		if assert.True(t, ok, locale) {
			assert.Equal(t, want, l.Code, locale)
		}
	}
	for _, locale := range []string{"", "hi-IN", "e", "xx"} {
		_, ok := c.Resolve(locale)
		assert.False(t, ok, locale)
	}
}

func TestTableMergesOwnThenBaseThenEnglish(t *testing.T) {
	c := catalogOf(t,
		"lang: en\nname: English\ntexts:\n  keep: [{text: Keep, kind: stock, source: S1}]\n  ok: [{text: OK, kind: stock, source: S1}]\n",
		"lang: es\nname: Spanish\ntexts:\n  keep: [{text: Mantener, kind: stock, source: S3}]\n",
		"lang: es-US\nname: Spanish (US)\nbase: es\ntexts:\n  keep: [{text: Conservar, kind: assumed, source: test}, {text: Mantener, kind: stock, source: S3}]\n",
	)
	tb, ok := c.Table("es-US")
	require.True(t, ok)
	assert.Equal(t, []string{"Conservar", "Mantener", "Keep"}, tb.Get("keep"), "own, base, English; each once")
	assert.Equal(t, []string{"OK"}, tb.Get("ok"))
	all := c.All()
	assert.Equal(t, []string{"Keep", "Mantener", "Conservar"}, all.Get("keep"), "English first")
}

func TestUserFileOverridesAndAdds(t *testing.T) {
	c := catalogOf(t, "lang: en\nname: English\ntexts:\n  remove: [{text: Remove, kind: stock, source: S1}]\n")
	c2, err := c.With("my.yaml", []byte("lang: en\nname: English\ntexts:\n  remove: [{text: Delete, kind: assumed, source: my phone}]\n"))
	require.NoError(t, err)
	tb, _ := c2.Table("en")
	assert.Equal(t, []string{"Delete", "Remove"}, tb.Get("remove"), "the user's wording first")
	tb, _ = c.Table("en")
	assert.Equal(t, []string{"Remove"}, tb.Get("remove"), "the catalog it came from is unchanged")

	c3, err := c.With("hi.yaml", []byte("lang: hi\nname: Hindi\nlocales: [hi]\ntexts:\n  remove: [{text: हटाएं, kind: assumed, source: my phone}]\n"))
	require.NoError(t, err)
	tb, ok := c3.Table("hi-IN")
	require.True(t, ok)
	assert.Equal(t, []string{"हटाएं", "Remove"}, tb.Get("remove"))
}

func TestParseErrorsNameFileAndLine(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"lang: en\nname: English\ntexts:\n  remov: [{text: X, kind: stock, source: S}]\n", `my.yaml:4: unknown key "remov"`},
		{"lang: en\nname: English\ntexts:\n  remove:\n    - {text: X, kind: sure, source: S}\n", `my.yaml:5: remove: "X": kind "sure"`},
		{"lang: en\nname: English\ntexts:\n  remove:\n    - {text: X, kind: stock}\n", `my.yaml:5: remove: "X": source missing`},
		{"lang: en\nname: English\ntexts:\n  remove:\n    - {text: ' X', kind: stock, source: S}\n", "leading or trailing spaces"},
		{"lang: en\nname: English\ntexts:\n  remove:\n    - {text: X, kind: stock, source: S, colour: red}\n", `my.yaml:5: remove: field "colour": a candidate has only text, kind, source`},
		{"lang: en\nname: English\ntexts:\n  remove: Remove\n", "my.yaml:4: remove: yaml: unmarshal errors"},
		{"lang: e1\nname: X\n", `lang "e1"`},
		{"lang: en\n", "name: missing"},
		{"lang: en\nname: English\nwords: {}\n", "words"},
	} {
		_, err := Parse("my.yaml", []byte(tc.file))
		if assert.ErrorIs(t, err, ErrFormat, tc.file) {
			assert.Contains(t, err.Error(), tc.want)
		}
	}
}

func catalogOf(t *testing.T, files ...string) *Catalog {
	t.Helper()
	c := &Catalog{}
	for i, f := range files {
		l, err := Parse("test", []byte(f))
		require.NoError(t, err, "file %d", i)
		require.NoError(t, c.add(l))
	}
	return c
}
