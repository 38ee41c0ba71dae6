package flows

import (
	"fmt"
	"slices"
	"sort"

	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/flows/texts"
	"github.com/miacct/miacct/flows/ui"
)

// screenPopup is what a fixture calls a screen of another app that the
// flow dismisses without reading (`is: popup`).
const screenPopup = "popup"

// Misread is a fixture screen the recogniser does not see as the screen
// its name (or `is:`) says.
type Misread struct {
	Screen string `json:"screen"` // the fixture's screen
	Want   string `json:"want"`   // what it says it is
	Got    string `json:"got"`    // what miacct sees ("" for no known screen)
}

func (m Misread) String() string {
	got := m.Got
	if got == "" {
		got = "no known screen"
	}
	return fmt.Sprintf("screen %s is %s, but miacct sees %s", m.Screen, m.Want, got)
}

// CheckFixtureScreens reads every screen of a fixture (built-in, recorded
// or a user's) the way a run on that phone would, in the language of its
// locale (catalog nil: the built-in language files), and lists the
// screens not recognised as what their name or `is:` says. Screens named
// after nothing the recogniser knows (a fault's "security-check") are
// not checked; `is: popup` must be an app the flow does not work in.
func CheckFixtureScreens(fx *fixture.Fixture, catalog *texts.Catalog) ([]Misread, error) {
	if catalog == nil {
		var err error
		if catalog, err = texts.Builtin(); err != nil {
			return nil, err
		}
	}
	locale := fx.Properties["persist.sys.locale"]
	if locale == "" {
		locale = fx.Properties["ro.product.locale"]
	}
	words, ok := catalog.Table(locale)
	if !ok {
		words = catalog.All()
	}
	book, err := loadScreens(words)
	if err != nil {
		return nil, err
	}
	known := book.screenNames()
	var out []Misread
	names := make([]string, 0, len(fx.Screens))
	for name := range fx.Screens {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		want := name
		if is := fx.Screens[name].Is; is != "" {
			want = is
		}
		h := fx.Dumps[name]
		if h == nil || (want != screenPopup && !slices.Contains(known, want)) {
			continue
		}
		v := &ui.View{H: h, Screen: ui.Identify(h, book.screens)}
		got := v.Name()
		switch {
		case want == screenPopup:
			if !book.foreign(v) {
				out = append(out, Misread{Screen: name, Want: "a pop-up of another app", Got: got})
			}
		case got != want:
			out = append(out, Misread{Screen: name, Want: want, Got: got})
		}
	}
	return out, nil
}
