package flows

import (
	"bytes"
	_ "embed"
	"fmt"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/miacct/miacct/flows/texts"
	"github.com/miacct/miacct/flows/ui"
)

// screensYAML declares every screen the flows recognise: see the file.
//
//go:embed screens.yaml
var screensYAML []byte

// Screen names the flows act on. They are also the names fixtures give
// their screens (or a variant's `is:`), so a fixture and the recogniser
// can be checked against each other.
const (
	screenLock          = "lock"
	screenChooser       = "browser-chooser"
	screenLauncher      = "launcher"
	screenSettings      = "settings"
	screenAccount       = "account"
	screenAccountSignIn = "account-sign-in"
	screenFindDevice    = "find-device-dialog"
	screenData          = "data-dialog"
	screenPassword      = "password-dialog"
	screenWrongPassword = "wrong-password"
	screenTwoStep       = "two-step"
	screenBankCards     = "bank-cards-dialog"
	screenNotSynced     = "not-synced-dialog"
	screenHQImages      = "hq-images-dialog"
	screenProgress      = "progress"
	screenCannotSignOut = "cannot-sign-out"

	// The account web site in the phone's browser (delete-account).
	screenWebCaptcha        = "web-captcha"
	screenWebTooMany        = "web-too-many"
	screenWebSignInError    = "web-sign-in-error"
	screenWebSignIn         = "web-sign-in"
	screenWebWrongCode      = "web-wrong-code"
	screenWebCode           = "web-code"
	screenWebConfirm        = "web-confirm"
	screenWebSuccess        = "web-success"
	screenWebDeleteApproved = "web-delete-approved"
	screenWebDelete         = "web-delete"
	screenWebAccount        = "web-account"
)

// signOutDialogs are what the phone shows between Sign out and the
// account being gone, in an order (and a subset) of the phone's choosing.
func signOutDialogs() []string {
	return []string{screenBankCards, screenFindDevice, screenData, screenPassword, screenWrongPassword, screenTwoStep, screenNotSynced, screenHQImages, screenProgress, screenCannotSignOut}
}

// evidence says how sure a fact about phones is, and where it was read.
type evidence struct {
	Kind   string `yaml:"kind"`
	Source string `yaml:"source"`
}

// screenFile is screens.yaml as written.
type screenFile struct {
	Apps map[string]struct {
		Packages []string `yaml:"packages"`
		Own      bool     `yaml:"own"`
		Evidence evidence `yaml:"evidence"`
	} `yaml:"apps"`
	IDs map[string]struct {
		ID       string   `yaml:"id"`
		Prefix   string   `yaml:"prefix"`
		Evidence evidence `yaml:"evidence"`
	} `yaml:"ids"`
	Screens []struct {
		Name   string                   `yaml:"name"`
		Title  string                   `yaml:"title"`
		When   [][]selectorDef          `yaml:"when"`
		Unless []selectorDef            `yaml:"unless"`
		Parts  map[string][]selectorDef `yaml:"parts"`
	} `yaml:"screens"`
}

// selectorDef is a selector as written in screens.yaml.
type selectorDef struct {
	App        string       `yaml:"app"`
	ID         string       `yaml:"id"`
	Class      string       `yaml:"class"`
	Text       texts.Key    `yaml:"text"`
	Desc       texts.Key    `yaml:"desc"`
	Password   *bool        `yaml:"password"`
	Checked    *bool        `yaml:"checked"`
	Clickable  *bool        `yaml:"clickable"`
	Enabled    *bool        `yaml:"enabled"`
	Focused    *bool        `yaml:"focused"`
	Scrollable *bool        `yaml:"scrollable"`
	Inside     *selectorDef `yaml:"inside"`
}

// screenBook is the compiled screens.yaml for one table of words.
type screenBook struct {
	screens []ui.Screen
	// own are the packages of the apps the flow works in: an unknown
	// screen of theirs stops the run; any other app's is a pop-up.
	own []string
}

