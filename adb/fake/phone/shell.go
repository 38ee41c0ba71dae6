package phone

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miacct/miacct/adb/fake"
	"github.com/miacct/miacct/adb/fake/fixture"
	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"
)

// The phone's shell is mvdan.cc/sh's interpreter with every handler
// pointed at the phone: commands run as Go functions on the simulated
// device, files live in its memory file system, and nothing of the host
// (programs, files, environment, working directory) is ever reached.

// Reasons a command ends the whole service early.
var (
	// errReboot: the phone is rebooting; the output so far is delivered.
	errReboot = errors.New("device is rebooting")
	// errDisconnect: the phone dropped off ADB; the stream breaks.
	errDisconnect = errors.New("device connection lost")
	// errHang: the command never returns.
	errHang = errors.New("command hangs")
)

// shellPath is where Android's shell lives; it prefixes its messages.
const shellPath = "/system/bin/sh"

// shellEnv is the environment adbd gives a shell (Android 11+).
var shellEnv = []string{
	"PATH=/product/bin:/apex/com.android.runtime/bin:/apex/com.android.art/bin:/system_ext/bin:/system/bin:/system/xbin:/odm/bin:/vendor/bin:/vendor/xbin",
	"HOME=/",
	"TMPDIR=/data/local/tmp",
	"USER=shell",
	"LOGNAME=shell",
	"SHELL=/system/bin/sh",
	"HOSTNAME=localhost",
	"ANDROID_ROOT=/system",
	"ANDROID_DATA=/data",
	"ANDROID_STORAGE=/storage",
	"EXTERNAL_STORAGE=/sdcard",
	"ANDROID_ASSETS=/system/app",
	"UID=2000",
	"EUID=2000",
	"GID=2000",
}

// Process ids of adbd and of the first shell (later shells count up).
const (
	adbdPID      = 1042
	shellPIDBase = 20000
)

// binDirs are the directories a command may be named by (/bin/ls).
var binDirs = []string{"/bin", "/system/bin", "/system/xbin", "/vendor/bin", "/product/bin", "/system_ext/bin", "/odm/bin"}

// Internal command names; a NUL cannot come from the wire.
const (
	replayCommand  = "\x00replay"
	typeCommand    = "\x00type"
	commandCommand = "\x00command"
)

// recordedCommand is a fixture command, normalised for matching.
type recordedCommand struct {
	service string
	raw     string // trimmed as recorded
	printed string // normalised through the shell printer; "" if it does not parse
	outputs []recordedOutput
}

type recordedOutput struct {
	stdout string
	exit   int
	dur    time.Duration
}

func newShellParser() *syntax.Parser {
	return syntax.NewParser(syntax.Variant(syntax.LangMirBSDKorn))
}

func parseRecorded(cmds []fixture.Command) ([]recordedCommand, error) {
	out := make([]recordedCommand, 0, len(cmds))
	for i, c := range cmds {
		if c.Service != "shell" && c.Service != "exec" {
			return nil, fmt.Errorf("recorded command %d: service %q: want shell or exec", i+1, c.Service)
		}
		if len(c.Outputs) == 0 {
			return nil, fmt.Errorf("recorded command %d: no outputs", i+1)
		}
		rc := recordedCommand{service: c.Service, raw: strings.TrimSpace(c.Cmd)}
		if stmts := canonicalStmts(c.Cmd); len(stmts) > 0 {
			rc.printed = printStmts(stmts)
		}
		for _, o := range c.Outputs {
			rc.outputs = append(rc.outputs, recordedOutput{stdout: o.Stdout, exit: o.Exit, dur: o.Duration})
		}
		out = append(out, rc)
	}
	return out, nil
}

// printStmts prints statements in a normal form, so recordings match
// commands that differ only in spacing or quoting style.
func printStmts(stmts []*syntax.Stmt) string {
	var b strings.Builder
	if err := syntax.NewPrinter(syntax.Minify(true)).Print(&b, &syntax.File{Stmts: stmts}); err != nil {
		return ""
	}
	return strings.TrimSpace(b.String())
}

