package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/flows"
)

// reportWriter writes --report DIR: the run's JSON, a screenshot and the
// screen's hierarchy after every step, a log, and an index.html to read
// it all offline.
//
// Nothing in it holds the password: screens show password fields as dots,
// messages never quote typed text, and dumps are redacted of what was
// typed. It is private to the user: a folder only they can open (0700),
// files only they can read (0600), and the account id, e-mail addresses
// and phone numbers masked in every file and blacked out on screenshots
// unless --show-account. The folder must be new or empty, and every file
// is written through os.Root, as a temporary file renamed into place: a
// link planted in it is replaced, never followed.
type reportWriter struct {
	dir     string
	root    *os.Root
	ctx     context.Context
	timeout time.Duration // of each snapshot

	mu      sync.Mutex
	session *flows.Session
	private *privacy
	log     bytes.Buffer
	steps   []reportStep
	n       int
	err     error // the first write error
}

type reportStep struct {
	flows.StepResult
	Screenshot string
	Hierarchy  string
	Note       string
}

// newReportWriter opens dir for a report: a new folder, or an empty one.
// Snapshots of the phone use ctx (the run's) and timeout each.
func newReportWriter(ctx context.Context, dir string, timeout time.Duration) (*reportWriter, error) {
	root, err := openPrivateDir(dir)
	if err != nil {
		return nil, usagef("--report: %v", err)
	}
	return &reportWriter{dir: dir, root: root, ctx: ctx, timeout: timeout}, nil
}

// openPrivateDir makes dir a folder only the user can open and opens it
// as an os.Root: it must not exist (it is made), or be an empty folder;
// a symbolic link is refused, not followed.
func openPrivateDir(dir string) (*os.Root, error) {
	if err := checkNewDir(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(filepath.Clean(dir)), 0o700); err != nil {
		return nil, err
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	before, err := os.Lstat(dir)
	if err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	// The folder opened is the one checked: not swapped for a link.
	opened, err := root.Stat(".")
	if err != nil || !os.SameFile(before, opened) || before.Mode()&fs.ModeSymlink != 0 {
		_ = root.Close()
		return nil, fmt.Errorf("%s changed while it was opened; try again", dir)
	}
	if err := root.Chmod(".", 0o700); err != nil {
		_ = root.Close()
		return nil, err
	}
	return root, nil
}

// checkNewDir accepts a folder that does not exist or is empty, and
// refuses anything else, a symbolic link included: a report or a
// recording never mixes with other files nor writes where a link points.
func checkNewDir(dir string) error {
	st, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case st.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link; name a new folder (miacct does not follow links it did not make)", dir)
	case !st.IsDir():
		return fmt.Errorf("%s exists and is not a folder; name a new folder", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return fmt.Errorf("%s is not empty (it may hold an earlier run's proof); name a new folder", dir)
	}
	return nil
}

// writePrivateFile replaces name in root with data, readable by the user
// only: written to a new temporary file first, then renamed over name,
// so a reader (or a crash) sees the old content or the new, and a link
// at name is replaced rather than followed.
func writePrivateFile(root *os.Root, name string, data []byte) error {
	var suffix [6]byte
	_, _ = rand.Read(suffix[:])
	tmp := "." + name + "." + hex.EncodeToString(suffix[:]) + ".tmp"
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		_ = root.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := root.Rename(tmp, name); err != nil {
		_ = root.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// writeFileIn writes name into the folder dir as writePrivateFile does.
func writeFileIn(dir, name string, data []byte) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	return writePrivateFile(root, name, data)
}

// attach gives the writer the session to take snapshots of, and what to
// keep private.
func (r *reportWriter) attach(sess *flows.Session, private *privacy) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.session, r.private = sess, private
}

// abandon closes a report no run was made for.
func (r *reportWriter) abandon() { _ = r.root.Close() }

func (r *reportWriter) logf(format string, args ...any) {
	fmt.Fprintf(&r.log, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05.000")}, args...)...)
}

// write writes a file of the report, masked, and remembers the first
// error.
func (r *reportWriter) write(name string, data []byte) bool {
	if err := writePrivateFile(r.root, name, data); err != nil {
		if r.err == nil {
			r.err = err
		}
		return false
	}
	return true
}

func (r *reportWriter) StepStarted(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logf("start %s", name)
}

func (r *reportWriter) StepFinished(res flows.StepResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logf("%s %s (%d ms, %d adb calls, %d screen reads, %d inputs) %s", res.Name, res.Status, res.DurationMS, res.ADBCalls, res.Dumps, res.Inputs, r.private.text(res.Message))
	step := reportStep{StepResult: res}
	if res.Status != flows.StatusSkipped && r.session != nil {
		r.n++
		step = r.snapshot(step, fmt.Sprintf("%02d-%s", r.n, res.Name))
	}
	r.steps = append(r.steps, step)
	r.write("log.txt", r.private.bytes(r.log.Bytes()))
}

// snapshot saves the screen after a step: its hierarchy (masked) and its
// screenshot (with the private parts blacked out), unless the run was
// interrupted: the phone is then put back at once.
func (r *reportWriter) snapshot(step reportStep, base string) reportStep {
	if r.ctx.Err() != nil {
		step.Note = "no screenshot: the run was interrupted"
		return step
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), r.timeout)
	png, xml, err := r.session.Snapshot(ctx)
	cancel()
	if err != nil {
		step.Note = "snapshot: " + r.private.text(err.Error())
		r.logf("snapshot after %s: %s", step.Name, step.Note)
	}
	if len(xml) > 0 && r.write(base+".xml", r.private.bytes(xml)) {
		step.Hierarchy = base + ".xml"
	}
	if len(png) == 0 {
		return step
	}
	if err := adb.CheckPNG(png); err != nil {
		step.Note = err.Error()
		r.logf("screenshot after %s not kept: %v", step.Name, err)
		return step
	}
	png, err = adb.BlackOut(png, r.private.regions(xml))
	if err != nil {
		step.Note = err.Error()
		r.logf("screenshot after %s not kept: %v", step.Name, err)
		return step
	}
	if r.write(base+".png", png) {
		step.Screenshot = base + ".png"
	}
	return step
}

// finish writes the JSON and index.html; an error is a *WriteError.
func (r *reportWriter) finish(out *runResult) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.root.Close()
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	r.write("report.json", r.private.bytes(append(data, '\n')))
	var page bytes.Buffer
	if err := reportPage.Execute(&page, struct {
		Result *runResult
		Steps  []reportStep
		When   string
	}{out, r.steps, time.Now().Format(time.RFC1123)}); err != nil {
		return err
	}
	r.write("index.html", r.private.bytes(page.Bytes()))
	r.write("log.txt", r.private.bytes(r.log.Bytes()))
	if r.err != nil {
		return &WriteError{What: "report in " + r.dir, Err: r.err}
	}
	return nil
}

