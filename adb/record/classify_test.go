package record

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/adb/hierarchy"
)

func TestParseCommand(t *testing.T) {
	for _, tc := range []struct {
		cmd   string
		kind  cmdKind
		calls int
	}{
		{"input keyevent 224", kindInput, 1},
		{"input text 'a%sb' && input text 's' && input tap 540 1200", kindInput, 3},
		{"input touchscreen swipe 1 2 3 4 300", kindInput, 1},
		{"am start -a android.settings.SETTINGS", kindStart, 1},
		{"uiautomator dump /dev/tty", kindDump, 1},
		{"cat /proc/uptime; uiautomator dump /dev/tty", kindDump, 2},
		{"cat /proc/uptime", kindUptime, 1},
		{"cat /proc/uptime /proc/version", kindCommand, 1},
		{"cat /proc/uptime; getprop", kindCommand, 2},
		{"screencap -p", kindScreencap, 1},
		{"getprop", kindCommand, 1},
		{"dumpsys account; echo :x:; dumpsys power", kindCommand, 3},
		{"input tap 1 2; getprop", kindCommand, 2},
		{"input text \"$(cat /x)\"", kindCommand, 0}, // an expansion: not literal
		{"while true; do sleep 1; done", kindCommand, 0},
		{"input tap 1 2 > /dev/null", kindCommand, 0},
		{"echo 'unterminated", kindCommand, 0},
	} {
		p := parseCommand(tc.cmd)
		assert.Equal(t, tc.kind, p.kind, "kind of %q", tc.cmd)
		assert.Len(t, p.calls, tc.calls, "calls of %q", tc.cmd)
	}
}

func TestIntentOf(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want fixture.Activity
	}{
		{[]string{"am", "start", "-a", "android.settings.SETTINGS"}, fixture.Activity{Action: "android.settings.SETTINGS"}},
		{[]string{"am", "start", "-W", "-n", "com.android.settings/.MiuiSettings", "--es", "k", "v"}, fixture.Activity{Component: "com.android.settings/.MiuiSettings"}},
		{[]string{"am", "start", "-a", "X", "com.android.chrome"}, fixture.Activity{Action: "X", Package: "com.android.chrome"}},
		{[]string{"am", "start", "https://account.xiaomi.com/"}, fixture.Activity{Action: "android.intent.action.VIEW", Data: "https://account.xiaomi.com/"}},
		{[]string{"am", "start", "-d", "content://x", "-p", "com.p"}, fixture.Activity{Data: "content://x", Package: "com.p"}},
	} {
		assert.Equal(t, tc.want, intentOf(tc.args), "%q", tc.args)
	}
}

func TestKeysAndText(t *testing.T) {
	assert.Equal(t, 4, parseKey("KEYCODE_BACK"))
	assert.Equal(t, 66, parseKey("66"))
	assert.Equal(t, -1, parseKey("KEYCODE_NO_SUCH"))
	assert.Equal(t, "BACK", fixture.KeyName(4))
	assert.Equal(t, "61", fixture.KeyName(61))
	assert.True(t, charKey(29), "A types a letter")
	assert.False(t, charKey(4))
}

// rows is a list of two clickable rows whose identity is their text.
const rows = `<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation="0">` +
	`<node index="0" text="" resource-id="" class="android.widget.FrameLayout" package="p" content-desc="" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,0][100,200]">` +
	`<node index="0" text="" resource-id="" class="android.widget.LinearLayout" package="p" content-desc="" checkable="false" checked="false" clickable="true" enabled="true" focusable="true" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,0][100,100]">` +
	`<node index="0" text="" resource-id="p:id/icon" class="android.widget.ImageView" package="p" content-desc="" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,0][20,100]" />` +
	`<node index="1" text="Xiaomi Account" resource-id="p:id/title" class="android.widget.TextView" package="p" content-desc="" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[20,0][100,100]" />` +
	`</node>` +
	`<node index="1" text="" resource-id="" class="android.widget.LinearLayout" package="p" content-desc="" checkable="false" checked="false" clickable="true" enabled="true" focusable="true" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,100][100,200]">` +
	`<node index="0" text="" resource-id="p:id/icon" class="android.widget.ImageView" package="p" content-desc="" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,100][20,200]" />` +
	`<node index="1" text="Google" resource-id="p:id/title" class="android.widget.TextView" package="p" content-desc="" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[20,100][100,200]" />` +
	`</node></node></hierarchy>`

func TestIdentityTellsRowsApart(t *testing.T) {
	h, err := hierarchy.Parse([]byte(rows))
	require.NoError(t, err)
	first := h.At(50, 50).ClickTarget()
	sel := identity(h, first)
	// The class and the icon's id fit both rows: the title tells them apart.
	assert.Equal(t, fixture.Selector{ID: "p:id/icon", Text: "Xiaomi Account", Class: "android.widget.LinearLayout"}, sel)
	found := sel.Find(h)
	require.NotEmpty(t, found)
	for _, n := range found {
		assert.True(t, n == first || n.Contains(first), "the selector matches %s", n.Describe())
	}
	second := identity(h, h.At(50, 150).ClickTarget())
	assert.Equal(t, "Google", second.Text)
}

func TestScreenNames(t *testing.T) {
	h, err := hierarchy.Parse([]byte(rows))
	require.NoError(t, err)
	var s recording
	s.init()
	a, isNew := s.addScreen(h)
	assert.True(t, isNew)
	assert.Equal(t, "p", a.name)
	h2 := h.Clone()
	h2.Roots[0].Children[0].Children[1].Text = "Mi Account"
	b, _ := s.addScreen(h2)
	assert.Equal(t, "p-2", b.name, "another dump of the same app")
	again, isNew := s.addScreen(h.Clone())
	assert.False(t, isNew, "an identical dump is the same screen")
	assert.Same(t, a, again)
	dialog := h.Clone()
	dialog.Roots[0].Children[0].Children[1].ResourceID = "android:id/alertTitle"
	dialog.Roots[0].Children[0].Children[1].Text = "Delete synced items from this device?"
	d, _ := s.addScreen(dialog)
	assert.Equal(t, "delete-synced-items", d.name)
}
