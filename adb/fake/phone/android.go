package phone

import (
	"fmt"
	"hash/fnv"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/miacct/miacct/adb/androidcmd"
	"github.com/miacct/miacct/adb/fake"
	"github.com/miacct/miacct/adb/fake/fixture"
)

// The Android commands of the phone's shell. Each is a method on call
// returning the exit status; they print what the real tools print.

type commandFunc func(*call) int

// lookupCommand finds a phone command by name; nil when the phone has
// none ("not found").
func lookupCommand(name string) commandFunc {
	switch name {
	case "getprop":
		return (*call).getprop
	case "setprop":
		return (*call).setprop
	case "uiautomator":
		return (*call).uiautomator
	case "input":
		return (*call).input
	case "am":
		return (*call).am
	case "dumpsys":
		return (*call).dumpsys
	case "screencap":
		return (*call).screencap
	case "settings":
		return (*call).settingsCmd
	case "svc":
		return (*call).svc
	case "pm":
		return (*call).pm
	case "cmd":
		return (*call).cmd
	case "wm":
		return (*call).wm
	case "cat":
		return (*call).cat
	case "ls":
		return (*call).ls
	case "rm":
		return (*call).rm
	case "mkdir":
		return (*call).mkdir
	case "echo":
		return (*call).echo
	case "sleep":
		return (*call).sleep
	case "reboot":
		return (*call).reboot
	case "id":
		return (*call).id
	case "whoami":
		return (*call).whoami
	case "grep":
		return (*call).grep
	case "sh":
		return (*call).sh
	case "content":
		return (*call).content
	case "true":
		return func(*call) int { return 0 }
	case "false":
		return func(*call) int { return 1 }
	}
	return nil
}

// propsLocked are the properties getprop shows now.
func (p *Phone) propsLocked() map[string]string {
	props := maps.Clone(p.props)
	props["sys.boot_completed"] = "1"
	props["dev.bootcomplete"] = "1"
	if !p.bootCompletedLocked() {
		props["sys.boot_completed"] = "0"
		delete(props, "dev.bootcomplete")
	}
	return props
}

// getprop [KEY [DEFAULT]]
func (c *call) getprop() int {
	c.p.mu.Lock()
	props := c.p.propsLocked()
	c.p.mu.Unlock()
	args := c.args[1:]
	if len(args) == 0 {
		for _, k := range slices.Sorted(maps.Keys(props)) {
			c.printf("[%s]: [%s]\n", k, props[k])
		}
		return 0
	}
	v, ok := props[args[0]]
	if !ok && len(args) > 1 {
		v = args[1]
	}
	c.printf("%s\n", v)
	return 0
}

// setprop KEY VALUE; read-only (ro.) properties cannot change once set.
func (c *call) setprop() int {
	if len(c.args) != 3 {
		c.errorf("usage: setprop NAME VALUE\n\nSets an Android system property.\n")
		return 1
	}
	key, value := c.args[1], c.args[2]
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	if _, set := c.p.props[key]; strings.HasPrefix(key, "ro.") && set || key == "sys.boot_completed" {
		c.errorf("Failed to set property '%s' to '%s'.\nSee dmesg for error reason.\n", key, value)
		return 1
	}
	c.p.props[key] = value
	return 0
}

// uiautomator dump [--compressed] [FILE]
func (c *call) uiautomator() int {
	args := c.args[1:]
	if len(args) == 0 || args[0] != "dump" {
		c.errorf("Usage: uiautomator <subcommand> [options]\n\nAvailable subcommands:\n\nhelp: displays help message\n\ndump: creates an XML dump of current UI hierarchy\n")
		return 1
	}
	file := "/sdcard/window_dump.xml"
	for _, a := range args[1:] {
		if !strings.HasPrefix(a, "-") {
			file = a
		}
	}
	p := c.p
	p.mu.Lock()
	xml, failure := p.dumpLocked(&c.owed)
	p.mu.Unlock()
	if failure != "" {
		c.printf("%s\n", failure)
		return 0
	}
	if file == "/dev/tty" || file == "/dev/stdout" {
		_, _ = c.stdout.Write(xml)
	} else {
		path := c.abs(file)
		if err := checkWritable(path); err != nil {
			c.errorf("ERROR: could not write %s: %s\n", file, fake.Strerror(err))
			return 1
		}
		if err := p.fsys.WriteFile(path, xml, 0o660, time.Time{}); err != nil {
			c.errorf("ERROR: could not write %s: %s\n", file, fake.Strerror(err))
			return 1
		}
	}
	c.printf("UI hierchary dumped to: %s\n", file)
	return 0
}

