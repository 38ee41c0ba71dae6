package adb

import "strings"

// childEnvNames are the variables a program miacct starts (adb
// start-server) may inherit: what finds programs and files, the locale,
// Windows' system directories. childEnvPrefixes add Android's and adb's
// own settings (ANDROID_ADB_SERVER_PORT, ADB_VENDOR_KEYS, ...).
func childEnvNames() []string {
	return []string{"PATH", "HOME", "USER", "LOGNAME", "TMPDIR", "TMP", "TEMP", "LANG",
		"SYSTEMROOT", "WINDIR", "USERPROFILE", "APPDATA", "LOCALAPPDATA"}
}

func childEnvPrefixes() []string { return []string{"LC_", "ANDROID_", "ADB_"} }

// ChildEnv returns the entries of environ (KEY=VALUE, as os.Environ gives
// them) that a program miacct starts may see, in their order: PATH,
// HOME, USER, LOGNAME, TMPDIR, TMP, TEMP, LANG, LC_*, Windows' SYSTEMROOT,
// WINDIR, USERPROFILE, APPDATA and LOCALAPPDATA (any case, as Windows
// spells them), ANDROID_* and ADB_*. Nothing else passes, MIACCT_*
// (MIACCT_PASSWORD) above all: an adb server started by miacct lives on
// after it and keeps its environment for its whole life.
func ChildEnv(environ []string) []string {
	var out []string
	for _, kv := range environ {
		name, _, ok := strings.Cut(kv, "=")
		if ok && childEnvAllowed(name) {
			out = append(out, kv)
		}
	}
	return out
}

func childEnvAllowed(name string) bool {
	upper := strings.ToUpper(name)
	if strings.HasPrefix(upper, "MIACCT_") {
		return false
	}
	for _, n := range childEnvNames() {
		if upper == n {
			return true
		}
	}
	for _, p := range childEnvPrefixes() {
		if strings.HasPrefix(upper, p) {
			return true
		}
	}
	return false
}
