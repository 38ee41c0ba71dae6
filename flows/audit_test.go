package flows_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/miacct/miacct/adb/fake/faketest"
	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/adb/hierarchy"
	"github.com/miacct/miacct/flows"
	"github.com/miacct/miacct/flows/certificate"
)

// auditStatuses is name=STATUS of the checks that decide the verdict.
func auditStatuses(a *flows.Audit) string {
	var parts []string
	for _, c := range a.Checks {
		if c.Name != flows.AuditIdentity {
			parts = append(parts, fmt.Sprintf("%s=%s", c.Name, c.Status))
		}
	}
	return strings.Join(parts, " ")
}

// TestAuditOnEveryBuiltInPhone audits each built-in phone (but the one
// ADB cannot use) and checks the verdict and what decides it. The phones
// as built carry a Xiaomi account (or, miui14-en-no-account, a Google
// one), so none is clear before remove; a phone without an account left
// is (see TestAuditAfterRemove).
func TestAuditOnEveryBuiltInPhone(t *testing.T) {
	const base = "imei=warn xiaomi-account=fail find-device=fail google-accounts=fail frp=pass owners=pass screen-lock=pass battery=pass"
	want := map[string]string{
		"miui14-en-imei":            "imei=pass xiaomi-account=fail find-device=fail google-accounts=pass frp=pass owners=pass screen-lock=pass battery=pass",
		"miui14-en-frp":             "imei=warn xiaomi-account=fail find-device=fail google-accounts=fail frp=fail owners=pass screen-lock=warn battery=pass",
		"miui14-en-owner":           "imei=warn xiaomi-account=fail find-device=fail google-accounts=fail frp=pass owners=fail screen-lock=pass battery=pass",
		"miui14-en-locked":          "imei=warn xiaomi-account=fail find-device=fail google-accounts=fail frp=fail owners=pass screen-lock=warn battery=pass",
		"miui14-en-find-device-off": "imei=warn xiaomi-account=fail find-device=pass google-accounts=fail frp=pass owners=pass screen-lock=pass battery=pass",
		"miui14-en-no-account":      "imei=warn xiaomi-account=pass find-device=pass google-accounts=fail frp=pass owners=pass screen-lock=pass battery=pass",
		"miui14-en-battery":         strings.Replace(base, "battery=pass", "battery=warn", 1),
		"miui14-zh":                 "imei=warn xiaomi-account=fail find-device=fail google-accounts=pass frp=pass owners=pass screen-lock=pass battery=pass",
		"miui14-en-hang":            "", // uiautomator hangs: the IMEI read times out (below)
	}
	for _, name := range builtInPhones(t) {
		if name == "miui14-en-unauthorized" {
			continue // not usable over ADB: the CLI's exit 3
		}
		t.Run(name, func(t *testing.T) {
			ph, dev := servePhone(t, name)
			s := openSession(t, dev, flows.Options{})
			a, err := s.Audit(context.Background(), flows.AuditOptions{SkipIMEI: name == "miui14-en-hang"})
			require.NoError(t, err)
			assert.False(t, a.Clear, "every built-in phone carries an account")
			assert.NotEmpty(t, a.Reasons)
			expect, ok := want[name]
			if !ok {
				expect = base
			}
			if expect != "" {
				assert.Equal(t, expect, auditStatuses(a))
			}
			assert.Equal(t, ph.Serial(), a.Phone.Serial)
			assert.NotEmpty(t, a.Phone.Model)
			assert.NotEmpty(t, a.Phone.OSBuild)
			assert.Zero(t, ph.Counters().Taps, "an audit taps nothing")
			assert.Zero(t, ph.Counters().Texts, "an audit types nothing")
			assert.Empty(t, ph.Unrecorded())
			// An audit leaves the phone where it was.
			assert.Equal(t, "launcher", ph.Screen(), "the screen the phone started on")
			assert.NotContains(t, fmt.Sprint(a.State), "1234567890", "account ids are masked")
		})
	}
}

func TestAuditReadsIMEIsAndLeavesTheDialer(t *testing.T) {
	ph, dev := servePhone(t, "miui14-en-imei")
	s := openSession(t, dev, flows.Options{})
	a, err := s.Audit(context.Background(), flows.AuditOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{"861234567890127", "861234567890135"}, a.Phone.IMEIs, "the MEID is left out")
	assert.Empty(t, a.Phone.IMEIsMissing)
	assert.Equal(t, "launcher", ph.Screen(), "Back closed the dialog and the dial pad")
	assert.Equal(t, "V14.0.6.0.TMTMIXM", a.Phone.OSBuild)
	assert.Equal(t, "Redmi Note 12", a.Phone.MarketName)
	assert.Equal(t, certificate.StateSignedIn, a.State.XiaomiAccount.State)
	assert.Equal(t, "12******90", a.State.XiaomiAccount.ID)
	assert.Equal(t, certificate.StateOn, a.State.FindDevice.State)
	assert.Equal(t, 76, a.State.Battery.Level)
}

