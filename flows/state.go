package flows

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/flows/certificate"
)

// What ties a phone to someone, read over ADB in one round trip, in the
// certificate's words (certificate.DeviceState). Where each fact comes
// from, and how sure it is:
//
//   - Xiaomi and Google accounts: `dumpsys account` (the account
//     manager's own list), as everywhere in miacct.
//   - Find device: Xiaomi's Find device app answers
//     content://com.xiaomi.finddevice.provider/isOpen with one row,
//     isOpen=1 or 0 (its FindDeviceStatusManagerProvider; MIUI's framework
//     class miui.cloud.finddevice.FindDeviceStatusManagerProvider and
//     Settings' factory-reset screen ask it the same, both read decompiled).
//     Whether the shell user may query it is not confirmed on a phone: a
//     refusal reads as unknown. Without a Xiaomi account Find device is
//     off: it needs one, and signing out turns it off.
//   - Screen lock: `dumpsys lock_settings` prints each user's
//     "CredentialType:" (None/Pattern/Pin/Password in Android 11's
//     LockSettingsService.dump, NONE/PIN/... from 12 on); else the
//     keyguard's "secure=" in `dumpsys window`. Never `locksettings`:
//     before Android 12 its commands check the (empty) credential and
//     count a failed unlock attempt.
//   - Device and profile owners: `dumpsys device_policy` (Owners.dump:
//     "Device Owner:", "Profile Owner (User N):", "admin=ComponentInfo{...}").
//   - Factory reset protection: armed when a Google account and a secure
//     screen lock are both on the phone (derived; Android keeps FRP's data
//     where the shell cannot read it).
//   - Battery: `dumpsys battery` level, status and health.

// findDeviceURI is the Find device provider's answer to "is it on".
const findDeviceURI = "content://com.xiaomi.finddevice.provider/isOpen"

// StateOptions say how to show what ReadState finds.
type StateOptions struct {
	// ShowAccount keeps account ids whole; by default they are masked
	// (MaskID), as everywhere miacct prints them.
	ShowAccount bool
}

// StateReading is a state with the raw outputs it was read from, for a
// report's evidence.
type StateReading struct {
	State *certificate.DeviceState
	// Locked: the keyguard is showing now (not only a lock being set).
	Locked bool
	// Awake: the screen is on.
	Awake bool
	// Raw are the outputs by command, masked like the state.
	Raw map[string]string
}

// ReadState reads what ties the phone to someone, in one round trip.
func ReadState(ctx context.Context, dev adb.Device, opts StateOptions) (*StateReading, error) {
	cmds := []string{"dumpsys account", "content query --uri " + findDeviceURI + " 2>&1", "dumpsys lock_settings",
		"dumpsys device_policy", "dumpsys battery", "dumpsys window", "dumpsys power"}
	res, err := dev.Shell(ctx, strings.Join(cmds, "; echo "+sectionMark+"; "))
	if err != nil {
		return nil, fmt.Errorf("read the phone's state: %w", err)
	}
	parts := strings.Split(res.String(), sectionMark)
	for len(parts) < len(cmds) {
		parts = append(parts, "")
	}
	accounts, findDevice, lockSettings, policy, battery, window, power := parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], parts[6]
	show := func(id string) string {
		if opts.ShowAccount {
			return id
		}
		return MaskID(id)
	}
	st := &certificate.DeviceState{ReadAt: time.Now()}
	xiaomi := XiaomiAccountIn(accounts)
	switch {
	case !strings.Contains(accounts, "Accounts:") && !strings.Contains(accounts, "Account {"):
		st.XiaomiAccount = &certificate.Account{State: certificate.StateUnknown, Detail: "dumpsys account did not list the accounts"}
	case xiaomi != "":
		st.XiaomiAccount = &certificate.Account{State: certificate.StateSignedIn, ID: show(xiaomi)}
	default:
		st.XiaomiAccount = &certificate.Account{State: certificate.StateNone}
	}
	st.FindDevice = findDeviceIn(findDevice, st.XiaomiAccount.State)
	google := GoogleAccountsIn(accounts)
	switch {
	case st.XiaomiAccount.State == certificate.StateUnknown:
		st.GoogleAccounts = &certificate.GoogleAccounts{State: certificate.StateUnknown, Detail: st.XiaomiAccount.Detail}
	case len(google) > 0:
		g := &certificate.GoogleAccounts{State: certificate.StatePresent}
		for _, id := range google {
			g.Accounts = append(g.Accounts, show(id))
		}
		st.GoogleAccounts = g
	default:
		st.GoogleAccounts = &certificate.GoogleAccounts{State: certificate.StateNone}
	}
	st.ScreenLock = screenLockIn(lockSettings, window)
	st.FRP = frpOf(st.GoogleAccounts, st.ScreenLock)
	st.Owners = ownersIn(policy)
	if level, status, health, ok := batteryStatusIn(battery); ok {
		if health != "" {
			status = strings.TrimPrefix(status+"; health: "+health, "; ")
		}
		st.Battery = &certificate.Battery{Level: level, Status: status}
	}
	masked := accounts
	if !opts.ShowAccount {
		for _, id := range append([]string{xiaomi}, google...) {
			if id != "" {
				masked = strings.ReplaceAll(masked, id, MaskID(id))
			}
		}
	}
	return &StateReading{
		State: st, Locked: locked(window), Awake: awake(power),
		Raw: map[string]string{
			"dumpsys account": masked, "content query " + findDeviceURI: findDevice,
			"dumpsys lock_settings": lockSettings, "dumpsys device_policy": policy, "dumpsys battery": battery,
		},
	}, nil
}