// dumpLocked produces one uiautomator dump: the XML, or the error line
// uiautomator prints instead.
func (p *Phone) dumpLocked(sleep *time.Duration) (xml []byte, failure string) {
	p.counters.Dumps++
	n := p.counters.Dumps
	cost := p.cfg.latency.Dump
	if p.ui.slowDump {
		cost += p.cfg.faults.SlowFirstDump
		p.ui.slowDump = false
	}
	*sleep += p.advanceLocked(cost)
	switch {
	case !p.awake:
		p.logf("dump %d: display asleep", n)
		return nil, "ERROR: null root node returned by UiTestAutomationBridge."
	case slices.Contains(p.cfg.faults.DumpIdleError, n):
		p.logf("dump %d: idle state error (fault)", n)
		return nil, "ERROR: could not get idle state."
	}
	var shown string
	switch {
	case p.locked && p.cfg.lockScreen != "":
		shown = p.cfg.lockScreen
		xml = p.renderLocked(shown).Marshal()
	case !p.appearedLocked() && p.ui.prev != nil:
		shown = "previous screen (" + p.ui.screen + " not drawn yet)"
		xml = p.ui.prev.Marshal()
	case p.ui.settleLeft > 0 && p.ui.prev != nil:
		p.ui.settleLeft--
		shown = "previous screen (settling)"
		xml = p.ui.prev.Marshal()
	case p.ui.idleLeft > 0:
		p.ui.idleLeft--
		p.logf("dump %d: idle state error (%s still animating)", n, p.ui.screen)
		return nil, "ERROR: could not get idle state."
	default:
		shown = p.ui.screen
		xml = p.renderLocked(shown).Marshal()
		defer func() {
			var res actionResult
			p.shownOnceLocked(&res)
			*sleep += res.sleep
		}()
	}
	if slices.Contains(p.cfg.faults.DumpTruncated, n) {
		xml = xml[:len(xml)/2]
		p.logf("dump %d: %s, truncated (fault)", n, shown)
	} else {
		p.logf("dump %d: %s", n, shown)
	}
	return xml, ""
}

// sameURI reports whether two data URIs name the same thing, as far as
// the fake cares: equal, or a hierarchical URI without a path and the
// same with "/" (https://host and https://host/).
func sameURI(a, b string) bool {
	withRoot := func(uri string) string {
		_, rest, ok := strings.Cut(uri, "://")
		if !ok || strings.ContainsAny(rest, "/?#") {
			return uri
		}
		return uri + "/"
	}
	return a == b || withRoot(a) == withRoot(b)
}

// am start|start-activity|force-stop ...
func (c *call) am() int {
	args := c.args[1:]
	if len(args) == 0 {
		c.errorf("Activity manager (activity) commands:\n  start [-W] [-S] <INTENT>\n  force-stop <PACKAGE>\n")
		return 1
	}
	switch args[0] {
	case "start", "start-activity":
		return c.amStart(args[1:])
	case "force-stop", "kill":
		return 0
	}
	c.errorf("Unknown command: %s\n", args[0])
	return 1
}

