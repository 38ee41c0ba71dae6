// Package texts holds the words Xiaomi phones show, per language, as data:
// one YAML file per language in this directory (embedded in the binary),
// every string with the source it was read from. The flows recognise
// screens by ids, packages and structure first and by these words second.
//
// A user adds a language or a wording with a file of the same format
// (miacct --texts FILE); nothing in Go changes. The format is described in
// SOURCES.md beside this file.
package texts

// Key names one thing a phone says ("the Sign out button"). The set of
// keys is the schema of the language files.
type Key string

// Match says how a candidate is compared with a text on the screen.
type Match int

const (
	// Exact: the screen's text, trimmed, equals the candidate.
	Exact Match = iota
	// Prefix: the screen's text starts with the candidate (messages that
	// go on with a name, an address, or an ellipsis).
	Prefix
)

// KeyInfo describes a key for people and for the matcher.
type KeyInfo struct {
	Key     Key
	Meaning string
	Match   Match
}

// keyTable is the schema: the keys, in the order a person meets them.
// Resource names are those of Xiaomi's apps (see SOURCES.md).
func keyTable() []KeyInfo {
	return []KeyInfo{
		// Settings (com.android.settings).
		{"account_row", `Settings row "Xiaomi Account" on Global ROMs (xiaomi_account)`, Exact},
		{"sign_in_row", `"Sign in to Xiaomi Account" (unlogin_account_title)`, Exact},
		{"account_summary", "summary of China ROMs' account header when signed in (login_account_summary_temp)", Exact},
		{"sign_in_summary", "summary of China ROMs' account header when signed out (unlogin_account_summary)", Exact},

		// The account app (com.xiaomi.account).
		{"account_title", "title of the Xiaomi Account screen", Exact},
		{"sign_in", "sign-in button of the signed-out account app", Exact},
		{"sign_out", `the "Sign out" button (logout_account)`, Exact},
		{"signing_out", `"Signing out…" (removing_account)`, Prefix},
		{"cannot_sign_out", `"Can't sign out" (logout_failed)`, Prefix},
		{"find_device_failed", `"Can't turn off Find device" (turn_off_find_device_failed_title, find_device_error_password_not_confirmed)`, Prefix},
		{"turning_off_find_device", `"Turning off Find device…" (turning_off_find_device)`, Prefix},
		{"password_title", `title of the password prompt: "Verify password", "Enter your password"`, Exact},
		{"password_hint", `hint of the password field: "Enter password"`, Exact},
		{"wrong_password", `"Password is incorrect", "Invalid username or password" (passport_reset_password_prompt, passport_bad_authentication)`, Prefix},
		{"verification_failed", `title of the alert a rejected password opens: "Couldn't verify account" (passport_verification_failed, passport_login_failed)`, Exact},
		{"checking_password", `"Checking password…" (passport_checking_account)`, Prefix},
		{"two_step_title", `the password prompt asking for a 2-step verification code (passport_quick_login_step2_title)`, Exact},
		{"bank_cards_warning", `XiaomiAccount's warning that Mi Pay and NFC cards go with the account (delete_bank_card_message)`, Prefix},

		// The cloud service (com.miui.cloudservice).
		{"data_title", `"Delete synced items from this device?" (micloud_wipe_data_confirm_label)`, Exact},
		{"remove", `data dialog: "Remove" (micloud_wipe_data_remove)`, Exact},
		{"keep", `data dialog: "Keep" (micloud_wipe_data_retain)`, Exact},
		{"find_device_title", `"Turn off Find device?" (micloud_find_device_close_alert_title)`, Exact},
		{"turn_off", `"Turn off anyway", the negative button (micloud_find_device_close_alert_negtive)`, Exact},
		{"keep_on", `"Keep on", the positive button (micloud_find_device_close_alert_positive)`, Exact},
		{"not_synced_title", `"Items aren't synced" (wipe_data_dialog_title)`, Exact},
		{"check_synced", `"Check if synced" (wipe_data_dialog_button_check_sync)`, Exact},
		{"checking", `"Checking…" (wipe_data_query_progress_title)`, Prefix},
		{"hq_images_title", `"High quality images won't be available" (retain_data_high_quality_photo_waring_title)`, Exact},
		{"proceed", `the button that goes on past a follow-up message ("Continue", micloud_proceed)`, Exact},

		// The phone app (*#06#, audit).
		{"imei_title", `the IMEI dialog *#06# opens: its title "IMEI" or its lines "IMEI1: …" (AOSP Dialer imei)`, Prefix},

		// Dialogs everywhere.
		{"ok", "OK", Exact},
		{"cancel", "Cancel", Exact},
		{"chooser_title", `Android's "Open with" chooser`, Exact},
		{"just_once", `the chooser's "Just once"`, Exact},

		// The account web site in the phone's browser (delete-account).
		{"web_sign_in", "the site's sign-in button", Exact},
		{"web_sign_in_error", "the site says the account or password is wrong", Exact},
		{"web_account_home", "texts of the signed-in account page", Exact},
		{"web_delete_button", `"Delete Mi Account"`, Exact},
		{"web_approve", "the approval box's label", Exact},
		{"web_code_sent", `"A verification code has been sent to …"`, Prefix},
		{"web_submit", "submits the verification code", Exact},
		{"web_wrong_code", "the code is wrong or expired", Prefix},
		{"web_confirm_title", "the final confirmation", Exact},
		{"web_confirm_delete", "the final confirmation's Delete button", Exact},
		{"web_success", "the success message", Prefix},
		{"web_captcha", "a security check (captcha)", Prefix},
		{"web_too_many", `"too many attempts"`, Prefix},
	}
}

// Keys lists every key, in the order a person meets them.
func Keys() []KeyInfo { return keyTable() }

// Info returns what a key means; ok is false for an unknown key.
func Info(k Key) (KeyInfo, bool) {
	for _, ki := range keyTable() {
		if ki.Key == k {
			return ki, true
		}
	}
	return KeyInfo{}, false
}
