package phone

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miacct/miacct/adb/fake/fixture"
)

func TestShellLanguage(t *testing.T) {
	p := newTestPhone(t)
	cases := []struct{ cmd, want string }{
		{`echo hello world`, "hello world\n"},
		{`echo 'single $x' "double $((1+2))"`, "single $x double 3\n"},
		{`false; echo $?`, "1\n"},
		{`true && echo and || echo or`, "and\n"},
		{`false && echo and || echo or`, "or\n"},
		{`x=$(getprop ro.product.brand); echo "[$x]"`, "[Redmi]\n"},
		{`if [ "$(getprop sys.boot_completed)" = 1 ]; then echo up; else echo down; fi`, "up\n"},
		{`i=0; while test $i -lt 3; do printf '%d,' $i; i=$((i+1)); done; echo`, "0,1,2,\n"},
		{`getprop | grep ro.product.model`, "[ro.product.model]: [Redmi Note 12]\n"},
		{`dumpsys window | grep -c mCurrentFocus`, "1\n"},
		{`echo one >/sdcard/a.txt; echo two >>/sdcard/a.txt; cat /sdcard/a.txt`, "one\ntwo\n"},
		{`cat </sdcard/Download/note.txt`, "hello from the phone\n"},
		{`nosuchcmd 2>/dev/null; echo $?`, "127\n"},
		{`nosuchcmd`, "/system/bin/sh: nosuchcmd: not found\n"},
		{`echo err >&2`, "err\n"},
		{`sh -c 'echo nested $1' x; echo $?`, "nested\n0\n"},
		{`/system/bin/getprop ro.product.device`, "tapas\n"},
		{`echo $HOME $USER $TMPDIR ~ ~root`, "/ shell /data/local/tmp / /\n"},
		{`id`, "uid=2000(shell) gid=2000(shell) groups=2000(shell),1004(input),1007(log),1011(adb),1015(sdcard_rw),1028(sdcard_r),1078(ext_data_rw),1079(ext_obb_rw),3001(net_bt_admin),3002(net_bt),3003(inet),3006(net_bw_stats),3009(readproc),3011(uhid),3012(readtracefs) context=u:r:shell:s0\n"},
		{`whoami`, "shell\n"},
		{`command -v input; command -v nosuch; type echo`, "/system/bin/input\necho is a shell builtin\n"},
	}
	for _, c := range cases {
		if got := sh(t, p, c.cmd); got != c.want {
			t.Errorf("%s\n got %q\nwant %q", c.cmd, got, c.want)
		}
	}
}

func TestShellSyntaxError(t *testing.T) {
	p := newTestPhone(t)
	out, code := shExit(t, p, "true")
	if out != "" || code != 0 {
		t.Fatalf("true: %q %d", out, code)
	}
	got := sh(t, p, "echo 'unterminated")
	if !strings.HasPrefix(got, "/system/bin/sh: syntax error: ") {
		t.Errorf("syntax error printed %q", got)
	}
}