func (c *call) amStart(args []string) int {
	st, err := androidcmd.ParseAmStart(args)
	if err != nil {
		msg := err.Error() // am prints "Error: Unknown option: -x"
		c.errorf("Error: %s%s\n", strings.ToUpper(msg[:1]), msg[1:])
		return 1
	}
	in, wait, stop := st.Intent, st.Wait, st.Stop
	p := c.p
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counters.AmStarts++
	c.owed += p.advanceLocked(p.cfg.latency.AmStart)
	c.printf("Starting: %s\n", in)
	act, ok := p.resolveLocked(in)
	if !ok {
		p.logf("am start: unresolved intent")
		resolved := in
		if resolved.Flags == "" {
			resolved.Flags = "0x10000000"
		}
		c.errorf("Error: Activity not started, unable to resolve %s\n", resolved)
		return 1
	}
	res := &actionResult{}
	if act.Screen == p.ui.screen && !stop {
		c.printf("Warning: Activity not started, intent has been delivered to currently running top-most instance.\n")
		p.logf("am start: %s already on top", act.Screen)
	} else {
		p.switchLocked(act.Screen, "am start", res)
		p.ui.slowDump = true
	}
	c.owed += res.sleep
	if wait {
		// -W returns once the activity has drawn its first frame.
		drawn := max(p.ui.appearsAt-p.now, 0)
		c.owed += p.advanceLocked(drawn)
		comp := p.activityLocked(act.Screen)
		ms := (p.cfg.latency.AmStart + p.cfg.latency.Transition + drawn).Milliseconds()
		c.printf("Status: ok\nLaunchState: COLD\nActivity: %s\nTotalTime: %d\nWaitTime: %d\nComplete\n", androidcmd.FullComponent(comp), ms, ms)
	}
	return 0
}

// resolveLocked finds the fixture activity an intent starts: every field
// the activity gives must match, and its condition hold. An activity with
// a Package takes only intents limited to that package (by -p, am's
// positional package or the component); one without takes any, so the
// first matching entry decides.
func (p *Phone) resolveLocked(in androidcmd.Intent) (fixture.Activity, bool) {
	for _, a := range p.fx.Activities {
		if a.Component != "" && androidcmd.FullComponent(a.Component) != androidcmd.FullComponent(in.Component) {
			continue
		}
		if a.Component != "" && in.Package != "" && !strings.HasPrefix(a.Component, in.Package+"/") {
			continue
		}
		if a.Package != "" && a.Package != in.TargetPackage() {
			continue
		}
		if a.Action != "" && a.Action != in.Action {
			continue
		}
		if a.Data != "" && !sameURI(a.Data, in.Data) {
			continue
		}
		if a.When != "" && !p.holdsLocked(fixture.Condition(a.When), p.ui.screen) {
			continue
		}
		return a, true
	}
	return fixture.Activity{}, false
}

// activityLocked is the component shown for screen name: its Activity,
// else the package of its dump.
func (p *Phone) activityLocked(name string) string {
	if sc := p.fx.Screens[name]; sc != nil && sc.Activity != "" {
		return sc.Activity
	}
	if h := p.dumps[name]; h != nil && len(h.Roots) > 0 && h.Roots[0].Package != "" {
		return h.Roots[0].Package
	}
	return "com.android.launcher"
}

// windowLocked names the window screen name is drawn in: the screen it is
// a variant of (Settings scrolled is still Settings' window).
func (p *Phone) windowLocked(name string) string {
	return p.fx.Screens[name].Kind(name) + "/" + p.activityLocked(name)
}

// objectID is a stable fake identity hash for dumpsys records.
func objectID(s string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(s))
	return fmt.Sprintf("%07x", h.Sum32()&0xfffffff)
}

// dumpsys SERVICE [ARGS]
func (c *call) dumpsys() int {
	args := c.args[1:]
	if len(args) == 0 {
		c.printf("Currently running services:\n  account\n  activity\n  battery\n  power\n  window\n")
		return 0
	}
	p := c.p
	p.mu.Lock()
	defer p.mu.Unlock()
	switch args[0] {
	case "account":
		c.dumpsysAccount()
	case "window":
		c.dumpsysWindow()
	case "power":
		c.dumpsysPower()
	case "battery":
		c.dumpsysBattery()
	case "activity":
		c.dumpsysActivity()
	case "lock_settings":
		c.dumpsysLockSettings()
	case "device_policy":
		c.dumpsysDevicePolicy()
	default:
		c.errorf("Can't find service: %s\n", args[0])
		return 0
	}
	return 0
}

