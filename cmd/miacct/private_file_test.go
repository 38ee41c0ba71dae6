package main

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

func TestModeProblem(t *testing.T) {
	for mode, refused := range map[fs.FileMode]bool{0o600: false, 0o400: false, 0o700: false, 0o640: true, 0o604: true, 0o620: true, 0o644: true} {
		if got := modeProblem(mode) != ""; got != refused {
			t.Errorf("modeProblem(%v) refuses: %v, want %v", mode, got, refused)
		}
	}
}

// Windows: who may read the file is its DACL's allow entries; only the
// owner, SYSTEM and Administrators may.
func TestACLCheck(t *testing.T) {
	const owner = "S-1-5-21-1004336348-1177238915-682003330-1001"
	const read, full, write = 0x120089, 0x1f01ff, 0x100116
	ownerOnly := []accessEntry{
		{SID: sidLocalSystem, Kind: aceAllow, Mask: full},
		{SID: sidAdministrators, Kind: aceAllow, Mask: full},
		{SID: owner, Kind: aceAllow, Mask: full},
	}
	with := func(extra ...accessEntry) []accessEntry {
		return append(append([]accessEntry{}, ownerOnly...), extra...)
	}
	for _, tc := range []struct {
		name    string
		acl     fileACL
		readErr error
		problem string // "" none; else a part of the message
		warning string
	}{
		{name: "a file in the user's profile", acl: fileACL{Persistent: true, Owner: owner, Entries: ownerOnly}},
		{name: "OWNER RIGHTS and a child-only grant", acl: fileACL{Persistent: true, Owner: owner, Entries: with(
			accessEntry{SID: sidOwnerRights, Kind: aceAllow, Mask: full},
			accessEntry{SID: "S-1-5-32-545", Kind: aceAllow, Mask: read, InheritOnly: true})}},
		{name: "others may write but not read", acl: fileACL{Persistent: true, Owner: owner, Entries: with(
			accessEntry{SID: "S-1-5-11", Kind: aceAllow, Mask: write})}},
		{name: "a deny entry grants nothing", acl: fileACL{Persistent: true, Owner: owner, Entries: with(
			accessEntry{SID: "S-1-1-0", Kind: aceDeny, Mask: full})}},
		{name: "Users may read (a file on D:\\)", acl: fileACL{Persistent: true, Owner: owner, Entries: with(
			accessEntry{SID: "S-1-5-32-545", Name: `BUILTIN\Users`, Kind: aceAllow, Mask: read},
			accessEntry{SID: "S-1-5-11", Name: `NT AUTHORITY\Authenticated Users`, Kind: aceAllow, Mask: 0x1301bf})},
			problem: `can be read by BUILTIN\Users, NT AUTHORITY\Authenticated Users`},
		{name: "Everyone with generic read", acl: fileACL{Persistent: true, Owner: owner, Entries: with(
			accessEntry{SID: "S-1-1-0", Kind: aceAllow, Mask: 0x80000000})}, problem: "can be read by S-1-1-0"},
		{name: "another user owns it, this one may read", acl: fileACL{Persistent: true, Owner: "S-1-5-21-1-2-3-1002", Entries: ownerOnly},
			problem: "can be read by " + owner},
		{name: "no DACL", acl: fileACL{Persistent: true, Owner: owner, NullDACL: true}, problem: "everyone"},
		{name: "a FAT stick", acl: fileACL{}, warning: "keeps no permissions"},
		{name: "a share that hides its permissions", readErr: errors.New("Access is denied."), warning: "cannot check who can read it (Access is denied.)"},
	} {
		problem, warning := aclCheck(tc.acl, tc.readErr)
		if (tc.problem == "") != (problem == "") || !strings.Contains(problem, tc.problem) {
			t.Errorf("%s: problem %q, want one with %q", tc.name, problem, tc.problem)
		}
		if (tc.warning == "") != (warning == "") || !strings.Contains(warning, tc.warning) {
			t.Errorf("%s: warning %q, want one with %q", tc.name, warning, tc.warning)
		}
	}
}

func TestPrivateFileFix(t *testing.T) {
	if got := privateFileFixFor("linux", "pw.csv"); got != "run `chmod 600 pw.csv`" {
		t.Errorf("fix on Linux: %s", got)
	}
	if got := privateFileFixFor("windows", `C:\fleet\pw.csv`); !strings.Contains(got, `icacls "C:\fleet\pw.csv" /inheritance:r /grant:r "%USERNAME%:F"`) {
		t.Errorf("fix on Windows: %s", got)
	}
}
