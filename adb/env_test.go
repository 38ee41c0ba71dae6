package adb_test

import (
	"slices"
	"testing"

	"github.com/miacct/miacct/adb"
)

func TestChildEnv(t *testing.T) {
	in := []string{
		"PATH=/usr/bin:/bin",
		"MIACCT_PASSWORD=Mi pa$$ %s",
		"HOME=/home/u",
		"AWS_SECRET_ACCESS_KEY=x",
		"USER=u", "LOGNAME=u", "TMPDIR=/tmp", "TMP=/tmp", "TEMP=/tmp",
		"LANG=de_DE.UTF-8", "LC_ALL=C", "LC_MESSAGES=C",
		"SystemRoot=C:\\Windows", "windir=C:\\Windows", "USERPROFILE=C:\\Users\\u", "APPDATA=a", "LOCALAPPDATA=b",
		"ANDROID_ADB_SERVER_PORT=5038", "ANDROID_SERIAL=abc", "ADB_VENDOR_KEYS=/k",
		"MIACCT_CODE=123456", "miacct_password=lower case too",
		"GITHUB_TOKEN=t", "SSH_AUTH_SOCK=/s", "LD_PRELOAD=/evil.so", "PATHEXT=.EXE",
		"NOEQUALS",
	}
	want := []string{
		"PATH=/usr/bin:/bin", "HOME=/home/u",
		"USER=u", "LOGNAME=u", "TMPDIR=/tmp", "TMP=/tmp", "TEMP=/tmp",
		"LANG=de_DE.UTF-8", "LC_ALL=C", "LC_MESSAGES=C",
		"SystemRoot=C:\\Windows", "windir=C:\\Windows", "USERPROFILE=C:\\Users\\u", "APPDATA=a", "LOCALAPPDATA=b",
		"ANDROID_ADB_SERVER_PORT=5038", "ANDROID_SERIAL=abc", "ADB_VENDOR_KEYS=/k",
	}
	got := adb.ChildEnv(in)
	if !slices.Equal(got, want) {
		t.Errorf("ChildEnv:\n got %q\nwant %q", got, want)
	}
	if len(adb.ChildEnv(nil)) != 0 {
		t.Error("ChildEnv(nil) is not empty")
	}
}
