package flows

import (
	"context"
	"fmt"
	"strings"

	"github.com/miacct/miacct/flows/certificate"
)

// Names of the audit's checks, in the order they are reported.
const (
	AuditIdentity   = "identity"
	AuditIMEI       = "imei"
	AuditXiaomi     = "xiaomi-account"
	AuditFindDevice = "find-device"
	AuditGoogle     = "google-accounts"
	AuditFRP        = "frp"
	AuditOwners     = "owners"
	AuditScreenLock = "screen-lock"
	AuditBattery    = "battery"
)

// Audit is what `miacct audit` found on one phone: is it clear to resell?
type Audit struct {
	// Phone identifies the phone, IMEIs included (certificate.Phone).
	Phone certificate.Phone `json:"phone"`
	// State is what ties the phone to someone, as read.
	State *certificate.DeviceState `json:"state"`
	// Checks are the verdict's reasons, one per fact, with the fix.
	Checks []Check `json:"checks"`
	// Clear: nothing ties the phone to anyone (no check failed).
	Clear bool `json:"clear"`
	// Reasons say why the phone is not clear; empty when clear.
	Reasons []string `json:"reasons"`
	// Raw are the outputs the state was read from (account ids masked
	// unless shown), for a report's evidence.
	Raw map[string]string `json:"-"`
}

// AuditOptions tune an audit.
type AuditOptions struct {
	// ShowAccount keeps account ids whole (masked by default).
	ShowAccount bool
	// SkipIMEI does not open the dial pad (the IMEIs are then missing).
	SkipIMEI bool
}

// auditTitles are the checks people see.
var auditTitles = map[string]string{
	AuditIdentity:   "phone identified",
	AuditIMEI:       "IMEI read",
	AuditXiaomi:     "no Xiaomi account signed in",
	AuditFindDevice: "Find device off",
	AuditGoogle:     "no Google account",
	AuditFRP:        "factory reset protection off",
	AuditOwners:     "no device or profile owner (not managed)",
	AuditScreenLock: "no screen lock",
	AuditBattery:    "battery",
}

// Audit reads the phone, without changing anything, and says whether it
// is clear to resell: no Xiaomi account, Find device off, no Google
// account (so no factory reset protection), no device or profile owner.
// The screen lock, the battery and unreadable IMEIs are warnings. To read
// the IMEIs it dials *#06# and closes the dialog again (see ReadIMEIs);
// on a sleeping phone that takes the wake-up key.
func (s *Session) Audit(ctx context.Context, opts AuditOptions) (*Audit, error) {
	reading, err := ReadState(ctx, s.dev, StateOptions{ShowAccount: opts.ShowAccount})
	if err != nil {
		return nil, err
	}
	a := &Audit{Phone: s.CertificatePhone(), State: reading.State, Raw: reading.Raw}
	if opts.SkipIMEI {
		a.Phone.IMEIsMissing = "not read (--no-imei)"
	} else {
		imeis, missing, err := s.ReadIMEIs(ctx, reading.Awake, reading.Locked)
		if err != nil {
			return nil, err
		}
		a.Phone.IMEIs, a.Phone.IMEIsMissing = imeis, missing
	}
	a.Checks = auditChecks(a)
	a.Reasons = certificate.Blockers(a.State)
	a.Clear = len(a.Reasons) == 0
	for _, c := range a.Checks {
		if c.Status == CheckFail {
			a.Clear = false
		}
	}
	if a.Reasons == nil {
		a.Reasons = []string{}
	}
	return a, nil
}

// CertificatePhone identifies the phone in the certificate's words (the
// IMEIs are left to ReadIMEIs).
func (s *Session) CertificatePhone() certificate.Phone {
	p := s.phone
	build := s.props["ro.mi.os.version.incremental"]
	if build == "" {
		build = s.props["ro.build.version.incremental"]
	}
	return certificate.Phone{
		Serial: p.Serial, IMEIs: []string{}, Brand: p.Brand, MarketName: p.Name, Model: p.Model,
		OS: p.OS, OSBuild: build, Android: p.Android,
	}
}

