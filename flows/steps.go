package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/flows/ui"
)

// Step names. The numbers in the step table are those of the guide people
// follow (1-6 on the phone, 7-12 on the account site); the checks have none.
const (
	StepPreflight      = "preflight"
	StepOpenSettings   = "open-settings"
	StepOpenAccount    = "open-account"
	StepSignOut        = "sign-out"
	StepRemoveData     = "remove-data"
	StepEnterPassword  = "enter-password"
	StepReboot         = "reboot"
	StepVerify         = "verify"
	StepOpenCloud      = "open-cloud"
	StepOpenDeletePage = "open-delete-page"
	StepApprove        = "approve"
	StepDelete         = "delete"
	StepVerifyCode     = "verify-code"
	StepConfirmDelete  = "confirm-delete"
)

// Flow is a sequence of steps miacct runs as one command.
type Flow string

// The flows.
const (
	FlowRemove        Flow = "remove"
	FlowDeleteAccount Flow = "delete-account"
)

// Need is an input a step may need from the user.
type Need string

// What steps may need.
const (
	NeedPassword Need = "password"
	NeedCode     Need = "code"
)

// step is one row of the step table: everything miacct knows about a
// step is declared here once, and the rest (the order of each flow,
// --from, resuming, confirmations, `miacct steps`, help) is derived.
type step struct {
	name    string
	number  int // in the guide; 0 for the checks
	flow    Flow
	summary string // for `miacct steps`
	plan    string // what a run would do, for --dry-run
	// from are the screens on which this step is the next one: a run
	// that stopped there resumes here.
	from []string
	// anywhere: the step starts from any screen (it opens what it needs);
	// otherwise a step run alone checks the phone shows one of from.
	anywhere bool
	// changes: the step changes the phone or the account for good, so it
	// is confirmed first.
	changes bool
	// needs are what the step may ask the user for.
	needs []Need
	// uses are what it uses when the run has it, without needing it (the
	// phone may ask for the password during remove-data).
	uses []Need
	// repeatable: after the phone dropped off ADB the step can simply run
	// again (it looks where the phone is before acting).
	repeatable bool
	run        func(s *Session, ctx context.Context) (string, error)
}

