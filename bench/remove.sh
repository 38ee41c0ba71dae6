#!/bin/sh
# remove.sh: what `miacct remove` does on the reference phone (miui14-en),
# written the way people script it: one `adb shell` (or `adb exec-out`)
# per device command, the same commands in the same order, taps at the
# coordinates miacct found. It reads the screens (the dumps) as miacct
# does, but cannot look at them: it only works on a phone laid out
# exactly like the reference one.
#
# The benchmark driver (bench/cmd/miacct-bench) runs it beside miacct
# against the same kind of fake phone and checks the phone received the
# same commands from both; a change to the flow that this script does not
# follow shows up there as "differs at command N".
#
# Environment:
#   ADB            the adb command, e.g. "adb -P 15037" (default adb)
#   SERIAL         the device, e.g. 127.0.0.1:40123
#   TYPE_PASSWORD  the `input text` commands that type the password,
#                  escaped for the phone's shell and `input text` (the
#                  driver computes them with adb.EncodeText)
set -eu
: "${SERIAL:?set SERIAL}"
: "${TYPE_PASSWORD:?set TYPE_PASSWORD}"
ADB=${ADB:-adb}

sh_() { $ADB -s "$SERIAL" shell "$1"; }
# One argument: adb exec-out quotes the arguments after the first.
dump() { $ADB -s "$SERIAL" exec-out 'uiautomator dump /dev/tty' >/dev/null; }

# preflight: read the phone, wake it, keep it awake while plugged in
sh_ getprop >/dev/null
sh_ 'dumpsys account; echo :miacct-section:; dumpsys power; echo :miacct-section:; dumpsys window; echo :miacct-section:; settings get global stay_on_while_plugged_in' >/dev/null
sh_ 'input keyevent 224'
sh_ 'svc power stayon usb'

# open-settings
sh_ 'am start -a android.settings.SETTINGS' >/dev/null
dump

# open-account (the account page is drawn one dump late)
sh_ 'am start -a android.settings.XIAOMI_ACCOUNT_SYNC_SETTINGS' >/dev/null
dump
dump

# sign-out
sh_ 'input tap 540 2240'
dump

# remove-data: Remove, then OK
sh_ 'input tap 770 2241'
dump
sh_ 'input tap 770 2241'
dump

# enter-password: type it, OK
sh_ "$TYPE_PASSWORD && input tap 770 1361"
dump

# reboot, and wait for the new boot to complete
old=$(sh_ 'cat /proc/sys/kernel/random/boot_id')
$ADB -s "$SERIAL" reboot
tries=0
until $ADB -s "$SERIAL" wait-for-device &&
	sh_ "while [ \"\$(getprop sys.boot_completed)\" != 1 ] || [ \"\$(cat /proc/sys/kernel/random/boot_id)\" = $old ]; do sleep 1; done"; do
	tries=$((tries + 1))
	[ "$tries" -lt 8 ] || exit 1
done

# verify
sh_ 'dumpsys account' >/dev/null
sh_ 'input keyevent 224'
sh_ 'am start -a android.settings.SETTINGS' >/dev/null
dump

# put the stay-awake setting back
sh_ 'settings put global stay_on_while_plugged_in 0'