func (c *call) dumpsysAccount() {
	p := c.p
	c.printf("User UserInfo{0:Owner:c13}:\n")
	c.printf("  Accounts: %d\n", len(p.accounts))
	for _, a := range p.accounts {
		c.printf("    Account {name=%s, type=%s}\n", a.Name, a.Type)
	}
	c.printf("\n  Active Sessions: 0\n\n  RegisteredServicesCache: 2 services\n")
	c.printf("    ServiceInfo: AuthenticatorDescription {type=com.xiaomi}, ComponentInfo{com.xiaomi.account/com.xiaomi.passport.accountmanager.MiAuthenticatorService}, uid 10085\n")
	c.printf("    ServiceInfo: AuthenticatorDescription {type=com.google}, ComponentInfo{com.google.android.gms/com.google.android.gms.auth.account.authenticator.GoogleAccountAuthenticatorService}, uid 10120\n")
}

func (c *call) dumpsysWindow() {
	p := c.p
	shown := p.displayedScreenLocked()
	comp := androidcmd.FullComponent(p.activityLocked(shown))
	focus := comp
	// Every screen is a window of its own: a dialog has the title of its
	// activity but another window (another hash), and the focus moves to
	// it once it has appeared.
	window := objectID(p.windowLocked(shown) + "#window")
	if p.locked {
		focus = "NotificationShade"
		window = objectID(focus)
	}
	c.printf("WINDOW MANAGER POLICY STATE (dumpsys window policy)\n")
	c.printf("    mSafeMode=false mSystemReady=true mSystemBooted=%t\n", p.bootCompletedLocked())
	c.printf("    mAwake=%t\n", p.awake)
	c.printf("    mScreenOnEarly=%t mScreenOnFully=%t\n", p.awake, p.awake)
	c.printf("    mKeyguardDrawComplete=true mWindowManagerDrawComplete=true\n")
	c.printf("    mShowingLockscreen=%t mShowingDream=false mDreamingLockscreen=%t\n", p.locked, p.locked && !p.awake)
	c.printf("    isStatusBarKeyguard=%t\n", p.locked)
	c.printf("    mKeyguardShowing=%t\n", p.locked)
	c.printf("    mKeyguardDelegate\n      showing=%t\n      showingAndNotOccluded=%t\n      secure=%t\n", p.locked, p.locked, p.screenLockLocked() != fixture.ScreenLockNone)
	c.printf("\nWINDOW MANAGER DISPLAY CONTENTS (dumpsys window displays)\n")
	c.printf("  Display: mDisplayId=0 rootTasks=1\n")
	c.printf("    init=%dx%d %ddpi cur=%dx%d app=%dx%d\n", p.cfg.width, p.cfg.height, p.cfg.density, p.cfg.width, p.cfg.height, p.cfg.width, p.cfg.height)
	c.printf("\n  mCurrentFocus=Window{%s u0 %s}\n", window, focus)
	c.printf("  mFocusedApp=ActivityRecord{%s u0 %s t12}\n", objectID(comp+"#record"), androidcmd.ShortComponent(comp))
}

func (c *call) dumpsysPower() {
	p := c.p
	stayOn, _ := strconv.Atoi(p.settings["global"]["stay_on_while_plugged_in"])
	wake := "Asleep"
	if p.awake {
		wake = "Awake"
	}
	c.printf("POWER MANAGER (dumpsys power)\n\nPower Manager State:\n")
	c.printf("  mDirty=0x0\n  mWakefulness=%s\n  mWakefulnessChanging=false\n", wake)
	c.printf("  mIsPowered=true\n  mPlugType=2\n  mBatteryLevel=%d\n", p.cfg.battery.Level)
	c.printf("  mStayOn=%t\n", stayOn&2 != 0) // plugged in over USB
	c.printf("  mProximityPositive=false\n  mBootCompleted=%t\n  mSystemReady=true\n", p.bootCompletedLocked())
	c.printf("\nSettings and Configuration:\n")
	c.printf("  mStayOnWhilePluggedInSetting=%d\n", stayOn)
	c.printf("  mScreenOffTimeoutSetting=30000\n")
}

