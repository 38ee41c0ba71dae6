package record_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake/faketest"
	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/adb/fake/phone"
	"github.com/miacct/miacct/adb/record"
	"github.com/miacct/miacct/fixtures"
	"github.com/miacct/miacct/flows"
)

// demoPassword is the password of the built-in fixtures' accounts.
const demoPassword = `Mi pa$$ %s 'q' "dq" \ & ; | $(reboot)`

// wrongPassword is the password the wrong-password tests type.
const wrongPassword = "not the password"

func loadFixture(t testing.TB, ref string) *fixture.Fixture {
	t.Helper()
	return faketest.Fixture(t, ref)
}

// serve puts a phone made from fx behind a real loopback ADB server and
// returns it with a device reached through the real client.
func serve(t testing.TB, fx *fixture.Fixture) (*phone.Phone, adb.Device) {
	t.Helper()
	env := faketest.Start(t, fx, faketest.Options{Client: adb.ClientOptions{CallTimeout: 10 * time.Second}})
	require.NotNil(t, env.Device, "the phone is usable over ADB")
	return env.Phone, env.Device
}

// newRecorder starts a recording of dev, the phone of fx, in a new
// directory. When the test ends, every file of the recording is searched
// for the passwords and fx's personal data.
func newRecorder(t testing.TB, dev adb.Device, fx *fixture.Fixture, secrets ...string) *record.Recorder {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "rec")
	rec, err := record.New(dev, record.Options{Dir: dir, Tool: "miacct test", Command: "remove", Secrets: secrets})
	require.NoError(t, err)
	t.Cleanup(func() { scanForSecrets(t, dir, personalData(fx)) })
	return rec
}

// personalData are the values of fx that identify the phone or its owner.
func personalData(fx *fixture.Fixture) []string {
	out := []string{fx.Serial}
	for k, v := range fx.Properties {
		if strings.Contains(k, "serial") {
			out = append(out, v)
		}
	}
	for _, a := range fx.Accounts {
		out = append(out, a.Name)
		if a.Type == "com.xiaomi" {
			out = append(out, flows.MaskID(a.Name))
		}
	}
	return out
}

// stopAfter is an Observer that closes stop once the named step finished.
type stopAfter struct {
	step string
	stop chan struct{}
	once sync.Once
}

func (s *stopAfter) StepStarted(string) {}
func (s *stopAfter) StepFinished(r flows.StepResult) {
	if r.Name == s.step {
		s.once.Do(func() { close(s.stop) })
	}
}

// runRemove runs `remove` on dev with password; a non-empty stopStep
// interrupts the run once that step finished (as a Ctrl-C would).
func runRemove(t testing.TB, dev adb.Device, password, stopStep string) *flows.Result {
	t.Helper()
	opts := flows.Options{Password: flows.NewSecret(password)}
	if stopStep != "" {
		obs := &stopAfter{step: stopStep, stop: make(chan struct{})}
		opts.Stop, opts.Observer = obs.stop, obs
	}
	ctx := context.Background()
	s, err := flows.Open(ctx, dev, opts)
	require.NoError(t, err)
	defer func() { _ = s.Close(ctx) }()
	if _, err := s.Inspect(ctx); err != nil {
		t.Fatalf("inspect: %v", err)
	}
	return s.Run(ctx, flows.Job{Flow: flows.FlowRemove})
}

// stepView is what must match between a run and its replay. Inputs
// count `input` invocations, and typing another password may take
// another number of them (EncodeText splits at a literal "%s"): they are
// compared when the password is the same.
type stepView struct {
	Name, Status, Screen string
	Dumps, Inputs        int
	ADBCalls             int
}

func view(res *flows.Result) []stepView {
	var out []stepView
	for _, s := range res.Steps {
		out = append(out, stepView{Name: s.Name, Status: s.Status, Screen: s.Screen, Dumps: s.Dumps, Inputs: s.Inputs, ADBCalls: s.ADBCalls})
	}
	return out
}

