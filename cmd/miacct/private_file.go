package main

import (
	"fmt"
	"io/fs"
	"runtime"
	"slices"
	"strings"
)

// A --passwords file holds account passwords, so miacct refuses one that
// anyone but its owner can read. Unix says that with the file's mode
// bits; Windows with its DACL (the list of who may do what with it). The
// decisions below are pure functions, tested on every system; the
// private_file_unix.go and private_file_windows.go shims only read what
// the system says.

// checkPasswordsFile refuses a --passwords file other users can read and
// returns a warning when the system cannot tell who can read it.
func checkPasswordsFile(path string, st fs.FileInfo) (warning string, err error) {
	problem, warning := fileReadersProblem(path, st)
	if problem != "" {
		return "", usagef("--passwords %s %s: it holds passwords; %s, and try again", path, problem, privateFileFix(path))
	}
	if warning != "" {
		warning = fmt.Sprintf("--passwords %s: %s; make sure nobody else can read it", path, warning)
	}
	return warning, nil
}

// modeProblem says why a Unix mode lets others read the file, "" when it
// does not: any bit for group or others counts (a group-writable file
// can be replaced by one that leaks).
func modeProblem(mode fs.FileMode) string {
	if mode.Perm()&0o077 != 0 {
		return fmt.Sprintf("can be read by other users (mode %v)", mode.Perm())
	}
	return ""
}

// Well-known Windows SIDs that may read a private file: the system
// itself and the machine's administrators, who can take any file anyway.
// OWNER RIGHTS stands for the owner.
const (
	sidLocalSystem    = "S-1-5-18"
	sidAdministrators = "S-1-5-32-544"
	sidOwnerRights    = "S-1-3-4"
	sidCreatorOwner   = "S-1-3-0"
)

// Access-mask bits that let a trustee read a file's content:
// FILE_READ_DATA, GENERIC_ALL, GENERIC_READ (generic rights can remain
// unmapped in an ACE), and MAXIMUM_ALLOWED.
const readMask = 0x1 | 0x10000000 | 0x80000000 | 0x02000000

// aceKind is what an access-control entry does.
type aceKind int

const (
	aceAllow aceKind = iota
	aceDeny
	aceOther // audit, alarm and other entries that grant nothing
)

// accessEntry is one entry of a file's DACL, as the Windows shim reads it.
type accessEntry struct {
	SID         string // S-1-5-32-545
	Name        string // BUILTIN\Users, for messages ("" when unknown)
	Kind        aceKind
	Mask        uint32
	InheritOnly bool // applies to children only, not to the file
}

// fileACL is what Windows says about who can read a file.
type fileACL struct {
	// Persistent: the volume keeps permissions (NTFS, ReFS); FAT, exFAT
	// and some network shares do not.
	Persistent bool
	Owner      string // the owner's SID
	// NullDACL: the file has no DACL at all, so everyone may do anything.
	NullDACL bool
	Entries  []accessEntry
}

// aclProblem says who besides the owner, SYSTEM and Administrators can
// read the file, "" when nobody can. Deny entries are not weighed against
// allow entries: a grant that a deny entry happens to cancel is still
// refused, which errs on the safe side.
func aclProblem(acl fileACL) string {
	if acl.NullDACL {
		return "can be read by everyone (it has no access list)"
	}
	var readers []string
	for _, e := range acl.Entries {
		if e.Kind != aceAllow || e.InheritOnly || e.Mask&readMask == 0 {
			continue
		}
		switch e.SID {
		case acl.Owner, sidLocalSystem, sidAdministrators, sidOwnerRights, sidCreatorOwner:
			continue
		}
		who := e.Name
		if who == "" {
			who = e.SID
		}
		if !slices.Contains(readers, who) {
			readers = append(readers, who)
		}
	}
	if len(readers) == 0 {
		return ""
	}
	return "can be read by " + strings.Join(readers, ", ")
}

// aclCheck decides on a file's readers from what Windows said: a
// problem to refuse the file for, or a warning when it cannot be told
// (readErr: the permissions could not be read).
func aclCheck(acl fileACL, readErr error) (problem, warning string) {
	switch {
	case readErr != nil:
		return "", fmt.Sprintf("cannot check who can read it (%v)", readErr)
	case !acl.Persistent:
		return "", "cannot check who can read it: its drive keeps no permissions (FAT, exFAT or a network share), so anyone using this computer may"
	}
	return aclProblem(acl), ""
}

// privateFileFix says how to let only the owner read path, on this system.
func privateFileFix(path string) string {
	return privateFileFixFor(runtime.GOOS, path)
}

func privateFileFixFor(goos, path string) string {
	if goos == "windows" {
		return fmt.Sprintf("let only yourself read it: icacls \"%s\" /inheritance:r /grant:r \"%%USERNAME%%:F\" (in PowerShell: \"${env:USERNAME}:F\")", path)
	}
	return fmt.Sprintf("run `chmod 600 %s`", path)
}
