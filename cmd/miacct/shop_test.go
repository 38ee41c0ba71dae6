package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/miacct/miacct/adb/fake"
	"github.com/miacct/miacct/adb/fake/faketest"
	"github.com/miacct/miacct/adb/fake/phone"
	"github.com/miacct/miacct/flows/certificate"
)

func TestAuditVerdictsAndJSON(t *testing.T) {
	for _, c := range []struct {
		fixture string
		code    int
		fail    string
	}{
		{"miui14-en-frp", ExitNotReady, "frp"},
		{"miui14-en-owner", ExitNotReady, "owners"},
		{"miui14-en-no-account", ExitNotReady, "google-accounts"},
		{"miui14-en-unauthorized", ExitNoDevice, ""},
	} {
		r := runMain("", nil, "--fake", c.fixture, "audit", "--json")
		assert.Equal(t, c.code, r.code, "%s: %s", c.fixture, r.stderr)
		if c.fail == "" {
			continue
		}
		var out auditResult
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &out), r.stdout)
		assert.Equal(t, 1, out.Schema)
		assert.Equal(t, certificate.VerdictNotClear, out.Verdict)
		found := false
		for _, ch := range out.Checks {
			if ch.Name == c.fail {
				found = ch.Status == "fail"
			}
		}
		assert.True(t, found, "%s: check %s fails", c.fixture, c.fail)
	}
	r := runMain("", nil, "--fake", "miui14-en-imei", "audit")
	assert.Equal(t, ExitNotReady, r.code)
	assert.Contains(t, r.stdout, "PASS  IMEI read: 861234567890127, 861234567890135")
	assert.Contains(t, r.stdout, "FAIL  no Xiaomi account signed in")
	assert.Contains(t, r.stdout, "Not clear to resell")
}

// TestAuditCertificatePDFAndVerify: the signed certificate renders, its
// text holds the IMEI, the verdict and the hashes, verify passes with
// the shop's key and fails once evidence is changed.
func TestAuditCertificatePDFAndVerify(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	dir := t.TempDir()
	report := filepath.Join(dir, "audit")
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	pemKey, err := certificate.EncodeSignKey(key)
	require.NoError(t, err)
	keyFile := filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(keyFile, pemKey, 0o600))
	pubFile := filepath.Join(dir, "pub.pem")
	require.NoError(t, certificate.WritePublicKey(pubFile, key))

	r := runMain("", nil, "--fake", "miui14-en-imei", "audit", "--report", report, "--sign-key", keyFile, "--operator", "Dana Okafor", "--ticket", "RMA-7")
	require.Equal(t, ExitNotReady, r.code, r.stderr)
	text, err := exec.Command("pdftotext", "-layout", filepath.Join(report, certificate.PDFFile), "-").Output()
	require.NoError(t, err)
	for _, want := range []string{"861234567890127", "861234567890135", "NOT CLEAR", "Dana Okafor", "RMA-7", certificate.Fingerprint(pub)[:16]} {
		assert.Contains(t, string(text), want)
	}
	var c certificate.Certificate
	data, err := os.ReadFile(filepath.Join(report, certificate.CertificateFile))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &c))
	require.NotEmpty(t, c.Evidence)
	for _, e := range c.Evidence {
		assert.Contains(t, strings.ReplaceAll(string(text), "\n", ""), e.SHA256[:12], "the PDF prints %s's hash", e.Path)
	}
	assert.Equal(t, certificate.CommandAudit, c.Command)
	assert.NotEmpty(t, c.Host)

	r = runMain("", nil, "report", "verify", report, "--key", pubFile)
	assert.Equal(t, ExitOK, r.code, r.stdout+r.stderr)
	require.NoError(t, os.WriteFile(filepath.Join(report, "audit-dumpsys-account.txt"), []byte("tampered"), 0o600))
	r = runMain("", nil, "report", "verify", report, "--key", pubFile, "--json")
	assert.Equal(t, ExitNotVerified, r.code)
	assert.Contains(t, r.stdout, "audit-dumpsys-account.txt")

	r = runMain("", nil, "--fake", "miui14-en", "audit", "--report", report)
	assert.Equal(t, ExitUsage, r.code, "a non-empty report folder is refused")
}