// viewTyped is view without the input counts of the step that types.
func viewTyped(res *flows.Result) []stepView {
	out := view(res)
	for i := range out {
		if out[i].Name == flows.StepEnterPassword {
			out[i].Inputs = 0
		}
	}
	return out
}

// replay loads a recording and serves it.
func replay(t testing.TB, dir string) (*phone.Phone, adb.Device) {
	t.Helper()
	fx := loadFixture(t, dir)
	require.NotNil(t, fx.Recording, "a recording says so")
	return serve(t, fx)
}

func TestRoundTripRemove(t *testing.T) {
	fx := loadFixture(t, "miui14-en")
	_, dev := serve(t, fx)
	rec := newRecorder(t, dev, fx, demoPassword)
	orig := runRemove(t, rec, demoPassword, "")
	require.NoError(t, orig.Err)
	require.NoError(t, rec.Close())

	// Any password gives the recorded outcome: the replay checks none.
	for _, pw := range []string{demoPassword, "something else entirely"} {
		ph, dev := replay(t, rec.Dir())
		again := runRemove(t, dev, pw, "")
		require.NoError(t, again.Err, "replay with password %q", pw)
		if pw == demoPassword {
			assert.Equal(t, view(orig), view(again))
		}
		assert.Equal(t, viewTyped(orig), viewTyped(again))
		assert.Empty(t, ph.Unrecorded(), "the replay met actions the recording never saw")
	}
}

func TestRoundTripWrongPassword(t *testing.T) {
	fx := loadFixture(t, "miui14-en")
	_, dev := serve(t, fx)
	rec := newRecorder(t, dev, fx, wrongPassword)
	orig := runRemove(t, rec, wrongPassword, "")
	require.ErrorIs(t, orig.Err, flows.ErrWrongPassword)
	require.NoError(t, rec.Close())

	// The right password changes nothing: the phone said it was wrong.
	ph, dev2 := replay(t, rec.Dir())
	again := runRemove(t, dev2, demoPassword, "")
	require.ErrorIs(t, again.Err, flows.ErrWrongPassword)
	assert.Equal(t, viewTyped(orig), viewTyped(again))
	assert.Equal(t, orig.Resume, again.Resume)
	assert.Empty(t, ph.Unrecorded())
}

func TestRoundTripInterrupted(t *testing.T) {
	fx := loadFixture(t, "miui14-en")
	_, dev := serve(t, fx)
	rec := newRecorder(t, dev, fx, demoPassword)
	orig := runRemove(t, rec, demoPassword, flows.StepSignOut)
	require.ErrorIs(t, orig.Err, flows.ErrInterrupted)
	// No Close: the recording on disk is what a killed process leaves.
	recorded := loadFixture(t, rec.Dir())
	assert.False(t, recorded.Recording.Complete)

	// Interrupted at the same point, the replay is the same run.
	ph, dev2 := replay(t, rec.Dir())
	again := runRemove(t, dev2, demoPassword, flows.StepSignOut)
	require.ErrorIs(t, again.Err, flows.ErrInterrupted)
	assert.Equal(t, view(orig), view(again))
	assert.Empty(t, ph.Unrecorded())

	// Run on, the replay stops where the recording does: the next step
	// meets a screen with no recorded transition, and says so.
	ph, dev3 := replay(t, rec.Dir())
	further := runRemove(t, dev3, demoPassword, "")
	require.Error(t, further.Err)
	require.GreaterOrEqual(t, len(further.Steps), len(orig.Steps))
	assert.Equal(t, view(orig)[:4], view(further)[:4], "the recorded steps replay the same")
	assert.Equal(t, flows.StatusFailed, further.Steps[4].Status, "remove-data fails: it was never recorded")
	assert.NotEmpty(t, ph.Unrecorded())
	require.NoError(t, rec.Close())
}

// scanForSecrets fails if any file of a recording holds a password (in
// any form it could take) or one of the personal values.
func scanForSecrets(t testing.TB, dir string, personal []string) {
	t.Helper()
	forbidden := append(passwordForms(demoPassword), passwordForms(wrongPassword)...)
	forbidden = append(forbidden, personal...)
	files := 0
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, f := range forbidden {
			if f != "" && bytes.Contains(data, []byte(f)) {
				t.Errorf("%s contains %q", path, f)
			}
		}
		return nil
	})
	require.NoError(t, err)
	assert.NotZero(t, files, "an empty recording")
}

