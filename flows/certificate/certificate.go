package certificate

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
)

// SchemaVersion is the "schema" of certificate.json, manifest.json and
// signature.json. It changes only when a documented key changes meaning
// or goes away; new keys may appear without a change.
const SchemaVersion = 1

// Commands a certificate can be written for.
const (
	CommandRemove = "remove" // miacct remove: the account was taken off the phone
	CommandAudit  = "audit"  // miacct audit: the phone was only read
)

// Verdicts: the one word a shop files. They are decided from the state of
// the phone at the end of the run (After), never from what the tool did.
const (
	// VerdictClear: the run finished and found no Xiaomi account, Find
	// device off, no Google account, factory reset protection off and no
	// device or profile owner. The phone can be resold.
	VerdictClear = "clear"
	// VerdictNotClear: the run finished, but something still ties the
	// phone to someone (or could not be confirmed): do not resell yet.
	// VerdictReasons says what.
	VerdictNotClear = "not clear"
	// VerdictFailed: the run did not finish (Error says why). The phone's
	// state is not certified either way: fix the cause and run again.
	VerdictFailed = "failed"
)

// State words, shared by the fields of DeviceState.
const (
	StateUnknown  = "unknown"   // could not be read: Detail says why
	StateNone     = "none"      // no account, no owner, no lock
	StateSignedIn = "signed_in" // an account is signed in (XiaomiAccount)
	StatePresent  = "present"   // one or more Google accounts, or an owner app
	StateOn       = "on"        // Find device, factory reset protection
	StateOff      = "off"
	StateSet      = "set" // a screen lock (PIN, pattern, password) is set
)

// Check statuses of an audit.
const (
	CheckPass = "PASS"
	CheckWarn = "WARN" // worth fixing, does not keep the phone from being clear
	CheckFail = "FAIL" // keeps the phone from being clear
	CheckSkip = "SKIP" // not run: a check it needs failed
)

// StepFailed is the status of a step that failed (the flows' "failed";
// other statuses, "ok" and "skipped", are carried as given).
const StepFailed = "failed"

// Certificate is what certificate.json holds: one run of miacct on one
// phone. Every key is documented in SCHEMA.md. Times are written in UTC
// with millisecond precision (RFC 3339).
type Certificate struct {
	Schema int  `json:"schema"` // SchemaVersion; Write sets it
	Tool   Tool `json:"tool"`
	// Command is CommandRemove or CommandAudit.
	Command string `json:"command"`
	// Verdict is VerdictClear, VerdictNotClear or VerdictFailed. Left
	// empty, Write decides it with Assess; a "clear" the state does not
	// support is refused.
	Verdict string `json:"verdict"`
	// VerdictReasons say, in plain words, why the verdict is not clear
	// (empty for a clear phone). Left empty, Write fills them from Assess.
	VerdictReasons []string `json:"verdict_reasons"`

	// Operator and Ticket are free text given by the user; may be empty.
	Operator string `json:"operator"`
	Ticket   string `json:"ticket"`
	// Host is the computer the run was made from.
	Host      string    `json:"host"`
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at"`

	Phone Phone `json:"phone"`
	// Before is the phone's state read at the start of a remove (nil for
	// an audit, which reads the phone once: After).
	Before *DeviceState `json:"before,omitempty"`
	// After is the phone's state at the end of the run; the verdict is
	// decided from it. Nil when the run failed before it could be read.
	After *DeviceState `json:"after,omitempty"`

	// Steps of a remove, in order (empty for an audit).
	Steps []Step `json:"steps"`
	// Checks of an audit, in order (empty for a remove).
	Checks []Check `json:"checks"`
	// Evidence are the files of the run in the certificate's folder.
	// The caller fills Path and Description; Write fills SHA256 and Size.
	Evidence []Evidence `json:"evidence"`

	// ExitCode is the process's exit code (0 when the run finished).
	ExitCode int `json:"exit_code"`
	// Error is why the run failed; nil when it finished.
	Error *RunError `json:"error,omitempty"`
}

// Tool names the program that wrote the certificate.
type Tool struct {
	Name    string `json:"name"` // "miacct" when left empty
	Version string `json:"version"`
}

