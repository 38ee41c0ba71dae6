package flows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/flows/ui"
)

// Step names, in the order `remove` runs them.
const (
	StepPreflight     = "preflight"
	StepOpenSettings  = "open-settings"
	StepOpenAccount   = "open-account"
	StepSignOut       = "sign-out"
	StepRemoveData    = "remove-data"
	StepEnterPassword = "enter-password"
	StepReboot        = "reboot"
	StepVerify        = "verify"
)

// StepInfo describes a step for `miacct steps`.
type StepInfo struct {
	Name    string `json:"name"`
	Seed    int    `json:"seed,omitempty"` // the step's number in the guide people follow; 0 for checks
	Summary string `json:"summary"`
	// Flow is the command that runs it: remove or delete-account.
	Flow string `json:"flow"`
}

// Step statuses in results.
const (
	StatusOK      = "ok"
	StatusFailed  = "failed"
	StatusSkipped = "skipped"
)

// StepResult is how a step went.
type StepResult struct {
	Name       string `json:"name"`
	Status     string `json:"status"`
	DurationMS int64  `json:"duration_ms"`
	ADBCalls   int    `json:"adb_calls"`
	Dumps      int    `json:"dumps"`
	Inputs     int    `json:"inputs"`
	Message    string `json:"message,omitempty"`
	// Screen is the screen the phone showed when the step ended, if known.
	Screen string `json:"screen,omitempty"`
	// Err is the failure, for the CLI (not serialised: Message has it).
	Err error `json:"-"`
}

// Totals add up the steps.
type Totals struct {
	DurationMS int64 `json:"duration_ms"`
	ADBCalls   int   `json:"adb_calls"`
	Dumps      int   `json:"dumps"`
	Inputs     int   `json:"inputs"`
}

// Result is how a run went.
type Result struct {
	Steps []StepResult
	// NothingToDo: no Xiaomi account was signed in.
	NothingToDo bool
	// Resume is the step to start from when running again (--from).
	Resume string
	// Err is the first failure; nil when every step went well.
	Err error
}

// Totals adds the steps up.
func (r *Result) Totals() Totals {
	var t Totals
	for _, s := range r.Steps {
		t.DurationMS += s.DurationMS
		t.ADBCalls += s.ADBCalls
		t.Dumps += s.Dumps
		t.Inputs += s.Inputs
	}
	return t
}

// stepDef is a step and how to run it.
type stepDef struct {
	StepInfo
	// run does the step; it returns a message for people.
	run func(s *Session, ctx context.Context) (string, error)
	// plan says what run would do, for --dry-run.
	plan string
	// retryable steps can run again after the phone dropped off ADB:
	// they check where the phone is before acting.
	retryable bool
}

// removeSteps are the steps of `miacct remove`, in order.
func removeSteps() []stepDef {
	return []stepDef{
		{StepInfo{StepPreflight, 0, "check the phone: online, a Xiaomi phone, screen awake and unlocked, input allowed, an account signed in", "remove"},
			(*Session).preflight, "read properties, accounts, screen and lock state; wake the screen; keep it awake while plugged in", true},
		{StepInfo{StepOpenSettings, 1, "open Settings", "remove"},
			(*Session).openSettings, "start Settings and wait for its main list", true},
		{StepInfo{StepOpenAccount, 2, "open the Xiaomi Account screen", "remove"},
			(*Session).openAccount, "start the Xiaomi Account screen (intent android.settings.XIAOMI_ACCOUNT_SYNC_SETTINGS, else the Settings row)", true},
		{StepInfo{StepSignOut, 3, "tap Sign out", "remove"},
			(*Session).signOut, "scroll to Sign out, tap it, wait for the data dialog (turning off Find device if asked)", true},
		{StepInfo{StepRemoveData, 4, "remove the synced data from the phone, confirm OK", "remove"},
			(*Session).removeData, "tap Remove (Keep with --keep-data), confirm with OK, wait for the password dialog", true},
		{StepInfo{StepEnterPassword, 5, "type the account password, OK", "remove"},
			(*Session).enterPassword, "type the password into the password field, tap OK, check the phone accepted it", false},
		{StepInfo{StepReboot, 6, "restart the phone and wait until it has booted", "remove"},
			(*Session).reboot, "restart through adbd and wait for sys.boot_completed with a new boot id", false},
		{StepInfo{StepVerify, 0, "check the account is gone: not in dumpsys account, Settings says Sign in", "remove"},
			(*Session).verify, "read dumpsys account and the Settings row", true},
	}
}

// Flows: the step sequences miacct runs.
const (
	FlowRemove        = "remove"
	FlowDeleteAccount = "delete-account"
)

// allSteps are the steps of both flows, preflight once.
func allSteps() []stepDef { return append(removeSteps(), deleteSteps()...) }