func (c *call) dumpsysBattery() {
	b := c.p.cfg.battery
	status := 4 // not charging
	if b.Charging {
		status = 2
	}
	c.printf("Current Battery Service state:\n")
	c.printf("  AC powered: false\n  USB powered: true\n  Wireless powered: false\n")
	c.printf("  Max charging current: 500000\n  Max charging voltage: 5000000\n")
	health := fixture.BatteryHealthCode(b.Health)
	if health == 0 {
		health = fixture.BatteryHealthCode("good")
	}
	c.printf("  status: %d\n  health: %d\n  present: true\n  level: %d\n  scale: 100\n", status, health, b.Level)
	c.printf("  voltage: 4120\n  temperature: 300\n  technology: Li-poly\n")
}

func (c *call) dumpsysActivity() {
	p := c.p
	comp := androidcmd.ShortComponent(p.activityLocked(p.ui.screen))
	record := fmt.Sprintf("ActivityRecord{%s u0 %s t12}", objectID(androidcmd.FullComponent(comp)+"#record"), comp)
	pkg, _, _ := strings.Cut(comp, "/")
	c.printf("ACTIVITY MANAGER ACTIVITIES (dumpsys activity activities)\n")
	c.printf("Display #0 (activities from top to bottom):\n")
	c.printf("  * Task{%s #12 type=standard A=10085:%s U=0 visible=%t mode=fullscreen sz=1}\n", objectID(pkg+"#task"), pkg, p.awake)
	c.printf("    * %s\n", record)
	c.printf("\n  ResumedActivity: %s\n", record)
	c.printf("  mResumedActivity: %s\n", record)
	c.printf("  mFocusedApp=%s\n", record)
}

// settingsNamespaces are the namespaces `settings` knows.
var settingsNamespaces = []string{"global", "secure", "system"}

// settings [--user U] get|put|delete|list NAMESPACE [KEY [VALUE]]
func (c *call) settingsCmd() int {
	args := c.args[1:]
	if len(args) > 1 && args[0] == "--user" {
		args = args[2:]
	}
	if len(args) < 2 {
		c.errorf("usage:  settings [--user <USER_ID> | current] get namespace key\n        settings [--user <USER_ID> | current] put namespace key value\n        settings [--user <USER_ID> | current] delete namespace key\n        settings [--user <USER_ID> | current] list namespace\n")
		return 1
	}
	verb, ns := args[0], args[1]
	if !slices.Contains(settingsNamespaces, ns) {
		c.errorf("Invalid namespace '%s'\n", ns)
		return 1
	}
	p := c.p
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case verb == "get" && len(args) == 3:
		v, ok := p.settings[ns][args[2]]
		if !ok {
			v = "null"
		}
		c.printf("%s\n", v)
	case verb == "put" && len(args) >= 4:
		if p.settings[ns] == nil {
			p.settings[ns] = map[string]string{}
		}
		p.settings[ns][args[2]] = args[3]
		p.logf("settings put %s %s", ns, args[2])
	case verb == "delete" && len(args) == 3:
		_, ok := p.settings[ns][args[2]]
		delete(p.settings[ns], args[2])
		c.printf("Deleted %d rows\n", map[bool]int{true: 1}[ok])
	case verb == "list" && len(args) == 2:
		for _, k := range slices.Sorted(maps.Keys(p.settings[ns])) {
			c.printf("%s=%s\n", k, p.settings[ns][k])
		}
	default:
		c.errorf("Invalid command: %s\n", verb)
		return 1
	}
	return 0
}

// stayOnValues are svc power stayon's arguments as the global setting
// stay_on_while_plugged_in (a mask of AC 1, USB 2, wireless 4).
var stayOnValues = map[string]string{"true": "7", "false": "0", "usb": "2", "ac": "1", "wireless": "4"}

// svc power stayon|reboot ...
func (c *call) svc() int {
	args := c.args[1:]
	if len(args) >= 2 && args[0] == "power" {
		switch args[1] {
		case "stayon":
			if len(args) == 3 {
				if v, ok := stayOnValues[args[2]]; ok {
					p := c.p
					p.mu.Lock()
					if p.settings["global"] == nil {
						p.settings["global"] = map[string]string{}
					}
					p.settings["global"]["stay_on_while_plugged_in"] = v
					p.mu.Unlock()
					p.logf("svc power stayon %s", args[2])
					return 0
				}
			}
			c.errorf("Control the power manager\n\nusage: svc power stayon [true|false|usb|ac|wireless]\n")
			return 1
		case "reboot":
			return c.rebootNow("svc power reboot")
		}
	}
	c.errorf("Available commands:\n    help     Show information about the subcommands\n    power    Control the power manager\n")
	return 1
}

