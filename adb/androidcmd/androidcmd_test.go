package androidcmd

import (
	"strings"
	"testing"
)

func TestSafeURI(t *testing.T) {
	for in, want := range map[string]string{
		"https://account.xiaomi.com/pass/del?x=1": "https://account.xiaomi.com/...",
		"https://account.xiaomi.com":              "https://account.xiaomi.com/...",
		"HTTP://user:pw@host:8080/p#f":            "HTTP://host:8080/...",
		"tel:123":                                 "tel:123",
		"content://media/x":                       "content://media/x",
		"no-scheme":                               "no-scheme",
	} {
		if got := SafeURI(in); got != want {
			t.Errorf("SafeURI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestInputTextRule(t *testing.T) {
	cases := map[string]string{
		"abc":      "abc",
		"a%sb":     "a b",
		"%s%s":     "  ",
		"%%s":      "% ",
		"100%":     "100%",
		"%S":       "%S",
		"%%%s":     "%% ",
		"x%ss":     "x s",
		"%":        "%",
		"50%%":     "50%%",
		"a%s%%sb%": "a % b%",
	}
	for in, want := range cases {
		if got := InputText(in); got != want {
			t.Errorf("InputText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRecordedTextRule(t *testing.T) {
	if got := InputText("a%sb%"); got != "a b%" {
		t.Errorf("InputText = %q", got)
	}
}

func TestKeyCode(t *testing.T) {
	for code, want := range map[string]int{"4": 4, "KEYCODE_BACK": 4, "back": 4, "ENTER": 66, "KEYCODE_WAKEUP": 224} {
		if got, ok := KeyCode(code); !ok || got != want {
			t.Errorf("KeyCode(%q) = %d, %t, want %d", code, got, ok, want)
		}
	}
	for _, bad := range []string{"nope", "KEYCODE_NO_SUCH", "-1"} {
		if _, ok := KeyCode(bad); ok {
			t.Errorf("KeyCode(%q) ok", bad)
		}
	}
	if KeyName(224) != "WAKEUP" || KeyName(4) != "BACK" || KeyName(9999) != "9999" {
		t.Errorf("KeyName: %s %s %s", KeyName(224), KeyName(4), KeyName(9999))
	}
}

func TestParseAmStart(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want Intent
		err  string
	}{
		{[]string{"-a", "android.settings.SETTINGS"}, Intent{Action: "android.settings.SETTINGS"}, ""},
		{[]string{"-W", "-n", "com.android.settings/.MiuiSettings", "--es", "k", "v"}, Intent{Component: "com.android.settings/.MiuiSettings", Extras: true}, ""},
		{[]string{"-a", "android.intent.action.VIEW", "-d", "https://account.xiaomi.com/", "com.android.chrome"}, Intent{Action: ActionView, Data: "https://account.xiaomi.com/", Package: "com.android.chrome"}, ""},
		{[]string{"https://x/"}, Intent{Action: ActionView, Data: "https://x/"}, ""},
		{[]string{"com.p"}, Intent{Action: ActionMain, Package: "com.p", Categories: []string{CategoryLauncher}}, ""},
		{[]string{"-n", "nope"}, Intent{}, "bad component name"},
		{[]string{"-a"}, Intent{}, "no argument for option -a"},
		{[]string{"--bogus"}, Intent{}, "unknown option: --bogus"},
	} {
		st, err := ParseAmStart(tc.args)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if st.Intent.String() != tc.want.String() {
			t.Errorf("%q: %s, want %s", tc.args, st.Intent, tc.want)
		}
	}
}

func TestSplitInput(t *testing.T) {
	verb, rest, err := SplitInput([]string{"touchscreen", "-d", "0", "tap", "1", "2"})
	if err != nil || verb != "tap" || len(rest) != 2 {
		t.Errorf("SplitInput = %q %q %v", verb, rest, err)
	}
	if _, _, err := SplitInput(nil); err == nil {
		t.Error("no command accepted")
	}
}

func TestKeyChar(t *testing.T) {
	for code, want := range map[int]rune{7: '0', 16: '9', 29: 'a', 54: 'z', 62: ' ', 73: '\\', 75: '\'', 77: '@', 81: '+', 55: ',', 56: '.'} {
		if got, ok := KeyChar(code); !ok || got != want {
			t.Errorf("KeyChar(%d) = %q, %t; want %q", code, got, ok, want)
		}
	}
	for _, code := range []int{0, 3, 4, 26, 66, 67, 224} {
		if _, ok := KeyChar(code); ok {
			t.Errorf("KeyChar(%d) types a character", code)
		}
	}
}

func TestParseResolveActivity(t *testing.T) {
	ra, err := ParseResolveActivity([]string{"--brief", "-a", "android.settings.SETTINGS", "-p", "com.android.settings"})
	if err != nil || !ra.Brief || ra.Action != "android.settings.SETTINGS" || ra.Package != "com.android.settings" {
		t.Errorf("got %+v, %v", ra, err)
	}
	ra, err = ParseResolveActivity([]string{"--user", "0", "-c", "android.intent.category.HOME", "--exclude-stopped-packages", "com.android.chrome"})
	if err != nil || ra.Package != "com.android.chrome" || len(ra.Categories) != 1 || ra.Extras || ra.Brief {
		t.Errorf("got %+v, %v", ra, err)
	}
	if _, err := ParseResolveActivity([]string{"-W", "-a", "x"}); err == nil || err.Error() != "unknown option: -W" {
		t.Errorf("am's -W: %v", err)
	}
	if _, err := ParseResolveActivity([]string{"-n", "nocomponent"}); err == nil {
		t.Error("a bad component was taken")
	}
}
