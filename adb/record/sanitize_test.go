package record

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/miacct/miacct/adb/hierarchy"
)

func TestSanitizerPlaceholdersAreConsistent(t *testing.T) {
	s := newSanitizer()
	assert.Equal(t, "SERIAL1", s.addKnown(kindSerial, "6d8f2a41"))
	assert.Equal(t, "1000000001", s.addKnown(kindAccount, "1234567890"))
	assert.Equal(t, "user1@example.com", s.addKnown(kindName, "someone@example.com"))
	assert.Equal(t, "1000000001", s.addKnown(kindAccount, "1234567890"), "the same value, the same placeholder")
	assert.Equal(t, "1000000002", s.addKnown(kindAccount, "987654321"))
	assert.Equal(t, "0", s.addKnown(kindSerial, "0"), "values that identify nothing stay")

	in := "serial 6d8f2a41, account 1234567890 (12******90), mail someone@example.com, other jane.doe@mail.example.org, again someone@example.com"
	want := "serial SERIAL1, account 1000000001 (10******01), mail user1@example.com, other user2@example.com, again user1@example.com"
	assert.Equal(t, want, s.text(in))
	// Placeholders are not replaced again.
	assert.Equal(t, want, s.text(want))
	// A known value inside a longer word is someone else's.
	assert.Equal(t, "x6d8f2a41y 112345678901", s.text("x6d8f2a41y 112345678901"))
}

func TestSanitizerFindsPersonalDataByShape(t *testing.T) {
	s := newSanitizer()
	for _, tc := range []struct{ in, want string }{
		{"call +86 138 0013 8000 now", "call PHONE1 now"},
		{"mobile 13800138000.", "mobile PHONE2."},
		{"masked 138****8000", "masked PHONE3"},
		{"[persist.radio.imei]: [861234567890123]", "[persist.radio.imei]: [IMEI1]"},
		{"wlan a4:50:46:12:34:56 up", "wlan 02:00:00:00:00:01 up"},
		{"fake mac 02:00:00:00:00:00 stays", "fake mac 02:00:00:00:00:00 stays"},
		{"a 16-digit run 8612345678901234 is not an IMEI", "a 16-digit run 8612345678901234 is not an IMEI"},
		{"again 861234567890123 and 13800138000", "again IMEI1 and PHONE2"},
	} {
		assert.Equal(t, tc.want, s.text(tc.in), "text(%q)", tc.in)
	}
}

func TestSanitizerLearnsIdentifyingProperties(t *testing.T) {
	s := newSanitizer()
	s.learnProps(map[string]string{
		"ro.serialno":        "6d8f2a41",
		"ro.boot.serialno":   "6d8f2a41",
		"ril.serialnumber":   "R58M12AB34C",
		"ro.ril.oem.imei1":   "86123456789",
		"ro.product.model":   "23021RAAEG",
		"persist.sys.locale": "en-US",
	})
	got := s.text("[ro.serialno]: [6d8f2a41] [ril.serialnumber]: [R58M12AB34C] [ro.ril.oem.imei1]: [86123456789] [ro.product.model]: [23021RAAEG]")
	assert.NotContains(t, got, "6d8f2a41")
	assert.NotContains(t, got, "R58M12AB34C")
	assert.NotContains(t, got, "86123456789")
	assert.Contains(t, got, "23021RAAEG", "a model number identifies no one")
	assert.Equal(t, 2, s.replaced()[kindSerial])
}

func TestSanitizerSecretForms(t *testing.T) {
	const pw = `Mi pa$$ %s 'q' "dq" \ & ; | $(reboot)`
	s := newSanitizer()
	s.addSecret(pw)
	s.addSecret(pw)
	for _, leak := range []string{
		pw,
		strings.ReplaceAll(pw, " ", "%s"),
		`'Mi pa$$ %s '\''q'\'' "dq" \ & ; | $(reboot)'`,
		`'Mi%spa$$%s%'`, // the first `input text` EncodeText sends
		`"Mi pa\$\$ %s 'q' \"dq\" \\ & ; | \$(reboot)"`,
	} {
		got := s.text("before " + leak + " after")
		assert.Equal(t, "before "+SecretMarker+" after", got, "form %q", leak)
	}
	assert.Equal(t, 1, s.replaced()[kindSecret], "one password, however many forms")
	s.addSecret("ab")
	assert.Equal(t, "ab cab", s.text("ab cab"), "a secret too short to be a password is not one")
}

