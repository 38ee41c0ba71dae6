package certificate

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGoldenJSON pins certificate.json for a full remove, an audit and a
// failed remove: the keys users script against and their layout.
func TestGoldenJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func(testing.TB, string) *Certificate
	}{
		{"remove", sampleRemove},
		{"audit", sampleAudit},
		{"failed", sampleFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, Write(dir, tc.make(t, dir), WriteOptions{}))
			got, err := os.ReadFile(filepath.Join(dir, CertificateFile))
			require.NoError(t, err)
			golden := filepath.Join("testdata", tc.name+".golden.json")
			if *update {
				require.NoError(t, os.WriteFile(golden, got, 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test -update once to create it")
			assert.Equal(t, string(want), string(got))
		})
	}
}

// sampleFailed is a remove that stopped on a screen no step knows.
func sampleFailed(t testing.TB, dir string) *Certificate {
	c := sampleRemove(t, dir)
	c.Steps = c.Steps[:4]
	c.Steps[3].Status = StepFailed
	c.Steps[3].Message = `unexpected screen "Security check" (buttons: Cancel, Next)`
	c.After = nil
	c.ExitCode = 6
	c.Error = &RunError{Message: `the phone showed a screen no step knows: "Security check"`, Step: "sign-out"}
	return c
}

// TestJSONShape checks, on every sample, what the schema promises for
// all of them: snake_case keys, schema 1, UTC RFC 3339 times, lists as
// [] and never null.
func TestJSONShape(t *testing.T) {
	snake := regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	for name, mk := range map[string]func(testing.TB, string) *Certificate{"remove": sampleRemove, "audit": sampleAudit, "failed": sampleFailed} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			data, err := Marshal(mk(t, dir))
			require.NoError(t, err)
			var doc map[string]any
			require.NoError(t, json.Unmarshal(data, &doc))
			assert.Equal(t, float64(1), doc["schema"])
			for _, key := range []string{"imeis"} {
				assert.NotNil(t, doc["phone"].(map[string]any)[key], key)
			}
			for _, key := range []string{"steps", "checks", "evidence", "verdict_reasons"} {
				assert.IsType(t, []any{}, doc[key], key)
			}
			var walk func(path string, v any)
			walk = func(path string, v any) {
				switch v := v.(type) {
				case map[string]any:
					for k, child := range v {
						assert.Regexp(t, snake, k, "key at %s", path)
						walk(path+"."+k, child)
					}
				case []any:
					for _, child := range v {
						walk(path+"[]", child)
					}
				case string:
					if strings.HasSuffix(path, "_at") {
						tm, err := time.Parse(time.RFC3339Nano, v)
						assert.NoError(t, err, path)
						assert.True(t, strings.HasSuffix(v, "Z"), "%s = %s is not UTC", path, v)
						assert.Equal(t, time.UTC, tm.Location())
					}
				}
			}
			walk("", doc)
		})
	}
}

