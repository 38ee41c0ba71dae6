#!/bin/sh
# remove.sh: `miacct remove` replayed with the adb command-line tool: the
# device commands miacct sent to the reference phone (miui14-en), in the
# same order, one `adb shell` / `adb exec-out` / `adb reboot` each, the
# way people script a phone by hand. The benchmark driver
# (bench/cmd/miacct-bench, group 2) records what `miacct remove` sent,
# writes it to $CMDS, runs this script against a fresh phone of the same
# fixture and checks the phone received exactly the same commands from
# both. The script cannot look at what it reads: it works only on a phone
# that answers exactly as the reference one did.
#
# Environment:
#   ADB            the adb command, e.g. "adb -P 15037" (default adb)
#   SERIAL         the device, e.g. 127.0.0.1:40123
#   CMDS           the commands, one a line: KIND BASE64 (KIND is shell,
#                  exec or reboot; BASE64 the command line, base64)
#   TYPE_PASSWORD  the `input text` commands that type the password; the
#                  commands file holds @TYPE_PASSWORD@ in their place
set -u
: "${SERIAL:?set SERIAL}"
: "${CMDS:?set CMDS}"
: "${TYPE_PASSWORD:?set TYPE_PASSWORD}"
ADB=${ADB:-adb}
mark=@TYPE_PASSWORD@

# adb reads its standard input: every adb below gets /dev/null, not $CMDS.
while read -r kind b64; do
	cmd=$(printf '%s' "$b64" | base64 -d) || exit 1
	case $cmd in
	*"$mark"*) cmd="${cmd%%"$mark"*}$TYPE_PASSWORD${cmd#*"$mark"}" ;;
	esac
	case $kind in
	shell) $ADB -s "$SERIAL" shell "$cmd" </dev/null >/dev/null 2>&1 ;;
	# One argument: adb exec-out quotes the arguments after the first.
	exec) $ADB -s "$SERIAL" exec-out "$cmd" </dev/null >/dev/null 2>&1 ;;
	reboot)
		$ADB -s "$SERIAL" reboot </dev/null || exit 1
		$ADB -s "$SERIAL" wait-for-device </dev/null || exit 1
		;;
	*) echo "remove.sh: unknown kind $kind" >&2; exit 1 ;;
	esac
done <"$CMDS"