func TestShellNeverTouchesTheHost(t *testing.T) {
	p := newTestPhone(t)
	host, _ := os.Hostname()
	cases := []struct{ cmd, want string }{
		{`cat /etc/passwd`, "cat: /etc/passwd: No such file or directory\n"},
		{`/bin/ls /`, "data\nproc\nsdcard\n"},
		{`ls`, "data\nproc\nsdcard\n"},
		{`echo /*`, "/data /proc /sdcard\n"},
		{`cd /tmp 2>/dev/null; echo $?`, "1\n"},
		{`cd /sdcard && pwd -P && ls`, "/sdcard\nDownload\n"},
		{`[ -e /etc/hostname ] && echo yes || echo no`, "no\n"},
		{`/usr/bin/env`, "/system/bin/sh: /usr/bin/env: inaccessible or not found\n"},
		{`env`, "/system/bin/sh: env: not found\n"},
		{`exec bash -c id`, "/system/bin/sh: bash: not found\n"},
		{`echo $GOPATH$GOROOT$PWD`, "/\n"},
		{`echo hi > /etc/x; cat /etc/x`, ""},
	}
	for _, c := range cases {
		got := sh(t, p, c.cmd)
		if c.cmd == `echo hi > /etc/x; cat /etc/x` {
			if strings.Contains(got, "hi\n") || !strings.Contains(got, "No such file or directory") {
				t.Errorf("%s: %q", c.cmd, got)
			}
			continue
		}
		if got != c.want {
			t.Errorf("%s\n got %q\nwant %q", c.cmd, got, c.want)
		}
	}
	if pid := sh(t, newTestPhone(t), "echo $$ ${PPID}; eval 'echo $$'"); pid != "20001 1042\n20001\n" || strings.Contains(pid, strconv.Itoa(os.Getpid())) {
		t.Errorf("$$ $PPID = %q (host pid %d)", pid, os.Getpid())
	}
	if host != "" && strings.Contains(sh(t, p, "echo $HOSTNAME"), host) {
		t.Error("the host name leaked")
	}
	if _, err := os.Stat("/sdcard/a.txt"); err == nil {
		t.Fatal("test precondition: host has /sdcard/a.txt")
	}
	sh(t, p, "echo x > /sdcard/a.txt")
	if _, err := os.Stat("/sdcard/a.txt"); err == nil {
		t.Error("a redirection wrote to the host")
	}
}

func TestFileCommands(t *testing.T) {
	p := newTestPhone(t)
	cases := []struct{ cmd, want string }{
		{`mkdir /sdcard/x/y; echo $?`, "mkdir: '/sdcard/x/y': No such file or directory\n1\n"},
		{`mkdir -p /sdcard/x/y && ls /sdcard/x`, "y\n"},
		{`echo 1 > /sdcard/x/y/f; rm /sdcard/x; echo $?`, "rm: /sdcard/x: Is a directory\n1\n"},
		{`rm -r /sdcard/x && ls /sdcard`, "Download\n"},
		{`rm /sdcard/nope; echo $?; rm -f /sdcard/nope; echo $?`, "rm: /sdcard/nope: No such file or directory\n1\n0\n"},
		{`rm /system/bin/sh; echo $?`, "rm: /system/bin/sh: No such file or directory\n1\n"},
		{`ls /nope`, "ls: /nope: No such file or directory\n"},
	}
	for _, c := range cases {
		if got := sh(t, p, c.cmd); got != c.want {
			t.Errorf("%s\n got %q\nwant %q", c.cmd, got, c.want)
		}
	}
}

func TestShellV2AndExec(t *testing.T) {
	p := newTestPhone(t)
	out, err := serve(t, p, "shell,v2,raw:echo out; echo err >&2; exit 3")
	if err != nil {
		t.Fatal(err)
	}
	streams := map[byte]string{}
	var order []byte
	b := []byte(out)
	for len(b) >= 5 {
		n := binary.LittleEndian.Uint32(b[1:5])
		streams[b[0]] += string(b[5 : 5+n])
		if len(order) == 0 || order[len(order)-1] != b[0] {
			order = append(order, b[0])
		}
		b = b[5+n:]
	}
	if len(b) != 0 || streams[1] != "out\n" || streams[2] != "err\n" || streams[3] != "\x03" || string(order) != "\x01\x02\x03" {
		t.Errorf("v2 packets: streams %q in order %v, %d bytes left", streams, order, len(b))
	}
	if out, _ := serve(t, p, "exec:getprop ro.product.brand"); out != "Redmi\n" {
		t.Errorf("exec: getprop = %q", out)
	}
	if c := p.Counters(); c.Shell != 1 || c.Exec != 1 {
		t.Errorf("counters = %+v", c)
	}
}

