package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake"
	"github.com/miacct/miacct/adb/fake/faketest"
	"github.com/miacct/miacct/adb/fake/phone"
)

// garbling is a fake device that answers as its phone does, except that
// the output of the services whose name holds match is rewritten by
// garble: a phone that sends garbage, or a transfer cut off.
type garbling struct {
	*phone.Phone
	match  string
	garble func([]byte) []byte
}

func (g *garbling) Open(ctx context.Context, service string) (fake.Service, error) {
	svc, err := g.Phone.Open(ctx, service)
	if err != nil || !strings.Contains(service, g.match) {
		return svc, err
	}
	return func(ctx context.Context, rw io.ReadWriter) error {
		var out bytes.Buffer
		err := svc(ctx, struct {
			io.Reader
			io.Writer
		}{rw, &out})
		if _, werr := rw.Write(g.garble(out.Bytes())); werr != nil {
			return werr
		}
		return err
	}, nil
}

// servePhone serves a fresh miui14-en (or the device wrap makes of it)
// on a loopback ADB server and returns the server's address. hook hears
// every line of the phone's log.
func servePhone(t *testing.T, wrap func(*phone.Phone) fake.Target, hook func(line string)) string {
	t.Helper()
	opts := phone.Options{}
	if hook != nil {
		opts.Log = hookWriter(hook)
	}
	ph, err := phone.New(loadBuiltin(t, "miui14-en"), opts)
	if err != nil {
		t.Fatal(err)
	}
	var target fake.Target = ph
	if wrap != nil {
		target = wrap(ph)
	}
	env := faketest.Serve(t, faketest.Options{}, target)
	return env.Server.Addr()
}

// hookWriter calls fn with each line written to it.
type hookWriter func(line string)

func (h hookWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		h(line)
	}
	return len(p), nil
}

// Reports are private to the user (folders 0700, files 0600) and show
// the account id, e-mail addresses and phone numbers masked, in every
// file, and blacked out on screenshots; --show-account shows them.
func TestReportIsPrivateAndMasked(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "report")
	r := runMain(demoPassword+"\n", nil, "--fake", "miui14-en", "remove", "--password-stdin", "--yes", "--report", dir)
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var accountShot string
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		want := os.FileMode(0o600)
		if info.IsDir() {
			want = 0o700
		}
		if runtime.GOOS != "windows" && info.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", path, info.Mode().Perm(), want)
		}
		if info.IsDir() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte("1234567890")) {
			t.Errorf("%s holds the account id unmasked", path)
		}
		if strings.HasSuffix(path, ".xml") && bytes.Contains(data, []byte("com.xiaomi.account:id/user_id")) {
			accountShot = strings.TrimSuffix(path, ".xml") + ".png"
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if accountShot == "" {
		t.Fatal("no step of the report ended on the account screen")
	}
	shot, err := os.ReadFile(accountShot)
	if err != nil {
		t.Fatal(err)
	}
	// The account screen's user_id node, [308,560][510,611] in miui14-en.
	if !allBlack(t, shot, image.Rect(308, 560, 510, 611)) {
		t.Errorf("%s shows the account id: its node is not blacked out", accountShot)
	}

	shown := filepath.Join(t.TempDir(), "shown")
	r = runMain(demoPassword+"\n", nil, "--fake", "miui14-en", "remove", "--password-stdin", "--yes", "--report", shown, "--show-account")
	if r.code != ExitOK {
		t.Fatalf("--show-account: exit %d: %s", r.code, r.stderr)
	}
	var out runResult
	data, _ := os.ReadFile(filepath.Join(shown, "report.json"))
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	if out.Device == nil || out.Device.Account == nil || *out.Device.Account != "1234567890" {
		t.Errorf("--show-account: report.json's device.account = %v, want the id unmasked", out.Device)
	}
}

func allBlack(t *testing.T, data []byte, r image.Rectangle) bool {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if cr, cg, cb, _ := img.At(x, y).RGBA(); cr|cg|cb != 0 {
				return false
			}
		}
	}
	return true
}

// --report never mixes two runs nor writes where a link points: a folder
// with files in it, a file, and a link are refused before the phone is
// reached; a link planted where a report file goes is replaced, its
// target untouched.
func TestReportRefusesWhatIsNotANewFolder(t *testing.T) {
	base := t.TempDir()
	earlier := filepath.Join(base, "earlier")
	if err := os.MkdirAll(earlier, 0o700); err != nil {
		t.Fatal(err)
	}
	proof := filepath.Join(earlier, "report.json")
	if err := os.WriteFile(proof, []byte(`{"earlier": true}`), 0o600); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(base, "target")
	if err := os.Mkdir(target, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ dir, want string }{
		{earlier, "is not empty"},
		{proof, "is not a folder"},
		{link, "is a symbolic link"},
	} {
		r := runMain(demoPassword+"\n", nil, "--fake", "miui14-en", "remove", "--password-stdin", "--yes", "--report", tc.dir)
		if r.code != ExitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("--report %s: exit %d, stderr %q; want exit 2 saying %q", tc.dir, r.code, r.stderr, tc.want)
		}
	}
	if data, _ := os.ReadFile(proof); string(data) != `{"earlier": true}` {
		t.Errorf("the earlier report was changed: %s", data)
	}
	if entries, _ := os.ReadDir(target); len(entries) > 0 {
		t.Errorf("the link's target got files: %v", entries)
	}

	// A link planted in the folder where a file of the report goes.
	dir := filepath.Join(base, "new")
	root, err := openPrivateDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	victim := filepath.Join(base, "victim")
	if err := os.WriteFile(victim, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(dir, "report.json")); err != nil {
		t.Fatal(err)
	}
	if err := writePrivateFile(root, "report.json", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(victim); string(data) != "keep me" {
		t.Errorf("writing the report followed a planted link: its target now holds %q", data)
	}
	if st, err := os.Lstat(filepath.Join(dir, "report.json")); err != nil || st.Mode()&os.ModeSymlink != 0 {
		t.Errorf("report.json is still the planted link")
	}
}

