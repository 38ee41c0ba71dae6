//go:build windows

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/windows"
)

// setDACL replaces the file's access list (no inheritance) with grants of
// mask to each SID.
func setDACL(t *testing.T, path string, grants map[*windows.SID]windows.ACCESS_MASK) {
	t.Helper()
	var entries []windows.EXPLICIT_ACCESS
	for sid, mask := range grants {
		entries = append(entries, windows.EXPLICIT_ACCESS{
			AccessPermissions: mask,
			AccessMode:        windows.GRANT_ACCESS,
			Inheritance:       windows.NO_INHERITANCE,
			Trustee: windows.TRUSTEE{
				TrusteeForm:  windows.TRUSTEE_IS_SID,
				TrusteeType:  windows.TRUSTEE_IS_UNKNOWN,
				TrusteeValue: windows.TrusteeValueFromSID(sid),
			},
		})
	}
	acl, err := windows.ACLFromEntries(entries, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = windows.SetNamedSecurityInfo(path, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, acl, nil)
	if err != nil {
		t.Fatal(err)
	}
}

func wellKnown(t *testing.T, kind windows.WELL_KNOWN_SID_TYPE) *windows.SID {
	t.Helper()
	sid, err := windows.CreateWellKnownSid(kind)
	if err != nil {
		t.Fatal(err)
	}
	return sid
}

// The shim reads a real DACL: a file only its owner, SYSTEM and
// Administrators can read passes; one Everyone can read is refused.
func TestPasswordsFileDACL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pw.csv")
	if err := os.WriteFile(path, []byte("serial,password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	user, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		t.Fatal(err)
	}
	system := wellKnown(t, windows.WinLocalSystemSid)
	admins := wellKnown(t, windows.WinBuiltinAdministratorsSid)
	everyone := wellKnown(t, windows.WinWorldSid)

	setDACL(t, path, map[*windows.SID]windows.ACCESS_MASK{user.User.Sid: windows.GENERIC_ALL, system: windows.GENERIC_ALL, admins: windows.GENERIC_ALL})
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if warning, err := checkPasswordsFile(path, st); err != nil || warning != "" {
		t.Errorf("a file only its owner can read: %v (warning %q)", err, warning)
	}

	setDACL(t, path, map[*windows.SID]windows.ACCESS_MASK{user.User.Sid: windows.GENERIC_ALL, everyone: windows.GENERIC_READ})
	_, err = checkPasswordsFile(path, st)
	if err == nil || !strings.Contains(err.Error(), "can be read by") || !strings.Contains(err.Error(), "icacls") {
		t.Errorf("a file Everyone can read: %v, want it refused with the icacls fix", err)
	}
	if ExitCode(err) != ExitUsage {
		t.Errorf("exit %d, want %d", ExitCode(err), ExitUsage)
	}

	acl, err := readFileACL(path)
	if err != nil || !acl.Persistent || acl.Owner == "" {
		t.Fatalf("readFileACL: %+v, %v", acl, err)
	}
	found := false
	for _, e := range acl.Entries {
		if e.SID == everyone.String() && e.Kind == aceAllow && e.Mask&readMask != 0 {
			found = true
		}
	}
	if !found {
		t.Errorf("readFileACL did not see Everyone's read grant: %+v", acl.Entries)
	}
}
