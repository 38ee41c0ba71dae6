package adb

import (
	"errors"
	"testing"
)

// The answers adb 29 gives to host:connect, success and failure alike in
// an OKAY reply.
func TestConnectOutcome(t *testing.T) {
	for _, tc := range []struct {
		reply string
		want  error
	}{
		{"connected to 192.0.2.7:5555", nil},
		{"already connected to 192.0.2.7:5555", nil},
		{"failed to connect to 192.0.2.7:5555", ErrDeviceNotFound},
		{"failed to connect to '192.0.2.7:5555': Connection refused", ErrDeviceNotFound},
		{"failed to authenticate to 192.0.2.7:5555", ErrUnauthorized},
		{"cannot resolve host 'phone.invalid' and port 5555: Name or service not known", ErrDeviceNotFound},
		{"", ErrProtocol},
	} {
		err := connectOutcome(tc.reply)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("connectOutcome(%q) = %v, want %v", tc.reply, err, tc.want)
		}
	}
}