// A report or a recording that cannot be written (its folder taken away
// during the run, as a full disk would fail it) is an error: exit 8, and
// the message says what was not written; the phone's part is done.
func TestWriteErrorsAreErrors(t *testing.T) {
	for _, flag := range []string{"--report", "--record"} {
		t.Run(flag, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			var once sync.Once
			addr := servePhone(t, nil, func(line string) {
				if strings.Contains(line, "effect: synced data removed") {
					once.Do(func() { _ = os.RemoveAll(dir) })
				}
			})
			args := []string{"--adb", addr, "remove", "--password-stdin", "--yes"}
			if flag == "--report" {
				args = append(args, "--report", dir)
			} else {
				args = append([]string{"--record", dir}, args...)
			}
			r := runMain(demoPassword+"\n", nil, args...)
			if r.code != ExitIO {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.code, ExitIO, r.stderr)
			}
			if !strings.Contains(r.stderr, "could not write the ") {
				t.Errorf("stderr does not say what could not be written:\n%s", r.stderr)
			}
		})
	}
}

// A screenshot cut off in transfer is not kept nor linked as a PNG: it
// has no IEND chunk.
func TestTruncatedScreenshotIsNotKept(t *testing.T) {
	addr := servePhone(t, func(ph *phone.Phone) fake.Target {
		return &garbling{Phone: ph, match: "screencap", garble: func(b []byte) []byte { return b[:len(b)/2] }}
	}, nil)
	dir := filepath.Join(t.TempDir(), "report")
	r := runMain(demoPassword+"\n", nil, "--adb", addr, "remove", "--password-stdin", "--yes", "--report", dir)
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	shots, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	if len(shots) > 0 {
		t.Errorf("truncated screenshots were kept: %v", shots)
	}
	page, _ := os.ReadFile(filepath.Join(dir, "index.html"))
	if bytes.Contains(page, []byte(".png")) || !bytes.Contains(page, []byte("cut off")) {
		t.Errorf("index.html links a PNG, or does not say the screenshot was cut off")
	}
	if err := adb.CheckPNG(append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 40)...)); err == nil {
		t.Error("adb.CheckPNG took a PNG without its IEND chunk")
	}
}

// Garbage from the phone (a dump that is no XML) ends the run with exit
// 7 and saves a failure report, as an unknown screen does.
func TestGarbageFromThePhoneSavesAFailureReport(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	addr := servePhone(t, func(ph *phone.Phone) fake.Target {
		return &garbling{Phone: ph, match: "uiautomator", garble: func(b []byte) []byte {
			// The uptime line stays; the hierarchy becomes binary noise.
			line, _, _ := bytes.Cut(b, []byte("\n"))
			return append(append(line, '\n'), bytes.Repeat([]byte{0xff, 0x00, '<', 0x9c}, 2000)...)
		}}
	}, nil)
	r := runMain(demoPassword+"\n", nil, "--adb", addr, "--json", "remove", "--password-stdin", "--yes")
	if r.code != ExitTimeout {
		t.Fatalf("exit %d, want %d: %s", r.code, ExitTimeout, r.stderr)
	}
	var out runResult
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("stdout is not the run's JSON: %v\n%s", err, r.stdout)
	}
	if out.Report == "" {
		t.Fatalf("no failure report named in the JSON: %s", r.stdout)
	}
	if _, err := os.Stat(filepath.Join(out.Report, "report.json")); err != nil {
		t.Errorf("the failure report has no report.json: %v", err)
	}
}

// -v names every device call by its first words: useful to debug, and
// never what was typed nor how long it was.
func TestVerboseNamesCallsNotText(t *testing.T) {
	addr := servePhone(t, nil, nil)
	r := runMain(demoPassword+"\n", nil, "--adb", addr, "-v", "remove", "--password-stdin", "--yes")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{" shell: getprop: exit 0", " shell: input tap: exit 0", "; input text; ", " exec: cat; uiautomator dump: "} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("-v does not say %q:\n%s", want, r.stderr)
		}
	}
	if regexp.MustCompile(`\(\d+ chars\)`).MatchString(r.stderr) {
		t.Errorf("-v counts characters:\n%s", r.stderr)
	}
	if f := findSecret([]byte(r.stderr), secretForms(demoPassword)); f != "" {
		t.Errorf("-v shows the password (as %q)", f)
	}
	r = runMain(demoPassword+"\n", nil, "--fake", "miui14-en", "-v", "remove", "--password-stdin", "--yes")
	if regexp.MustCompile(`\(\d+ chars\)`).MatchString(r.stderr) || !strings.Contains(r.stderr, " shell: getprop") {
		t.Errorf("--fake -v: the fake phone's log counts characters or names no command:\n%s", r.stderr)
	}
}
