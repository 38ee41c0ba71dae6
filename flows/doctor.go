package flows

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/miacct/miacct/adb"
)

// Statuses of a doctor check.
const (
	CheckPass = "pass"
	CheckWarn = "warn" // worth fixing, but a run would go ahead
	CheckFail = "fail"
	CheckSkip = "skip" // not run: an earlier check it needs failed
)

// Names of the doctor checks, in the order they are reported.
const (
	CheckADBServer = "adb-server"
	CheckDevice    = "device"
	CheckPhone     = "phone"
	CheckScreen    = "screen"
	CheckInput     = "input"
	CheckAccount   = "account"
	CheckBattery   = "battery"
)

// LowBattery is the level under which doctor warns: a restart on an
// almost empty battery may not come back.
const LowBattery = 20

// Check is the outcome of one doctor check.
type Check struct {
	Name   string `json:"name"`
	Title  string `json:"title"`
	Status string `json:"status"`
	// Detail says what was found.
	Detail string `json:"detail,omitempty"`
	// Fix says what to do when the check did not pass.
	Fix string `json:"fix,omitempty"`
	// Err is the failure, for the CLI's exit code (not serialised).
	Err error `json:"-"`
}

// Diagnosis is what doctor found, check by check.
type Diagnosis struct {
	Phone  *Phone  `json:"phone,omitempty"`
	Checks []Check `json:"checks"`
}

// OK reports whether no check failed (warnings allowed).
func (d *Diagnosis) OK() bool { return d.FirstFailure() == nil }

// FirstFailure is the first failed check, nil when none failed.
func (d *Diagnosis) FirstFailure() *Check {
	for i := range d.Checks {
		if d.Checks[i].Status == CheckFail {
			return &d.Checks[i]
		}
	}
	return nil
}

// DoctorTarget is how doctor reaches the phone: the CLI owns the ADB
// server and the device choice (-s, --fake, starting adb).
type DoctorTarget struct {
	// Server checks that the ADB server answers.
	Server func(ctx context.Context) error
	// Device picks the device and checks it is online and authorized.
	Device func(ctx context.Context) (adb.Device, error)
}

// checkTitles are the checks people see, in order.
var checkTitles = [...]struct{ name, title string }{
	{CheckADBServer, "ADB server reachable"},
	{CheckDevice, "device connected and authorized"},
	{CheckPhone, "Xiaomi phone with MIUI or HyperOS"},
	{CheckScreen, "screen awake and unlocked"},
	{CheckInput, "input injection allowed"},
	{CheckAccount, "Xiaomi account signed in"},
	{CheckBattery, "battery level"},
}

