package certificate

import (
	"bytes"
	"crypto/ed25519"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pdfText runs pdftotext on a PDF, as a person copying its text would
// get it; the test is skipped only when poppler-utils is missing (CI
// installs it: apt-get install -y poppler-utils).
func pdfText(t *testing.T, pdf string) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext missing: apt-get install -y poppler-utils")
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", pdf, "-").CombinedOutput()
	require.NoError(t, err, "pdftotext: %s", out)
	return string(out)
}

// TestPDFReadsAsAPersonWould extracts the text of the PDF and looks for
// what a shop files the page for: the verdict, the serial, the IMEIs,
// the operator and ticket, and every evidence file's full hash; then
// renders page 1 to PNG, as a viewer or printer would.
func TestPDFReadsAsAPersonWould(t *testing.T) {
	for _, tc := range []struct {
		name    string
		make    func(testing.TB, string) *Certificate
		verdict string
	}{
		{"remove", sampleRemove, "CLEAR"},
		{"audit", sampleAudit, "NOT CLEAR"},
		{"failed", sampleFailed, "FAILED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			c := tc.make(t, dir)
			require.NoError(t, Write(dir, c, WriteOptions{}))
			pdf := filepath.Join(dir, PDFFile)
			text := pdfText(t, pdf)

			assert.Contains(t, text, tc.verdict)
			assert.Contains(t, text, c.Phone.Serial)
			assert.Contains(t, text, c.Phone.Model)
			for _, imei := range c.Phone.IMEIs {
				assert.Contains(t, text, imei)
			}
			if len(c.Phone.IMEIs) == 0 {
				assert.Contains(t, text, "not read: "+c.Phone.IMEIsMissing)
			}
			for _, s := range []string{c.Operator, c.Ticket, c.Host, c.Tool.Version} {
				assert.Contains(t, text, s)
			}
			for _, r := range c.VerdictReasons {
				assert.Contains(t, squash(text), squash(r))
			}
			for _, e := range c.Evidence {
				assert.Contains(t, text, e.SHA256, "hash of %s", e.Path)
				assert.Contains(t, text, e.Path)
			}
			certJSON, err := os.ReadFile(filepath.Join(dir, CertificateFile))
			require.NoError(t, err)
			assert.Contains(t, text, sha256Hex(certJSON), "the paper names the exact certificate.json")
			assert.Regexp(t, regexp.MustCompile(`Page 1 of [1-9]`), text)

			if _, err := exec.LookPath("pdftoppm"); err != nil {
				t.Skip("pdftoppm missing: apt-get install -y poppler-utils")
			}
			out, err := exec.Command("pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", pdf, filepath.Join(dir, "page")).CombinedOutput()
			require.NoError(t, err, "pdftoppm: %s", out)
			assert.Empty(t, strings.TrimSpace(string(out)), "pdftoppm warnings")
			png, err := os.ReadFile(filepath.Join(dir, "page-1.png"))
			require.NoError(t, err)
			assert.True(t, bytes.HasPrefix(png, []byte("\x89PNG")), "page 1 is a PNG")
		})
	}
}

// squash folds the line breaks and spaces a PDF's text layout adds.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

// TestPDFSigned: the paper names the signing key's fingerprint.
func TestPDFSigned(t *testing.T) {
	dir := t.TempDir()
	key := newKey(t)
	require.NoError(t, Write(dir, sampleRemove(t, dir), WriteOptions{SignKey: key}))
	text := pdfText(t, filepath.Join(dir, PDFFile))
	assert.Contains(t, text, Fingerprint(key.Public().(ed25519.PublicKey)))
}

// TestPDFCharactersTheFontLacks: text the Go fonts cannot draw (Chinese,
// emoji, invalid UTF-8, control characters) prints as "?" and never
// breaks the PDF; Latin, Greek and Cyrillic print as they are; the JSON
// keeps everything.
func TestPDFCharactersTheFontLacks(t *testing.T) {
	dir := t.TempDir()
	c := sampleRemove(t, dir)
	c.Operator = "Łukasz Żółć · Σωκράτης · Дмитрий"
	c.Ticket = "工单 42 📱"
	c.Host = "bad\xffutf8\x00tab\there"
	c.Phone.MarketName = "小米 13 Ultra"
	c.Steps[0].Message = strings.Repeat("長い説明 ", 400) // far past a page
	require.NoError(t, Write(dir, c, WriteOptions{}))

	text := pdfText(t, filepath.Join(dir, PDFFile))
	assert.Contains(t, text, "Łukasz Żółć · Σωκράτης · Дмитрий")
	assert.Contains(t, text, "?? 42 ?")
	assert.Contains(t, text, "?? 13 Ultra")
	assert.Contains(t, text, "bad?utf8 tab here")

	data, err := os.ReadFile(filepath.Join(dir, CertificateFile))
	require.NoError(t, err)
	assert.Contains(t, string(data), "工单 42 📱")
}

// TestPDFEveryCharacter renders every character of the Basic
// Multilingual Plane and some beyond: none may make fpdf fail or panic.
func TestPDFEveryCharacter(t *testing.T) {
	var b strings.Builder
	for r := rune(0); r < 0x10000; r++ {
		b.WriteRune(r)
	}
	for _, r := range []rune{0x1F4F1, 0x1F600, 0x20000, 0x10FFFF} {
		b.WriteRune(r)
	}
	c := sampleRemove(t, t.TempDir())
	c.Evidence = nil
	c.Operator = b.String()
	c.Steps = []Step{{Name: b.String(), Status: b.String(), Message: b.String()}}
	require.NoError(t, prepare(c))
	pdf, err := renderPDF(c, pdfExtras{certSHA256: strings.Repeat("0", 64)})
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(pdf, []byte("%PDF-")))
}

// TestPDFManyPages: a long run breaks pages with the table header
// repeated, and every hash still appears whole.
func TestPDFManyPages(t *testing.T) {
	dir := t.TempDir()
	c := sampleRemove(t, dir)
	files := map[string]string{}
	var order []string
	for i := range 120 {
		name := filepath.ToSlash(filepath.Join("shots", strings.Repeat("x", i%7)+string(rune('a'+i%26))+"-"+strconv.Itoa(i)+".png"))
		files[name] = "screenshot " + strconv.Itoa(i)
		order = append(order, name)
	}
	c.Evidence = append(c.Evidence, sampleEvidence(t, dir, files, order)...)
	require.NoError(t, Write(dir, c, WriteOptions{}))
	text := pdfText(t, filepath.Join(dir, PDFFile))
	for _, e := range c.Evidence {
		assert.Contains(t, text, e.SHA256, e.Path)
	}
	assert.GreaterOrEqual(t, strings.Count(text, "SHA-256"), len(c.Evidence))
	assert.Regexp(t, regexp.MustCompile(`Page [4-9] of [4-9]`), text)
}