// TestTimesAreUTC: a certificate made with local times is written in UTC
// to the millisecond.
func TestTimesAreUTC(t *testing.T) {
	c := sampleRemove(t, t.TempDir())
	zone := time.FixedZone("UTC+8", 8*3600)
	c.StartedAt = time.Date(2025, 6, 2, 17, 14, 3, 250_400_000, zone)
	c.EndedAt = c.StartedAt.Add(time.Minute)
	data, err := Marshal(c)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"started_at": "2025-06-02T09:14:03.25Z"`)
	assert.Contains(t, string(data), `"ended_at": "2025-06-02T09:15:03.25Z"`)
}

func TestAssess(t *testing.T) {
	clearState := func() *DeviceState {
		return &DeviceState{
			XiaomiAccount:  &Account{State: StateNone},
			FindDevice:     &Status{State: StateOff},
			GoogleAccounts: &GoogleAccounts{State: StateNone},
			FRP:            &Status{State: StateOff},
			Owners:         &Owners{State: StateNone},
		}
	}
	for _, tc := range []struct {
		name    string
		edit    func(c *Certificate)
		verdict string
		reasons []string
	}{
		{"clear", func(c *Certificate) {}, VerdictClear, nil},
		{"screen lock and low battery are no blockers", func(c *Certificate) {
			c.After.ScreenLock = &Status{State: StateSet}
			c.After.Battery = &Battery{Level: 3}
		}, VerdictClear, nil},
		{"account still signed in", func(c *Certificate) {
			c.After.XiaomiAccount = &Account{State: StateSignedIn, ID: "12******90"}
		}, VerdictNotClear, []string{"Xiaomi account still signed in: 12******90"}},
		{"account unreadable", func(c *Certificate) {
			c.After.XiaomiAccount = &Account{State: StateUnknown, Detail: "dumpsys account timed out"}
		}, VerdictNotClear, []string{"the Xiaomi account could not be read: dumpsys account timed out"}},
		{"find device on", func(c *Certificate) { c.After.FindDevice.State = StateOn }, VerdictNotClear, []string{"Find device is on"}},
		{"find device not checked", func(c *Certificate) { c.After.FindDevice = nil }, VerdictNotClear, []string{"Find device was not checked"}},
		{"google account and frp", func(c *Certificate) {
			c.After.GoogleAccounts = &GoogleAccounts{State: StatePresent, Accounts: []string{"j***@gmail.com"}}
			c.After.FRP.State = StateOn
		}, VerdictNotClear, []string{"Google account on the phone (factory reset protection follows it): j***@gmail.com", "factory reset protection is on"}},
		{"frp unknown", func(c *Certificate) { c.After.FRP = &Status{State: StateUnknown} }, VerdictNotClear, []string{"factory reset protection could not be read"}},
		{"device owner", func(c *Certificate) {
			c.After.Owners = &Owners{State: StatePresent, DeviceOwner: "com.example.mdm/.Admin", ProfileOwners: []string{"user 10: com.work/.P"}}
		}, VerdictNotClear, []string{"the phone is managed: device owner com.example.mdm/.Admin, profile owner user 10: com.work/.P"}},
		{"nothing read after", func(c *Certificate) { c.After = nil }, VerdictNotClear, []string{"the phone's state at the end of the run was not read"}},
		{"failed check", func(c *Certificate) {
			c.Checks = []Check{{Name: "x", Title: "Something", Status: CheckFail, Detail: "bad"}, {Name: "y", Status: CheckWarn}}
		}, VerdictNotClear, []string{"check failed: Something: bad"}},
		{"failed step", func(c *Certificate) {
			c.Steps = []Step{{Name: "sign-out", Status: StepFailed, Message: "no button"}}
		}, VerdictNotClear, []string{"step sign-out failed: no button"}},
		{"exit code alone", func(c *Certificate) { c.ExitCode = 1 }, VerdictNotClear, []string{"the run ended with exit code 1"}},
		{"error", func(c *Certificate) {
			c.Error = &RunError{Message: "the phone stopped answering", Step: "reboot"}
			c.ExitCode = 7
		}, VerdictFailed, []string{"step reboot: the phone stopped answering"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Certificate{After: clearState()}
			tc.edit(c)
			verdict, reasons := Assess(c)
			assert.Equal(t, tc.verdict, verdict)
			assert.Equal(t, tc.reasons, reasons)
		})
	}
}

// TestWriteRefuses: what Write will not put its name to.
func TestWriteRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(c *Certificate)
		want string
	}{
		{"no command", func(c *Certificate) { c.Command = "" }, "command"},
		{"no serial", func(c *Certificate) { c.Phone.Serial = " " }, "serial"},
		{"no times", func(c *Certificate) { c.EndedAt = time.Time{} }, "times"},
		{"ends before it starts", func(c *Certificate) { c.EndedAt = c.StartedAt.Add(-time.Second) }, "before it starts"},
		{"unknown verdict", func(c *Certificate) { c.Verdict = "ok" }, `verdict "ok"`},
		{"clear contradicted", func(c *Certificate) {
			c.Verdict = VerdictClear
			c.After.FindDevice.State = StateOn
		}, "Find device is on"},
		{"failed without error", func(c *Certificate) { c.Verdict = VerdictFailed }, "needs the error"},
		{"not clear without a reason", func(c *Certificate) { c.Verdict = VerdictNotClear }, "needs a reason"},
		{"unknown check status", func(c *Certificate) { c.Checks = []Check{{Name: "battery", Status: "meh"}} }, `check battery: status "meh"`},
		{"evidence outside", func(c *Certificate) { c.Evidence[0].Path = "../secret" }, "inside the folder"},
		{"evidence absolute", func(c *Certificate) { c.Evidence[0].Path = "/etc/passwd" }, "inside the folder"},
		{"evidence unclean", func(c *Certificate) { c.Evidence[0].Path = "a//b" }, "clean path"},
		{"evidence backslash", func(c *Certificate) { c.Evidence[0].Path = `a\b` }, "backslashes"},
		{"evidence reserved", func(c *Certificate) { c.Evidence[0].Path = ManifestFile }, "certificate's own"},
		{"evidence twice", func(c *Certificate) { c.Evidence[1].Path = c.Evidence[0].Path }, "listed twice"},
		{"evidence missing", func(c *Certificate) { c.Evidence[0].Path = "nope.png" }, "nope.png"},
		{"evidence is a folder", func(c *Certificate) { c.Evidence[0].Path = "sub" }, "a folder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o700))
			c := sampleRemove(t, dir)
			tc.edit(c)
			err := Write(dir, c, WriteOptions{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			for _, name := range []string{CertificateFile, PDFFile, ManifestFile, SignatureFile} {
				assert.NoFileExists(t, filepath.Join(dir, name))
			}
		})
	}
}

// TestWriteFillsVerdict: left empty, the verdict and its reasons come
// from Assess; given, a "not clear" stands.
func TestWriteFillsVerdict(t *testing.T) {
	dir := t.TempDir()
	c := sampleAudit(t, dir)
	require.NoError(t, Write(dir, c, WriteOptions{}))
	assert.Equal(t, VerdictNotClear, c.Verdict)
	assert.NotEmpty(t, c.VerdictReasons)
	assert.Equal(t, []string{}, c.Phone.IMEIs)

	dir = t.TempDir()
	c = sampleRemove(t, dir)
	c.Verdict, c.VerdictReasons = VerdictNotClear, []string{"the screen is cracked"}
	require.NoError(t, Write(dir, c, WriteOptions{}))
	assert.Equal(t, []string{"the screen is cracked"}, c.VerdictReasons)

	// Statuses as flows' doctor spells them count the same.
	dir = t.TempDir()
	c = sampleAudit(t, dir)
	for i := range c.Checks {
		c.Checks[i].Status = strings.ToLower(c.Checks[i].Status)
	}
	require.NoError(t, Write(dir, c, WriteOptions{}))
	assert.Equal(t, VerdictNotClear, c.Verdict)
	assert.Equal(t, CheckFail, c.Checks[2].Status)
	assert.Contains(t, c.VerdictReasons, "check failed: No Google account: j***@gmail.com is signed in: factory reset protection is on")

	dir = t.TempDir()
	c = sampleRemove(t, dir)
	c.Phone.IMEIs, c.Phone.IMEIsMissing = nil, ""
	require.NoError(t, Write(dir, c, WriteOptions{}))
	assert.Equal(t, "not read", c.Phone.IMEIsMissing)
	for _, e := range c.Evidence {
		assert.Len(t, e.SHA256, 64, e.Path)
		assert.Positive(t, e.Size, e.Path)
	}
}
