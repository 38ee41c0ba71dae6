package flows

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/miacct/miacct/adb"
)

// Phone is what miacct knows of a device after reading its properties.
type Phone struct {
	Serial       string `json:"serial"`
	Manufacturer string `json:"manufacturer,omitempty"`
	Brand        string `json:"brand,omitempty"`
	// Name is the market name people know ("Redmi Note 12"), else the model.
	Name  string `json:"name,omitempty"`
	Model string `json:"model,omitempty"`
	// OS is "MIUI 14", "HyperOS 2.0", or "Android" for other phones.
	OS      string `json:"os,omitempty"`
	Android string `json:"android,omitempty"`
	SDK     int    `json:"sdk,omitempty"`
	Locale  string `json:"locale,omitempty"`
}

// IsXiaomi reports whether the phone is made by Xiaomi (brands Xiaomi,
// Redmi, POCO) and runs MIUI or HyperOS.
func (p *Phone) IsXiaomi() bool {
	return strings.EqualFold(p.Manufacturer, "Xiaomi") && (strings.HasPrefix(p.OS, "MIUI") || strings.HasPrefix(p.OS, "HyperOS"))
}

// Label is how the phone is named to people: "Redmi Note 12 (SERIAL)".
func (p *Phone) Label() string {
	if p.Name == "" {
		return p.Serial
	}
	return fmt.Sprintf("%s (%s)", p.Name, p.Serial)
}

// IdentifyPhone reads the properties (one round trip) and describes the phone.
func IdentifyPhone(ctx context.Context, dev adb.Device) (*Phone, map[string]string, error) {
	props, err := adb.Props(ctx, dev)
	if err != nil {
		return nil, nil, fmt.Errorf("read properties: %w", err)
	}
	return PhoneFromProps(dev.Serial(), props), props, nil
}

// PhoneFromProps describes a phone from its getprop values.
func PhoneFromProps(serial string, props map[string]string) *Phone {
	p := &Phone{
		Serial:       serial,
		Manufacturer: props["ro.product.manufacturer"],
		Brand:        props["ro.product.brand"],
		Model:        props["ro.product.model"],
		Android:      props["ro.build.version.release"],
		Locale:       props["persist.sys.locale"],
	}
	if p.Locale == "" {
		p.Locale = props["ro.product.locale"]
	}
	p.SDK, _ = strconv.Atoi(props["ro.build.version.sdk"])
	p.Name = props["ro.product.marketname"]
	if p.Name == "" {
		p.Name = props["ro.product.vendor.marketname"]
	}
	if p.Name == "" {
		p.Name = strings.TrimSpace(p.Brand + " " + p.Model)
	}
	p.OS = osName(props)
	return p
}

var hyperOSVersion = regexp.MustCompile(`^OS(\d+)\.(\d+)`)
var miuiVersion = regexp.MustCompile(`^V(\d+)$`)

// osName turns the version properties into the name people use:
// ro.mi.os.version.name OS2.0 -> "HyperOS 2.0"; ro.miui.ui.version.name
// V140 -> "MIUI 14", V125 -> "MIUI 12.5".
func osName(props map[string]string) string {
	if m := hyperOSVersion.FindStringSubmatch(props["ro.mi.os.version.name"]); m != nil {
		return "HyperOS " + m[1] + "." + m[2]
	}
	if m := miuiVersion.FindStringSubmatch(props["ro.miui.ui.version.name"]); m != nil {
		d := m[1]
		switch {
		case len(d) == 3 && d[2] == '0':
			return "MIUI " + d[:2]
		case len(d) == 3:
			return "MIUI " + d[:2] + "." + d[2:]
		default:
			return "MIUI " + d
		}
	}
	if props["ro.miui.ui.version.code"] != "" {
		return "MIUI"
	}
	return "Android"
}

// accountLine matches `Account {name=1234567890, type=com.xiaomi}`.
var accountLine = regexp.MustCompile(`Account \{name=([^,]*), type=([^}]*)\}`)

// XiaomiAccountIn returns the id of the Xiaomi account in `dumpsys
// account` output ("" when none is signed in).
func XiaomiAccountIn(dumpsys string) string {
	for _, m := range accountLine.FindAllStringSubmatch(dumpsys, -1) {
		if strings.TrimSpace(m[2]) == "com.xiaomi" {
			return strings.TrimSpace(m[1])
		}
	}
	return ""
}

// XiaomiAccount reads `dumpsys account` and returns the signed-in Xiaomi
// account's id, or "" when none is signed in.
func XiaomiAccount(ctx context.Context, dev adb.Device) (string, error) {
	res, err := dev.Shell(ctx, "dumpsys account")
	if err != nil {
		return "", fmt.Errorf("read accounts: %w", err)
	}
	return XiaomiAccountIn(res.String()), nil
}

// MaskID hides the middle of an account id the way Xiaomi does:
// 1234567890 -> 12******90; an e-mail keeps its first letter and domain.
func MaskID(id string) string {
	if id == "" {
		return ""
	}
	if local, domain, ok := strings.Cut(id, "@"); ok && local != "" {
		return local[:1] + "***@" + domain
	}
	r := []rune(id)
	if len(r) <= 4 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:2]) + strings.Repeat("*", len(r)-4) + string(r[len(r)-2:])
}