func TestSanitizerHierarchy(t *testing.T) {
	h, err := hierarchy.Parse([]byte(`<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation="0">` +
		`<node index="0" text="Account 1234567890" resource-id="" class="android.widget.TextView" package="p" content-desc="mail someone@example.com" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,0][10,10]" hint="call 13800138000" />` +
		`<node index="1" text="••••••••" resource-id="" class="android.widget.EditText" package="p" content-desc="" checkable="false" checked="false" clickable="true" enabled="true" focusable="true" focused="true" scrollable="false" long-clickable="false" password="true" selected="false" bounds="[0,10][10,20]" />` +
		`<node index="2" text="•••••••x" resource-id="" class="android.widget.EditText" package="p" content-desc="" checkable="false" checked="false" clickable="true" enabled="true" focusable="true" focused="false" scrollable="false" long-clickable="false" password="true" selected="false" bounds="[0,20][10,30]" />` +
		`<node index="3" text="Enter password" resource-id="" class="android.widget.EditText" package="p" content-desc="" checkable="false" checked="false" clickable="true" enabled="true" focusable="true" focused="false" scrollable="false" long-clickable="false" password="true" selected="false" bounds="[0,30][10,40]" />` +
		`</hierarchy>`))
	require.NoError(t, err)
	s := newSanitizer()
	s.addKnown(kindAccount, "1234567890")
	s.hierarchy(h)
	nodes := h.Nodes()
	assert.Equal(t, "Account 1000000001", nodes[0].Text)
	assert.Equal(t, "mail user1@example.com", nodes[0].ContentDesc)
	require.Len(t, nodes[0].Extra, 1)
	assert.Equal(t, "call PHONE1", nodes[0].Extra[0].Value)
	assert.Empty(t, nodes[1].Text, "a password field's bullets tell the password's length")
	assert.Empty(t, nodes[2].Text, "the last character shown in the clear")
	assert.Equal(t, "Enter password", nodes[3].Text, "an empty password field's hint is kept: the replay shows what the phone showed")
}

func TestSanitizerTypedText(t *testing.T) {
	s := newSanitizer()
	s.addSecret("correct horse")
	s.addTyped("123456")
	assert.Equal(t, "code "+TypedMarker+", password "+SecretMarker, s.text("code 123456, password correct horse"))
	assert.Equal(t, 1, s.replaced()[kindTyped])
}

// A password shows escaped in XML (a dump, a file the phone prints) and
// in JSON; the recording holds it in none of these forms. The XML is
// valid: its node text is the password itself.
func TestSanitizerReplacesEscapedSecrets(t *testing.T) {
	const pw = `Mi pa$$ %s 'q' "dq" \ & ; | $(reboot)`
	s := newSanitizer()
	s.addSecret(pw)
	android := strings.NewReplacer("&", "&amp;", `"`, "&quot;", "'", "&apos;", "<", "&lt;", ">", "&gt;").Replace(pw)
	goXML := strings.NewReplacer("&", "&amp;", `"`, "&#34;", "'", "&#39;").Replace(pw)
	dump := `<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation="0">` +
		`<node index="0" text="` + android + `" class="android.widget.TextView" bounds="[0,0][10,10]" />` +
		`<node index="1" text="` + goXML + `" class="android.widget.TextView" bounds="[0,10][10,20]" /></hierarchy>`
	h, err := hierarchy.Parse([]byte(dump))
	require.NoError(t, err, "the test's XML is valid")
	require.Equal(t, pw, h.Nodes()[0].Text)
	jsonOut := `{"password": "Mi pa$$ %s 'q' \"dq\" \\ & ; | $(reboot)"}`
	for _, in := range []string{dump, jsonOut} {
		got := s.text(in)
		for _, part := range []string{"pa$$", "reboot", "dq"} {
			assert.NotContains(t, got, part, "in %s", got)
		}
	}
	_, err = hierarchy.Parse([]byte(s.text(dump)))
	assert.NoError(t, err, "the XML stays valid")
}