// stepTable is every step, in the order of `miacct steps`.
func stepTable() []step {
	dialogs := signOutDialogs()
	return []step{
		{name: StepPreflight, flow: FlowRemove,
			summary:  "check the phone: online, a Xiaomi phone, screen awake and unlocked, input allowed, an account signed in",
			plan:     "read properties, accounts, screen and lock state; keep the screen awake while plugged in",
			anywhere: true, repeatable: true, run: (*Session).preflight},
		{name: StepOpenSettings, number: 1, flow: FlowRemove,
			summary:  "open Settings (skipped when the account screen opens directly)",
			plan:     "start Settings and find the Xiaomi Account row, unless the account intent opens the account screen directly",
			anywhere: true, repeatable: true, run: (*Session).openSettings},
		{name: StepOpenAccount, number: 2, flow: FlowRemove,
			summary:  "open the Xiaomi Account screen",
			plan:     "start the Xiaomi Account screen (intent " + actionAccountSync + ", else the Settings row)",
			from:     []string{screenLauncher, screenSettings},
			anywhere: true, repeatable: true, run: (*Session).openAccount},
		{name: StepSignOut, number: 3, flow: FlowRemove,
			summary: "tap Sign out",
			plan:    "scroll to Sign out and tap it",
			from:    []string{screenAccount}, repeatable: true, run: (*Session).signOut},
		{name: StepRemoveData, number: 4, flow: FlowRemove,
			summary: "remove the synced data from the phone (answering what the phone asks first)",
			plan:    "answer the dialogs after Sign out in the order the phone shows them: turn off Find device, Remove (Keep with --keep-data), the password if asked first, follow-up messages",
			from:    dialogs, changes: true, uses: []Need{NeedPassword}, repeatable: true, run: (*Session).removeData},
		{name: StepEnterPassword, number: 5, flow: FlowRemove,
			summary: "type the account password, OK, until the phone has signed out",
			plan:    "type the password into the phone's password field when it asks (once), tap OK, answer what follows until the account is gone",
			from:    dialogs, changes: true, needs: []Need{NeedPassword}, run: (*Session).enterPassword},
		{name: StepReboot, number: 6, flow: FlowRemove,
			summary: "restart the phone and wait until it has booted",
			plan:    "restart through adbd and wait for sys.boot_completed with a new boot id",
			from:    []string{screenAccountSignIn}, anywhere: true, changes: true, run: (*Session).reboot},
		{name: StepVerify, flow: FlowRemove,
			summary:  "check the account is gone: the account manager lists no Xiaomi account",
			plan:     "read the account manager; with --report, open the account screen for the proof",
			anywhere: true, repeatable: true, run: (*Session).verify},

		{name: StepOpenCloud, number: 7, flow: FlowDeleteAccount,
			summary:  "open the account site in the phone's browser, sign in if asked",
			plan:     "open " + AccountSiteURL + " in the phone's browser and sign in with the account id and password if the site asks",
			from:     []string{screenWebSignIn, screenWebSignInError, screenWebAccount},
			anywhere: true, uses: []Need{NeedPassword}, needs: []Need{NeedPassword}, repeatable: true, run: (*Session).openCloud},
		{name: StepOpenDeletePage, number: 8, flow: FlowDeleteAccount,
			summary:  "open the delete-account page",
			plan:     "open " + DeletePageURL + " (signing in again if asked)",
			anywhere: true, needs: []Need{NeedPassword}, repeatable: true, run: (*Session).openDeletePage},
		{name: StepApprove, number: 9, flow: FlowDeleteAccount,
			summary: "tick the approval box above the delete button",
			plan:    `tick "Yes, I want to permanently delete my Mi Account and all its data"`,
			from:    []string{screenWebDelete}, repeatable: true, run: (*Session).approve},
		{name: StepDelete, number: 10, flow: FlowDeleteAccount,
			summary: `press "Delete Mi Account"`,
			plan:    `press "Delete Mi Account"; the site mails a verification code`,
			from:    []string{screenWebDeleteApproved}, changes: true, run: (*Session).pressDelete},
		{name: StepVerifyCode, number: 11, flow: FlowDeleteAccount,
			summary: "enter the verification code mailed to the account's e-mail",
			plan:    "ask for the code sent to the account's e-mail, type it, submit",
			from:    []string{screenWebCode}, changes: true, needs: []Need{NeedCode}, run: (*Session).verifyCode},
		{name: StepConfirmDelete, number: 12, flow: FlowDeleteAccount,
			summary: "confirm, and see the success message",
			plan:    "press Delete on the confirmation and read the success message",
			from:    []string{screenWebConfirm}, changes: true, run: (*Session).confirmDelete},
	}
}

// lookup returns the step with that name.
func lookup(name string) (step, bool) {
	for _, st := range stepTable() {
		if st.name == name {
			return st, true
		}
	}
	return step{}, false
}

// StepInfo describes a step for `miacct steps` and help.
type StepInfo struct {
	Name string `json:"name"`
	// Number is the step's number in the guide people follow (1-12); 0
	// for the checks miacct adds (preflight, verify).
	Number  int    `json:"number,omitempty"`
	Summary string `json:"summary"`
	// Flow is the command that runs it: remove or delete-account.
	Flow Flow `json:"flow"`
	// ChangesPhone: the step changes the phone or the account for good,
	// so it asks on a terminal and needs --yes otherwise.
	ChangesPhone bool `json:"changes_phone,omitempty"`
	// Needs are what the step asks the user for: password, code.
	Needs []Need `json:"needs,omitempty"`
}

func (st step) info() StepInfo {
	return StepInfo{Name: st.name, Number: st.number, Summary: st.summary, Flow: st.flow, ChangesPhone: st.changes, Needs: st.needs}
}