// loadScreens compiles screens.yaml with the words of t. An error is a
// bug in the file (a test loads it).
func loadScreens(t texts.Table) (*screenBook, error) {
	var f screenFile
	dec := yaml.NewDecoder(bytes.NewReader(screensYAML))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("flows/screens.yaml: %w", err)
	}
	book := &screenBook{}
	for _, a := range f.Apps {
		if a.Own {
			book.own = append(book.own, a.Packages...)
		}
	}
	slices.Sort(book.own)
	compile := func(where string, d selectorDef) (ui.Selector, error) {
		var c func(d selectorDef, depth int) (ui.Selector, error)
		c = func(d selectorDef, depth int) (ui.Selector, error) {
			sel := ui.Selector{Class: d.Class, Password: d.Password, Checked: d.Checked, Clickable: d.Clickable,
				Enabled: d.Enabled, Focused: d.Focused, Scrollable: d.Scrollable}
			if d.App != "" {
				app, ok := f.Apps[d.App]
				if !ok {
					return sel, fmt.Errorf("%s: no app %q", where, d.App)
				}
				sel.Packages = app.Packages
			}
			if d.ID != "" {
				id, ok := f.IDs[d.ID]
				if !ok {
					return sel, fmt.Errorf("%s: no id %q", where, d.ID)
				}
				sel.ID, sel.IDPrefix = id.ID, id.Prefix
			}
			for _, k := range []struct {
				key  texts.Key
				into func(words []string, prefix bool)
			}{
				{d.Text, func(w []string, prefix bool) {
					if prefix {
						sel.TextPrefix = w
					} else {
						sel.Text = w
					}
				}},
				{d.Desc, func(w []string, _ bool) { sel.Desc = w }},
			} {
				if k.key == "" {
					continue
				}
				info, ok := texts.Info(k.key)
				if !ok {
					return sel, fmt.Errorf("%s: no text key %q", where, k.key)
				}
				words := t.Get(k.key)
				if len(words) == 0 {
					// No words in this language: the selector can never
					// match (an empty list would match anything).
					words = []string{"\x00no words for " + string(k.key)}
				}
				k.into(words, info.Match == texts.Prefix)
			}
			if d.Inside != nil {
				if depth > 4 {
					return sel, fmt.Errorf("%s: inside nested too deep", where)
				}
				in, err := c(*d.Inside, depth+1)
				if err != nil {
					return sel, err
				}
				sel.Inside = &in
			}
			return sel, nil
		}
		return c(d, 0)
	}
	compileAll := func(where string, defs []selectorDef) ([]ui.Selector, error) {
		var out []ui.Selector
		for _, d := range defs {
			sel, err := compile(where, d)
			if err != nil {
				return nil, err
			}
			out = append(out, sel)
		}
		return out, nil
	}
	for _, sd := range f.Screens {
		where := "flows/screens.yaml: screen " + sd.Name
		if sd.Name == "" || sd.Title == "" || len(sd.When) == 0 {
			return nil, fmt.Errorf("%s: needs name, title and when", where)
		}
		forbid, err := compileAll(where+": unless", sd.Unless)
		if err != nil {
			return nil, err
		}
		parts := map[string][]ui.Selector{}
		for name, defs := range sd.Parts {
			if parts[name], err = compileAll(where+": part "+name, defs); err != nil {
				return nil, err
			}
		}
		for _, alt := range sd.When {
			require, err := compileAll(where+": when", alt)
			if err != nil {
				return nil, err
			}
			book.screens = append(book.screens, ui.Screen{Name: sd.Name, Title: sd.Title, Require: require, Forbid: forbid, Parts: parts})
		}
	}
	return book, nil
}

// foreign reports whether v shows an app the flow does not work in: a
// pop-up of the system or another app (low battery, an update, a
// permission) to be dismissed, never answered.
func (b *screenBook) foreign(v *ui.View, extra ...string) bool {
	if v.Screen != nil {
		return false
	}
	pkg := ui.OutlineOf(v.H).Package
	return pkg != "" && !slices.Contains(b.own, pkg) && !slices.Contains(extra, pkg)
}

// screenNames lists the names of the known screens, each once.
func (b *screenBook) screenNames() []string {
	var out []string
	for _, s := range b.screens {
		if !slices.Contains(out, s.Name) {
			out = append(out, s.Name)
		}
	}
	return out
}
