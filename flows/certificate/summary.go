package certificate

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"
)

// SummaryRow is one phone of a fleet run.
type SummaryRow struct {
	Serial        string
	IMEIs         []string
	Model         string // what people call it: "Redmi Note 12 (23021RAA2Y)"
	Verdict       string // VerdictClear, VerdictNotClear, VerdictFailed
	AccountBefore string // "12******90", "none", "unknown"
	AccountAfter  string
	ExitCode      int
	// Certificate is the path of the phone's certificate folder or PDF,
	// as the shop should find it (relative to the summary's folder reads
	// best: it stays right when the folder moves).
	Certificate string
	Time        time.Time // when the phone's run ended
}

// SummaryRowOf is the summary row of a written certificate, found at
// path.
func SummaryRowOf(c *Certificate, path string) SummaryRow {
	model := c.Phone.MarketName
	if c.Phone.Model != "" && c.Phone.Model != model {
		model = strings.TrimSpace(model + " (" + c.Phone.Model + ")")
	}
	return SummaryRow{
		Serial:        c.Phone.Serial,
		IMEIs:         c.Phone.IMEIs,
		Model:         model,
		Verdict:       c.Verdict,
		AccountBefore: accountWord(c.Before),
		AccountAfter:  accountWord(c.After),
		ExitCode:      c.ExitCode,
		Certificate:   path,
		Time:          c.EndedAt,
	}
}

// accountWord is the Xiaomi account of a state in one word or id.
func accountWord(s *DeviceState) string {
	switch {
	case s == nil || s.XiaomiAccount == nil:
		return ""
	case s.XiaomiAccount.State == StateSignedIn && s.XiaomiAccount.ID != "":
		return s.XiaomiAccount.ID
	default:
		return s.XiaomiAccount.State
	}
}

var summaryHeader = []string{"serial", "imeis", "model", "verdict", "account_before", "account_after", "exit_code", "certificate", "time"}

// WriteSummary writes summary.csv and summary.html into dir: one line
// per phone, in the order given. Same file rules as Write: dir created
// 0700 when missing, files 0600, whole or not at all, a symlink refused.
func WriteSummary(dir string, rows []SummaryRow) (err error) {
	csvData, err := summaryCSV(rows)
	if err != nil {
		return fmt.Errorf("summary: %w", err)
	}
	htmlData, err := summaryHTML(rows)
	if err != nil {
		return fmt.Errorf("summary: %w", err)
	}
	root, err := openFolder(dir)
	if err != nil {
		return fmt.Errorf("summary %s: %w", dir, err)
	}
	defer root.Close()
	fw := &fileWriter{root: root}
	defer func() {
		if err != nil {
			fw.rollback()
		}
	}()
	if err := fw.put(SummaryCSVFile, csvData); err != nil {
		return fmt.Errorf("summary %s: %w", dir, err)
	}
	if err := fw.put(SummaryHTMLFile, htmlData); err != nil {
		return fmt.Errorf("summary %s: %w", dir, err)
	}
	if err := fw.syncFolder(); err != nil {
		return fmt.Errorf("summary %s: %w", dir, err)
	}
	return nil
}

