package phone

import (
	"context"
	"testing"

	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/adb/hierarchy"
)

// The account web site in the phone's browser: am's positional
// arguments, activities limited to a package, the web conditions and
// effects.

const (
	testDelURL   = "https://account.xiaomi.com/pass/del"
	testChrome   = "com.android.chrome"
	actionViewID = "android.intent.action.VIEW"
)

var testWebScreens = map[string]string{
	"web_signin": screenXML(testChrome,
		node(`index="0" text="Password" resource-id="password" class="android.widget.EditText" package="com.android.chrome" clickable="true" focusable="true" password="true" enabled="true" bounds="[60,600][1020,750]"`),
		node(`index="1" text="Sign in" class="android.widget.Button" package="com.android.chrome" clickable="true" enabled="true" bounds="[60,900][1020,1050]"`),
	),
	"web_delete": screenXML(testChrome,
		node(`index="0" text="Delete Mi Account" class="android.widget.Button" package="com.android.chrome" clickable="true" enabled="true" bounds="[60,900][1020,1050]"`),
	),
	"web_code": screenXML(testChrome,
		node(`index="0" text="account.xiaomi.com/pass/del" resource-id="com.android.chrome:id/url_bar" class="android.widget.EditText" package="com.android.chrome" clickable="true" focusable="true" enabled="true" bounds="[200,100][900,240]"`),
		node(`index="1" text="Verification code" resource-id="code" class="android.widget.EditText" package="com.android.chrome" clickable="true" focusable="true" focused="true" enabled="true" bounds="[60,600][1020,750]"`),
		node(`index="2" text="Submit" class="android.widget.Button" package="com.android.chrome" clickable="true" enabled="true" bounds="[60,900][1020,1050]"`),
	),
	"web_wrong": screenXML(testChrome,
		node(`index="0" text="The verification code is incorrect or has expired" class="android.widget.TextView" package="com.android.chrome" bounds="[60,300][1020,400]"`),
	),
	"web_done": screenXML(testChrome,
		node(`index="0" text="Request submitted" class="android.widget.TextView" package="com.android.chrome" bounds="[60,300][1020,400]"`),
	),
	"chooser": screenXML("android",
		node(`index="0" text="Open with" resource-id="android:id/title" class="android.widget.TextView" package="android" bounds="[60,1500][1020,1600]"`),
	),
}

// webPhone is the test phone with a browser and the account site.
func webPhone(t *testing.T, change ...func(*fixture.Fixture)) *Phone {
	t.Helper()
	web := func(fx *fixture.Fixture) {
		fx.Web.Email = "j***@example.com"
		fx.Packages = append(fx.Packages, testChrome)
		fx.Activities = append(fx.Activities,
			fixture.Activity{Action: actionViewID, Data: testDelURL, Package: testChrome, When: "web-signed-out", Screen: "web_signin"},
			fixture.Activity{Action: actionViewID, Data: testDelURL, Package: testChrome, When: "web-signed-in", Screen: "web_delete"},
			fixture.Activity{Action: actionViewID, Data: testDelURL, Screen: "chooser"},
		)
		button := func(text string) *fixture.Selector {
			return &fixture.Selector{Text: text, Class: "android.widget.Button"}
		}
		fx.Screens["web_signin"] = &fixture.Screen{Transitions: []fixture.Transition{
			{Tap: button("Sign in"), When: "password-correct", Goto: "web_delete", Effects: []fixture.Effect{"web-sign-in"}},
			{Tap: button("Sign in"), When: "password-wrong"},
		}}
		fx.Screens["web_delete"] = &fixture.Screen{Transitions: []fixture.Transition{
			{Tap: button("Delete Mi Account"), Goto: "web_code"},
		}}
		fx.Screens["web_code"] = &fixture.Screen{Transitions: []fixture.Transition{
			{Tap: button("Submit"), When: "code-correct", Goto: "web_done", Effects: []fixture.Effect{"delete-account", "web-sign-out"}},
			{Tap: button("Submit"), When: "code-wrong", Goto: "web_wrong"},
		}}
		fx.Screens["web_wrong"] = &fixture.Screen{}
		fx.Screens["web_done"] = &fixture.Screen{}
		fx.Screens["chooser"] = &fixture.Screen{Activity: "android/com.android.internal.app.ResolverActivity"}
		for name, xml := range testWebScreens {
			h, err := hierarchy.Parse([]byte(xml))
			if err != nil {
				t.Fatalf("test screen %s: %v", name, err)
			}
			fx.Dumps[name] = h
		}
	}
	return newTestPhone(t, append([]func(*fixture.Fixture){web}, change...)...)
}