// canonicalStmts parses script with every plain word (literal text,
// however quoted) requoted one way, so recordings match commands that
// differ only in spacing or quoting style; nil if it does not parse.
func canonicalStmts(script string) []*syntax.Stmt {
	f, err := newShellParser().Parse(strings.NewReader(script), "")
	if err != nil {
		return nil
	}
	syntax.Walk(f, func(n syntax.Node) bool {
		w, ok := n.(*syntax.Word)
		if !ok || !plainWord(w) {
			return true
		}
		lit, err := expand.Literal(nil, w)
		if err != nil {
			return true
		}
		q, err := syntax.Quote(lit, syntax.LangPOSIX)
		if err != nil {
			return true
		}
		w.Parts = []syntax.WordPart{&syntax.Lit{Value: q}}
		return false
	})
	return f.Stmts
}

// plainWord reports whether w is literal text only: no expansions, no
// unquoted glob or tilde.
func plainWord(w *syntax.Word) bool {
	for i, part := range w.Parts {
		switch part := part.(type) {
		case *syntax.Lit:
			if strings.ContainsAny(part.Value, "*?[") || i == 0 && strings.HasPrefix(part.Value, "~") {
				return false
			}
		case *syntax.SglQuoted:
			if part.Dollar {
				return false
			}
		case *syntax.DblQuoted:
			for _, inner := range part.Parts {
				if _, ok := inner.(*syntax.Lit); !ok {
					return false
				}
			}
		default:
			return false
		}
	}
	return true
}

// matchRecorded finds the recorded command answering script: its whole
// text, or else the longest prefix of its top-level statements. It
// returns the recording's index and how many statements it covers (all
// of them when the text matched), or -1.
func (p *Phone) matchRecorded(service, script string, stmts int) (idx, covered int) {
	if len(p.recorded) == 0 {
		return -1, 0
	}
	raw := strings.TrimSpace(script)
	for i, rc := range p.recorded {
		if rc.service == service && rc.raw == raw {
			return i, stmts
		}
	}
	canon := canonicalStmts(script)
	for k := len(canon); k > 0; k-- {
		printed := printStmts(canon[:k])
		for i, rc := range p.recorded {
			if rc.service == service && rc.printed != "" && rc.printed == printed {
				return i, k
			}
		}
	}
	return -1, 0
}

// session is one shell or exec service call.
type session struct {
	p       *Phone
	service string
	stdout  io.Writer
	stderr  io.Writer
	replay  int // recorded command answered by replayCommand, or -1
	pid     int // the shell's process id on the phone
	flush   func()

	mu   sync.Mutex
	stop error // set when a command ends the whole call
}

func (s *session) setStop(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stop == nil {
		s.stop = err
	}
}

func (s *session) stopped() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stop
}

// shellService runs script as `sh -c` would on the phone. Shell v1 and
// exec merge stdout and stderr; shell v2 frames them and sends the exit
// status.
func (p *Phone) shellService(service, script string, v2 bool) fake.Service {
	return func(ctx context.Context, rw io.ReadWriter) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		// The client sends nothing we use; its hang-up ends the command.
		go func() {
			_, _ = io.Copy(io.Discard, rw)
			cancel()
		}()
		p.mu.Lock()
		pid := shellPIDBase + p.counters.Shell + p.counters.Exec
		p.mu.Unlock()
		s := &session{p: p, service: service, replay: -1, pid: pid}
		// Output is buffered (one write per call, not per echo) and
		// delivered when the command ends, or before it hangs.
		var conn sync.Mutex
		bw := bufio.NewWriterSize(rw, 8<<10)
		s.flush = func() {
			conn.Lock()
			defer conn.Unlock()
			_ = bw.Flush()
		}
		if v2 {
			s.stdout = &packetWriter{mu: &conn, w: bw, id: shellV2Stdout}
			s.stderr = &packetWriter{mu: &conn, w: bw, id: shellV2Stderr}
		} else {
			w := &lockedWriter{mu: &conn, w: bw}
			s.stdout, s.stderr = w, w
		}
		p.mu.Lock()
		sleep := p.advanceLocked(p.cfg.latency.Shell)
		p.mu.Unlock()
		sleepReal(ctx, sleep)

		code := s.run(ctx, script)
		if err := s.stopped(); errors.Is(err, errDisconnect) {
			// The connection drops: what was not sent yet is lost.
			return fmt.Errorf("%s: %w", service, err)
		}
		if v2 && ctx.Err() == nil {
			_ = writePacket(bw, shellV2Exit, []byte{byte(code)})
		}
		s.flush()
		return ctx.Err()
	}
}