// flowSteps are the steps a flow runs, in order: remove (and the web
// steps after it with deleteAccount), or delete-account alone.
func flowSteps(flow string, deleteAccount bool) []stepDef {
	switch {
	case flow == FlowDeleteAccount:
		return append(removeSteps()[:1], deleteSteps()...)
	case deleteAccount:
		return allSteps()
	}
	return removeSteps()
}

// FlowStepNames lists the names of the steps a flow runs.
func FlowStepNames(flow string, deleteAccount bool) []string {
	return names(flowSteps(flow, deleteAccount))
}

func names(defs []stepDef) []string {
	out := make([]string, len(defs))
	for i, d := range defs {
		out[i] = d.Name
	}
	return out
}

// Steps lists every step miacct knows, in order.
func Steps() []StepInfo {
	var out []StepInfo
	for _, d := range allSteps() {
		out = append(out, d.StepInfo)
	}
	return out
}

// StepNames lists the step names, in order.
func StepNames() []string {
	var out []string
	for _, s := range Steps() {
		out = append(out, s.Name)
	}
	return out
}

// CheckStep returns an error naming the known steps when name is none.
func CheckStep(name string) error {
	for _, n := range StepNames() {
		if n == name {
			return nil
		}
	}
	return fmt.Errorf("%w %q; the steps are: %s", ErrUnknownStep, name, strings.Join(StepNames(), ", "))
}

// PlanItem is one line of a dry run's plan.
type PlanItem struct {
	Name   string `json:"name"`
	Seed   int    `json:"seed,omitempty"`
	Action string `json:"action"`
	Skip   string `json:"skip,omitempty"` // why it would not run
}

// Plan says what a flow would do, starting at from ("" = the start).
func (s *Session) Plan(flow, from string) []PlanItem {
	var out []PlanItem
	started := from == "" || from == StepPreflight
	for _, d := range flowSteps(flow, s.opts.DeleteAccount) {
		item := PlanItem{Name: d.Name, Seed: d.Seed, Action: d.plan}
		if d.Name == from {
			started = true
		}
		switch {
		case d.Name == StepPreflight:
		case !started:
			item.Skip = "before --from " + from
		case d.Name == StepReboot && s.opts.NoReboot:
			item.Skip = "--no-reboot"
		}
		if d.Name == StepRemoveData && s.opts.KeepData {
			item.Action = "tap Keep (--keep-data), confirm with OK, wait for the password dialog"
		}
		out = append(out, item)
	}
	return out
}

// Remove runs the whole flow: preflight, then every step from `from` on
// ("" = the first). It stops at the first failure; the result says which
// step to resume from.
func (s *Session) Remove(ctx context.Context, from string) *Result {
	return s.run(ctx, FlowRemove, from)
}

// DeleteAccount runs preflight and the web steps that delete the account
// for good (seed steps 7-12), from `from` on ("" = the first).
func (s *Session) DeleteAccount(ctx context.Context, from string) *Result {
	return s.run(ctx, FlowDeleteAccount, from)
}

func (s *Session) run(ctx context.Context, flow, from string) *Result {
	defs := flowSteps(flow, s.opts.DeleteAccount)
	if from != "" && stepIndex(defs, from) < 0 {
		if err := CheckStep(from); err != nil {
			return &Result{Err: err}
		}
		return &Result{Err: fmt.Errorf("%w %q for %s; its steps are: %s", ErrUnknownStep, from, flow, strings.Join(names(defs), ", "))}
	}
	res := &Result{}
	started := from == "" || from == StepPreflight
	for i, d := range defs {
		if d.Name == from {
			started = true
		}
		skip := ""
		switch {
		case d.Name == StepPreflight:
		case res.Err != nil || res.NothingToDo:
			skip = "not run"
		case !started:
			skip = "before --from " + from
		case s.opts.DryRun:
			skip = "dry run: would " + d.plan
		case d.Name == StepReboot && s.opts.NoReboot:
			skip = "--no-reboot"
		}
		if skip != "" {
			r := StepResult{Name: d.Name, Status: StatusSkipped, Message: skip}
			res.Steps = append(res.Steps, r)
			s.finished(r)
			continue
		}
		// Resuming after the account is gone (reboot, verify) must not
		// stop at "nothing to remove".
		s.requireAccount = flow == FlowRemove && (from == "" || stepIndex(defs, from) <= stepIndex(defs, StepEnterPassword))
		r := s.runStep(ctx, d)
		res.Steps = append(res.Steps, r)
		if r.Err != nil {
			res.Err = r.Err
			res.Resume = s.resumeAfter(defs[i].Name, r.Err)
		}
		if d.Name == StepPreflight && s.nothingToDo {
			res.NothingToDo = true
		}
	}
	return res
}