// am start reads its one positional argument as Intent.parseCommandArgs
// does, and an activity's package limits what it takes.
func TestAmStartPositionalAndPackage(t *testing.T) {
	cases := []struct {
		cmd, want, screen string
		code              int
	}{
		// The real driver's command: the package last.
		{"am start -a android.intent.action.VIEW -d " + testDelURL + " com.android.chrome",
			"Starting: Intent { act=android.intent.action.VIEW dat=https://account.xiaomi.com/... pkg=com.android.chrome }\n", "web_signin", 0},
		{"am start -a android.intent.action.VIEW -d " + testDelURL + " -p com.android.chrome",
			"Starting: Intent { act=android.intent.action.VIEW dat=https://account.xiaomi.com/... pkg=com.android.chrome }\n", "web_signin", 0},
		// The component's package counts as the intent's package.
		{"am start -a android.intent.action.VIEW -d " + testDelURL + " -n com.android.chrome/org.chromium.chrome.browser.ChromeTabbedActivity",
			"Starting: Intent { act=android.intent.action.VIEW dat=https://account.xiaomi.com/... cmp=com.android.chrome/org.chromium.chrome.browser.ChromeTabbedActivity }\n", "web_signin", 0},
		// A bare URI is a VIEW intent without a package: the entry without one takes it.
		{"am start " + testDelURL,
			"Starting: Intent { act=android.intent.action.VIEW dat=https://account.xiaomi.com/... }\n", "chooser", 0},
		// Another package is not Chrome's: the entry without a package takes it too.
		{"am start -a android.intent.action.VIEW -d " + testDelURL + " org.mozilla.firefox",
			"Starting: Intent { act=android.intent.action.VIEW dat=https://account.xiaomi.com/... pkg=org.mozilla.firefox }\n", "chooser", 0},
		// Options after the positional argument are ignored, as am does.
		{"am start -a android.intent.action.VIEW -d " + testDelURL + " com.android.chrome -p org.mozilla.firefox --es a b",
			"Starting: Intent { act=android.intent.action.VIEW dat=https://account.xiaomi.com/... pkg=com.android.chrome }\n", "web_signin", 0},
		// -d wins over a positional URI; the URI still gives the action.
		{"am start -d " + testDelURL + " https://example.com/x -p com.android.chrome",
			"Starting: Intent { act=android.intent.action.VIEW dat=https://account.xiaomi.com/... }\n", "chooser", 0},
		// A positional component replaces -n; without -a it is a launcher intent.
		{"am start -n com.xiaomi.account/.Nope com.android.settings/.MiuiSettings",
			"Starting: Intent { act=android.intent.action.MAIN cat=[android.intent.category.LAUNCHER] cmp=com.android.settings/.MiuiSettings }\n", "settings", 0},
		// With an action the launcher category is left out; a package alone.
		{"am start -a android.settings.XIAOMI_ACCOUNT_SYNC_SETTINGS com.xiaomi.account",
			"Starting: Intent { act=android.settings.XIAOMI_ACCOUNT_SYNC_SETTINGS pkg=com.xiaomi.account }\n", "account", 0},
		{"am start com.android.chrome",
			"Starting: Intent { act=android.intent.action.MAIN cat=[android.intent.category.LAUNCHER] pkg=com.android.chrome }\n" +
				"Error: Activity not started, unable to resolve Intent { act=android.intent.action.MAIN cat=[android.intent.category.LAUNCHER] flg=0x10000000 pkg=com.android.chrome }\n", "home", 1},
	}
	for _, c := range cases {
		p := webPhone(t)
		out, code := shExit(t, p, c.cmd)
		if out != c.want || code != c.code || p.Screen() != c.screen {
			t.Errorf("%s:\n got %q exit %d screen %s\nwant %q exit %d screen %s", c.cmd, out, code, p.Screen(), c.want, c.code, c.screen)
		}
	}
}