func TestAuditDetails(t *testing.T) {
	ctx := context.Background()
	t.Run("frp", func(t *testing.T) {
		_, dev := servePhone(t, "miui14-en-frp")
		a, err := openSession(t, dev, flows.Options{}).Audit(ctx, flows.AuditOptions{SkipIMEI: true})
		require.NoError(t, err)
		assert.Equal(t, certificate.StateOn, a.State.FRP.State)
		assert.Equal(t, "PIN", a.State.ScreenLock.Detail)
		assert.Equal(t, []string{"s***@example.com"}, a.State.GoogleAccounts.Accounts)
	})
	t.Run("owner", func(t *testing.T) {
		_, dev := servePhone(t, "miui14-en-owner")
		a, err := openSession(t, dev, flows.Options{}).Audit(ctx, flows.AuditOptions{SkipIMEI: true})
		require.NoError(t, err)
		assert.Equal(t, certificate.StatePresent, a.State.Owners.State)
		assert.Equal(t, "com.example.mdm/com.example.mdm.AdminReceiver", a.State.Owners.DeviceOwner)
		assert.Equal(t, []string{"user 10: com.example.mdm/com.example.mdm.WorkProfileAdmin"}, a.State.Owners.ProfileOwners)
	})
	t.Run("show account", func(t *testing.T) {
		_, dev := servePhone(t, "miui14-en")
		a, err := openSession(t, dev, flows.Options{}).Audit(ctx, flows.AuditOptions{SkipIMEI: true, ShowAccount: true})
		require.NoError(t, err)
		assert.Equal(t, "1234567890", a.State.XiaomiAccount.ID)
	})
	t.Run("locked: no IMEI, the reason said", func(t *testing.T) {
		ph, dev := servePhone(t, "miui14-en-locked")
		a, err := openSession(t, dev, flows.Options{}).Audit(ctx, flows.AuditOptions{})
		require.NoError(t, err)
		assert.Contains(t, a.Phone.IMEIsMissing, "locked")
		assert.Zero(t, ph.Counters().AmStarts, "nothing is opened behind a lock screen")
	})
	t.Run("find device provider refused", func(t *testing.T) {
		fx := faketest.Fixture(t, "miui14-en")
		fx.Security = &fixture.Security{FindDevice: fixture.FindDeviceDenied}
		dev := faketest.Start(t, fx, faketest.Options{}).Device
		a, err := openSession(t, dev, flows.Options{}).Audit(ctx, flows.AuditOptions{SkipIMEI: true})
		require.NoError(t, err)
		assert.Equal(t, certificate.StateUnknown, a.State.FindDevice.State)
		assert.Contains(t, a.State.FindDevice.Detail, "Permission Denial")
		var fd flows.Check
		for _, c := range a.Checks {
			if c.Name == flows.AuditFindDevice {
				fd = c
			}
		}
		assert.Equal(t, flows.CheckWarn, fd.Status)
	})
}

// TestAuditAfterRemove: once remove took the Xiaomi account off a phone
// with no Google account, the audit finds it clear.
func TestAuditAfterRemove(t *testing.T) {
	for _, name := range []string{"miui14-en-imei", "miui14-zh"} {
		t.Run(name, func(t *testing.T) {
			ph, dev := servePhone(t, name)
			s := openSession(t, dev, flows.Options{Password: flows.NewSecret(demoPassword)})
			_, err := s.Inspect(context.Background())
			require.NoError(t, err)
			res := s.Run(context.Background(), flows.Job{Flow: flows.FlowRemove})
			require.NoError(t, res.Err, "%s", stepLog(res))
			assert.Equal(t, "off", ph.FindDevice())
			a, err := openSession(t, dev, flows.Options{}).Audit(context.Background(), flows.AuditOptions{})
			require.NoError(t, err)
			assert.True(t, a.Clear, "%v", a.Reasons)
			assert.Empty(t, a.Reasons)
		})
	}
}

func TestIMEIsIn(t *testing.T) {
	h, err := hierarchy.Parse([]byte(`<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation="0"><node index="0" text="IMEI1: 861234567890127&#10;IMEI2: 861234567890128&#10;MEID: 99001234567890&#10;IMEI: 861234567890127" resource-id="" class="android.widget.TextView" package="com.android.contacts" content-desc="490154203237518" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,0][10,10]" /></hierarchy>`))
	require.NoError(t, err)
	assert.Equal(t, []string{"861234567890127", "490154203237518"}, flows.IMEIsIn(h), "a wrong check digit is no IMEI; each once")
}
