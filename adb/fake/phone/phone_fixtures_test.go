package phone

import (
	"strconv"
	"strings"
	"testing"

	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/adb/hierarchy"
	"github.com/miacct/miacct/fixtures"
)

// The built-in fixtures, loaded by the real loader, on the phone.

func loadBuiltin(t *testing.T, name string) *fixture.Fixture {
	t.Helper()
	fx, err := fixture.Loader{Builtin: fixtures.FS()}.Load(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return fx
}

func TestBuiltinFixturesBoot(t *testing.T) {
	list, err := fixture.Loader{Builtin: fixtures.FS()}.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) == 0 {
		t.Fatal("no built-in fixtures")
	}
	for _, s := range list {
		t.Run(s.Name, func(t *testing.T) {
			fx := loadBuiltin(t, s.Name)
			p, err := New(fx, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if p.ListState() != "device" {
				return // an unauthorized or offline fixture
			}
			if len(fx.Faults.Hang) > 0 {
				return // hangs on purpose; tested in the fault tests
			}
			if !p.Awake() {
				sh(t, p, "input keyevent 224") // asleep on purpose: wake it to dump
			}
			if got := sh(t, p, "getprop ro.product.manufacturer"); got == "\n" {
				t.Error("no ro.product.manufacturer")
			}
			for i := range 5 { // settle and idle faults pass
				out, err := serve(t, p, "exec:uiautomator dump /dev/tty")
				if err != nil {
					t.Fatal(err)
				}
				if xml, ok := strings.CutSuffix(out, "UI hierchary dumped to: /dev/tty\n"); ok {
					if _, err := hierarchy.Parse([]byte(xml)); err == nil {
						break
					}
				}
				if i == 4 {
					t.Errorf("no good dump in 5 tries; last: %.200q", out)
				}
			}
			screencapPNG(t, p)
		})
	}
}

// tapOnScreen dumps until a node with text s shows (settling screens
// show the old one first) and taps its center.
func tapOnScreen(t *testing.T, p *Phone, s string) {
	t.Helper()
	for range 5 {
		out, err := serve(t, p, "exec:uiautomator dump /dev/tty")
		if err != nil {
			t.Fatal(err)
		}
		h, err := hierarchy.Parse([]byte(strings.TrimSuffix(out, "UI hierchary dumped to: /dev/tty\n")))
		if err != nil {
			continue
		}
		if n := findText(h, s); n != nil {
			x, y := n.Bounds.Center()
			sh(t, p, "input tap "+strconv.Itoa(x)+" "+strconv.Itoa(y))
			return
		}
	}
	t.Fatalf("no %q on screen %s", s, p.Screen())
}

func TestBuiltinMIUI14SignOut(t *testing.T) {
	p, err := New(loadBuiltin(t, "miui14-en"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	sh(t, p, "am start -a android.settings.XIAOMI_ACCOUNT_SYNC_SETTINGS")
	tapOnScreen(t, p, "Sign out")
	tapOnScreen(t, p, "Turn off anyway")
	tapOnScreen(t, p, "Remove")
	tapOnScreen(t, p, "OK") // "Items aren't synced", after "Checking…"
	if p.Screen() != "password-dialog" {
		t.Fatalf("screen = %s, want password-dialog", p.Screen())
	}
	typePassword(t, p, demoPassword)
	tapOnScreen(t, p, "OK")
	for range 3 { // "Turning off Find device…", then "Signing out…"
		dump(t, p)
	}
	if p.Screen() != "settings-signed-out" || p.DataChoice() != "remove" {
		t.Errorf("after OK: screen %s, data %q", p.Screen(), p.DataChoice())
	}
	if got := sh(t, p, "dumpsys account"); !strings.Contains(got, "  Accounts: 1\n") || strings.Contains(got, "Account {name=1234567890") {
		t.Errorf("account still listed:\n%s", got)
	}
	if u := p.Unrecorded(); len(u) != 0 {
		t.Errorf("Unrecorded = %q", u)
	}
}
