package flows

import (
	"github.com/miacct/miacct/adb/hierarchy"
	"github.com/miacct/miacct/flows/ui"
)

// Screen names the steps expect. They are the names the built-in fixtures
// use too, so a fixture screen and a recognised screen can be compared.
const (
	ScreenLock            = "lock"
	ScreenFindDevice      = "find-device-dialog"
	ScreenUpdate          = "update-dialog"
	ScreenUSB             = "usb-dialog"
	ScreenPermission      = "permission-dialog"
	ScreenCannotSignOut   = "cannot-sign-out"
	ScreenWrongPassword   = "wrong-password"
	ScreenPassword        = "password-dialog"
	ScreenConfirm         = "confirm-dialog"
	ScreenData            = "data-dialog"
	ScreenAccount         = "account"
	ScreenAccountSignIn   = "account-sign-in"
	ScreenSettingsSignOut = "settings-signed-out"
	ScreenSettings        = "settings"
	ScreenLauncher        = "launcher"

	// The account web site in the phone's browser (delete-account).
	ScreenChooser           = "browser-chooser"
	ScreenWebCaptcha        = "web-captcha"
	ScreenWebTooMany        = "web-too-many"
	ScreenWebSignInError    = "web-sign-in-error"
	ScreenWebSignIn         = "web-sign-in"
	ScreenWebWrongCode      = "web-wrong-code"
	ScreenWebCode           = "web-code"
	ScreenWebConfirm        = "web-confirm"
	ScreenWebSuccess        = "web-success"
	ScreenWebDeleteApproved = "web-delete-approved"
	ScreenWebDelete         = "web-delete"
	ScreenWebAccount        = "web-account"
)

// Resource ids known from public scripts (see xiaomi.md).
const (
	idLogout        = "com.xiaomi.account:id/logout_btn"
	idUserID        = "com.xiaomi.account:id/user_id"
	idSignInAccount = "com.xiaomi.account:id/et_account_name"
	idButton1       = "android:id/button1" // MIUI: Cancel / negative
	idButton2       = "android:id/button2" // MIUI: OK / positive
	pkgAccount      = "com.xiaomi.account"
	pkgSettings     = "com.android.settings"
	pkgSystemUI     = "com.android.systemui"
)

var launcherPackages = [...]string{"com.miui.home", "com.mi.android.globallauncher", "com.android.launcher3"}

