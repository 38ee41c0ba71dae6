package flows

import "testing"

// A report's hierarchy never shows what was typed as a secret, such as a
// code still standing in the site's code field.
func TestRedactTypedSecrets(t *testing.T) {
	s := &Session{opts: Options{Password: NewSecret(`p'w "x"`)}, typedCodes: []Secret{NewSecret("482916")}}
	in := `<node text="482916" /><node text="p'w "x"" /><node text="Submit" />`
	got := string(s.redact([]byte(in)))
	want := `<node text="[redacted]" /><node text="[redacted]" /><node text="Submit" />`
	if got != want {
		t.Errorf("redact:\n got %s\nwant %s", got, want)
	}
}