// passwordForms are the ways a password could leak: as typed, its
// distinctive parts, %s-encoded as `input text` gets it, shell-quoted.
func passwordForms(pw string) []string {
	forms := []string{pw, strings.ReplaceAll(pw, " ", "%s")}
	if pw == demoPassword {
		forms = append(forms, `pa$$`, `"dq"`, `'q'`, `'\''q'\''`, `Mi%spa`, `$(reboot)`)
	}
	if cmds, err := adb.EncodeText(pw); err == nil {
		for _, c := range cmds {
			forms = append(forms, strings.TrimPrefix(c, "input text "))
		}
	}
	return forms
}

func TestRoundTripEveryBuiltInPhone(t *testing.T) {
	for _, name := range []string{"miui12-en", "hyperos2-en", "miui14-zh", "miui14-id"} {
		t.Run(name, func(t *testing.T) {
			fx := loadFixture(t, name)
			_, dev := serve(t, fx)
			rec := newRecorder(t, dev, fx, demoPassword)
			orig := runRemove(t, rec, demoPassword, "")
			require.NoError(t, orig.Err)
			require.NoError(t, rec.Close())
			ph, dev2 := replay(t, rec.Dir())
			again := runRemove(t, dev2, demoPassword, "")
			require.NoError(t, again.Err)
			assert.Equal(t, view(orig), view(again))
			assert.Empty(t, ph.Unrecorded())
		})
	}
}

// checkEveryCall is a Device around a recorder that loads the recording
// after every call: a run killed at any point leaves a usable fixture.
type checkEveryCall struct {
	*record.Recorder
	t     testing.TB
	loads int
}

func (c *checkEveryCall) check() {
	c.t.Helper()
	fx, err := fixture.Loader{Builtin: fixtures.FS()}.Load(c.Dir())
	if err != nil {
		c.t.Fatalf("after call %d the recording does not load: %v", c.loads+1, err)
	}
	if _, err := phone.New(fx, phone.Options{}); err != nil {
		c.t.Fatalf("after call %d the recording makes no phone: %v", c.loads+1, err)
	}
	c.loads++
}

func (c *checkEveryCall) Shell(ctx context.Context, cmd string) (adb.ShellResult, error) {
	defer c.check()
	return c.Recorder.Shell(ctx, cmd)
}

func (c *checkEveryCall) Exec(ctx context.Context, cmd string) ([]byte, error) {
	defer c.check()
	return c.Recorder.Exec(ctx, cmd)
}

func (c *checkEveryCall) Reboot(ctx context.Context) error {
	defer c.check()
	return c.Recorder.Reboot(ctx)
}

func TestLoadableAfterEveryCall(t *testing.T) {
	fx := loadFixture(t, "miui14-en")
	_, dev := serve(t, fx)
	rec := newRecorder(t, dev, fx, demoPassword)
	// Before any call too.
	_, err := fixture.Loader{}.Load(rec.Dir())
	require.NoError(t, err)
	c := &checkEveryCall{Recorder: rec, t: t}
	res := runRemove(t, c, demoPassword, "")
	require.NoError(t, res.Err)
	assert.Greater(t, c.loads, 20)
}

