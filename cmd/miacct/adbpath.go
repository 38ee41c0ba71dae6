package main

import (
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
)

// findADB finds the adb program to start an ADB server with: on $PATH
// first (exec.LookPath, which also finds adb.exe through %PATHEXT% on
// Windows), else in the platform-tools of an Android SDK, where Android
// Studio installs adb without putting it on $PATH.
func findADB(getenv func(string) string) (string, error) {
	path, err := exec.LookPath("adb")
	if err == nil {
		return path, nil
	}
	for _, c := range sdkADBCandidates(runtime.GOOS, getenv) {
		if st, statErr := os.Stat(c); statErr == nil && st.Mode().IsRegular() {
			return c, nil
		}
	}
	return "", err
}

// sdkADBCandidates lists where an Android SDK keeps adb on goos: under
// $ANDROID_HOME and $ANDROID_SDK_ROOT, then where Android Studio puts the
// SDK by default.
func sdkADBCandidates(goos string, getenv func(string) string) []string {
	sep, exe := "/", "adb"
	if goos == "windows" {
		sep, exe = `\`, "adb.exe"
	}
	join := func(parts ...string) string {
		for i := range parts[:len(parts)-1] {
			parts[i] = strings.TrimRight(parts[i], `/\`)
		}
		return strings.Join(parts, sep)
	}
	var roots []string
	for _, v := range []string{"ANDROID_HOME", "ANDROID_SDK_ROOT"} {
		if r := getenv(v); r != "" {
			roots = append(roots, r)
		}
	}
	switch goos {
	case "windows":
		if local := getenv("LOCALAPPDATA"); local != "" {
			roots = append(roots, join(local, "Android", "Sdk"))
		}
	case "darwin":
		if home := getenv("HOME"); home != "" {
			roots = append(roots, join(home, "Library", "Android", "sdk"))
		}
	default:
		if home := getenv("HOME"); home != "" {
			roots = append(roots, join(home, "Android", "Sdk"))
		}
	}
	var out []string
	for _, r := range roots {
		c := join(r, "platform-tools", exe)
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}
