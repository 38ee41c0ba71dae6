package flows

import (
	"strings"
	"testing"

	"github.com/miacct/miacct/adb/hierarchy"
)

// demoPassword is the built-in phones' password: every character a shell
// or a markup language treats specially.
const demoPassword = `Mi pa$$ %s 'q' "dq" \ & ; | $(reboot)`

// A report's hierarchy never shows what was typed as a secret, such as a
// code still standing in the site's code field, nor the password as a
// dump writes it: escaped, in valid XML.
func TestRedactTypedSecrets(t *testing.T) {
	s := &Session{opts: Options{Password: NewSecret(demoPassword)}, typedCodes: []Secret{NewSecret("482916")}}
	// As uiautomator writes it: & " ' < > escaped in attribute values.
	escaped := strings.NewReplacer("&", "&amp;", `"`, "&quot;", "'", "&apos;", "<", "&lt;", ">", "&gt;").Replace(demoPassword)
	// As Go's encoding/xml writes it.
	goEscaped := strings.NewReplacer("&", "&amp;", `"`, "&#34;", "'", "&#39;").Replace(demoPassword)
	in := `<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation="0">` +
		`<node index="0" text="482916" class="android.widget.EditText" bounds="[0,0][10,10]" />` +
		`<node index="1" text="` + escaped + `" class="android.widget.TextView" bounds="[0,10][10,20]" />` +
		`<node index="2" text="` + goEscaped + `" class="android.widget.TextView" bounds="[0,20][10,30]" />` +
		`<node index="3" text="Submit" class="android.widget.Button" bounds="[0,30][10,40]" /></hierarchy>`
	if _, err := hierarchy.Parse([]byte(in)); err != nil {
		t.Fatalf("the test's dump is not valid XML: %v", err)
	}
	got := string(s.redact([]byte(in)))
	h, err := hierarchy.Parse([]byte(got))
	if err != nil {
		t.Fatalf("the redacted dump is not valid XML: %v\n%s", err, got)
	}
	var texts []string
	for _, n := range h.Nodes() {
		texts = append(texts, n.Text)
	}
	if want := "[redacted] [redacted] [redacted] Submit"; strings.Join(texts, " ") != want {
		t.Errorf("texts after redact: %q, want %q\n%s", strings.Join(texts, " "), want, got)
	}
	for _, part := range []string{"pa$$", "reboot", "dq"} {
		if strings.Contains(got, part) {
			t.Errorf("the redacted dump still holds %q:\n%s", part, got)
		}
	}
}