func summaryCSV(rows []SummaryRow) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(summaryHeader); err != nil {
		return nil, err
	}
	for _, r := range rows {
		rec := []string{
			r.Serial, strings.Join(r.IMEIs, " "), r.Model, r.Verdict,
			r.AccountBefore, r.AccountAfter, strconv.Itoa(r.ExitCode),
			r.Certificate, summaryTime(r.Time),
		}
		for i := range rec {
			rec[i] = defuseFormula(rec[i])
		}
		if err := w.Write(rec); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// defuseFormula keeps a spreadsheet from running a cell as a formula:
// text from the phone or the user ("=HYPERLINK(...)") starting with
// = + - @ or a tab or carriage return gets a leading apostrophe.
func defuseFormula(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func summaryTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return utcMillis(t).Format(time.RFC3339)
}

type summaryPage struct {
	Rows                    []SummaryRow
	Total                   int
	Clear, NotClear, Failed int
	First, Last             string
	VerdictClass            func(string) string
	Time                    func(time.Time) string
	Join                    func([]string) string
}

func summaryHTML(rows []SummaryRow) ([]byte, error) {
	p := summaryPage{
		Rows: rows, Total: len(rows),
		VerdictClass: func(v string) string {
			switch v {
			case VerdictClear:
				return "clear"
			case VerdictFailed:
				return "failed"
			default:
				return "notclear"
			}
		},
		Time: summaryTime,
		Join: func(s []string) string { return strings.Join(s, "\n") },
	}
	var first, last time.Time
	for _, r := range rows {
		switch r.Verdict {
		case VerdictClear:
			p.Clear++
		case VerdictFailed:
			p.Failed++
		default:
			p.NotClear++
		}
		if !r.Time.IsZero() && (first.IsZero() || r.Time.Before(first)) {
			first = r.Time
		}
		if r.Time.After(last) {
			last = r.Time
		}
	}
	p.First, p.Last = summaryTime(first), summaryTime(last)
	var buf bytes.Buffer
	if err := summaryTemplate.Execute(&buf, p); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// summaryTemplate is the fleet summary page: self-contained (no
// scripts, fonts, images or style sheets from elsewhere), printable on
// A4 landscape, every value HTML-escaped by html/template.
var summaryTemplate = template.Must(template.New("summary").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>miacct summary: {{.Total}} phone(s)</title>
<style>
@page{size:A4 landscape;margin:12mm}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em;color:#141414;font-size:14px}
h1{font-size:1.5em;margin:0 0 .3em}
.counts{margin:0 0 1em;color:#444}
.counts b{font-size:1.15em}
.legend{margin-top:1em;color:#444}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #ccc;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#ececec;font-size:.85em}
tr{break-inside:avoid}
td.mono{font-family:ui-monospace,Menlo,Consolas,monospace;white-space:pre-line}
td.num{text-align:right}
.verdict{font-weight:bold;white-space:nowrap}
.clear{color:#146e2d}.notclear{color:#af141e}.failed{color:#8c5a00}
@media print{body{margin:0;font-size:10.5px}a{color:inherit;text-decoration:none}}
</style></head><body>
<h1>miacct summary: {{.Total}} phone(s)</h1>
<p class="counts"><b class="clear">{{.Clear}} clear</b> · <b class="notclear">{{.NotClear}} not clear</b> · <b class="failed">{{.Failed}} failed</b>{{if .First}} · {{.First}} to {{.Last}} (UTC){{end}}</p>
<table>
<thead><tr><th>Serial</th><th>IMEI(s)</th><th>Model</th><th>Verdict</th><th>Xiaomi account before</th><th>after</th><th>Exit code</th><th>Certificate</th><th>Time (UTC)</th></tr></thead>
<tbody>
{{range .Rows}}<tr><td class="mono">{{.Serial}}</td><td class="mono">{{call $.Join .IMEIs}}</td><td>{{.Model}}</td><td class="verdict {{call $.VerdictClass .Verdict}}">{{.Verdict}}</td><td class="mono">{{.AccountBefore}}</td><td class="mono">{{.AccountAfter}}</td><td class="num">{{.ExitCode}}</td><td>{{if .Certificate}}<a href="{{.Certificate}}">{{.Certificate}}</a>{{end}}</td><td>{{call $.Time .Time}}</td></tr>
{{else}}<tr><td colspan="9">No phones.</td></tr>
{{end}}</tbody></table>
<p class="legend">clear: no Xiaomi account, Find device off, no Google account, factory reset protection off, not managed. not clear: do not resell yet, see the phone's certificate. failed: the run did not finish, run it again.</p>
</body></html>
`))