func TestScreenshotsKeptButNotOfPasswords(t *testing.T) {
	fx := loadFixture(t, "miui14-en")
	_, dev := serve(t, fx)
	rec := newRecorder(t, dev, fx, demoPassword)
	ctx := context.Background()
	res := runRemove(t, rec, demoPassword, flows.StepOpenAccount)
	require.ErrorIs(t, res.Err, flows.ErrInterrupted)
	_, err := adb.Screenshot(ctx, rec)
	require.NoError(t, err)

	// On the password dialog, its field focused: not kept.
	fx2 := loadFixture(t, "miui14-en")
	fx2.Display.Start = "password-dialog"
	_, dev2 := serve(t, fx2)
	rec2 := newRecorder(t, dev2, fx2, demoPassword)
	_, err = adb.DumpUI(ctx, rec2)
	require.NoError(t, err)
	_, err = adb.Screenshot(ctx, rec2)
	require.NoError(t, err, "the tool gets its screenshot; the recording does not keep it")
	require.NoError(t, rec.Close())
	require.NoError(t, rec2.Close())

	png, err := os.ReadFile(filepath.Join(rec.Dir(), "screens", "account.png"))
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(png, []byte("\x89PNG")))
	assert.Equal(t, 1, rec.Stats().Screenshots)
	assertBlack(t, png, image.Rect(308, 560, 510, 611), "the account id on the account screen")
	assertPrivate(t, rec.Dir())
	readme, err := os.ReadFile(filepath.Join(rec.Dir(), "README.md"))
	require.NoError(t, err)
	assert.Contains(t, string(readme), "The screenshots are not scanned")
	assert.Contains(t, string(readme), "screens/account.png")

	shots, err := filepath.Glob(filepath.Join(rec2.Dir(), "screens", "*.png"))
	require.NoError(t, err)
	assert.Empty(t, shots)
	assert.Equal(t, 1, rec2.Stats().Dropped)
}

func TestPersonalDataInOutputsAndDumps(t *testing.T) {
	fx := loadFixture(t, "miui14-en")
	fx.Properties["ril.serialnumber"] = "R58M12AB34C"
	fx.Properties["persist.radio.imei"] = "861234567890123"
	fx.Commands = append(fx.Commands, fixture.Command{Service: "shell", Cmd: "getprop persist.owner", Outputs: []fixture.Output{
		{Stdout: "owner jane.doe@mail.example.org +86 138 0013 8000, typed " + demoPassword + "\n"},
	}})
	ph, dev := serve(t, fx)
	rec := newRecorder(t, dev, fx, demoPassword)
	ctx := context.Background()
	res, err := rec.Shell(ctx, "getprop persist.owner")
	require.NoError(t, err)
	assert.Contains(t, res.String(), demoPassword, "the tool sees the real output")
	require.NoError(t, adb.StartActivity(ctx, rec, adb.Intent{Action: "android.settings.XIAOMI_ACCOUNT_SYNC_SETTINGS"}))
	for range 2 { // the account page is drawn one dump late
		_, err = adb.DumpUI(ctx, rec)
		require.NoError(t, err)
	}
	require.NoError(t, rec.Close())
	assert.Equal(t, "account", ph.Screen())

	data, err := os.ReadFile(filepath.Join(rec.Dir(), "fixture.yaml"))
	require.NoError(t, err)
	yaml := string(data)
	for _, private := range []string{"R58M12AB34C", "861234567890123", "jane.doe@mail.example.org", "138 0013 8000"} {
		assert.NotContains(t, yaml, private)
	}
	assert.Contains(t, yaml, "owner user2@example.com PHONE1, typed "+record.SecretMarker)
	account, err := os.ReadFile(filepath.Join(rec.Dir(), "screens", "account.xml"))
	require.NoError(t, err)
	assert.Contains(t, string(account), `text="1000000001"`, "the account id, as in the properties and accounts")
	st := rec.Stats()
	assert.Equal(t, 1, st.Replaced["account id"])
	assert.Equal(t, 2, st.Replaced["serial number"])
}

func TestTimedOutCommandHangsInReplay(t *testing.T) {
	fx := loadFixture(t, "miui14-en")
	_, dev := serve(t, fx)
	rec := newRecorder(t, dev, fx)
	// A call whose deadline passed fails as a phone that never answers does.
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, err := rec.Shell(ctx, "logcat -d")
	require.Error(t, err)
	require.NoError(t, rec.Close())
	recorded := loadFixture(t, rec.Dir())
	assert.Equal(t, []string{"logcat -d"}, recorded.Faults.Hang)
}

