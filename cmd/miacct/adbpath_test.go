package main

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

func TestSDKADBCandidates(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tc := range []struct {
		goos string
		env  map[string]string
		want []string
	}{
		{"windows", map[string]string{"LOCALAPPDATA": `C:\Users\ana\AppData\Local`},
			[]string{`C:\Users\ana\AppData\Local\Android\Sdk\platform-tools\adb.exe`}},
		{"windows", map[string]string{"ANDROID_HOME": `D:\sdk\`, "LOCALAPPDATA": `C:\Users\ana\AppData\Local`},
			[]string{`D:\sdk\platform-tools\adb.exe`, `C:\Users\ana\AppData\Local\Android\Sdk\platform-tools\adb.exe`}},
		{"darwin", map[string]string{"HOME": "/Users/ana"},
			[]string{"/Users/ana/Library/Android/sdk/platform-tools/adb"}},
		{"linux", map[string]string{"HOME": "/home/ana", "ANDROID_SDK_ROOT": "/opt/android-sdk", "ANDROID_HOME": "/opt/android-sdk"},
			[]string{"/opt/android-sdk/platform-tools/adb", "/home/ana/Android/Sdk/platform-tools/adb"}},
		{"linux", map[string]string{}, nil},
	} {
		if got := sdkADBCandidates(tc.goos, env(tc.env)); !slices.Equal(got, tc.want) {
			t.Errorf("sdkADBCandidates(%s, %v) = %q, want %q", tc.goos, tc.env, got, tc.want)
		}
	}
}

// adb installed by Android Studio, not on PATH, is still found.
func TestFindADBInTheSDK(t *testing.T) {
	sdk := t.TempDir()
	name := "adb"
	if runtime.GOOS == "windows" {
		name = "adb.exe"
	}
	adbPath := filepath.Join(sdk, "platform-tools", name)
	if err := os.MkdirAll(filepath.Dir(adbPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(adbPath, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", t.TempDir())
	got, err := findADB(func(k string) string { return map[string]string{"ANDROID_HOME": sdk}[k] })
	if err != nil || got != adbPath {
		t.Errorf("findADB = %q, %v; want %q", got, err, adbPath)
	}
	if _, err := findADB(func(string) string { return "" }); err == nil {
		t.Error("findADB found an adb with none on PATH and no SDK")
	}
}