// Phone identifies the phone.
type Phone struct {
	Serial string `json:"serial"`
	// IMEIs as read from the phone, first slot first; empty when they
	// could not be read, and then IMEIsMissing says why.
	IMEIs        []string `json:"imeis"`
	IMEIsMissing string   `json:"imeis_missing,omitempty"`
	Brand        string   `json:"brand"`       // "Redmi"
	MarketName   string   `json:"market_name"` // "Redmi Note 12"
	Model        string   `json:"model"`       // model code, "23021RAA2Y"
	OS           string   `json:"os"`          // "MIUI 14", "HyperOS 1.0"
	OSBuild      string   `json:"os_build"`    // incremental, "V14.0.6.0.TMGMIXM"
	Android      string   `json:"android"`     // "13"
}

// DeviceState is the phone's state at one moment. A nil field was not
// read; a field read without success has State StateUnknown.
type DeviceState struct {
	// ReadAt is when the state was read.
	ReadAt        time.Time `json:"read_at,omitzero"`
	XiaomiAccount *Account  `json:"xiaomi_account,omitempty"`
	// FindDevice is Xiaomi's Find device: StateOn, StateOff, StateUnknown.
	FindDevice     *Status         `json:"find_device,omitempty"`
	GoogleAccounts *GoogleAccounts `json:"google_accounts,omitempty"`
	// FRP is Android's factory reset protection: StateOn, StateOff,
	// StateUnknown.
	FRP    *Status `json:"frp,omitempty"`
	Owners *Owners `json:"owners,omitempty"`
	// ScreenLock is StateNone, StateSet or StateUnknown; Detail may say
	// which kind ("PIN").
	ScreenLock *Status  `json:"screen_lock,omitempty"`
	Battery    *Battery `json:"battery,omitempty"`
}

// Status is a state word and what was seen.
type Status struct {
	State  string `json:"state"`
	Detail string `json:"detail,omitempty"`
}