func TestSameURI(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"https://account.xiaomi.com/", "https://account.xiaomi.com", true},
		{"https://account.xiaomi.com/", "https://account.xiaomi.com/", true},
		{"https://account.xiaomi.com/pass/del", "https://account.xiaomi.com/pass/del/", false},
		{"https://account.xiaomi.com/", "https://account.xiaomi.com?x", false},
		{"tel:1", "tel:1/", false},
	} {
		if got := sameURI(c.a, c.b); got != c.same {
			t.Errorf("sameURI(%q, %q) = %t", c.a, c.b, got)
		}
	}
}

// The web path: sign in, wrong and right code, the account deleted; the
// browser session survives a reboot.
func TestWebConditionsAndEffects(t *testing.T) {
	p := webPhone(t)
	start := "am start -a android.intent.action.VIEW -d " + testDelURL + " com.android.chrome"
	sh(t, p, start)
	if p.Screen() != "web_signin" || p.WebSignedIn() {
		t.Fatalf("screen %s, web signed in %t", p.Screen(), p.WebSignedIn())
	}
	tapText(t, p, "Password") // focus the field
	typePassword(t, p, "wrong")
	tapText(t, p, "Sign in")
	if p.Screen() != "web_signin" || p.WebSignedIn() {
		t.Fatalf("a wrong password: screen %s, web signed in %t", p.Screen(), p.WebSignedIn())
	}
	// Signed in, the session stays across a reboot.
	sh(t, p, "input keyevent 67 67 67 67 67")
	typePassword(t, p, demoPassword)
	tapText(t, p, "Sign in")
	if p.Screen() != "web_delete" || !p.WebSignedIn() {
		t.Fatalf("the right password: screen %s, web signed in %t", p.Screen(), p.WebSignedIn())
	}
	sh(t, p, "reboot")
	if err := p.WaitOnline(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !p.WebSignedIn() || p.Screen() != "home" {
		t.Fatalf("after reboot: web signed in %t, screen %s", p.WebSignedIn(), p.Screen())
	}
	sh(t, p, start)
	if p.Screen() != "web_delete" {
		t.Fatalf("signed in, the delete URL shows %s", p.Screen())
	}
	tapText(t, p, "Delete Mi Account")
	// The code field is focused by its dump: typing needs no tap.
	sh(t, p, "input text 424241")
	tapText(t, p, "Submit")
	if p.Screen() != "web_wrong" || p.AccountDeleted() {
		t.Fatalf("a wrong code: screen %s, deleted %t", p.Screen(), p.AccountDeleted())
	}
	sh(t, p, start)
	tapText(t, p, "Delete Mi Account")
	tapText(t, p, "Verification code")
	sh(t, p, "input text 424242")
	tapText(t, p, "Submit")
	if p.Screen() != "web_done" || !p.AccountDeleted() || p.WebSignedIn() {
		t.Errorf("the right code: screen %s, deleted %t, web signed in %t", p.Screen(), p.AccountDeleted(), p.WebSignedIn())
	}
	if len(p.Accounts()) != 2 {
		t.Errorf("deleting on the site removed the account from the phone: %v", p.Accounts())
	}
	if u := p.Unrecorded(); len(u) != 0 {
		t.Errorf("Unrecorded = %q", u)
	}
}

// web.signed_in starts the browser signed in.
func TestWebSignedInAtBoot(t *testing.T) {
	yes := true
	p := webPhone(t, func(fx *fixture.Fixture) { fx.Web.SignedIn = &yes })
	if !p.WebSignedIn() || p.AccountDeleted() {
		t.Fatalf("web signed in %t, deleted %t", p.WebSignedIn(), p.AccountDeleted())
	}
	sh(t, p, "am start -a android.intent.action.VIEW -d "+testDelURL+" com.android.chrome")
	if p.Screen() != "web_delete" {
		t.Errorf("screen %s, want web_delete", p.Screen())
	}
}