// pm list packages [OPTIONS] [FILTER], pm path PACKAGE
func (c *call) pm() int {
	args := c.args[1:]
	pkgs := c.p.cfg.packages
	switch {
	case len(args) >= 2 && args[0] == "list" && args[1] == "packages":
		filter := ""
		rest := args[2:]
		for i := 0; i < len(rest); i++ {
			switch {
			case rest[i] == "--user":
				i++
			case strings.HasPrefix(rest[i], "-"):
			default:
				filter = rest[i]
			}
		}
		for _, name := range pkgs {
			if strings.Contains(name, filter) {
				c.printf("package:%s\n", name)
			}
		}
		return 0
	case len(args) == 2 && args[0] == "path":
		if slices.Contains(pkgs, args[1]) {
			c.printf("package:/data/app/%s-1/base.apk\n", args[1])
			return 0
		}
		return 1
	case len(args) >= 1 && args[0] == "resolve-activity":
		return c.resolveActivity(args[1:])
	}
	c.errorf("Error: unknown or unsupported pm command\n")
	return 1
}

// cmd SERVICE ARGS: of the services, the package manager's
// resolve-activity (cmd package is what pm runs).
func (c *call) cmd() int {
	args := c.args[1:]
	if len(args) == 0 {
		c.errorf("cmd: No service specified; use -l to list all services\n")
		return 20
	}
	if args[0] == "package" && len(args) >= 2 && args[1] == "resolve-activity" {
		return c.resolveActivity(args[2:])
	}
	if args[0] == "package" {
		c.errorf("Unknown command: %s\n", strings.Join(args[1:2], ""))
		return 255
	}
	c.errorf("cmd: Can't find service: %s\n", args[0])
	return 20
}

// resolveActivity is `cmd package resolve-activity [--brief] INTENT`:
// the activity `am start` would start for the intent (the fixture's
// activities, as am start resolves them, `when:` included), printed as
// PackageManagerShellCommand prints it, or "No activity found". Nothing
// starts.
func (c *call) resolveActivity(args []string) int {
	ra, err := androidcmd.ParseResolveActivity(args)
	if err != nil {
		msg := err.Error()
		c.errorf("Exception occurred while executing 'resolve-activity':\njava.lang.IllegalArgumentException: %s%s\n", strings.ToUpper(msg[:1]), msg[1:])
		return 255
	}
	p := c.p
	p.mu.Lock()
	act, ok := p.resolveLocked(ra.Intent)
	comp := act.Component
	if ok && comp == "" {
		comp = p.activityLocked(act.Screen)
	}
	p.mu.Unlock()
	if !ok {
		p.logf("resolve-activity: no activity")
		c.printf("No activity found\n")
		return 0
	}
	p.logf("resolve-activity: %s", act.Screen)
	if ra.Brief {
		c.printf("priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 isDefault=true\n")
	}
	c.printf("%s\n", androidcmd.ShortComponent(comp))
	return 0
}

// wm size|density
func (c *call) wm() int {
	args := c.args[1:]
	switch {
	case len(args) == 1 && args[0] == "size":
		c.printf("Physical size: %dx%d\n", c.p.cfg.width, c.p.cfg.height)
		return 0
	case len(args) == 1 && args[0] == "density":
		c.printf("Physical density: %d\n", c.p.cfg.density)
		return 0
	}
	c.errorf("usage: wm [size|density]\n")
	return 1
}

// echo [-n] ARGS (the /system/bin one; the shell has its own builtin).
func (c *call) echo() int {
	args := c.args[1:]
	newline := "\n"
	if len(args) > 0 && args[0] == "-n" {
		args, newline = args[1:], ""
	}
	c.printf("%s%s", strings.Join(args, " "), newline)
	return 0
}

