package certificate

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fleetRows(t *testing.T) []SummaryRow {
	t.Helper()
	base := t.TempDir()
	var rows []SummaryRow
	for i, mk := range []func(testing.TB, string) *Certificate{sampleRemove, sampleAudit, sampleFailed} {
		dir := filepath.Join(base, []string{"6d8f2a41", "a1b2c3d4", "6d8f2a41-2"}[i])
		c := mk(t, dir)
		require.NoError(t, prepare(c)) // the verdict, as Write decides it
		rows = append(rows, SummaryRowOf(c, filepath.Base(dir)+"/"+PDFFile))
	}
	return rows
}

func TestSummaryCSV(t *testing.T) {
	rows := fleetRows(t)
	rows = append(rows, SummaryRow{
		Serial: "=HYPERLINK(\"http://x\")", IMEIs: []string{"1", "2"}, Model: `Mi "11", Lite`,
		Verdict: VerdictFailed, AccountBefore: "+1", AccountAfter: "@x", ExitCode: 3,
		Certificate: "-x/certificate.pdf", Time: time.Date(2025, 6, 2, 11, 0, 0, 0, time.FixedZone("CEST", 7200)),
	})
	dir := t.TempDir()
	require.NoError(t, WriteSummary(dir, rows))

	f, err := os.Open(filepath.Join(dir, SummaryCSVFile))
	require.NoError(t, err)
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Len(t, records, 5)
	assert.Equal(t, []string{"serial", "imeis", "model", "verdict", "account_before", "account_after", "exit_code", "certificate", "time"}, records[0])
	assert.Equal(t, []string{"6d8f2a41", "861234567890123 861234567890131", "Redmi Note 12 (23021RAA2Y)", "clear", "12******90", "none", "0", "6d8f2a41/certificate.pdf", "2025-06-02T09:16:06Z"}, records[1])
	assert.Equal(t, []string{"a1b2c3d4", "", "Xiaomi 13T (2306EPN60G)", "not clear", "", "none", "4", "a1b2c3d4/certificate.pdf", "2025-06-02T09:14:12Z"}, records[2])
	assert.Equal(t, []string{"6d8f2a41", "861234567890123 861234567890131", "Redmi Note 12 (23021RAA2Y)", "failed", "12******90", "", "6", "6d8f2a41-2/certificate.pdf", "2025-06-02T09:16:06Z"}, records[3])
	// A spreadsheet must not run text from a phone or a user as a formula.
	assert.Equal(t, []string{"'=HYPERLINK(\"http://x\")", "1 2", `Mi "11", Lite`, "failed", "'+1", "'@x", "3", "'-x/certificate.pdf", "2025-06-02T09:00:00Z"}, records[4])

	info, err := os.Stat(filepath.Join(dir, SummaryCSVFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
}

func TestSummaryHTML(t *testing.T) {
	rows := fleetRows(t)
	rows = append(rows, SummaryRow{Serial: `<script>alert(1)</script>`, Model: `"><img src=x onerror=alert(1)>`, Verdict: VerdictNotClear, Certificate: "javascript:alert(1)"})
	dir := t.TempDir()
	require.NoError(t, WriteSummary(dir, rows))
	data, err := os.ReadFile(filepath.Join(dir, SummaryHTMLFile))
	require.NoError(t, err)
	page := string(data)

	assert.Contains(t, page, "4 phone(s)")
	assert.Contains(t, page, `<b class="clear">1 clear</b>`)
	assert.Contains(t, page, `<b class="notclear">2 not clear</b>`)
	assert.Contains(t, page, `<b class="failed">1 failed</b>`)
	for _, r := range rows[:3] {
		assert.Contains(t, page, ">"+r.Serial+"<")
		assert.Contains(t, page, `href="`+r.Certificate+`"`)
	}
	assert.Contains(t, page, "861234567890123\n861234567890131")
	// Escaped, and no way out of the page.
	assert.NotContains(t, page, "<script")
	assert.NotContains(t, page, "<img")
	assert.Contains(t, page, "&lt;script&gt;alert(1)&lt;/script&gt;")
	assert.NotContains(t, page, `href="javascript:`)
	// Self-contained: nothing fetched from anywhere.
	assert.NotRegexp(t, regexp.MustCompile(`(?i)(<img|<link|<script|<iframe|<object|@import|url\(|\ssrc=")`), page)
	assert.Contains(t, page, "@page{size:A4 landscape")
}

func TestSummaryEmpty(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, WriteSummary(dir, nil))
	data, err := os.ReadFile(filepath.Join(dir, SummaryCSVFile))
	require.NoError(t, err)
	assert.Equal(t, "serial,imeis,model,verdict,account_before,account_after,exit_code,certificate,time\n", string(data))
	page, err := os.ReadFile(filepath.Join(dir, SummaryHTMLFile))
	require.NoError(t, err)
	assert.Contains(t, string(page), "No phones.")
}

// TestSummaryRefusesSymlink: a planted summary.csv symlink is refused,
// its target untouched, and summary.html is not left alone.
func TestSummaryRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(t.TempDir(), "t")
	require.NoError(t, os.WriteFile(target, []byte("t"), 0o600))
	require.NoError(t, os.Symlink(target, filepath.Join(dir, SummaryHTMLFile)))
	err := WriteSummary(dir, fleetRows(t))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "symbolic link")
	data, _ := os.ReadFile(target)
	assert.Equal(t, "t", string(data))
	assert.NoFileExists(t, filepath.Join(dir, SummaryCSVFile), "rolled back")
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		assert.False(t, strings.HasPrefix(e.Name(), tempPrefix))
	}
}