var reportPage = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>miacct {{.Result.Command}} report</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4em;text-align:left;vertical-align:top}
.ok{color:#1a7f37}.failed{color:#cf222e;font-weight:bold}.skipped{color:#888}
img{max-width:180px;border:1px solid #ccc}small{color:#666}
</style></head><body>
<h1>miacct {{.Result.Command}}: {{if .Result.OK}}<span class="ok">done</span>{{else}}<span class="failed">failed</span>{{end}}</h1>
{{with .Result.Device}}<p>{{.Model}} ({{.Serial}}), {{.OS}}, Android {{.Android}}{{with .Account}}, Xiaomi Account {{.}}{{end}}</p>{{end}}
<p><small>{{.When}} · exit code {{.Result.ExitCode}} · {{.Result.Totals.ADBCalls}} ADB calls · {{.Result.Totals.Dumps}} screen reads · {{.Result.Totals.Inputs}} inputs</small></p>
{{with .Result.Error}}<p class="failed">{{.}}</p>{{end}}
{{with .Result.ResumeFrom}}<p>Resume with <code>miacct {{$.Result.Command}} --from {{.}}</code></p>{{end}}
<table><tr><th>Step</th><th>Result</th><th>Time</th><th>Calls / reads / inputs</th><th>What happened</th><th>Screen after</th></tr>
{{range .Steps}}<tr><td>{{.Name}}</td><td class="{{.Status}}">{{.Status}}</td><td>{{.DurationMS}} ms</td><td>{{.ADBCalls}} / {{.Dumps}} / {{.Inputs}}</td>
<td>{{.Message}}{{with .Note}}<br><small>{{.}}</small>{{end}}</td>
<td>{{with .Screenshot}}<a href="{{.}}"><img src="{{.}}" alt="screen after the step"></a>{{end}}{{with .Hierarchy}}<br><a href="{{.}}">hierarchy</a>{{end}}</td></tr>
{{end}}</table>
<p><small>Files: report.json (this run as JSON), log.txt, one PNG and XML per step. The account id, e-mail addresses and phone numbers are masked{{if .Result.OK}}{{end}} unless miacct ran with --show-account.</small></p>
</body></html>
`))