// Steps lists every step miacct knows, in order.
func Steps() []StepInfo {
	var out []StepInfo
	for _, st := range stepTable() {
		out = append(out, st.info())
	}
	return out
}

// StepNames lists the step names, in order.
func StepNames() []string {
	var out []string
	for _, st := range stepTable() {
		out = append(out, st.name)
	}
	return out
}

// CheckStep returns an error naming the known steps when name is none.
func CheckStep(name string) error {
	if _, ok := lookup(name); ok {
		return nil
	}
	return fmt.Errorf("%w %q; the steps are: %s", ErrUnknownStep, name, strings.Join(StepNames(), ", "))
}

// Job says what a command runs: a whole flow (from a step), or one step.
type Job struct {
	// Flow is remove or delete-account; ignored when Step is set.
	Flow Flow
	// Step runs one step alone (miacct step NAME).
	Step string
	// From resumes the flow at this step (--from).
	From string
	// DeleteAccount: remove goes on to delete the account on the site.
	DeleteAccount bool
}

// Validate checks the job names steps that exist and belong to its flow.
func (j Job) Validate() error {
	if j.Step != "" {
		return CheckStep(j.Step)
	}
	if j.From == "" {
		return nil
	}
	if err := CheckStep(j.From); err != nil {
		return err
	}
	if !slices.ContainsFunc(j.sequence(), func(st step) bool { return st.name == j.From }) {
		return fmt.Errorf("%w %q for %s; its steps are: %s", ErrUnknownStep, j.From, j.Flow, strings.Join(names(j.sequence()), ", "))
	}
	return nil
}

// RunsFlow is the flow whose steps the job runs (a step alone: its own).
func (j Job) RunsFlow() Flow {
	if j.Step != "" {
		st, _ := lookup(j.Step)
		return st.flow
	}
	if j.Flow == "" {
		return FlowRemove
	}
	return j.Flow
}

// sequence is the steps the job's flow runs, in order. remove
// --delete-account runs the site's steps before the restart: a phone
// restarted without an account may refuse input from ADB (HyperOS turns
// "USB debugging (Security settings)" off), which the site's steps need.
func (j Job) sequence() []step {
	if j.Step != "" {
		st, _ := lookup(j.Step)
		return []step{st}
	}
	var remove, web []step
	var preflight step
	for _, st := range stepTable() {
		switch {
		case st.name == StepPreflight:
			preflight = st
		case st.flow == FlowRemove:
			remove = append(remove, st)
		default:
			web = append(web, st)
		}
	}
	switch {
	case j.Flow == FlowDeleteAccount:
		return append([]step{preflight}, web...)
	case j.DeleteAccount:
		i := slices.IndexFunc(remove, func(st step) bool { return st.name == StepReboot })
		out := append([]step{preflight}, remove[:i]...)
		out = append(out, web...)
		return append(out, remove[i:]...)
	}
	return append([]step{preflight}, remove...)
}

// toRun is the part of the sequence from From on (preflight always).
func (j Job) toRun() []step {
	seq := j.sequence()
	if j.Step != "" || j.From == "" || j.From == StepPreflight {
		return seq
	}
	i := slices.IndexFunc(seq, func(st step) bool { return st.name == j.From })
	if i < 0 {
		return seq
	}
	return append([]step{seq[0]}, seq[i:]...)
}

// NeedsAccount reports whether the job has nothing to do on a phone with
// no Xiaomi account: preflight alone, and remove from a step up to the
// password. One resuming after it (reboot, verify) goes on.
func (j Job) NeedsAccount() bool {
	if j.Step != "" {
		return j.Step == StepPreflight
	}
	seq := names(j.sequence())
	return j.RunsFlow() == FlowRemove && (j.From == "" || slices.Index(seq, j.From) <= slices.Index(seq, StepEnterPassword))
}