// gatedPhone holds the first `input text` (the password) until released,
// so a test can start a second run while the first is at that point.
type gatedPhone struct {
	*phone.Phone
	typing  chan struct{}
	release chan struct{}
	once    sync.Once
}

func (g *gatedPhone) Open(ctx context.Context, service string) (fake.Service, error) {
	if strings.Contains(service, "input text") {
		g.once.Do(func() {
			g.typing <- struct{}{}
			<-g.release
		})
	}
	return g.Phone.Open(ctx, service)
}

// TestTwoRemovesOnOnePhone: two `remove --yes` runs against one phone,
// the second started while the first types the password: exactly one
// changes the phone, the other exits 3 naming who holds it.
func TestTwoRemovesOnOnePhone(t *testing.T) {
	ph, err := phone.New(loadBuiltin(t, "miui14-en"), phone.Options{})
	require.NoError(t, err)
	g := &gatedPhone{Phone: ph, typing: make(chan struct{}), release: make(chan struct{})}
	env := faketest.Serve(t, faketest.Options{}, g)
	first := make(chan run, 1)
	go func() {
		first <- runMain(demoPassword+"\n", nil, "--adb", env.Server.Addr(), "remove", "--password-stdin", "--yes")
	}()
	<-g.typing
	second := runMain(demoPassword+"\n", nil, "--adb", env.Server.Addr(), "remove", "--password-stdin", "--yes")
	close(g.release)
	one := <-first
	assert.Equal(t, ExitOK, one.code, one.stderr)
	assert.Equal(t, ExitNoDevice, second.code, second.stderr)
	host, _ := os.Hostname()
	assert.Contains(t, second.stderr, "in use by another miacct run")
	assert.Contains(t, second.stderr, "held by "+plainHost(host))
	assert.Equal(t, demoPassword, ph.TypedText(), "the password was typed once")
	assert.Equal(t, 1, ph.Reboots(), "the phone restarted once")
	res, err := env.Device.Shell(context.Background(), "ls /data/local/tmp")
	require.NoError(t, err)
	assert.NotContains(t, res.String(), "miacct.lock", "the lock is gone after the run")
}

// plainHost is the host name as the lock writes it.
func plainHost(h string) string {
	var b strings.Builder
	for _, r := range h {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// lineChan hands each written line to a channel.
type lineChan struct {
	mu    sync.Mutex
	buf   strings.Builder
	lines chan string
}

func (w *lineChan) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		s := w.buf.String()
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			break
		}
		w.lines <- s[:i]
		w.buf.Reset()
		w.buf.WriteString(s[i+1:])
	}
	return len(p), nil
}

