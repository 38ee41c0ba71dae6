package main

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"time"

	"github.com/miacct/miacct/flows"
)

// reportWriter writes --report DIR: the run's JSON, a screenshot and the
// screen's hierarchy after every step, a log, and an index.html to read
// it all offline. Nothing in it holds the password: screens show password
// fields as dots and messages never quote typed text.
type reportWriter struct {
	dir     string
	session *flows.Session
	log     *os.File
	steps   []reportStep
	n       int
}

type reportStep struct {
	flows.StepResult
	Screenshot string
	Hierarchy  string
	Note       string
}

func newReportWriter(dir string) (*reportWriter, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, usagef("--report %s: %v", dir, err)
	}
	log, err := os.Create(filepath.Join(dir, "log.txt"))
	if err != nil {
		return nil, usagef("--report %s: %v", dir, err)
	}
	return &reportWriter{dir: dir, log: log}, nil
}

func (r *reportWriter) logf(format string, args ...any) {
	fmt.Fprintf(r.log, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05.000")}, args...)...)
}

func (r *reportWriter) StepStarted(name string) { r.logf("start %s", name) }

func (r *reportWriter) StepFinished(res flows.StepResult) {
	r.logf("%s %s (%d ms, %d adb calls, %d screen reads, %d inputs) %s", res.Name, res.Status, res.DurationMS, res.ADBCalls, res.Dumps, res.Inputs, res.Message)
	step := reportStep{StepResult: res}
	if res.Status != flows.StatusSkipped && r.session != nil {
		r.n++
		base := fmt.Sprintf("%02d-%s", r.n, res.Name)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		png, xml, err := r.session.Snapshot(ctx)
		cancel()
		if len(xml) > 0 {
			if werr := os.WriteFile(filepath.Join(r.dir, base+".xml"), xml, 0o644); werr == nil {
				step.Hierarchy = base + ".xml"
			}
		}
		if len(png) > 0 {
			if werr := os.WriteFile(filepath.Join(r.dir, base+".png"), png, 0o644); werr == nil {
				step.Screenshot = base + ".png"
			}
		}
		if err != nil {
			step.Note = "snapshot: " + err.Error()
			r.logf("snapshot after %s: %v", res.Name, err)
		}
	}
	r.steps = append(r.steps, step)
}

func (r *reportWriter) finish(out *runResult) error {
	defer r.log.Close()
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(r.dir, "report.json"), append(data, '\n'), 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(r.dir, "index.html"))
	if err != nil {
		return err
	}
	defer f.Close()
	return reportPage.Execute(f, struct {
		Result *runResult
		Steps  []reportStep
		When   string
	}{out, r.steps, time.Now().Format(time.RFC1123)})
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
{{with .Result.ResumeFrom}}<p>Resume with <code>miacct remove --from {{.}}</code></p>{{end}}
<table><tr><th>Step</th><th>Result</th><th>Time</th><th>Calls / reads / inputs</th><th>What happened</th><th>Screen after</th></tr>
{{range .Steps}}<tr><td>{{.Name}}</td><td class="{{.Status}}">{{.Status}}</td><td>{{.DurationMS}} ms</td><td>{{.ADBCalls}} / {{.Dumps}} / {{.Inputs}}</td>
<td>{{.Message}}{{with .Note}}<br><small>{{.}}</small>{{end}}</td>
<td>{{with .Screenshot}}<a href="{{.}}"><img src="{{.}}" alt="screen after the step"></a>{{end}}{{with .Hierarchy}}<br><a href="{{.}}">hierarchy</a>{{end}}</td></tr>
{{end}}</table>
<p><small>Files: report.json (this run as JSON), log.txt, one PNG and XML per step.</small></p>
</body></html>
`))
