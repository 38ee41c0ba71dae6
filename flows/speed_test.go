package flows

import (
	"testing"

	"github.com/miacct/miacct/adb/hierarchy"
)

// A password field is cleared before typing only when it shows typed
// (masked) text: its hint needs no deleting, leftover text does.
func TestHoldsTypedText(t *testing.T) {
	for text, want := range map[string]bool{
		"":               false,
		"Enter password": false,
		"••••••":         true,
		"●●●":            true,
		" *** ":          true,
		"•• x":           false,
	} {
		if got := holdsTypedText(&hierarchy.Node{Text: text, Password: true}); got != want {
			t.Errorf("holdsTypedText(%q) = %t, want %t", text, got, want)
		}
	}
}