// run interprets script and returns its exit status.
func (s *session) run(ctx context.Context, script string) int {
	file, err := newShellParser().Parse(strings.NewReader(script), "")
	if err != nil {
		if idx, _ := s.p.matchRecorded(s.service, script, 0); idx >= 0 {
			file = &syntax.File{}
			s.replay = idx
			file.Stmts = []*syntax.Stmt{replayStmt()}
		} else {
			fmt.Fprintf(s.stderr, "%s: syntax error: %s\n", shellPath, syntaxMessage(err))
			return 1
		}
	} else if idx, k := s.p.matchRecorded(s.service, script, len(file.Stmts)); idx >= 0 {
		s.replay = idx
		file.Stmts = append([]*syntax.Stmt{replayStmt()}, file.Stmts[k:]...)
	} else if sub, inner := leadingSubshell(file, script); sub != nil {
		// miacct's driver sends `( CMD\n)\necho :miacct-exit:$?`: a
		// recording holds CMD, so it is matched inside the subshell.
		if idx, k := s.p.matchRecorded(s.service, inner, len(sub.Stmts)); idx >= 0 {
			s.replay = idx
			sub.Stmts = append([]*syntax.Stmt{replayStmt()}, sub.Stmts[k:]...)
		}
	}
	phonePIDs(file)
	return s.interpret(ctx, file, s.stdout, s.stderr)
}

// leadingSubshell returns the subshell that starts file, a plain
// `( ... )` statement, and the source text inside its parentheses.
func leadingSubshell(file *syntax.File, script string) (*syntax.Subshell, string) {
	if len(file.Stmts) == 0 {
		return nil, ""
	}
	st := file.Stmts[0]
	sub, ok := st.Cmd.(*syntax.Subshell)
	if !ok || st.Negated || st.Background || st.Coprocess || len(st.Redirs) > 0 {
		return nil, ""
	}
	from, to := int(sub.Lparen.Offset())+1, int(sub.Rparen.Offset())
	if from > to || to > len(script) {
		return nil, ""
	}
	return sub, script[from:to]
}

// interpret runs a parsed script with the given output streams.
func (s *session) interpret(ctx context.Context, file *syntax.File, stdout, stderr io.Writer) int {
	r, err := s.newRunner(stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", shellPath, err)
		return 1
	}
	err = r.Run(ctx, file)
	if err == nil {
		return 0
	}
	var status interp.ExitStatus
	if errors.As(err, &status) {
		return int(status)
	}
	if s.stopped() == nil && ctx.Err() == nil {
		fmt.Fprintf(stderr, "%s: %v\n", shellPath, err)
	}
	return 1
}

// sh [-c SCRIPT | < SCRIPT]: a nested shell on the phone.
func (c *call) sh() int {
	var script string
	switch {
	case len(c.args) >= 3 && c.args[1] == "-c":
		script = c.args[2]
	case len(c.args) == 1:
		data, err := io.ReadAll(c.stdin)
		if err != nil {
			return 1
		}
		script = string(data)
	default:
		c.errorf("%s: %s: No such file or directory\n", shellPath, c.args[1])
		return 127
	}
	file, err := newShellParser().Parse(strings.NewReader(script), "")
	if err != nil {
		c.errorf("%s: syntax error: %s\n", shellPath, syntaxMessage(err))
		return 1
	}
	phonePIDs(file)
	return c.s.interpret(c.ctx, file, c.stdout, c.stderr)
}

