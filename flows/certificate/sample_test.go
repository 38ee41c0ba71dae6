package certificate

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// t0 is when the sample runs start.
var t0 = time.Date(2025, 6, 2, 9, 14, 3, 250_000_000, time.UTC)

// sampleEvidence writes the files of a run into dir, with fixed contents
// so their hashes are fixed too, and returns their entries.
func sampleEvidence(t testing.TB, dir string, files map[string]string, order []string) []Evidence {
	t.Helper()
	var out []Evidence
	for _, name := range order {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(fmt.Sprintf("%s: %s\n", name, name)), 0o600); err != nil {
			t.Fatal(err)
		}
		out = append(out, Evidence{Path: name, Description: files[name]})
	}
	return out
}

var removeSteps = []string{"preflight", "open-settings", "open-account", "sign-out", "remove-data", "enter-password", "reboot", "verify"}

// sampleRemove is a full, successful remove on a two-SIM phone, with its
// evidence written into dir.
func sampleRemove(t testing.TB, dir string) *Certificate {
	t.Helper()
	files := map[string]string{"report.json": "the run as JSON", "log.txt": "the run's log"}
	order := []string{"report.json", "log.txt"}
	var steps []Step
	at := t0
	for i, name := range removeSteps {
		d := int64(800 + 150*i)
		steps = append(steps, Step{Name: name, Status: "ok", StartedAt: at, DurationMS: d, Message: "done: " + name})
		at = at.Add(time.Duration(d) * time.Millisecond)
		png := fmt.Sprintf("%02d-%s.png", i+1, name)
		xml := fmt.Sprintf("%02d-%s.xml", i+1, name)
		files[png] = "screenshot after " + name
		files[xml] = "screen hierarchy after " + name
		order = append(order, png, xml)
	}
	steps[6].Message = "the phone restarted in 41.2 s"
	return &Certificate{
		Tool:      Tool{Name: "miacct", Version: "v1.4.0"},
		Command:   CommandRemove,
		Operator:  "Dana Okafor",
		Ticket:    "RMA-20250602-0147",
		Host:      "bench-3",
		StartedAt: t0,
		EndedAt:   t0.Add(2*time.Minute + 3*time.Second),
		Phone: Phone{
			Serial: "6d8f2a41", IMEIs: []string{"861234567890123", "861234567890131"},
			Brand: "Redmi", MarketName: "Redmi Note 12", Model: "23021RAA2Y",
			OS: "MIUI 14", OSBuild: "V14.0.6.0.TMGMIXM", Android: "13",
		},
		Before: &DeviceState{
			ReadAt:         t0,
			XiaomiAccount:  &Account{State: StateSignedIn, ID: "12******90"},
			FindDevice:     &Status{State: StateOn},
			GoogleAccounts: &GoogleAccounts{State: StateNone},
			FRP:            &Status{State: StateOff},
			Owners:         &Owners{State: StateNone},
			ScreenLock:     &Status{State: StateNone},
			Battery:        &Battery{Level: 76, Status: "charging"},
		},
		After: &DeviceState{
			ReadAt:         t0.Add(2 * time.Minute),
			XiaomiAccount:  &Account{State: StateNone, Detail: "Settings says Sign in"},
			FindDevice:     &Status{State: StateOff},
			GoogleAccounts: &GoogleAccounts{State: StateNone},
			FRP:            &Status{State: StateOff, Detail: "no Google account"},
			Owners:         &Owners{State: StateNone},
			ScreenLock:     &Status{State: StateNone},
			Battery:        &Battery{Level: 74, Status: "charging"},
		},
		Steps:    steps,
		Evidence: sampleEvidence(t, dir, files, order),
	}
}

// sampleAudit is an audit that found a phone not clear: a Google account
// (so FRP), a screen lock and an unreadable IMEI.
func sampleAudit(t testing.TB, dir string) *Certificate {
	t.Helper()
	files := map[string]string{
		"report.json":           "the audit as JSON",
		"screens/settings.png":  "screenshot of Settings",
		"screens/settings.xml":  "screen hierarchy of Settings",
		"dumpsys-account.txt":   "the accounts the phone lists (dumpsys account, ids masked)",
		"device-policy-txt.txt": "dumpsys device_policy",
	}
	order := []string{"report.json", "screens/settings.png", "screens/settings.xml", "dumpsys-account.txt", "device-policy-txt.txt"}
	return &Certificate{
		Tool:      Tool{Name: "miacct", Version: "v1.4.0"},
		Command:   CommandAudit,
		Operator:  "",
		Ticket:    "",
		Host:      "bench-1",
		StartedAt: t0,
		EndedAt:   t0.Add(9 * time.Second),
		Phone: Phone{
			Serial: "a1b2c3d4", IMEIs: nil, IMEIsMissing: "needs READ_PRIVILEGED_PHONE_STATE on Android 10+; dial *#06#",
			Brand: "Xiaomi", MarketName: "Xiaomi 13T", Model: "2306EPN60G",
			OS: "HyperOS 1.0", OSBuild: "OS1.0.3.0.UMFEUXM", Android: "14",
		},
		After: &DeviceState{
			ReadAt:         t0.Add(5 * time.Second),
			XiaomiAccount:  &Account{State: StateNone},
			FindDevice:     &Status{State: StateOff},
			GoogleAccounts: &GoogleAccounts{State: StatePresent, Accounts: []string{"j***@gmail.com"}},
			FRP:            &Status{State: StateOn, Detail: "a Google account is signed in"},
			Owners:         &Owners{State: StateNone},
			ScreenLock:     &Status{State: StateSet, Detail: "PIN"},
			Battery:        &Battery{Level: 12, Status: "discharging"},
		},
		Checks: []Check{
			{Name: "xiaomi-account", Title: "No Xiaomi account", Status: CheckPass, Detail: "none signed in"},
			{Name: "find-device", Title: "Find device off", Status: CheckPass, Detail: "off"},
			{Name: "google-accounts", Title: "No Google account", Status: CheckFail, Detail: "j***@gmail.com is signed in: factory reset protection is on", Fix: "remove the Google account in Settings > Accounts, then audit again"},
			{Name: "owners", Title: "Not managed", Status: CheckPass, Detail: "no device or profile owner"},
			{Name: "screen-lock", Title: "No screen lock", Status: CheckWarn, Detail: "a PIN is set", Fix: "remove it in Settings > Lock screen, or factory reset"},
			{Name: "battery", Title: "Battery level", Status: CheckWarn, Detail: "12%", Fix: "charge before shipping"},
		},
		ExitCode: 4,
		Evidence: sampleEvidence(t, dir, files, order),
	}
}