func TestRecordedCommands(t *testing.T) {
	p := newTestPhone(t, func(fx *fixture.Fixture) {
		fx.Commands = []fixture.Command{
			{Service: "shell", Cmd: "getprop  ro.vendor.special", Outputs: []fixture.Output{
				{Stdout: "first\n", Duration: 2 * time.Second},
				{Stdout: "second\n", Exit: 3},
			}},
			{Service: "exec", Cmd: "frobnicate --all", Outputs: []fixture.Output{{Stdout: "frobnicated\n"}}},
			{Service: "shell", Cmd: "weird 'unterminated", Outputs: []fixture.Output{{Stdout: "raw match\n"}}},
		}
	})
	t0 := p.Elapsed()
	out, code := shExit(t, p, "getprop ro.vendor.special")
	if out != "first\n" || code != 0 {
		t.Errorf("first answer: %q exit %d", out, code)
	}
	if d := p.Elapsed() - t0; d != 2*time.Second+30*time.Millisecond {
		t.Errorf("recorded duration moved the clock by %s", d)
	}
	for range 2 {
		out, code = shExit(t, p, "getprop 'ro.vendor.special'")
		if out != "second\n" || code != 3 {
			t.Errorf("later answer: %q exit %d", out, code)
		}
	}
	if got, _ := serve(t, p, "exec:frobnicate --all"); got != "frobnicated\n" {
		t.Errorf("exec recording: %q", got)
	}
	if got := sh(t, p, "frobnicate --all"); got != "/system/bin/sh: frobnicate: not found\n" {
		t.Errorf("an exec recording answered a shell call: %q", got)
	}
	if got := sh(t, p, "weird 'unterminated"); got != "raw match\n" {
		t.Errorf("raw text recording: %q", got)
	}
	u := p.Unrecorded()
	if len(u) != 1 || u[0] != "unrecorded command frobnicate" {
		t.Errorf("Unrecorded = %q", u)
	}
}

func TestHangEndsWithContext(t *testing.T) {
	log := newLogWatch()
	p := newLoggedPhone(t, log, func(fx *fixture.Fixture) { fx.Faults.Hang = []string{"uiautomator dump"} })
	for _, how := range []string{"cancel", "hangup"} {
		ctx, cancel := context.WithCancel(context.Background())
		svc, err := p.Open(ctx, "shell:echo start; uiautomator dump /dev/tty; echo never")
		if err != nil {
			t.Fatal(err)
		}
		conn := newTestConn()
		done := make(chan error, 1)
		go func() { done <- svc(ctx, conn) }()
		log.waitFor("uiautomator hangs (fault)")
		// Other calls go on while one hangs.
		if got := sh(t, p, "uiautomator --help; getprop ro.product.brand"); !strings.HasSuffix(got, "Redmi\n") {
			t.Errorf("a second call during the hang printed %q", got)
		}
		select {
		case err := <-done:
			t.Fatalf("%s: hung command returned early: %v", how, err)
		default:
		}
		if how == "cancel" {
			cancel()
		} else {
			conn.hangup.Close()
		}
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("%s: service returned %v, want context.Canceled", how, err)
		}
		if out := conn.output(); out != "start\n" {
			t.Errorf("%s: output %q", how, out)
		}
		cancel()
		conn.hangup.Close()
	}
}

func TestHangEffect(t *testing.T) {
	log := newLogWatch()
	p := newLoggedPhone(t, log, func(fx *fixture.Fixture) {
		fx.Screens["home"].Transitions[0].Effects = []fixture.Effect{"hang"}
	})
	ctx, cancel := context.WithCancel(context.Background())
	svc, err := p.Open(ctx, "shell:input tap 200 1900")
	if err != nil {
		t.Fatal(err)
	}
	conn := newTestConn()
	defer conn.hangup.Close()
	done := make(chan error, 1)
	go func() { done <- svc(ctx, conn) }()
	log.waitFor("effect: the command hangs")
	sh(t, p, "true")
	select {
	case <-done:
		t.Fatal("the hang effect returned")
	default:
	}
	cancel()
	<-done
	if p.Screen() != "settings" {
		t.Errorf("the tap that hung did not happen: %q", p.Screen())
	}
}

// BenchmarkShellEcho is the host cost of one shell round trip.
func BenchmarkShellEcho(b *testing.B) {
	p := newTestPhone(b)
	for b.Loop() {
		if out := sh(b, p, "echo hello"); out != "hello\n" {
			b.Fatalf("echo printed %q", out)
		}
	}
}