// syntaxMessage is the parser's complaint without its position prefix.
func syntaxMessage(err error) string {
	var pe syntax.ParseError
	if errors.As(err, &pe) {
		return pe.Text
	}
	return err.Error()
}

func replayStmt() *syntax.Stmt {
	return &syntax.Stmt{Cmd: &syntax.CallExpr{Args: []*syntax.Word{{Parts: []syntax.WordPart{&syntax.Lit{Value: replayCommand}}}}}}
}

// Variables standing in for $$ and $PPID, which the interpreter would
// answer with the host's process ids.
const (
	pidVar  = "ANDROID_SHELL_PID"
	ppidVar = "ANDROID_SHELL_PPID"
)

// phonePIDs points $$ and $PPID in file at the phone's process ids.
func phonePIDs(file *syntax.File) {
	syntax.Walk(file, func(n syntax.Node) bool {
		if pe, ok := n.(*syntax.ParamExp); ok && pe.Param != nil {
			switch pe.Param.Value {
			case "$":
				pe.Param = &syntax.Lit{ValuePos: pe.Param.ValuePos, ValueEnd: pe.Param.ValueEnd, Value: pidVar}
			case "PPID":
				pe.Param = &syntax.Lit{ValuePos: pe.Param.ValuePos, ValueEnd: pe.Param.ValueEnd, Value: ppidVar}
			}
		}
		return true
	})
}

// phoneEnviron answers the shell's ~user lookups itself, so the
// interpreter never asks the host's user database.
type phoneEnviron struct{ expand.Environ }

func (e phoneEnviron) Get(name string) expand.Variable {
	if strings.HasPrefix(name, "HOME ") {
		return expand.Variable{Set: true, Kind: expand.String, Str: "/"}
	}
	return e.Environ.Get(name)
}

func (s *session) newRunner(stdout, stderr io.Writer) (*interp.Runner, error) {
	return interp.New(
		interp.Env(phoneEnviron{expand.ListEnviron(append(slices.Clone(shellEnv),
			fmt.Sprintf("%s=%d", pidVar, s.pid), fmt.Sprintf("%s=%d", ppidVar, adbdPID))...)}),
		// Set the directory directly: interp.Dir would stat the host.
		func(r *interp.Runner) error { r.Dir = "/"; return nil },
		interp.StdIO(nil, stdout, stderr),
		interp.CallHandler(s.call),
		interp.ExecHandlers(func(interp.ExecHandlerFunc) interp.ExecHandlerFunc {
			// Never chain to the default handler: it runs host programs.
			return s.exec
		}),
		interp.OpenHandler(s.open),
		interp.ReadDirHandler2(s.readDir),
		interp.StatHandler(s.stat),
		interp.AccessHandler(s.access),
	)
}

// call rewrites the builtins that would look at the host (PATH lookups,
// symlink resolution) to the phone's own versions.
func (s *session) call(ctx context.Context, args []string) ([]string, error) {
	switch args[0] {
	case "type":
		return append([]string{typeCommand}, args[1:]...), nil
	case "command":
		if len(args) > 1 && (args[1] == "-v" || args[1] == "-V") {
			return append([]string{commandCommand}, args[1:]...), nil
		}
	case "eval":
		// eval parses its text later: point its $$ at the phone too.
		f, err := newShellParser().Parse(strings.NewReader(strings.Join(args[1:], " ")), "")
		if err != nil {
			return args, nil // eval reports the syntax error itself
		}
		phonePIDs(f)
		var b strings.Builder
		if err := syntax.NewPrinter().Print(&b, f); err != nil {
			return args, nil
		}
		return []string{"eval", b.String()}, nil
	case "pwd":
		out := []string{"pwd"}
		for _, a := range args[1:] {
			if a == "-P" {
				a = "-L"
			}
			out = append(out, a)
		}
		return out, nil
	}
	return args, nil
}

