package adb_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake/faketest"
)

func TestResolvesActivity(t *testing.T) {
	dev, ph := faketest.Device(t, "miui14-en")
	ctx := context.Background()
	for _, tc := range []struct {
		in   adb.Intent
		want bool
	}{
		{adb.Intent{Action: "android.settings.XIAOMI_ACCOUNT_SYNC_SETTINGS"}, true},
		{adb.Intent{Component: "com.android.settings/.MiuiSettings"}, true},
		{adb.Intent{Action: "android.intent.action.VIEW", Data: "https://account.xiaomi.com/pass/del", Package: "com.android.chrome"}, true},
		{adb.Intent{Action: "android.intent.action.VIEW", Data: "https://account.xiaomi.com/pass/del", Package: "org.mozilla.firefox"}, false},
		{adb.Intent{Action: "com.example.NO_SUCH_ACTION"}, false},
	} {
		got, err := adb.ResolvesActivity(ctx, dev, tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ResolvesActivity(%+v) = %t, %v; want %t", tc.in, got, err, tc.want)
		}
	}
	if ph.Counters().AmStarts != 0 || ph.Screen() != "launcher" {
		t.Errorf("resolving started an activity")
	}
	if _, err := adb.ResolvesActivity(ctx, dev, adb.Intent{}); !errors.Is(err, adb.ErrFailed) {
		t.Errorf("empty intent: %v, want ErrFailed", err)
	}
}

// The command batches into another shell call; each part's output parses.
func TestResolveActivityCommandBatches(t *testing.T) {
	dev, _ := faketest.Device(t, "miui14-en")
	a, err := adb.ResolveActivityCommand(adb.Intent{Action: "android.settings.SETTINGS"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := adb.ResolveActivityCommand(adb.Intent{Action: "it's \"quoted\" $(reboot)"})
	if err != nil {
		t.Fatal(err)
	}
	if a != "cmd package resolve-activity --brief -a android.settings.SETTINGS" {
		t.Errorf("command %q", a)
	}
	res, err := dev.Shell(context.Background(), a+"; echo ---; "+b)
	if err != nil {
		t.Fatal(err)
	}
	first, second, ok := strings.Cut(res.String(), "---\n")
	if !ok {
		t.Fatalf("output %q", res.String())
	}
	if comp, found, err := adb.ParseResolveActivity(first); err != nil || !found || comp != "com.android.settings/.MiuiSettings" {
		t.Errorf("first: %q, %t, %v", comp, found, err)
	}
	if _, found, err := adb.ParseResolveActivity(second); err != nil || found {
		t.Errorf("second: found %t, %v; want not found (the odd action reached the phone quoted)", found, err)
	}
}

func TestParseResolveActivity(t *testing.T) {
	for _, tc := range []struct {
		out   string
		comp  string
		found bool
		bad   bool
	}{
		{"priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 isDefault=true\ncom.android.settings/.Settings\n", "com.android.settings/.Settings", true, false},
		{"priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 isDefault=true\r\nandroid/com.android.internal.app.ResolverActivity\r\n", "android/com.android.internal.app.ResolverActivity", true, false},
		{"No activity found\n", "", false, false},
		{"/system/bin/sh: cmd: not found\n", "", false, true},
		{"Exception occurred while executing 'resolve-activity':\njava.lang.IllegalArgumentException: Unknown option: -x\n", "", false, true},
		{"", "", false, true},
	} {
		comp, found, err := adb.ParseResolveActivity(tc.out)
		if comp != tc.comp || found != tc.found || (err != nil) != tc.bad {
			t.Errorf("ParseResolveActivity(%q) = %q, %t, %v", tc.out, comp, found, err)
		}
		if tc.bad && !errors.Is(err, adb.ErrFailed) {
			t.Errorf("ParseResolveActivity(%q): %v, want ErrFailed", tc.out, err)
		}
	}
}