// TestWatchThreePhones: a station watches an empty fake server; three
// phones are plugged in one after another (one locked). Each is run
// once, each gets its certificate, the events say so, and the station
// stops after the three (--max-runs).
func TestWatchThreePhones(t *testing.T) {
	env := faketest.Serve(t, faketest.Options{})
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw.csv")
	f, err := os.OpenFile(pw, os.O_CREATE|os.O_WRONLY, 0o600)
	require.NoError(t, err)
	cw := csv.NewWriter(f)
	// Keyed by IMEI, by serial and by account id.
	require.NoError(t, cw.WriteAll([][]string{{"861234567890127", demoPassword}, {"a0000002", demoPassword}, {"2000000003", demoPassword}}))
	require.NoError(t, f.Close())
	report := filepath.Join(dir, "certs")

	events := &lineChan{lines: make(chan string, 100)}
	var errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		streams := &IOStreams{In: strings.NewReader(""), Out: events, ErrOut: &errOut, Getenv: func(string) string { return "" }}
		done <- Main(streams, []string{"--adb", env.Server.Addr(), "watch", "--remove", "--yes", "--passwords", pw,
			"--report", report, "--events", "-", "--max-runs", "3"})
	}()
	newPhone := func(ref, serial string) {
		opts := phone.Options{Serial: serial}
		if serial == "a0000003" {
			opts.AccountID = "2000000003"
		}
		ph, err := phone.New(loadBuiltin(t, ref), opts)
		require.NoError(t, err)
		env.Server.Add(ph)
	}
	finished := map[string]event{}
	waitFinished := func(serial string) event {
		for {
			select {
			case line := <-events.lines:
				var e event
				require.NoError(t, json.Unmarshal([]byte(line), &e), line)
				assert.Equal(t, 1, e.Schema)
				if e.Event == eventRunFinished {
					_, twice := finished[e.Phone]
					assert.False(t, twice, "a second run on %s", e.Phone)
					finished[e.Phone] = e
					if e.Phone == serial {
						return e
					}
				}
			case code := <-done:
				t.Fatalf("watch ended (exit %d) before %s finished:\n%s", code, serial, errOut.String())
			}
		}
	}
	newPhone("miui14-en-imei", "a0000001")
	e1 := waitFinished("a0000001")
	newPhone("miui14-en-locked", "a0000002")
	e2 := waitFinished("a0000002")
	newPhone("miui14-zh", "a0000003")
	e3 := waitFinished("a0000003")
	code := <-done
	assert.Equal(t, ExitOK, code, errOut.String())

	assert.Equal(t, 0, *e1.ExitCode)
	assert.Equal(t, certificate.VerdictClear, e1.Verdict)
	assert.Equal(t, ExitNotReady, *e2.ExitCode, "the locked phone")
	assert.Equal(t, certificate.VerdictFailed, e2.Verdict)
	assert.Equal(t, 0, *e3.ExitCode)
	for _, e := range []event{e1, e2, e3} {
		require.NotEmpty(t, e.Certificate, "%s has a certificate", e.Phone)
		v, err := certificate.Verify(filepath.Dir(e.Certificate), certificate.VerifyOptions{})
		require.NoError(t, err)
		assert.True(t, v.OK(), "%s: %v", e.Phone, v.Findings)
	}
	summary, err := os.ReadFile(filepath.Join(report, certificate.SummaryCSVFile))
	require.NoError(t, err)
	assert.Equal(t, 4, len(strings.Split(strings.TrimSpace(string(summary)), "\n")), "a header and three phones:\n%s", summary)
	assert.Contains(t, errOut.String(), "a0000001  remove: password found by IMEI")
	assert.Contains(t, errOut.String(), "a0000002  remove: password found by serial")
	assert.Contains(t, errOut.String(), "a0000003  remove: password found by account id")
	assert.Contains(t, errOut.String(), "Stopped: 3 phone(s) run.")
}

// TestFakeServeControl: fake serve --control-stdin plugs phones in and
// pulls them out; a tracker sees each change.
func TestFakeServeControl(t *testing.T) {
	pr, pw := io.Pipe()
	out := &lineChan{lines: make(chan string, 20)}
	var errOut syncBuffer
	dir := t.TempDir()
	addrFile := filepath.Join(dir, "addr")
	done := make(chan int, 1)
	go func() {
		streams := &IOStreams{In: pr, Out: out, ErrOut: &errOut, Getenv: func(string) string { return "" }}
		done <- Main(streams, []string{"fake", "serve", "--control-stdin", "--listen", "127.0.0.1:0", "--addr-file", addrFile})
	}()
	addr := <-out.lines // the address, printed first
	_, _ = io.WriteString(pw, "add miui14-en x1\n")
	assert.Equal(t, "added x1", <-out.lines)
	_, _ = io.WriteString(pw, "add miui14-en x1\n")
	assert.NotEqual(t, "added x1", <-out.lines, "a taken serial is not given twice")
	r := runMain("", nil, "--adb", addr, "devices")
	assert.Contains(t, r.stdout, "x1")
	_, _ = io.WriteString(pw, "remove x1\nlist\nfrobnicate\n")
	assert.Equal(t, "removed x1", <-out.lines)
	assert.NotContains(t, <-out.lines, "x1")
	assert.Contains(t, <-out.lines, "error: unknown command")
	_ = pw.Close()
	// The server serves until Ctrl-C; the test process ends it.
	_ = done
}