// findDeviceIn reads the provider's answer ("Row: 0 isOpen=1").
func findDeviceIn(out, xiaomi string) *certificate.Status {
	if m := regexp.MustCompile(`isOpen=(\d+)`).FindStringSubmatch(out); m != nil {
		if m[1] == "0" {
			return &certificate.Status{State: certificate.StateOff, Detail: "Find device's provider says off"}
		}
		return &certificate.Status{State: certificate.StateOn, Detail: "Find device's provider says on"}
	}
	if xiaomi == certificate.StateNone {
		return &certificate.Status{State: certificate.StateOff, Detail: "no Xiaomi account is signed in, which Find device needs"}
	}
	why := firstLine(out)
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "Exception") {
			why = firstLine(line) // the reason, rather than "Error while accessing provider"
			break
		}
	}
	if why == "" {
		why = "no answer"
	}
	return &certificate.Status{State: certificate.StateUnknown, Detail: "the Find device provider could not be read (" + why + "); check Settings > Xiaomi Account > Xiaomi Cloud > Find device"}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	line, _, _ := strings.Cut(s, "\n")
	if len(line) > 120 {
		line = line[:120] + "…"
	}
	return line
}

// googleAccountType is the account type of a Google account.
const googleAccountType = "com.google"

// GoogleAccountsIn lists the Google accounts in `dumpsys account` output.
func GoogleAccountsIn(dumpsys string) []string {
	var out []string
	for _, m := range accountLine.FindAllStringSubmatch(dumpsys, -1) {
		if strings.TrimSpace(m[2]) == googleAccountType {
			if id := strings.TrimSpace(m[1]); id != "" && !containsString(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

var credentialType = regexp.MustCompile(`(?m)^\s*CredentialType:\s*(\S+)`)

// screenLockIn reads the first user's lock credential from `dumpsys
// lock_settings`, else the keyguard's secure flag from `dumpsys window`.
func screenLockIn(lockSettings, window string) *certificate.Status {
	if m := credentialType.FindStringSubmatch(lockSettings); m != nil {
		switch kind := strings.ToUpper(m[1]); kind {
		case "NONE", "-1":
			return &certificate.Status{State: certificate.StateNone}
		case "PIN", "3":
			return &certificate.Status{State: certificate.StateSet, Detail: "PIN"}
		case "PATTERN", "1":
			return &certificate.Status{State: certificate.StateSet, Detail: "pattern"}
		case "PASSWORD", "2", "4":
			return &certificate.Status{State: certificate.StateSet, Detail: "password"}
		default:
			return &certificate.Status{State: certificate.StateSet, Detail: "credential type " + m[1]}
		}
	}
	if m := regexp.MustCompile(`(?m)^\s*secure=(true|false)\s*$`).FindStringSubmatch(window); m != nil {
		if m[1] == "true" {
			return &certificate.Status{State: certificate.StateSet, Detail: "the keyguard is secure"}
		}
		return &certificate.Status{State: certificate.StateNone, Detail: "the keyguard is not secure"}
	}
	return &certificate.Status{State: certificate.StateUnknown, Detail: "neither dumpsys lock_settings nor dumpsys window said"}
}

// frpOf derives factory reset protection: armed when a Google account
// and a secure screen lock are both set.
func frpOf(g *certificate.GoogleAccounts, lock *certificate.Status) *certificate.Status {
	switch {
	case g.State == certificate.StateNone:
		return &certificate.Status{State: certificate.StateOff, Detail: "no Google account"}
	case g.State == certificate.StateUnknown:
		return &certificate.Status{State: certificate.StateUnknown, Detail: "the Google accounts could not be read"}
	case lock.State == certificate.StateSet:
		return &certificate.Status{State: certificate.StateOn, Detail: "a Google account and a screen lock are set"}
	case lock.State == certificate.StateNone:
		return &certificate.Status{State: certificate.StateOff, Detail: "a Google account but no screen lock: it arms once a lock is set"}
	}
	return &certificate.Status{State: certificate.StateUnknown, Detail: "a Google account, and the screen lock could not be read"}
}

var (
	ownerHeader = regexp.MustCompile(`^\s*(Device Owner|Profile Owner \(User (\d+)\)):\s*$`)
	ownerAdmin  = regexp.MustCompile(`^\s*admin=ComponentInfo\{([^}]*)\}`)
)

// ownersIn reads the device owner and profile owners from `dumpsys
// device_policy`.
func ownersIn(out string) *certificate.Owners {
	if !strings.Contains(out, "Device Policy Manager") {
		return &certificate.Owners{State: certificate.StateUnknown, Detail: "dumpsys device_policy did not answer: " + firstLine(out)}
	}
	o := &certificate.Owners{State: certificate.StateNone}
	current, user := "", ""
	for _, line := range strings.Split(out, "\n") {
		if m := ownerHeader.FindStringSubmatch(line); m != nil {
			current, user = m[1], m[2]
			continue
		}
		m := ownerAdmin.FindStringSubmatch(line)
		if m == nil || current == "" {
			continue
		}
		if user == "" {
			o.DeviceOwner = m[1]
		} else {
			o.ProfileOwners = append(o.ProfileOwners, "user "+user+": "+m[1])
		}
		current = ""
	}
	if o.DeviceOwner != "" || len(o.ProfileOwners) > 0 {
		o.State = certificate.StatePresent
	}
	return o
}

var batteryHealth = regexp.MustCompile(`(?m)^\s*health:\s*(\d+)\s*$`)

// batteryStatusIn reads level, status and health from `dumpsys battery`:
// status 2 charging, 3 discharging, 4 not charging, 5 full; health 2
// good, 3 overheat, 4 dead, 5 over voltage, 6 failure, 7 cold
// (BatteryManager). health is "" when good or not reported.
func batteryStatusIn(out string) (level int, status, health string, ok bool) {
	level, _, ok = batteryIn(out)
	if !ok {
		return 0, "", "", false
	}
	if m := batteryStatus.FindStringSubmatch(out); m != nil {
		status = map[string]string{"2": "charging", "3": "discharging", "4": "not charging", "5": "full"}[m[1]]
	}
	if m := batteryHealth.FindStringSubmatch(out); m != nil && m[1] != "2" {
		health = map[string]string{"3": "overheat", "4": "dead", "5": "over voltage", "6": "failure", "7": "cold"}[m[1]]
		if health == "" {
			health = "code " + m[1]
		}
	}
	return level, status, health, true
}