// RunStep runs one step alone. A step that needs a particular screen
// checks it first and says which step to run before it.
func (s *Session) RunStep(ctx context.Context, name string) *Result {
	if err := CheckStep(name); err != nil {
		return &Result{Err: err}
	}
	res := &Result{}
	for _, d := range allSteps() {
		if d.Name != name {
			continue
		}
		s.requireAccount = name == StepPreflight
		s.alone = true
		r := s.runStep(ctx, d)
		res.Steps = append(res.Steps, r)
		if r.Err != nil {
			res.Err = r.Err
			res.Resume = s.resumeAfter(name, r.Err)
		}
		res.NothingToDo = s.nothingToDo
	}
	return res
}

func stepIndex(defs []stepDef, name string) int {
	for i, d := range defs {
		if d.Name == name {
			return i
		}
	}
	return -1
}

// runStep runs d, measuring it, and once more when the phone dropped off
// ADB during a step that can safely be repeated.
func (s *Session) runStep(ctx context.Context, d stepDef) StepResult {
	if s.opts.Observer != nil {
		s.opts.Observer.StepStarted(d.Name)
	}
	start := time.Now()
	before := s.dev.Counts()
	if d.Name == StepPreflight {
		start, before = start.Add(-s.readTime), adb.Counts{}
	}
	s.notes = nil
	msg, err := d.run(s, ctx)
	if err != nil && d.retryable && deviceLost(err) && !errors.Is(err, ErrInterrupted) {
		s.note("the phone dropped off ADB; waited for it and carried on")
		if werr := s.waitBack(ctx); werr == nil {
			s.ui.Invalidate()
			msg, err = d.run(s, ctx)
		}
	}
	if err != nil && d.Name == StepEnterPassword && deviceLost(err) && !errors.Is(err, ErrInterrupted) {
		err = s.afterLostPassword(ctx, err)
	}
	delta := s.dev.Counts().Sub(before)
	r := StepResult{
		Name:       d.Name,
		Status:     StatusOK,
		DurationMS: time.Since(start).Milliseconds(),
		ADBCalls:   delta.Calls,
		Dumps:      delta.Dumps,
		Inputs:     delta.Inputs,
		Message:    msg,
	}
	if h, fresh := s.ui.Last(); fresh {
		if scr := ui.Identify(h, s.ui.Screens()); scr != nil {
			r.Screen = scr.Name
		}
	}
	if len(s.notes) > 0 {
		r.Message = strings.TrimSpace(r.Message + " (" + strings.Join(s.notes, "; ") + ")")
	}
	if err != nil {
		r.Status = StatusFailed
		r.Err = &StepError{Step: d.Name, Err: err}
		r.Message = err.Error()
	}
	s.finished(r)
	return r
}

func (s *Session) finished(r StepResult) {
	if s.opts.Observer != nil {
		s.opts.Observer.StepFinished(r)
	}
}

// waitBack waits for a phone that dropped off ADB, bounded so a phone
// that never returns ends the run.
func (s *Session) waitBack(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	return s.dev.WaitForDevice(adb.WithCallTimeout(ctx, 2*time.Minute))
}

// resumeAfter names the step to rerun from after step failed: the step
// that starts on the screen the phone shows, else the failed step.
func (s *Session) resumeAfter(step string, err error) string {
	var lost *lostError
	if errors.As(err, &lost) && lost.resume != "" {
		return lost.resume
	}
	if errors.Is(err, ErrNotReady) || errors.Is(err, ErrUnknownStep) {
		return ""
	}
	if errors.Is(err, ErrNeedsHand) {
		return ""
	}
	if errors.Is(err, ErrWrongCode) {
		return StepDelete // a new code is mailed after Delete
	}
	if errors.Is(err, ErrWrongPassword) && step != StepEnterPassword {
		return step // the site's sign-in: nothing changed on the phone
	}
	if errors.Is(err, ErrWrongPassword) {
		return StepSignOut
	}
	if h, fresh := s.ui.Last(); fresh {
		if scr := ui.Identify(h, s.ui.Screens()); scr != nil {
			switch scr.Name {
			case ScreenAccount:
				return StepSignOut
			case ScreenData, ScreenConfirm:
				return StepRemoveData
			case ScreenPassword:
				return StepEnterPassword
			case ScreenSettings, ScreenLauncher:
				return StepOpenAccount
			case ScreenSettingsSignOut, ScreenAccountSignIn:
				if stepIndex(removeSteps(), step) <= stepIndex(removeSteps(), StepEnterPassword) {
					return StepReboot
				}
			case ScreenWebDelete:
				return StepApprove
			case ScreenWebDeleteApproved:
				return StepDelete
			case ScreenWebCode:
				return StepVerifyCode
			case ScreenWebConfirm:
				return StepConfirmDelete
			}
		}
	}
	return step
}