// call is one simple command being run by the phone.
type call struct {
	ctx    context.Context
	s      *session
	p      *Phone
	args   []string
	dir    string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	owed   time.Duration // real time owed (Realtime > 0)
}

func (c *call) printf(format string, args ...any) { fmt.Fprintf(c.stdout, format, args...) }
func (c *call) errorf(format string, args ...any) { fmt.Fprintf(c.stderr, format, args...) }

// abs resolves a path against the shell's directory.
func (c *call) abs(name string) string {
	if path.IsAbs(name) {
		return path.Clean(name)
	}
	return path.Join(c.dir, name)
}

// exec runs one simple command on the phone.
func (s *session) exec(ctx context.Context, args []string) error {
	if err := s.stopped(); err != nil {
		return err
	}
	hc := interp.HandlerCtx(ctx)
	c := &call{ctx: ctx, s: s, p: s.p, args: args, dir: hc.Dir, stdin: hc.Stdin, stdout: hc.Stdout, stderr: hc.Stderr}
	if c.stdin == nil {
		c.stdin = strings.NewReader("")
	}
	name := args[0]
	var run commandFunc
	switch name {
	case replayCommand:
		if s.replay < 0 {
			return s.notFound(c, name)
		}
		run = (*call).replayRecorded
	case typeCommand:
		run = (*call).typeBuiltin
	case commandCommand:
		run = (*call).commandV
	default:
		if strings.Contains(name, "/") {
			dir, base := path.Split(c.abs(name))
			if !slices.Contains(binDirs, strings.TrimSuffix(dir, "/")) || lookupCommand(base) == nil {
				c.errorf("%s: %s: inaccessible or not found\n", shellPath, name)
				s.p.logUnrecordedCommand(name)
				return interp.ExitStatus(127)
			}
			name = base
		}
		if s.p.hangs(args) {
			s.p.logf("%s hangs (fault)", firstWord(name))
			s.setStop(errHang)
			break
		}
		if run = lookupCommand(name); run == nil || !s.p.simulates(name, args[1:]) {
			return s.notFound(c, name)
		}
	}
	code := 0
	if run != nil {
		code = run(c)
	}
	sleepReal(ctx, c.owed)
	if err := s.stopped(); err != nil {
		if errors.Is(err, errHang) {
			s.flush()
			<-ctx.Done()
			s.p.logf("hung %s ended: %v", s.service, ctx.Err())
			return ctx.Err()
		}
		return err
	}
	if code != 0 {
		return interp.ExitStatus(uint8(code))
	}
	return nil
}

// replayedTools are the commands a recording's phone still simulates:
// the UI ones, which its screens and transitions answer. Anything else
// it answers only from the recorded commands.
var replayedTools = []string{"input", "uiautomator", "am", "screencap", "sh"}

// simulates reports whether the phone answers command name (with args)
// by itself: a recorded phone (fixture recording:) knows only its UI
// tools and the clock (`cat /proc/uptime`, part of every screen read), so
// another command its recording never saw answers "not found".
func (p *Phone) simulates(name string, args []string) bool {
	if p.fx.Recording == nil || slices.Contains(replayedTools, name) {
		return true
	}
	if name == "cat" && len(args) > 0 && !slices.ContainsFunc(args, func(a string) bool { return a != uptimePath && a != bootIDPath }) {
		return true
	}
	// miacct's lock (/data/local/tmp/miacct.lock) lives in the phone's
	// own storage, which a replayed phone keeps: its file commands there
	// are simulated, so a replay takes and releases the lock as the
	// recorded run did (each run's lock line differs: it cannot be
	// replayed from the recording).
	return slices.Contains([]string{"mkdir", "rm", "grep", "cat"}, name) && len(args) > 0 &&
		!slices.ContainsFunc(args, func(a string) bool {
			return !strings.HasPrefix(a, "-") && a != lockDir && !strings.HasPrefix(a, lockDir+"/") && !strings.HasPrefix(a, "token=")
		})
}

