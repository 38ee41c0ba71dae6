package adb_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/miacct/miacct/adb"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestResolveServer(t *testing.T) {
	tests := []struct {
		name    string
		flag    string
		env     func(string) string
		want    string
		wantErr string // substring of the error; "" for success
	}{
		{name: "default", env: env(), want: "127.0.0.1:5037"},
		{name: "flag", flag: "10.0.0.2:6000", env: env("ADB_SERVER_SOCKET", "tcp:1.1.1.1:1"), want: "10.0.0.2:6000"},
		{name: "flag ipv6", flag: "[::1]:5037", env: env(), want: "[::1]:5037"},
		{name: "flag host name", flag: "adbhost:5037", env: env(), want: "adbhost:5037"},
		{name: "flag without port", flag: "10.0.0.2", env: env(), wantErr: "--adb"},
		{name: "flag empty port", flag: "10.0.0.2:", env: env(), wantErr: "--adb"},
		{name: "flag port zero", flag: "10.0.0.2:0", env: env(), wantErr: "1..65535"},
		{name: "flag port too big", flag: "10.0.0.2:65536", env: env(), wantErr: "1..65535"},
		{name: "flag port not a number", flag: "10.0.0.2:adb", env: env(), wantErr: "1..65535"},
		{name: "flag without host", flag: ":5037", env: env(), wantErr: "HOST:PORT"},
		{name: "socket", env: env("ADB_SERVER_SOCKET", "tcp:192.168.1.5:5038", "ANDROID_ADB_SERVER_PORT", "1"), want: "192.168.1.5:5038"},
		{name: "socket not tcp", env: env("ADB_SERVER_SOCKET", "localabstract:adb"), wantErr: "ADB_SERVER_SOCKET"},
		{name: "socket without port", env: env("ADB_SERVER_SOCKET", "tcp:192.168.1.5"), wantErr: "tcp:HOST:PORT"},
		{name: "socket bad port", env: env("ADB_SERVER_SOCKET", "tcp:host:99999"), wantErr: "ADB_SERVER_SOCKET"},
		{name: "address and port", env: env("ANDROID_ADB_SERVER_ADDRESS", "10.1.1.1", "ANDROID_ADB_SERVER_PORT", "15037"), want: "10.1.1.1:15037"},
		{name: "address only", env: env("ANDROID_ADB_SERVER_ADDRESS", "example.test"), want: "example.test:5037"},
		{name: "address ipv6", env: env("ANDROID_ADB_SERVER_ADDRESS", "::1"), want: "[::1]:5037"},
		{name: "port only", env: env("ANDROID_ADB_SERVER_PORT", "15037"), want: "127.0.0.1:15037"},
		{name: "address with port", env: env("ANDROID_ADB_SERVER_ADDRESS", "10.1.1.1:5037"), wantErr: "ANDROID_ADB_SERVER_ADDRESS"},
		{name: "bad port", env: env("ANDROID_ADB_SERVER_PORT", "five"), wantErr: "ANDROID_ADB_SERVER_PORT"},
		{name: "port out of range", env: env("ANDROID_ADB_SERVER_PORT", "70000"), wantErr: "1..65535"},
		{name: "negative port", env: env("ANDROID_ADB_SERVER_PORT", "-1"), wantErr: "ANDROID_ADB_SERVER_PORT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := adb.ResolveServer(tt.flag, tt.env)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ResolveServer = %q, want an error", got)
				}
				if !errors.Is(err, adb.ErrBadAddress) {
					t.Errorf("error %v does not wrap ErrBadAddress", err)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %q does not mention %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ResolveServer: %v", err)
			}
			if got != tt.want {
				t.Errorf("ResolveServer = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestResolveSerial(t *testing.T) {
	if got := adb.ResolveSerial("abc", env("ANDROID_SERIAL", "def")); got != "abc" {
		t.Errorf("flag: got %q", got)
	}
	if got := adb.ResolveSerial("", env("ANDROID_SERIAL", "def")); got != "def" {
		t.Errorf("env: got %q", got)
	}
	if got := adb.ResolveSerial("", env()); got != "" {
		t.Errorf("none: got %q", got)
	}
}