func TestRoundTripInputRefused(t *testing.T) {
	fx := loadFixture(t, "miui14-en")
	fx.Input.Injection = new(bool)
	_, dev := serve(t, fx)
	rec := newRecorder(t, dev, fx, demoPassword)
	orig := runRemove(t, rec, demoPassword, "")
	require.ErrorIs(t, orig.Err, flows.ErrNotReady)
	require.NoError(t, rec.Close())

	ph, dev2 := replay(t, rec.Dir())
	again := runRemove(t, dev2, demoPassword, "")
	require.ErrorIs(t, again.Err, flows.ErrNotReady)
	assert.Equal(t, view(orig), view(again))
	assert.Empty(t, ph.Unrecorded())
}

// The phone's uptime is read with every screen (adb.DumpCommand) and on
// its own; neither is kept as a recorded answer: the replaying phone
// answers from its own clock, whose time goes on.
func TestUptimeIsNotRecorded(t *testing.T) {
	fx := loadFixture(t, "miui14-en")
	_, dev := serve(t, fx)
	rec := newRecorder(t, dev, fx, demoPassword)
	ctx := context.Background()
	first, err := adb.DumpUI(ctx, rec)
	require.NoError(t, err)
	require.NotZero(t, first.Uptime)
	res, err := rec.Shell(ctx, "cat /proc/uptime")
	require.NoError(t, err)
	require.Len(t, strings.Fields(res.String()), 2)
	require.NoError(t, rec.Close())
	assert.Equal(t, 1, rec.Stats().Screens)
	assert.Zero(t, rec.Stats().Commands, "no uptime kept as a recorded command")

	ph, dev2 := replay(t, rec.Dir())
	a, err := adb.DumpUI(ctx, dev2)
	require.NoError(t, err)
	b, err := adb.DumpUI(ctx, dev2)
	require.NoError(t, err)
	res, err = dev2.Shell(ctx, "cat /proc/uptime")
	require.NoError(t, err)
	assert.Len(t, strings.Fields(res.String()), 2, "answered by the replaying phone")
	assert.NotZero(t, a.Uptime)
	assert.GreaterOrEqual(t, b.Uptime, a.Uptime, "the replay's clock never goes back")
	assert.Empty(t, ph.Unrecorded())
}

// Asking which activity would start is kept with its answer: the replay
// answers as the phone did, found or not, whether or not the activity
// was started later.
func TestResolveActivityIsRecorded(t *testing.T) {
	fx := loadFixture(t, "miui14-en")
	_, dev := serve(t, fx)
	rec := newRecorder(t, dev, fx, demoPassword)
	ctx := context.Background()
	settings := adb.Intent{Action: "android.settings.XIAOMI_ACCOUNT_SYNC_SETTINGS"}
	none := adb.Intent{Action: "com.example.NONE"}
	for _, in := range []adb.Intent{settings, none} {
		_, err := adb.ResolvesActivity(ctx, rec, in)
		require.NoError(t, err)
	}
	require.NoError(t, rec.Close())
	assert.Equal(t, 2, rec.Stats().Commands)

	ph, dev2 := replay(t, rec.Dir())
	found, err := adb.ResolvesActivity(ctx, dev2, settings)
	require.NoError(t, err)
	assert.True(t, found)
	found, err = adb.ResolvesActivity(ctx, dev2, none)
	require.NoError(t, err)
	assert.False(t, found)
	assert.Empty(t, ph.Unrecorded())
}

// assertBlack fails unless every pixel of r in the PNG is black: what the
// sanitiser replaced in the dump is blacked out on the screenshot.
func assertBlack(t *testing.T, data []byte, r image.Rectangle, what string) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	require.NoError(t, err)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if cr, cg, cb, _ := img.At(x, y).RGBA(); cr|cg|cb != 0 {
				t.Fatalf("%s is not blacked out: pixel (%d,%d) is %v", what, x, y, img.At(x, y))
			}
		}
	}
}

// assertPrivate fails unless the folder and everything in it is the
// user's alone: folders 0700, files 0600.
func assertPrivate(t *testing.T, dir string) {
	t.Helper()
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
		return nil
	})
	require.NoError(t, err)
}