// auditChecks turns what was read into PASS, WARN and FAIL with the fix.
func auditChecks(a *Audit) []Check {
	st := a.State
	var out []Check
	add := func(name, status, detail, fix string) {
		out = append(out, Check{Name: name, Title: auditTitles[name], Status: status, Detail: detail, Fix: fix})
	}
	p := a.Phone
	add(AuditIdentity, CheckPass, fmt.Sprintf("%s, model %s, serial %s, %s (%s), Android %s", orDash(p.MarketName), orDash(p.Model), p.Serial, orDash(p.OS), orDash(p.OSBuild), orDash(p.Android)), "")
	if len(p.IMEIs) > 0 {
		add(AuditIMEI, CheckPass, strings.Join(p.IMEIs, ", "), "")
	} else {
		add(AuditIMEI, CheckWarn, "could not be read: "+p.IMEIsMissing, "dial *#06# on the phone and note the IMEIs by hand; Android 10 and later do not let the shell read them")
	}

	switch x := st.XiaomiAccount; x.State {
	case certificate.StateNone:
		add(AuditXiaomi, CheckPass, "none signed in", "")
	case certificate.StateSignedIn:
		add(AuditXiaomi, CheckFail, "Xiaomi Account "+x.ID+" is signed in", "run miacct remove (with the account's password), then audit again")
	default:
		add(AuditXiaomi, CheckFail, "could not be read: "+x.Detail, "reconnect the phone and audit again")
	}

	switch f := st.FindDevice; f.State {
	case certificate.StateOff:
		add(AuditFindDevice, CheckPass, "off ("+f.Detail+")", "")
	case certificate.StateOn:
		add(AuditFindDevice, CheckFail, "on: the phone stays locked to the Xiaomi account after a reset", "sign out with miacct remove, which turns it off with the password")
	default:
		add(AuditFindDevice, CheckWarn, "unknown: "+f.Detail, "open Settings > Xiaomi Account > Xiaomi Cloud > Find device and check it is off")
	}

	switch g := st.GoogleAccounts; g.State {
	case certificate.StateNone:
		add(AuditGoogle, CheckPass, "none", "")
	case certificate.StatePresent:
		add(AuditGoogle, CheckFail, strings.Join(g.Accounts, ", "), "remove it in Settings > Accounts & sync > Google > Remove account (or reset from Settings, which the owner's account allows)")
	default:
		add(AuditGoogle, CheckFail, "could not be read: "+g.Detail, "reconnect the phone and audit again")
	}

	switch f := st.FRP; f.State {
	case certificate.StateOff:
		add(AuditFRP, CheckPass, "off ("+f.Detail+")", "")
	case certificate.StateOn:
		add(AuditFRP, CheckFail, "armed: "+f.Detail+"; after a reset the phone asks for that Google account", "remove the Google account before any reset")
	default:
		add(AuditFRP, CheckFail, "unknown: "+f.Detail, "remove the Google account, then audit again")
	}

	switch o := st.Owners; o.State {
	case certificate.StateNone:
		add(AuditOwners, CheckPass, "none", "")
	case certificate.StatePresent:
		var who []string
		if o.DeviceOwner != "" {
			who = append(who, "device owner "+o.DeviceOwner)
		}
		for _, po := range o.ProfileOwners {
			who = append(who, "profile owner "+po)
		}
		add(AuditOwners, CheckFail, "managed: "+strings.Join(who, ", "), "have the organisation release the phone from its device management (a reset does not remove a device owner enrolled by zero-touch)")
	default:
		add(AuditOwners, CheckFail, "could not be read: "+o.Detail, "reconnect the phone and audit again")
	}

	switch l := st.ScreenLock; l.State {
	case certificate.StateNone:
		add(AuditScreenLock, CheckPass, "none", "")
	case certificate.StateSet:
		add(AuditScreenLock, CheckWarn, "set ("+l.Detail+")", "remove it in Settings > Passwords & security, or reset the phone from Settings")
	default:
		add(AuditScreenLock, CheckWarn, "unknown: "+l.Detail, "check Settings > Passwords & security")
	}

	switch b := st.Battery; {
	case b == nil:
		add(AuditBattery, CheckWarn, "dumpsys battery did not say", "check the battery by hand")
	case strings.Contains(b.Status, "health:"):
		add(AuditBattery, CheckWarn, fmt.Sprintf("%d%%, %s", b.Level, b.Status), "have the battery checked before resale")
	case b.Level < LowBattery:
		add(AuditBattery, CheckWarn, fmt.Sprintf("%d%%, %s", b.Level, orDash(b.Status)), "charge the phone before shipping")
	default:
		detail := fmt.Sprintf("%d%%", b.Level)
		if b.Status != "" {
			detail += ", " + b.Status
		}
		add(AuditBattery, CheckPass, detail, "")
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
