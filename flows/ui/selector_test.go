package ui

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/miacct/miacct/adb/hierarchy"
)

// A trimmed Xiaomi Account screen and a dialog row with a switch.
const accountXML = `<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation="0">` +
	`<node index="0" text="" resource-id="" class="android.widget.FrameLayout" package="com.xiaomi.account" content-desc="" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,0][1080,2400]">` +
	`<node index="0" text="Xiaomi Account" resource-id="miui:id/action_bar_title" class="android.widget.TextView" package="com.xiaomi.account" content-desc="" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[48,120][600,200]" />` +
	`<node index="1" text="" resource-id="com.xiaomi.account:id/list" class="android.widget.ScrollView" package="com.xiaomi.account" content-desc="" checkable="false" checked="false" clickable="false" enabled="true" focusable="true" focused="false" scrollable="true" long-clickable="false" password="false" selected="false" bounds="[0,220][1080,2200]">` +
	`<node index="0" text="" resource-id="" class="android.widget.LinearLayout" package="com.xiaomi.account" content-desc="" checkable="false" checked="false" clickable="true" enabled="true" focusable="true" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,220][1080,380]">` +
	`<node index="0" text="Find device" resource-id="android:id/title" class="android.widget.TextView" package="com.xiaomi.account" content-desc="" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[48,260][600,340]" />` +
	`<node index="1" text="" resource-id="android:id/checkbox" class="android.widget.Switch" package="com.xiaomi.account" content-desc="" checkable="true" checked="true" clickable="false" enabled="true" focusable="false" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[900,260][1032,340]" />` +
	`</node>` +
	`<node index="1" text="Sign out" resource-id="com.xiaomi.account:id/logout_btn" class="android.widget.Button" package="com.xiaomi.account" content-desc="" checkable="false" checked="false" clickable="true" enabled="true" focusable="true" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[48,2000][1032,2140]" />` +
	`</node></node></hierarchy>`

func parse(t *testing.T, s string) *hierarchy.Hierarchy {
	t.Helper()
	h, err := hierarchy.Parse([]byte(s))
	require.NoError(t, err)
	return h
}

func TestSelectorMatches(t *testing.T) {
	h := parse(t, accountXML)
	tests := []struct {
		name string
		sel  Selector
		want string // text or id of the node found; "" for none
	}{
		{"id", ByID("com.xiaomi.account:id/logout_btn"), "Sign out"},
		{"text candidates", ByText("Выйти", "Sign out"), "Sign out"},
		{"text is exact", ByText("Sign"), ""},
		{"prefix", Selector{TextPrefix: []string{"Xiaomi"}}, "Xiaomi Account"},
		{"short class", Selector{Class: "Button"}, "Sign out"},
		{"full class", Selector{Class: "android.widget.Button"}, "Sign out"},
		{"wrong class", Selector{Class: "EditText"}, ""},
		{"package", Selector{Packages: []string{"com.android.settings"}}, ""},
		{"checked", Selector{Class: "Switch", Checked: Flag(true)}, "android:id/checkbox"},
		{"unchecked", Selector{Class: "Switch", Checked: Flag(false)}, ""},
		{"inside", Selector{Text: []string{"Find device"}, Inside: &Selector{Scrollable: Flag(true)}}, "Find device"},
		{"not inside", Selector{Text: []string{"Xiaomi Account"}, Inside: &Selector{Scrollable: Flag(true)}}, ""},
		{"after label", Selector{Class: "Switch", After: &Selector{Text: []string{"Find device"}}}, "android:id/checkbox"},
		{"label after itself fails", Selector{Text: []string{"Find device"}, After: &Selector{Class: "Switch"}}, ""},
		{"clickable", Selector{Text: []string{"Find device"}, Clickable: Flag(true)}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.sel.Find(h)
			if tc.want == "" {
				assert.Nil(t, n, "selector %s", tc.sel)
				return
			}
			require.NotNil(t, n, "selector %s", tc.sel)
			got := n.Text
			if got == "" {
				got = n.ResourceID
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestSelectorString(t *testing.T) {
	s := Selector{ID: "a:id/b", Text: []string{"OK", "Ок"}, Clickable: Flag(true), Inside: &Selector{Class: "Dialog"}}
	assert.Equal(t, `id=a:id/b text="OK"|"Ок" clickable=true inside(class=Dialog)`, s.String())
	assert.Equal(t, "any node", Selector{}.String())
}

func TestIdentifyAndOutline(t *testing.T) {
	h := parse(t, accountXML)
	screens := []Screen{
		{Name: "dialog", Title: "a dialog", Require: []Selector{{ID: "android:id/alertTitle"}}},
		{Name: "account", Title: "the Xiaomi Account screen", Require: []Selector{ByID("com.xiaomi.account:id/logout_btn")}},
		{Name: "any", Title: "anything", Require: []Selector{{Packages: []string{"com.xiaomi.account"}}}, Forbid: []Selector{ByText("Sign out")}},
	}
	s := Identify(h, screens)
	require.NotNil(t, s)
	assert.Equal(t, "account", s.Name)
	assert.Nil(t, Identify(h, screens[:1]))
	assert.Nil(t, Identify(h, screens[2:]), "forbidden node present")

	o := OutlineOf(h)
	assert.Equal(t, "Xiaomi Account", o.Title)
	assert.Equal(t, []string{"Find device", "Sign out"}, o.Buttons)
	assert.Equal(t, `a screen titled "Xiaomi Account" (com.xiaomi.account) with buttons "Find device", "Sign out"`, o.String())

	err := &UnexpectedScreenError{Want: []string{"the password dialog"}, Seen: o, Detail: "after tapping OK"}
	assert.ErrorIs(t, err, ErrUnexpectedScreen)
	assert.Equal(t, `expected the password dialog; the phone shows a screen titled "Xiaomi Account" (com.xiaomi.account) with buttons "Find device", "Sign out" after tapping OK`, err.Error())
	err.Got = s
	assert.Equal(t, "expected the password dialog; the phone shows the Xiaomi Account screen after tapping OK", err.Error())
}