// Account is the Xiaomi account: StateSignedIn (with ID), StateNone or
// StateUnknown.
type Account struct {
	State string `json:"state"`
	// ID as the caller chose to show it, masked by default ("12******90").
	ID     string `json:"id,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// GoogleAccounts: StatePresent (with Accounts), StateNone or StateUnknown.
type GoogleAccounts struct {
	State    string   `json:"state"`
	Accounts []string `json:"accounts,omitempty"` // as the caller chose to show them
	Detail   string   `json:"detail,omitempty"`
}

// Owners are the device owner and profile owners (device management):
// StatePresent, StateNone or StateUnknown.
type Owners struct {
	State         string   `json:"state"`
	DeviceOwner   string   `json:"device_owner,omitempty"`   // the owner app's component
	ProfileOwners []string `json:"profile_owners,omitempty"` // "user 10: com.example/.Admin"
	Detail        string   `json:"detail,omitempty"`
}

// Battery is the battery when it was read.
type Battery struct {
	Level  int    `json:"level"`            // percent
	Status string `json:"status,omitempty"` // "charging", "discharging", "full"
}

// Step is one step of a remove.
type Step struct {
	Name       string    `json:"name"`
	Status     string    `json:"status"` // "ok", "failed", "skipped"
	StartedAt  time.Time `json:"started_at,omitzero"`
	DurationMS int64     `json:"duration_ms"`
	Message    string    `json:"message,omitempty"`
}

// Check is one check of an audit.
type Check struct {
	Name  string `json:"name"`
	Title string `json:"title,omitempty"`
	// Status is CheckPass, CheckWarn, CheckFail or CheckSkip; Write
	// accepts them in lower case too (flows' doctor) and writes them in
	// upper case.
	Status string `json:"status"`
	Detail string `json:"detail,omitempty"`
	Fix    string `json:"fix,omitempty"`
}

// Evidence is one file of the run, in the certificate's folder.
type Evidence struct {
	// Path is relative to the folder, with forward slashes.
	Path        string `json:"path"`
	Description string `json:"description"` // "screenshot after sign-out"
	SHA256      string `json:"sha256"`      // hex; Write fills it
	Size        int64  `json:"size"`        // bytes; Write fills it
}

// RunError is why a run failed.
type RunError struct {
	Message string `json:"message"`
	// Step is the step that failed, if any.
	Step string `json:"step,omitempty"`
}

// Assess decides the verdict from the certificate alone, with the
// reasons a shop reads: a run that failed (Error set) is "failed"; a run
// that finished is "clear" only when nothing failed and the state after
// it shows no Xiaomi account, Find device off, no Google account, factory
// reset protection off and no device or profile owner, each of them read.
// A screen lock and a low battery are no reasons: a reset clears the one,
// a charger the other.
func Assess(c *Certificate) (verdict string, reasons []string) {
	if c.Error != nil {
		msg := strings.TrimSpace(c.Error.Message)
		if msg == "" {
			msg = "the run failed"
		}
		if c.Error.Step != "" {
			msg = fmt.Sprintf("step %s: %s", c.Error.Step, msg)
		}
		return VerdictFailed, []string{msg}
	}
	reasons = Blockers(c.After)
	for _, ch := range c.Checks {
		if strings.EqualFold(ch.Status, CheckFail) {
			title := ch.Title
			if title == "" {
				title = ch.Name
			}
			reasons = append(reasons, "check failed: "+withDetail(title, ch.Detail))
		}
	}
	for _, s := range c.Steps {
		if strings.EqualFold(s.Status, StepFailed) {
			reasons = append(reasons, withDetail("step "+s.Name+" failed", s.Message))
		}
	}
	// The exit code says nothing the reasons above do not, when there
	// are any.
	if c.ExitCode != 0 && len(reasons) == 0 {
		reasons = append(reasons, fmt.Sprintf("the run ended with exit code %d", c.ExitCode))
	}
	if len(reasons) > 0 {
		return VerdictNotClear, reasons
	}
	return VerdictClear, nil
}

// Blockers lists what, in a state read at the end of a run, keeps the
// phone from being clear, in plain words. Nothing read is a blocker too.
func Blockers(s *DeviceState) []string {
	if s == nil {
		return []string{"the phone's state at the end of the run was not read"}
	}
	var out []string
	switch a := s.XiaomiAccount; {
	case a == nil:
		out = append(out, "the Xiaomi account was not checked")
	case a.State == StateNone:
	case a.State == StateSignedIn:
		out = append(out, withDetail("Xiaomi account still signed in", a.ID))
	default:
		out = append(out, withDetail("the Xiaomi account could not be read", a.Detail))
	}
	out = append(out, onOffBlocker(s.FindDevice, "Find device")...)
	switch g := s.GoogleAccounts; {
	case g == nil:
		out = append(out, "Google accounts were not checked")
	case g.State == StateNone:
	case g.State == StatePresent:
		out = append(out, withDetail("Google account on the phone (factory reset protection follows it)", strings.Join(g.Accounts, ", ")))
	default:
		out = append(out, withDetail("Google accounts could not be read", g.Detail))
	}
	out = append(out, onOffBlocker(s.FRP, "factory reset protection")...)
	switch o := s.Owners; {
	case o == nil:
		out = append(out, "device and profile owners were not checked")
	case o.State == StateNone:
	case o.State == StatePresent:
		var who []string
		if o.DeviceOwner != "" {
			who = append(who, "device owner "+o.DeviceOwner)
		}
		for _, p := range o.ProfileOwners {
			who = append(who, "profile owner "+p)
		}
		if len(who) == 0 {
			who = append(who, o.Detail)
		}
		out = append(out, withDetail("the phone is managed", strings.Join(who, ", ")))
	default:
		out = append(out, withDetail("device and profile owners could not be read", o.Detail))
	}
	return out
}

func onOffBlocker(s *Status, what string) []string {
	switch {
	case s == nil:
		return []string{what + " was not checked"}
	case s.State == StateOff:
		return nil
	case s.State == StateOn:
		return []string{what + " is on"}
	default:
		return []string{withDetail(what+" could not be read", s.Detail)}
	}
}

func withDetail(what, detail string) string {
	if detail = strings.TrimSpace(detail); detail != "" {
		return what + ": " + detail
	}
	return what
}

// reservedNames are the certificate's own files: evidence cannot take
// their place.
var reservedNames = map[string]bool{
	CertificateFile: true, PDFFile: true, ManifestFile: true, SignatureFile: true,
}

// prepare checks c before anything is written and fills what Write
// decides: schema, tool name, verdict and reasons, UTC times, empty lists
// as [] rather than null.
func prepare(c *Certificate) error {
	if c == nil {
		return errors.New("no certificate")
	}
	c.Schema = SchemaVersion
	if c.Tool.Name == "" {
		c.Tool.Name = "miacct"
	}
	if c.Command != CommandRemove && c.Command != CommandAudit {
		return fmt.Errorf("command %q: want %q or %q", c.Command, CommandRemove, CommandAudit)
	}
	if strings.TrimSpace(c.Phone.Serial) == "" {
		return errors.New("the phone has no serial")
	}
	if c.StartedAt.IsZero() || c.EndedAt.IsZero() {
		return errors.New("start and end times are required")
	}
	if c.EndedAt.Before(c.StartedAt) {
		return fmt.Errorf("the run ends (%s) before it starts (%s)", c.EndedAt.UTC().Format(time.RFC3339), c.StartedAt.UTC().Format(time.RFC3339))
	}
	if c.Phone.IMEIs == nil {
		c.Phone.IMEIs = []string{}
	}
	if len(c.Phone.IMEIs) == 0 && strings.TrimSpace(c.Phone.IMEIsMissing) == "" {
		c.Phone.IMEIsMissing = "not read"
	}

	for i := range c.Checks {
		status := strings.ToUpper(c.Checks[i].Status)
		switch status {
		case CheckPass, CheckWarn, CheckFail, CheckSkip:
			c.Checks[i].Status = status
		default:
			return fmt.Errorf("check %s: status %q: want PASS, WARN, FAIL or SKIP", c.Checks[i].Name, c.Checks[i].Status)
		}
	}

	assessed, reasons := Assess(c)
	switch c.Verdict {
	case "":
		c.Verdict = assessed
	case VerdictClear:
		if assessed != VerdictClear {
			return fmt.Errorf("verdict %q contradicts the certificate: %s", c.Verdict, strings.Join(reasons, "; "))
		}
	case VerdictNotClear:
	case VerdictFailed:
		if c.Error == nil || strings.TrimSpace(c.Error.Message) == "" {
			return errors.New(`verdict "failed" needs the error that ended the run`)
		}
	default:
		return fmt.Errorf("verdict %q: want %q, %q or %q", c.Verdict, VerdictClear, VerdictNotClear, VerdictFailed)
	}
	if len(c.VerdictReasons) == 0 && c.Verdict != VerdictClear {
		c.VerdictReasons = reasons
		if len(reasons) == 0 {
			return fmt.Errorf("verdict %q needs a reason (VerdictReasons): nothing in the certificate gives one", c.Verdict)
		}
	}
	if c.Verdict == VerdictClear {
		c.VerdictReasons = nil
	}
	if c.VerdictReasons == nil {
		c.VerdictReasons = []string{}
	}

	seen := map[string]bool{}
	for i := range c.Evidence {
		p, err := cleanRelPath(c.Evidence[i].Path)
		if err != nil {
			return fmt.Errorf("evidence %d: %w", i+1, err)
		}
		if reservedNames[p] {
			return fmt.Errorf("evidence %s: that name is the certificate's own", p)
		}
		if seen[p] {
			return fmt.Errorf("evidence %s: listed twice", p)
		}
		seen[p] = true
		c.Evidence[i].Path = p
	}
	if c.Steps == nil {
		c.Steps = []Step{}
	}
	if c.Checks == nil {
		c.Checks = []Check{}
	}
	if c.Evidence == nil {
		c.Evidence = []Evidence{}
	}
	normalizeTimes(c)
	return nil
}

// utcMillis is how every time is written: UTC, to the millisecond.
func utcMillis(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Millisecond)
}

func normalizeTimes(c *Certificate) {
	c.StartedAt = utcMillis(c.StartedAt)
	c.EndedAt = utcMillis(c.EndedAt)
	for _, s := range []*DeviceState{c.Before, c.After} {
		if s != nil {
			s.ReadAt = utcMillis(s.ReadAt)
		}
	}
	for i := range c.Steps {
		c.Steps[i].StartedAt = utcMillis(c.Steps[i].StartedAt)
	}
}

// cleanRelPath checks that p names a file inside the folder, and returns
// it in the one spelling the manifest uses (forward slashes, cleaned).
func cleanRelPath(p string) (string, error) {
	if p == "" {
		return "", errors.New("empty path")
	}
	if strings.ContainsAny(p, "\\\x00") {
		return "", fmt.Errorf("path %q: backslashes and NUL are not allowed", p)
	}
	clean := path.Clean(p)
	if clean != p || path.IsAbs(p) || clean == "." || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("path %q: want a clean path inside the folder (like screens/01.png)", p)
	}
	for _, part := range strings.Split(clean, "/") {
		if strings.HasPrefix(part, tempPrefix) {
			return "", fmt.Errorf("path %q: names starting with %q are temporary files", p, tempPrefix)
		}
	}
	return clean, nil
}