// lockDir is where miacct keeps its lock on the phone (flows.PhoneLockDir).
const lockDir = "/data/local/tmp/miacct.lock"

func (s *session) notFound(c *call, name string) error {
	c.errorf("%s: %s: not found\n", shellPath, name)
	s.p.logUnrecordedCommand(name)
	return interp.ExitStatus(127)
}

// logUnrecordedCommand notes a command the phone does not know; its name
// is logged only when it looks like a command name (it could be a piece
// of mis-quoted typed text).
func (p *Phone) logUnrecordedCommand(name string) {
	what := "unrecorded command " + name
	if !safeName(name) {
		what = "unrecorded command (not a program name: not logged)"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.unrecordedLocked(what)
}

// hangs reports whether args start with one of the Hang fault's words.
func (p *Phone) hangs(args []string) bool {
	for _, h := range p.cfg.faults.Hang {
		words := strings.Fields(h)
		if len(words) == 0 || len(words) > len(args) {
			continue
		}
		match := true
		for i, w := range words {
			a := args[i]
			if i == 0 {
				a = path.Base(a)
			}
			if a != w {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// replayRecorded answers a recorded command's next output.
func (c *call) replayRecorded() int {
	p := c.p
	p.mu.Lock()
	rc := p.recorded[c.s.replay]
	i := min(p.replayed[c.s.replay], len(rc.outputs)-1)
	p.replayed[c.s.replay]++
	out := rc.outputs[i]
	c.owed += p.advanceLocked(out.dur)
	p.mu.Unlock()
	p.logf("%s: recorded answer %d", c.s.service, i+1)
	io.WriteString(c.stdout, out.stdout)
	return out.exit
}

// typeBuiltin is `type NAME...` answered from the phone's commands.
func (c *call) typeBuiltin() int {
	code := 0
	for _, name := range c.args[1:] {
		switch {
		case interp.IsBuiltin(name):
			c.printf("%s is a shell builtin\n", name)
		case lookupCommand(name) != nil:
			c.printf("%s is a tracked alias for /system/bin/%s\n", name, name)
		default:
			c.errorf("%s not found\n", name)
			code = 1
		}
	}
	return code
}

// commandV is `command -v|-V NAME...`.
func (c *call) commandV() int {
	verbose := c.args[1] == "-V"
	code := 0
	for _, name := range c.args[2:] {
		switch {
		case interp.IsBuiltin(name):
			if verbose {
				c.printf("%s is a shell builtin\n", name)
			} else {
				c.printf("%s\n", name)
			}
		case lookupCommand(name) != nil:
			if verbose {
				c.printf("%s is a tracked alias for /system/bin/%s\n", name, name)
			} else {
				c.printf("/system/bin/%s\n", name)
			}
		default:
			code = 1
		}
	}
	return code
}

// lockedWriter serialises writes to the client (pipelines write from
// several goroutines).
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// Shell protocol v2 packet ids.
const (
	shellV2Stdout = 1
	shellV2Stderr = 2
	shellV2Exit   = 3
)

// packetWriter frames writes as shell v2 packets of one id.
type packetWriter struct {
	mu *sync.Mutex
	w  io.Writer
	id byte
}

func (pw *packetWriter) Write(b []byte) (int, error) {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	if err := writePacket(pw.w, pw.id, b); err != nil {
		return 0, err
	}
	return len(b), nil
}

func writePacket(w io.Writer, id byte, data []byte) error {
	hdr := make([]byte, 5, 5+len(data))
	hdr[0] = id
	binary.LittleEndian.PutUint32(hdr[1:], uint32(len(data)))
	_, err := w.Write(append(hdr, data...))
	return err
}
