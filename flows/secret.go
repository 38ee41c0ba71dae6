package flows

import (
	"fmt"
	"unicode/utf8"
)

// MaxPasswordLength bounds the password: Xiaomi accounts allow 8 to 16
// characters today; the bound leaves room for older accounts while
// refusing input that is plainly not a password (a pasted file).
const MaxPasswordLength = 128

// Secret is the account password. It prints, formats and marshals as
// "[redacted]", so it cannot reach a log, an error or a report by
// accident; only the step that types it reads it.
type Secret struct{ v string }

// NewSecret wraps a password.
func NewSecret(s string) Secret { return Secret{v: s} }

// IsZero reports whether no password is held.
func (s Secret) IsZero() bool { return s.v == "" }

// String never shows the secret.
func (s Secret) String() string { return "[redacted]" }

// GoString never shows the secret.
func (s Secret) GoString() string { return "flows.Secret{[redacted]}" }

// Format never shows the secret, whatever the verb.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("[redacted]")) }

// MarshalText never shows the secret (JSON, YAML).
func (s Secret) MarshalText() ([]byte, error) { return []byte("[redacted]"), nil }

// reveal returns the password, for typing it.
func (s Secret) reveal() string { return s.v }

// CheckPassword refuses a password the phone's `input text` could not
// type exactly: empty, too long, non-ASCII or with control characters.
// The message says what is wrong, never the password.
func CheckPassword(pw string) error {
	switch {
	case pw == "":
		return fmt.Errorf("%w: it is empty", ErrBadPassword)
	case !utf8.ValidString(pw):
		return fmt.Errorf("%w: it is not valid UTF-8 text", ErrBadPassword)
	case utf8.RuneCountInString(pw) > MaxPasswordLength:
		return fmt.Errorf("%w: it is longer than %d characters", ErrBadPassword, MaxPasswordLength)
	}
	for i, r := range pw {
		switch {
		case r < 0x20 || r == 0x7f:
			return fmt.Errorf("%w: it holds a control character at position %d; the phone cannot type it", ErrBadPassword, i+1)
		case r > 0x7e:
			return fmt.Errorf("%w: it holds a non-ASCII character at position %d; the phone's input command can only type ASCII (sign out by hand, or change the password)", ErrBadPassword, utf8.RuneCountInString(pw[:i])+1)
		}
	}
	return nil
}