// sleep SECONDS: moves the simulated clock; never sleeps for real
// unless Realtime is set.
func (c *call) sleep() int {
	if len(c.args) != 2 {
		c.errorf("sleep: Needs 1 argument\n")
		return 1
	}
	arg := c.args[1]
	unit := time.Second
	switch {
	case strings.HasSuffix(arg, "s"):
		arg = strings.TrimSuffix(arg, "s")
	case strings.HasSuffix(arg, "m"):
		arg, unit = strings.TrimSuffix(arg, "m"), time.Minute
	}
	secs, err := strconv.ParseFloat(arg, 64)
	if err != nil || secs < 0 {
		c.errorf("sleep: invalid number '%s'\n", c.args[1])
		return 1
	}
	c.p.mu.Lock()
	c.owed += c.p.advanceLocked(time.Duration(secs * float64(unit)))
	c.p.mu.Unlock()
	return 0
}

// reboot [REASON]
func (c *call) reboot() int {
	return c.rebootNow("reboot command")
}

func (c *call) rebootNow(why string) int {
	c.p.mu.Lock()
	c.p.rebootLocked(why)
	c.p.mu.Unlock()
	c.s.setStop(errReboot)
	return 0
}

func (c *call) id() int {
	c.printf("uid=2000(shell) gid=2000(shell) groups=2000(shell),1004(input),1007(log),1011(adb),1015(sdcard_rw),1028(sdcard_r),1078(ext_data_rw),1079(ext_obb_rw),3001(net_bt_admin),3002(net_bt),3003(inet),3006(net_bw_stats),3009(readproc),3011(uhid),3012(readtracefs) context=u:r:shell:s0\n")
	return 0
}

func (c *call) whoami() int {
	c.printf("shell\n")
	return 0
}

// grep [-iqvcFEw] [-e] PATTERN [FILE...], enough for `dumpsys ... | grep`.
func (c *call) grep() int {
	var ignoreCase, quiet, invert, count, fixed, word bool
	var pattern string
	havePattern := false
	var files []string
	args := c.args[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-e" && i+1 < len(args):
			pattern, havePattern = args[i+1], true
			i++
		case strings.HasPrefix(a, "-") && len(a) > 1 && !havePattern:
			for _, f := range a[1:] {
				switch f {
				case 'i':
					ignoreCase = true
				case 'q':
					quiet = true
				case 'v':
					invert = true
				case 'c':
					count = true
				case 'F':
					fixed = true
				case 'w':
					word = true
				case 'E':
				default:
					c.errorf("grep: Unknown option '%c'\n", f)
					return 2
				}
			}
		case !havePattern:
			pattern, havePattern = a, true
		default:
			files = append(files, a)
		}
	}
	if !havePattern {
		c.errorf("grep: Need 1 argument\n")
		return 2
	}
	expr := pattern
	if fixed {
		expr = regexp.QuoteMeta(pattern)
	}
	if word {
		expr = `\b(?:` + expr + `)\b`
	}
	if ignoreCase {
		expr = "(?i)" + expr
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		c.errorf("grep: bad regex '%s'\n", pattern)
		return 2
	}
	var inputs [][]byte
	if len(files) == 0 {
		data, _ := io.ReadAll(c.stdin)
		inputs = append(inputs, data)
	}
	code := 0
	for _, f := range files {
		data, err := c.p.fsys.ReadFile(c.abs(f))
		if err != nil {
			c.errorf("grep: %s: %s\n", f, fake.Strerror(err))
			code = 2
			continue
		}
		inputs = append(inputs, data)
	}
	matches := 0
	for _, data := range inputs {
		text := strings.TrimSuffix(string(data), "\n")
		if text == "" && len(data) == 0 {
			continue
		}
		for _, line := range strings.Split(text, "\n") {
			if re.MatchString(line) == invert {
				continue
			}
			matches++
			if !quiet && !count {
				c.printf("%s\n", line)
			}
		}
	}
	if count && !quiet {
		c.printf("%d\n", matches)
	}
	if code != 0 {
		return code
	}
	if matches == 0 {
		return 1
	}
	return 0
}
