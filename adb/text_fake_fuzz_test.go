package adb_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake/faketest"
)

// FuzzTypeTextOnFakePhone types arbitrary text the way the flows type the
// password (adb.Input with adb.Text: one shell round trip over a real
// socket) into a fake phone, whose shell interprets the command lines and
// whose `input text` applies Android's %s rule. What the phone received
// must equal the original for any printable ASCII, in one round trip and
// without any other effect (no `$(reboot)`, no second command). FuzzEncodeText
// checks the same against a model of the phone; this checks the
// fake phone's real shell.
func FuzzTypeTextOnFakePhone(f *testing.F) {
	for _, s := range []string{demoPassword, "%s", "%%s", "% s", "%", "s", "a b", " ", "  lead", "trail  ", "'", `"`, `\`, `\\'`,
		"$(reboot)", "`reboot`", "${IFS}", "$HOME", "*", "~", "~/x", "#", "if", "-d 1", "--", ";reboot", "&&", "|", "<x", ">x",
		"a\\%sb", "%s%s%s", strings.Repeat("%s", 300), strings.Repeat("x", 1001)} {
		f.Add(s)
	}
	dev, ph := faketest.Device(f, "miui14-en")
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, s string) {
		if adb.CheckTypable(s) != nil {
			if err := adb.Input(ctx, dev, adb.Text(s)); !errors.Is(err, adb.ErrUntypable) {
				t.Fatalf("Input(Text(%q)) = %v, want ErrUntypable before anything is sent", s, err)
			}
			return
		}
		before := ph.Counters()
		typedBefore := len(ph.TypedText())
		if err := adb.Input(ctx, dev, adb.Text(s)); err != nil {
			t.Fatalf("Input(Text(%q)): %v", s, err)
		}
		after := ph.Counters()
		if got := ph.TypedText()[typedBefore:]; got != s {
			t.Fatalf("typed %q, the phone received %q", s, got)
		}
		if after.Shell+after.Exec != before.Shell+before.Exec+1 {
			t.Fatalf("typing took %d round trips, want 1", after.Shell+after.Exec-before.Shell-before.Exec)
		}
		if after.Reboots != before.Reboots || after.Taps != before.Taps || after.Keys != before.Keys || after.AmStarts != before.AmStarts {
			t.Fatalf("typing %q did more than type: %+v -> %+v", s, before, after)
		}
	})
}