// screens returns the screens the flows recognise, dialogs before the
// screens they cover, the lock screen first of all.
func screens(t Texts) []ui.Screen {
	passwordField := ui.Selector{Class: "EditText", Password: ui.Flag(true)}
	web := ui.Selector{Class: "android.webkit.WebView"}
	out := []ui.Screen{
		{Name: ScreenLock, Title: "the lock screen", Require: []ui.Selector{{Package: pkgSystemUI, IDPrefix: pkgSystemUI + ":id/keyguard"}}},
		{Name: ScreenChooser, Title: `the "Open with" chooser`, Require: []ui.Selector{{Text: t.ChooserTitle}, {Text: t.JustOnce}}},
		// Web pages first: a web form has a password field too.
		{Name: ScreenWebCaptcha, Title: "a security check (captcha)", Require: []ui.Selector{web, {TextPrefix: t.WebCaptcha}}},
		{Name: ScreenWebTooMany, Title: `the "too many attempts" page`, Require: []ui.Selector{web, {TextPrefix: t.WebTooMany}}},
		{Name: ScreenWebSignInError, Title: "the site's sign-in page saying the password is wrong", Require: []ui.Selector{web, passwordField, {Text: t.WebSignInError}}},
		{Name: ScreenWebSignIn, Title: "the site's sign-in page", Require: []ui.Selector{web, passwordField}},
		{Name: ScreenWebWrongCode, Title: "the site's wrong-code message", Require: []ui.Selector{web, {TextPrefix: t.WebWrongCode}}},
		{Name: ScreenWebCode, Title: "the site's verification-code page", Require: []ui.Selector{web, {TextPrefix: t.WebCodeSent}}},
		{Name: ScreenWebConfirm, Title: "the site's final confirmation", Require: []ui.Selector{web, {Text: t.WebConfirmTitle}}},
		{Name: ScreenWebSuccess, Title: "the site's success message", Require: []ui.Selector{web, {TextPrefix: t.WebSuccess}}},
		{Name: ScreenWebDeleteApproved, Title: "the delete page with the box ticked", Require: []ui.Selector{web, {Class: "CheckBox", Checked: ui.Flag(true)}, {Text: t.WebDeleteButton}}},
		{Name: ScreenWebDelete, Title: "the delete page", Require: []ui.Selector{web, {Class: "CheckBox", Checked: ui.Flag(false)}, {Text: t.WebDeleteButton}}},
		{Name: ScreenWebAccount, Title: "the account site", Require: []ui.Selector{web, {Text: t.WebAccountHome}}},
		{Name: ScreenFindDevice, Title: `the "Turn off Find device?" dialog`, Require: []ui.Selector{{Text: t.FindDevice}}},
		{Name: ScreenUpdate, Title: "a system update prompt", Require: []ui.Selector{{TextPrefix: t.UpdateTitle}, {Text: t.Later}}},
		{Name: ScreenUSB, Title: "a USB prompt", Require: []ui.Selector{{TextPrefix: t.USBTitle}}},
		{Name: ScreenPermission, Title: "a permission prompt", Require: []ui.Selector{{Package: "com.android.permissioncontroller"}, {Text: t.Deny}}},
		{Name: ScreenCannotSignOut, Title: `the "Can't sign out" message`, Require: []ui.Selector{{Text: t.CannotSignOut}}},
		{Name: ScreenWrongPassword, Title: "the wrong-password message", Require: []ui.Selector{passwordField, {Text: t.WrongPassword}}},
		{Name: ScreenPassword, Title: "the password dialog", Require: []ui.Selector{passwordField}, Forbid: []ui.Selector{ui.ByID(idSignInAccount)}},
		{Name: ScreenConfirm, Title: "the confirmation dialog", Require: []ui.Selector{{Text: t.ConfirmTitle}, {Text: t.OK}}},
		{Name: ScreenData, Title: `the "Delete synced items from this device?" dialog`, Require: []ui.Selector{{Text: t.Remove, Clickable: ui.Flag(true)}, {Text: t.Keep, Clickable: ui.Flag(true)}}},
		{Name: ScreenAccount, Title: "the Xiaomi Account screen", Require: []ui.Selector{ui.ByID(idLogout)}},
		{Name: ScreenAccount, Title: "the Xiaomi Account screen", Require: []ui.Selector{ui.ByID(idUserID)}},
		{Name: ScreenAccount, Title: "the Xiaomi Account screen", Require: []ui.Selector{{Package: pkgAccount, Text: t.SignOut}}},
		{Name: ScreenAccountSignIn, Title: "the Xiaomi Account sign-in screen", Require: []ui.Selector{{Package: pkgAccount, Text: t.SignIn}}},
		// Below the fold the account screen shows neither the button nor
		// the id; its title still tells it apart.
		{Name: ScreenAccount, Title: "the Xiaomi Account screen", Require: []ui.Selector{{Package: pkgAccount, Text: t.AccountTitle}}},
		{Name: ScreenSettingsSignOut, Title: "Settings (signed out)", Require: []ui.Selector{{Package: pkgSettings, Text: t.SignInRow}}},
		{Name: ScreenSettings, Title: "Settings", Require: []ui.Selector{{Package: pkgSettings, Text: t.AccountRow}}},
	}
	for _, p := range launcherPackages {
		out = append(out, ui.Screen{Name: ScreenLauncher, Title: "the home screen", Require: []ui.Selector{{Package: p}}})
	}
	return out
}

// nodeText returns the first node of h with one of the texts, preferring
// clickable ones (a button rather than a label with the same words).
func clickableText(h *hierarchy.Hierarchy, texts []string) *hierarchy.Node {
	if n := (ui.Selector{Text: texts, Clickable: ui.Flag(true)}).Find(h); n != nil {
		return n
	}
	if n := ui.ByText(texts...).Find(h); n != nil {
		return n
	}
	return nil
}
