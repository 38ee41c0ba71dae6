package phone

import (
	"strings"

	"github.com/miacct/miacct/adb/fake/fixture"
)

// What ties the phone to its owner besides its accounts, as the shell
// tools report it: Xiaomi's Find device provider (`content query`), the
// lock credential (`dumpsys lock_settings`) and device management
// (`dumpsys device_policy`). The fixture's security section says what
// they hold.

// findDeviceAuthority is the content provider of Xiaomi's Find device
// app; its path isOpen answers one row, isOpen=1 or 0.
const findDeviceAuthority = "com.xiaomi.finddevice.provider"

// initialFindDeviceLocked is Find device at boot: the fixture's, else on
// exactly when a Xiaomi account is signed in.
func (p *Phone) initialFindDeviceLocked() string {
	if p.fx.Security != nil && p.fx.Security.FindDevice != "" {
		return p.fx.Security.FindDevice
	}
	if p.signedInLocked() {
		return fixture.FindDeviceOn
	}
	return fixture.FindDeviceOff
}

// screenLockLocked is the lock credential: the fixture's, else a PIN
// when the phone shows a secure lock screen.
func (p *Phone) screenLockLocked() string {
	if p.fx.Security != nil && p.fx.Security.ScreenLock != "" {
		return p.fx.Security.ScreenLock
	}
	if p.cfg.locked {
		return fixture.ScreenLockPIN
	}
	return fixture.ScreenLockNone
}

// content query --uri URI [--projection ...] (the other verbs refuse).
func (c *call) content() int {
	args := c.args[1:]
	if len(args) == 0 || args[0] != "query" {
		c.errorf("usage: adb shell content [subcommand] [options]\n\nusage: adb shell content query --uri <URI> [--user <USER_ID>] [--projection <PROJECTION>] [--where <WHERE>] [--sort <SORT_ORDER>]\n")
		return 1
	}
	uri := ""
	for i := 1; i+1 < len(args); i++ {
		if args[i] == "--uri" {
			uri = args[i+1]
		}
	}
	authority, path, _ := strings.Cut(strings.TrimPrefix(uri, "content://"), "/")
	if !strings.HasPrefix(uri, "content://") || authority != findDeviceAuthority {
		c.errorf("Error while accessing provider:%s\njava.lang.IllegalArgumentException: Unknown authority %s\n", authority, authority)
		return 1
	}
	p := c.p
	p.mu.Lock()
	state := p.findDevice
	p.mu.Unlock()
	if state == fixture.FindDeviceDenied {
		c.errorf("Error while accessing provider:%s\njava.lang.SecurityException: Permission Denial: opening provider com.xiaomi.finddevice.v2.FindDeviceStatusManagerProvider from (null) (pid=%d, uid=2000) that is not exported from UID 1000\n", authority, shellPIDBase)
		return 1
	}
	switch path {
	case "isOpen", "isLastStatusOpen":
		v := 0
		if state == fixture.FindDeviceOn {
			v = 1
		}
		c.printf("Row: 0 %s=%d\n", path, v)
	case "isLocked", "isLastStatusLocked":
		c.printf("Row: 0 %s=0\n", path)
	default:
		c.printf("No result found.\n")
	}
	return 0
}

// dumpsysLockSettings prints the lock credential as Android 12 and later
// do ("CredentialType: PIN"; LockSettingsService.dump).
func (c *call) dumpsysLockSettings() {
	kind := map[string]string{
		fixture.ScreenLockNone: "NONE", fixture.ScreenLockPIN: "PIN",
		fixture.ScreenLockPattern: "PATTERN", fixture.ScreenLockPassword: "PASSWORD",
	}[c.p.screenLockLocked()]
	c.printf("Current lock settings service state:\n\nUser State:\n  User 0\n")
	c.printf("    SP Handle: 5b4c1f2e3d4a6978\n    Last changed: 2024-03-02 10:11:12 (0)\n")
	c.printf("    SID: 0\n    Quality: 0\n    CredentialType: %s\n    SeparateChallenge: false\n    Metrics: known\n\n", kind)
}

// dumpsysDevicePolicy prints the owners as DevicePolicyManagerService
// does (Owners.dump: "Device Owner:", "Profile Owner (User N):").
func (c *call) dumpsysDevicePolicy() {
	c.printf("Current Device Policy Manager state:\n  Immutable state:\n    mHasFeature=true\n    mIsWatch=false\n    mIsAutomotive=false\n    mHasTelephonyFeature=true\n    mSafetyChecker=null\n")
	sec := c.p.fx.Security
	if sec != nil && sec.DeviceOwner != "" {
		pkg, _, _ := strings.Cut(sec.DeviceOwner, "/")
		c.printf("  Device Owner: \n    admin=ComponentInfo{%s}\n    name=\n    package=%s\n    isOrganizationOwnedDevice=true\n    User ID: 0\n\n", fullComponent(sec.DeviceOwner), pkg)
	}
	if sec != nil {
		for _, po := range sec.ProfileOwners {
			pkg, _, _ := strings.Cut(po.Admin, "/")
			c.printf("  Profile Owner (User %d): \n    admin=ComponentInfo{%s}\n    name=\n    package=%s\n    isOrganizationOwnedDevice=false\n\n", po.User, fullComponent(po.Admin), pkg)
		}
	}
	c.printf("  Enabled Device Admins (User 0, provisioningState: 3):\n")
}

// fullComponent spells pkg/.Class as pkg/pkg.Class, as ComponentInfo does.
func fullComponent(comp string) string {
	pkg, cls, ok := strings.Cut(comp, "/")
	if ok && strings.HasPrefix(cls, ".") {
		cls = pkg + cls
	}
	return pkg + "/" + cls
}
