package flows

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/miacct/miacct/flows/texts"
)

// screens.yaml compiles with every language's words, and every screen
// the flows act on is declared in it with the parts they touch.
func TestScreensFileCompiles(t *testing.T) {
	c, err := texts.Builtin()
	require.NoError(t, err)
	tables := []texts.Table{c.All()}
	for _, code := range c.Languages() {
		tb, ok := c.Table(code)
		require.True(t, ok, code)
		tables = append(tables, tb)
	}
	for _, tb := range tables {
		book, err := loadScreens(tb)
		require.NoError(t, err, tb.Lang)
		names := book.screenNames()
		for _, want := range append(signOutDialogs(), screenLock, screenLauncher, screenSettings, screenAccount, screenAccountSignIn, screenChooser,
			screenWebSignIn, screenWebSignInError, screenWebAccount, screenWebDelete, screenWebDeleteApproved, screenWebCode, screenWebWrongCode,
			screenWebConfirm, screenWebSuccess, screenWebCaptcha, screenWebTooMany) {
			assert.Contains(t, names, want)
		}
		parts := map[string][]string{
			screenAccount: {"sign-out"}, screenSettings: {"account-row"}, screenFindDevice: {"turn-off", "keep-on"},
			screenData: {"remove", "keep"}, screenPassword: {"field", "ok", "cancel"}, screenWrongPassword: {"close"}, screenBankCards: {"go-on"},
			screenNotSynced: {"go-on"}, screenHQImages: {"go-on"}, screenChooser: {"just-once"},
			screenWebSignIn: {"user", "password", "sign-in"}, screenWebSignInError: {"user", "password", "sign-in"},
			screenWebDelete: {"approve"}, screenWebDeleteApproved: {"delete"}, screenWebCode: {"field", "submit", "sent-to"},
			screenWebConfirm: {"delete"},
		}
		for _, scr := range book.screens {
			for _, p := range parts[scr.Name] {
				assert.NotEmpty(t, scr.Parts[p], "screen %s part %s", scr.Name, p)
			}
		}
		assert.Contains(t, book.own, "com.miui.cloudservice")
		assert.NotContains(t, book.own, "com.android.systemui", "a system pop-up is not the flow's")
	}
}