// Diagnose runs the preflight checks of `remove` and says, for each, what
// it found and how to fix it. It reads the phone and sends exactly one
// input event, the wake-up key, which is how input injection can be
// tested at all; it turns the screen on if it was off (as `remove` does)
// and changes nothing else: no app is started, no setting written.
func Diagnose(ctx context.Context, t DoctorTarget) *Diagnosis {
	d := &Diagnosis{}
	for _, c := range checkTitles {
		d.Checks = append(d.Checks, Check{Name: c.name, Title: c.title, Status: CheckSkip})
	}
	set := func(name, status, detail, fix string, err error) {
		for i := range d.Checks {
			if d.Checks[i].Name == name {
				d.Checks[i] = Check{Name: name, Title: d.Checks[i].Title, Status: status, Detail: detail, Fix: fix, Err: err}
			}
		}
	}
	status := func(name string) string {
		for _, c := range d.Checks {
			if c.Name == name {
				return c.Status
			}
		}
		return ""
	}
	skipRest := func(from string, why string) {
		skipping := false
		for i := range d.Checks {
			if d.Checks[i].Name == from {
				skipping = true
			}
			if skipping && d.Checks[i].Status == CheckSkip {
				d.Checks[i].Detail = why
			}
		}
	}

	if err := t.Server(ctx); err != nil {
		set(CheckADBServer, CheckFail, err.Error(), connectFix(err), err)
		skipRest(CheckDevice, "needs the ADB server")
		return d
	}
	set(CheckADBServer, CheckPass, "", "", nil)
	dev, err := t.Device(ctx)
	if err != nil {
		set(CheckDevice, CheckFail, err.Error(), connectFix(err), err)
		skipRest(CheckPhone, "needs a connected, authorized device")
		return d
	}
	set(CheckDevice, CheckPass, dev.Serial(), "", nil)

	phone, _, err := IdentifyPhone(ctx, dev)
	if err != nil {
		set(CheckPhone, CheckFail, err.Error(), "reconnect the phone and run again", err)
		skipRest(CheckScreen, "the phone did not answer")
		return d
	}
	d.Phone = phone
	desc := fmt.Sprintf("%s, %s, Android %s", phone.Label(), phone.OS, phone.Android)
	if phone.IsXiaomi() {
		set(CheckPhone, CheckPass, desc, "", nil)
	} else {
		err := &NotReadyError{Reason: fmt.Sprintf("not a Xiaomi phone with MIUI or HyperOS (manufacturer %q)", phone.Manufacturer), Fix: "miacct works on Xiaomi, Redmi and POCO phones"}
		set(CheckPhone, CheckFail, desc+": "+err.Reason, err.Fix, err)
	}

	// One round trip for everything that is only read.
	res, err := dev.Shell(ctx, "dumpsys account; echo "+sectionMark+"; dumpsys power; echo "+sectionMark+
		"; dumpsys window; echo "+sectionMark+"; dumpsys battery")
	if err != nil {
		err = fmt.Errorf("inspect phone: %w", err)
		set(CheckScreen, CheckFail, err.Error(), "reconnect the phone and run again", err)
		skipRest(CheckInput, "the phone did not answer")
		return d
	}
	parts := strings.Split(res.String(), sectionMark)
	for len(parts) < 4 {
		parts = append(parts, "")
	}
	wasAwake, isLocked := awake(parts[1]), locked(parts[2])

	// Input injection: the wake-up key is harmless and proves it.
	injection := adb.Input(ctx, dev, adb.KeyEvent(adb.KeyWakeup))
	switch {
	case injection == nil:
		set(CheckInput, CheckPass, "sent one wake-up key event to test it", "", nil)
	case errors.Is(injection, adb.ErrInjectionDenied):
		e := notReady(errNoInjection())
		set(CheckInput, CheckFail, "the wake-up key event was refused: "+e.Reason, e.Fix, e)
	default:
		set(CheckInput, CheckFail, injection.Error(), "reconnect the phone and run again", injection)
	}

	// The screen: read again after waking it, since waking may show the
	// lock screen.
	if !wasAwake && injection == nil {
		res, err := dev.Shell(ctx, "dumpsys window")
		if err != nil {
			err = fmt.Errorf("read lock state: %w", err)
			set(CheckScreen, CheckFail, err.Error(), "reconnect the phone and run again", err)
		} else {
			isLocked = locked(res.String())
		}
	}
	if status(CheckScreen) == CheckSkip {
		switch {
		case isLocked:
			e := notReady(errLocked())
			set(CheckScreen, CheckFail, e.Reason+" (a lock screen is showing)", e.Fix, e)
		case !wasAwake && injection != nil:
			e := &NotReadyError{Reason: "the screen is off and could not be woken", Fix: "turn the screen on and unlock the phone"}
			set(CheckScreen, CheckFail, e.Reason, e.Fix, e)
		case !wasAwake:
			set(CheckScreen, CheckPass, "was off; woken by the test key event, no lock screen", "", nil)
		default:
			set(CheckScreen, CheckPass, "awake, no lock screen", "", nil)
		}
	}

	if id := XiaomiAccountIn(parts[0]); id != "" {
		set(CheckAccount, CheckPass, "Xiaomi Account "+MaskID(id), "", nil)
	} else {
		e := &NotReadyError{Reason: "no Xiaomi account is signed in", Fix: "nothing to remove: miacct remove would stop at once"}
		set(CheckAccount, CheckFail, e.Reason, e.Fix, e)
	}

	level, charging, ok := batteryIn(parts[3])
	switch {
	case !ok:
		set(CheckBattery, CheckWarn, "dumpsys battery did not say the level", "check the battery is charged above 20%", nil)
	case level < LowBattery && !charging:
		set(CheckBattery, CheckWarn, fmt.Sprintf("%d%%, not charging", level), "charge the phone: the run restarts it, and a restart on a low battery may not come back", nil)
	case level < LowBattery:
		set(CheckBattery, CheckWarn, fmt.Sprintf("%d%%, charging", level), "let it charge above 20% first: the run restarts the phone", nil)
	default:
		detail := fmt.Sprintf("%d%%", level)
		if charging {
			detail += ", charging"
		}
		set(CheckBattery, CheckPass, detail, "", nil)
	}
	return d
}

// notReady returns err's reason and fix.
func notReady(err error) *NotReadyError {
	var e *NotReadyError
	if errors.As(err, &e) {
		return e
	}
	return &NotReadyError{Reason: err.Error()}
}

// connectFix says how to fix a failure to reach the server or the device.
func connectFix(err error) string {
	var multi *adb.MultipleDevicesError
	switch {
	case errors.Is(err, adb.ErrServerUnreachable):
		return "install Android platform-tools and run `adb start-server`, or point miacct at a running server with --adb HOST:PORT"
	case errors.As(err, &multi):
		return "choose the phone with -s SERIAL (see miacct devices)"
	case errors.Is(err, adb.ErrUnauthorized):
		return "unlock the phone and accept the \"Allow USB debugging?\" prompt (the computer's RSA key); tick \"Always allow from this computer\""
	case errors.Is(err, adb.ErrNoDevice):
		return "connect the phone with a USB cable and turn on USB debugging in Developer options"
	case errors.Is(err, adb.ErrDeviceNotFound):
		return "check the serial with `miacct devices`"
	case errors.Is(err, adb.ErrOffline):
		return "reconnect the USB cable; if it stays offline, revoke USB debugging authorizations on the phone and accept the prompt again"
	}
	return "reconnect the phone and run again"
}

var (
	batteryLevel  = regexp.MustCompile(`(?m)^\s*level:\s*(\d+)\s*$`)
	batteryStatus = regexp.MustCompile(`(?m)^\s*status:\s*(\d+)\s*$`)
)

// batteryIn reads the level and charging state from `dumpsys battery`
// (status 2 is BATTERY_STATUS_CHARGING, 5 FULL).
func batteryIn(dumpsys string) (level int, charging, ok bool) {
	m := batteryLevel.FindStringSubmatch(dumpsys)
	if m == nil {
		return 0, false, false
	}
	level, err := strconv.Atoi(m[1])
	if err != nil {
		return 0, false, false
	}
	if s := batteryStatus.FindStringSubmatch(dumpsys); s != nil {
		charging = s[1] == "2" || s[1] == "5"
	}
	return level, charging, true
}