// StepNames lists the names of the steps the job's flow runs, in order.
func (j Job) StepNames() []string { return names(j.sequence()) }

// ChangesPhone reports whether running the job may change the phone or
// the account for good, so the user must confirm.
func (j Job) ChangesPhone() bool {
	return slices.ContainsFunc(j.toRun(), func(st step) bool { return st.changes })
}

// Needs reports whether a run of the job needs n (the password, the
// site's code): the user must give it or be asked.
func (j Job) Needs(n Need) bool {
	return slices.ContainsFunc(j.toRun(), func(st step) bool { return slices.Contains(st.needs, n) })
}

// Uses reports whether a run of the job may use n when the user gave it
// (remove-data types the password when the phone asks for it first),
// without needing it.
func (j Job) Uses(n Need) bool {
	return j.Needs(n) || slices.ContainsFunc(j.toRun(), func(st step) bool { return slices.Contains(st.uses, n) })
}

func names(steps []step) []string {
	out := make([]string, len(steps))
	for i, st := range steps {
		out[i] = st.name
	}
	return out
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
	// Dismissed are the pop-ups of other apps the step closed.
	Dismissed []string `json:"dismissed,omitempty"`
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

// PlanItem is one line of a dry run's plan.
type PlanItem struct {
	Name   string `json:"name"`
	Number int    `json:"number,omitempty"`
	Action string `json:"action"`
	Skip   string `json:"skip,omitempty"` // why it would not run
}

// Plan says what a job would do.
func (s *Session) Plan(j Job) []PlanItem {
	var out []PlanItem
	started := j.From == "" || j.From == StepPreflight || j.Step != ""
	for _, st := range j.sequence() {
		item := PlanItem{Name: st.name, Number: st.number, Action: st.plan}
		if st.name == j.From {
			started = true
		}
		switch {
		case st.name == StepPreflight:
		case !started:
			item.Skip = "before --from " + j.From
		default:
			item.Skip = s.skipReason(st)
		}
		out = append(out, item)
	}
	return out
}

// skipReason says why a step would not run in this session ("" when it
// would).
func (s *Session) skipReason(st step) string {
	switch {
	case st.name == StepReboot && s.opts.NoReboot:
		return "--no-reboot"
	case st.name == StepOpenSettings && s.state != nil && s.state.AccountIntent && !s.alone:
		return "not needed: the account intent opens the account screen directly"
	}
	return ""
}

// Run runs a job: preflight, then every step of the flow from j.From on,
// or one step alone. It stops at the first failure; the result says which
// step to resume from.
func (s *Session) Run(ctx context.Context, j Job) *Result {
	if err := j.Validate(); err != nil {
		return &Result{Err: err}
	}
	res := &Result{}
	s.job, s.alone = j, j.Step != ""
	seq := j.sequence()
	started := j.From == "" || j.From == StepPreflight || s.alone
	for _, st := range seq {
		if st.name == j.From {
			started = true
		}
		skip := ""
		switch {
		case s.alone:
		case st.name == StepPreflight:
		case res.Err != nil || res.NothingToDo:
			skip = "not run"
		case !started:
			skip = "before --from " + j.From
		case s.opts.DryRun:
			skip = "dry run: would " + st.plan
		default:
			skip = s.skipReason(st)
		}
		if skip != "" {
			r := StepResult{Name: st.name, Status: StatusSkipped, Message: skip}
			res.Steps = append(res.Steps, r)
			s.finished(r)
			continue
		}
		s.requireAccount = j.NeedsAccount()
		r := s.runStep(ctx, st)
		res.Steps = append(res.Steps, r)
		if r.Err != nil {
			res.Err = r.Err
			res.Resume = s.resumeAfter(j, st, r.Err)
		}
		if st.name == StepPreflight && s.nothingToDo {
			res.NothingToDo = true
		}
	}
	return res
}

// runStep runs st, measuring it, and once more when the phone dropped off
// ADB during a step that can safely be repeated.
func (s *Session) runStep(ctx context.Context, st step) StepResult {
	if s.opts.Observer != nil {
		s.opts.Observer.StepStarted(st.name)
	}
	start := time.Now()
	before := s.dev.Counts()
	if st.name == StepPreflight {
		start, before = start.Add(-s.readTime), adb.Counts{}
	}
	s.notes, s.dismissed = nil, nil
	msg, err := st.run(s, ctx)
	lost := func() bool { return err != nil && deviceLost(err) && !errors.Is(err, ErrInterrupted) }
	if lost() && st.repeatable && !s.signing.inFlight {
		s.note("the phone dropped off ADB; waited for it and carried on")
		if werr := s.waitBack(ctx); werr == nil {
			s.ui.Invalidate()
			msg, err = st.run(s, ctx)
		}
	}
	if lost() && s.signing.inFlight {
		// The password may or may not have reached the phone: never
		// typed again by itself; find out where to resume.
		err = s.afterLostPassword(ctx, err)
	}
	err = s.explain(err)
	delta := s.dev.Counts().Sub(before)
	r := StepResult{
		Name:       st.name,
		Status:     StatusOK,
		DurationMS: time.Since(start).Milliseconds(),
		ADBCalls:   delta.Calls,
		Dumps:      delta.Dumps,
		Inputs:     delta.Inputs,
		Message:    msg,
		Dismissed:  s.dismissed,
	}
	if v, fresh := s.ui.Last(); fresh {
		r.Screen = v.Name()
	}
	if len(s.notes) > 0 {
		r.Message = strings.TrimSpace(r.Message + " (" + strings.Join(s.notes, "; ") + ")")
	}
	if err != nil {
		r.Status = StatusFailed
		r.Err = &StepError{Step: st.name, Err: err}
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

// resumeAfter names the step to rerun from after failed failed: the step
// whose starting screens hold the screen the phone shows, else the
// failed step itself.
func (s *Session) resumeAfter(j Job, failed step, err error) string {
	var lost *lostError
	switch {
	case errors.As(err, &lost) && lost.resume != "":
		return lost.resume
	case errors.Is(err, ErrNotReady), errors.Is(err, ErrUnknownStep), errors.Is(err, ErrNeedsHand):
		return ""
	case errors.Is(err, ErrWrongCode):
		return StepDelete // a new code is mailed after Delete
	case errors.Is(err, ErrWrongPassword) && failed.flow == FlowDeleteAccount:
		return failed.name // the site's sign-in: nothing changed on the phone
	case errors.Is(err, ErrWrongPassword):
		return StepSignOut // the dialog was cancelled: sign out again
	}
	v, fresh := s.ui.Last()
	if !fresh {
		return failed.name
	}
	if slices.Contains(failed.from, v.Name()) {
		return failed.name
	}
	seq := j.sequence()
	if j.Step != "" {
		seq = Job{Flow: failed.flow}.sequence()
	}
	for _, st := range seq {
		if slices.Contains(st.from, v.Name()) {
			return st.name
		}
	}
	return failed.name
}

// precondition explains that a step run alone starts on other screens,
// and which step gets the phone there.
func (s *Session) precondition(st step, v *ui.View) error {
	var want []string
	for _, name := range st.from {
		if t := s.ui.TitleOf(name); !slices.Contains(want, t) {
			want = append(want, t)
		}
	}
	if slices.Equal(st.from, signOutDialogs()) {
		want = []string{"one of the dialogs the phone shows after Sign out"}
	}
	first := ""
	seq := Job{Flow: st.flow}.sequence()
	for i, other := range seq {
		if other.name == st.name && i > 0 {
			first = seq[i-1].name
		}
	}
	for _, other := range seq {
		if slices.Contains(other.from, v.Name()) {
			first = other.name
			break
		}
	}
	return fmt.Errorf("%w: %s starts on %s, but the phone shows %s; run `miacct step %s` first", ErrPrecondition, st.name, strings.Join(want, " or "), v.Title(), first)
}
