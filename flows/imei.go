package flows

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/hierarchy"
	"github.com/miacct/miacct/flows/ui"
)

// Reading the IMEIs. Since Android 10 the shell cannot read them
// (TelephonyManager.getImei needs READ_PRIVILEGED_PHONE_STATE, which the
// shell user does not hold, and `service call iphonesubinfo` answers it
// with a SecurityException). What the phone shows a person is readable:
// *#06# on the dial pad opens a dialog listing the device ids. So the
// audit opens the dialer with *#06# (ACTION_DIAL, tel:*%2306%23: '#' is
// encoded, or Android reads it as the start of a fragment), reads the
// dialog with uiautomator, and closes it with Back. The IMEIs are the
// 15-digit numbers of the dialog that pass the IMEI check digit (Luhn),
// in the order shown (first SIM slot first); MEIDs (14 hex digits) are
// left out.

// Screen names of the phone app.
const (
	screenIMEI   = "imei-dialog"
	screenDialer = "dialer"
)

// imeiIntent opens the dial pad with *#06#.
func imeiIntent() adb.Intent {
	return adb.Intent{Action: "android.intent.action.DIAL", Data: "tel:*%2306%23"}
}

// ReadIMEIs shows the phone's IMEIs with *#06# and reads them off the
// screen. awake and locked are what the caller read of the screen (see
// ReadState). missing says why none could be read, in words for the
// certificate; err is only for an interruption or a phone that left.
func (s *Session) ReadIMEIs(ctx context.Context, awake, locked bool) (imeis []string, missing string, err error) {
	defer s.ui.Invalidate()
	if locked {
		return nil, "the phone is locked, so the dial pad cannot show them (unlock it and audit again)", nil
	}
	if !awake {
		if err := s.ui.Input(ctx, adb.KeyEvent(adb.KeyWakeup)); err != nil {
			if fatal(err) {
				return nil, "", err
			}
			return nil, "the screen is off and could not be woken (" + err.Error() + ")", nil
		}
		res, err := s.dev.Shell(ctx, "dumpsys window")
		if err != nil {
			return nil, "", fmt.Errorf("read lock state: %w", err)
		}
		if isLocked(res.String()) {
			return nil, "the phone is locked, so the dial pad cannot show them (unlock it and audit again)", nil
		}
	}
	if err := adb.StartActivity(ctx, s.dev, imeiIntent()); err != nil {
		if fatal(err) {
			return nil, "", err
		}
		if errors.Is(err, adb.ErrActivityNotFound) {
			return nil, "no dial pad on this phone answers *#06# (the dial intent does not resolve)", nil
		}
		return nil, "the dial pad could not be opened with *#06# (" + err.Error() + ")", nil
	}
	s.ui.Invalidate()
	v, err := s.ui.Await(ctx, []string{screenIMEI}, ui.AwaitOptions{Detail: "after dialling *#06#"})
	if err != nil && !errors.Is(err, ui.ErrUnexpectedScreen) {
		if fatal(err) {
			return nil, "", err
		}
		return nil, "the screen could not be read after dialling *#06# (" + err.Error() + ")", nil
	}
	if v != nil {
		imeis = IMEIsIn(v.H)
	}
	s.closeDialer(ctx, v)
	switch {
	case len(imeis) > 0:
		return imeis, "", nil
	case v != nil && v.Is(screenIMEI):
		return nil, "the IMEI dialog showed no number that passes the IMEI check digit", nil
	case v != nil:
		return nil, "the dial pad did not show the IMEI dialog after *#06# (the phone shows " + v.Title() + ")", nil
	}
	return nil, "the screen could not be read after dialling *#06#", nil
}

// fatal errors end the audit: an interruption, or a phone that left.
func fatal(err error) bool {
	return errors.Is(err, ErrInterrupted) || errors.Is(err, context.Canceled) || deviceLost(err)
}

// isLocked reads `dumpsys window` as preflight does.
func isLocked(dumpsysWindow string) bool { return locked(dumpsysWindow) }

// closeDialer leaves the IMEI dialog and the dial pad with Back (twice at
// most), so the phone shows what it showed before. A phone that refuses
// input gets the phone app stopped instead.
func (s *Session) closeDialer(ctx context.Context, v *ui.View) {
	for range 2 {
		if v == nil || !v.Is(screenIMEI, screenDialer) {
			return
		}
		if err := s.ui.Input(ctx, adb.KeyEvent(adb.KeyBack)); err != nil {
			if pkg := topPackage(v.H); pkg != "" {
				_, _ = s.dev.Shell(ctx, "am force-stop "+pkg)
			}
			return
		}
		next, err := s.ui.Dump(ctx)
		if err != nil {
			return
		}
		v = next
	}
}

// topPackage is the package of a dump's first node.
func topPackage(h *hierarchy.Hierarchy) string {
	if h == nil || len(h.Roots) == 0 {
		return ""
	}
	pkg := h.Roots[0].Package
	if !regexp.MustCompile(`^[A-Za-z0-9._]+$`).MatchString(pkg) {
		return ""
	}
	return pkg
}

var digitRun = regexp.MustCompile(`\d+`)

// IMEIsIn lists the IMEIs a screen shows: every run of exactly 15 digits
// in its texts and descriptions that passes the Luhn check digit, in the
// order shown, each once.
func IMEIsIn(h *hierarchy.Hierarchy) []string {
	if h == nil {
		return nil
	}
	var out []string
	h.Walk(func(n *hierarchy.Node) bool {
		for _, text := range []string{n.Text, n.ContentDesc} {
			for _, run := range digitRun.FindAllString(text, -1) {
				if len(run) == 15 && luhn(run) && !containsString(out, run) {
					out = append(out, run)
				}
			}
		}
		return true
	})
	return out
}

// luhn reports whether a string of digits passes the Luhn check, the
// IMEI's check digit.
func luhn(digits string) bool {
	sum := 0
	for i := range len(digits) {
		d := int(digits[len(digits)-1-i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0 && strings.Trim(digits, "0") != ""
}
