//go:build windows

package main

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"unsafe"

	"golang.org/x/sys/windows"
)

// fileReadersProblem reads who can read a file from its DACL: Windows
// reports every file as mode 0666 or 0444, which says nothing about other
// users.
func fileReadersProblem(path string, _ fs.FileInfo) (problem, warning string) {
	acl, err := readFileACL(path)
	return aclCheck(acl, err)
}

// readFileACL reads the file's owner and DACL, and whether its volume
// keeps permissions at all.
func readFileACL(path string) (fileACL, error) {
	var acl fileACL
	abs, err := filepath.Abs(path)
	if err != nil {
		return acl, err
	}
	if acl.Persistent, err = volumeKeepsACLs(abs); err != nil {
		return acl, fmt.Errorf("read its drive's file system: %w", err)
	}
	if !acl.Persistent {
		return acl, nil
	}
	sd, err := windows.GetNamedSecurityInfo(abs, windows.SE_FILE_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return acl, fmt.Errorf("read its permissions: %w", err)
	}
	owner, _, err := sd.Owner()
	if err != nil {
		return acl, fmt.Errorf("read its owner: %w", err)
	}
	acl.Owner = owner.String()
	dacl, _, err := sd.DACL()
	if errors.Is(err, windows.ERROR_OBJECT_NOT_FOUND) || (err == nil && dacl == nil) {
		acl.NullDACL = true
		return acl, nil
	}
	if err != nil {
		return acl, fmt.Errorf("read its access list: %w", err)
	}
	for i := range uint32(dacl.AceCount) {
		var ace *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(dacl, i, &ace); err != nil {
			return acl, fmt.Errorf("read its access list: %w", err)
		}
		acl.Entries = append(acl.Entries, accessEntryOf(ace))
	}
	return acl, nil
}

// ACE types whose SID follows the mask directly (ACCESS_ALLOWED_ACE's
// layout), and the object ACEs whose SID sits behind GUIDs.
const (
	aceTypeAllowed               = 0x0
	aceTypeDenied                = 0x1
	aceTypeAllowedObject         = 0x5
	aceTypeDeniedObject          = 0x6
	aceTypeAllowedCallback       = 0x9
	aceTypeDeniedCallback        = 0xA
	aceTypeAllowedCallbackObject = 0xB
	aceTypeDeniedCallbackObject  = 0xC
)

func accessEntryOf(ace *windows.ACCESS_ALLOWED_ACE) accessEntry {
	e := accessEntry{
		Mask:        uint32(ace.Mask),
		InheritOnly: ace.Header.AceFlags&windows.INHERIT_ONLY_ACE != 0,
		Kind:        aceOther,
	}
	switch ace.Header.AceType {
	case aceTypeAllowed, aceTypeAllowedCallback:
		e.Kind = aceAllow
	case aceTypeDenied, aceTypeDeniedCallback:
		e.Kind = aceDeny
	case aceTypeAllowedObject, aceTypeAllowedCallbackObject:
		// Not found on files; its trustee is not read, so it counts as
		// someone else.
		e.Kind, e.SID = aceAllow, "an object access entry"
		return e
	case aceTypeDeniedObject, aceTypeDeniedCallbackObject:
		e.Kind = aceDeny
		return e
	default:
		return e
	}
	sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
	e.SID = sid.String()
	if account, domain, _, err := sid.LookupAccount(""); err == nil {
		e.Name = account
		if domain != "" {
			e.Name = domain + `\` + account
		}
	}
	return e
}

// volumeKeepsACLs reports whether the volume holding path keeps
// permissions (NTFS and ReFS do; FAT and exFAT do not).
func volumeKeepsACLs(path string) (bool, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return false, err
	}
	root := make([]uint16, len(path)+windows.MAX_PATH)
	if err := windows.GetVolumePathName(p, &root[0], uint32(len(root))); err != nil {
		return false, err
	}
	var flags uint32
	if err := windows.GetVolumeInformation(&root[0], nil, 0, nil, nil, &flags, nil, 0); err != nil {
		return false, err
	}
	return flags&windows.FILE_PERSISTENT_ACLS != 0, nil
}
