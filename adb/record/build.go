package record

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/miacct/miacct/adb/fake/fixture"
)

// unknownScreen is the screen of a recording made before any dump: an
// empty hierarchy, so the fixture loads.
const unknownScreen = "unknown"

// unknownXML is the dump of unknownScreen.
const unknownXML = `<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation="0"></hierarchy>`

// outcome is what one action did, found by walking the events.
type outcome struct {
	from     int    // the screen acted on; -1 for activities
	trigger  string // the action's identity, for grouping
	act      action
	to       int              // the screen shown after; == from: it stayed
	effects  []fixture.Effect // remove-account
	signedIn bool             // the account state when it happened
}

// built is the fixture made from a recording, with notes for people.
type built struct {
	file  *fixture.File
	notes []string
}

// build turns the recording into a fixture.
func (s *recording) build(opts Options, replacedSerial string) built {
	w := walker{s: s, cur: -1, start: -1, settle: map[int]int{}, after: map[int]*fixture.After{}}
	for _, e := range s.events {
		w.event(e)
	}
	if len(w.pending) > 0 && w.same > 0 {
		w.resolve(w.cur, 0) // dumps since showed they changed nothing
	}
	w.attachEffects()
	f := &fixture.File{
		Description: s.description(opts),
		Serial:      replacedSerial,
		Properties:  s.props,
		Accounts:    s.accounts,
		Recording:   &fixture.Recording{Tool: opts.Tool, Command: opts.Command, Calls: s.calls, Complete: s.complete},
		Screens:     map[string]*fixture.Screen{},
	}
	if s.props != nil {
		f.Properties = s.props
	}
	if s.injectionDenied {
		f.Input = &fixture.Input{Injection: ptr(false)}
	}
	for i, sc := range s.screens {
		f.Screens[sc.name] = &fixture.Screen{Settle: w.settle[i], After: w.after[i]}
	}
	start := unknownScreen
	switch {
	case w.start >= 0:
		start = s.screens[w.start].name
	case len(s.screens) > 0:
		start = s.screens[0].name
	default:
		f.Screens[unknownScreen] = &fixture.Screen{}
	}
	lock := start
	for _, sc := range s.screens {
		if sc.name == "lock" {
			lock = "lock"
		}
	}
	f.Display = &fixture.Display{Start: start, LockScreen: lock, Size: s.displaySize()}
	w.transitions(f)
	f.Activities = w.activities()
	f.Latency, f.Commands = s.latency()
	if len(s.idleDumps)+len(s.truncatedDumps)+len(s.timeouts) > 0 {
		f.Faults = &fixture.Faults{DumpIdleError: s.idleDumps, DumpTruncated: s.truncatedDumps, Hang: s.hangs()}
	}
	notes := append(w.notes, s.summaryNotes()...)
	f.Notes = strings.Join(notes, "\n")
	if f.Notes != "" {
		f.Notes += "\n"
	}
	return built{file: f, notes: notes}
}

func ptr[T any](v T) *T { return &v }

// walker follows the events as the phone went through them.
type walker struct {
	s       *recording
	cur     int      // the screen shown; -1 unknown (start, after a reboot)
	pending []action // actions since the last screen change
	same    int      // dumps of cur seen since the pending actions began
	start   int      // the screen shown before any action, if seen
	acted   bool     // an action that may change the screen happened
	// actedBefore: an action that may change the screen happened before
	// the pending ones.
	actedBefore bool
	shown       int // dumps that showed cur since it appeared
	// tentative: cur was first seen after the pending actions, so it may
	// be the screen they acted on (settling) or the one they led to.
	tentative bool
	// after are the screens that moved on by themselves (a progress
	// dialog), by screen.
	after  map[int]*fixture.After
	booted bool // the phone rebooted and no screen was seen since
	settle map[int]int
	out    []*outcome
	// accounts are the account observations: how many outcomes came
	// before each, and what it showed.
	accounts []accountObs
	notes    []string
}

type accountObs struct {
	after    int // len(out) when seen
	signedIn bool
}

func (w *walker) note(format string, args ...any) {
	n := fmt.Sprintf(format, args...)
	if !slices.Contains(w.notes, n) {
		w.notes = append(w.notes, n)
	}
}

func (w *walker) event(e event) {
	switch e.kind {
	case evDump:
		w.dump(e.screen)
	case evAction:
		if e.act.changes() && len(w.pending) > 0 && w.same > 0 {
			// The earlier actions did not change the screen: they stayed.
			w.resolve(w.cur, 0)
		}
		w.pending = append(w.pending, e.act)
		w.acted = w.acted || e.act.changes()
	case evReboot:
		if w.tentative && hasChange(w.pending) {
			w.resolve(w.cur, 0) // the actions led to the screen seen
		}
		w.pending, w.same, w.tentative = nil, 0, false
		w.cur, w.booted = -1, true
	case evAccounts:
		was := w.s.initialSignIn
		if n := len(w.accounts); n > 0 {
			was = w.accounts[n-1].signedIn
		}
		if was && !e.signedIn && hasChange(w.pending) {
			// The account went away after these actions and no dump came
			// between (the tool asked the account manager instead): the
			// last of them signed out, on the screen it was tapped on.
			w.resolve(w.cur, 0)
		}
		w.accounts = append(w.accounts, accountObs{after: len(w.out), signedIn: e.signedIn})
	}
}

func (w *walker) dump(s int) {
	switch {
	case w.cur == -1 && !hasChange(w.pending):
		if w.start < 0 && (!w.acted || w.booted) {
			w.start = s
		}
		w.pending, w.same, w.cur, w.shown = nil, 0, s, 1
	case w.cur == -1:
		// Actions before any dump (an activity start first thing): this
		// dump may still show the screen they acted on (settling) or the
		// one they led to. Take it as the former until a later dump or
		// action tells: a different screen next means it settled.
		w.cur, w.same, w.shown, w.tentative = s, 1, 1, true
	case s == w.cur:
		w.shown++
		if len(w.pending) > 0 {
			w.same++
		}
	default:
		w.resolve(s, w.same)
		w.cur, w.shown = s, 1
	}
	w.booted = false
}

func hasChange(actions []action) bool {
	return slices.ContainsFunc(actions, action.changes)
}

// resolve says what the pending actions did: the last one that may
// change the screen led to screen to (after settle dumps of the old
// one); the others stayed.
func (w *walker) resolve(to, settle int) {
	from := w.cur
	if w.tentative && to != from && w.start < 0 && (!w.actedBefore || w.booted) {
		// It settled: the screen first seen was the one acted on, the
		// one the phone showed before any action.
		w.start = from
	}
	w.actedBefore = w.actedBefore || hasChange(w.pending)
	w.tentative = false
	cause := -1
	if to != from {
		for i := len(w.pending) - 1; i >= 0; i-- {
			if w.pending[i].changes() {
				cause = i
				break
			}
		}
	}
	for i, a := range w.pending {
		switch {
		case i == cause:
			w.emit(a, from, to)
		case a.changes():
			w.emit(a, from, from)
		}
	}
	if to != from {
		switch {
		case cause >= 0:
			if old, ok := w.settle[to]; !ok {
				w.settle[to] = settle
			} else if old != settle {
				w.note("Screen %s appeared after %d and after %d dumps of the previous screen; the replay always waits %d.", w.s.screens[to].name, old, settle, old)
			}
		case from >= 0:
			// The screen moved on by itself (a progress dialog that
			// closed): the replay does so after as many dumps.
			a := &fixture.After{Dumps: max(1, w.shown-settle), Goto: w.s.screens[to].name}
			if old, ok := w.after[from]; !ok {
				w.after[from] = a
			} else if old.Goto != a.Goto {
				w.note("Screen %s moved on by itself to %s and to %s; the replay always goes to %s.", w.s.screens[from].name, old.Goto, a.Goto, old.Goto)
			}
		}
	}
	w.pending, w.same = nil, 0
}

func (w *walker) emit(a action, from, to int) {
	if a.kind == actStart {
		if to < 0 {
			return
		}
		w.out = append(w.out, &outcome{from: -1, trigger: a.trigger(), act: a, to: to})
		return
	}
	if from < 0 {
		return
	}
	if to == from && a.kind == actTap && a.field {
		return // focusing a field needs no transition
	}
	w.out = append(w.out, &outcome{from: from, trigger: a.trigger(), act: a, to: to})
}

// attachEffects gives remove-account to the last action before the
// Xiaomi account was seen gone, and the account state to every outcome.
func (w *walker) attachEffects() {
	signed := w.s.initialSignIn
	prev := signed
	for _, obs := range w.accounts {
		if prev && !obs.signedIn {
			for i := obs.after - 1; i >= 0; i-- {
				if o := w.out[i]; o.from >= 0 {
					o.effects = []fixture.Effect{fixture.RemoveAccount}
					break
				}
			}
		}
		prev = obs.signedIn
	}
	for _, o := range w.out {
		o.signedIn = signed
		if slices.Contains(o.effects, fixture.RemoveAccount) {
			signed = false
		}
	}
}

// group is the outcomes of one trigger on one screen (or of one intent).
type group struct {
	trigger string
	act     action
	from    int
	results []*outcome
}

func (w *walker) groups(activities bool) []*group {
	var gs []*group
	idx := map[string]*group{}
	for _, o := range w.out {
		if (o.from < 0) != activities {
			continue
		}
		key := fmt.Sprintf("%d\x00%s", o.from, o.trigger)
		g := idx[key]
		if g == nil {
			g = &group{trigger: o.trigger, act: o.act, from: o.from}
			idx[key] = g
			gs = append(gs, g)
		}
		g.results = append(g.results, o)
	}
	return gs
}

// choice is one outcome of a group, with the condition it needs.
type choice struct {
	when fixture.Condition
	o    *outcome
}

// choose picks the group's outcomes: one when they agree; one per account
// state when the state explains the difference; else the first, with a
// note.
func (w *walker) choose(g *group, where string) []choice {
	distinct := func(os []*outcome) []*outcome {
		var out []*outcome
		for _, o := range os {
			if !slices.ContainsFunc(out, func(d *outcome) bool { return d.to == o.to && slices.Equal(d.effects, o.effects) }) {
				out = append(out, o)
			}
		}
		return out
	}
	results := g.results
	if moved := slices.DeleteFunc(slices.Clone(results), func(o *outcome) bool { return o.to == o.from }); len(moved) > 0 && len(moved) < len(results) {
		results = moved // it stayed once, then worked: the tap that worked is the outcome
	}
	d := distinct(results)
	if len(d) == 1 {
		return []choice{{o: d[0]}}
	}
	var in, out []*outcome
	for _, o := range results {
		if o.signedIn {
			in = append(in, o)
		} else {
			out = append(out, o)
		}
	}
	if di, do := distinct(in), distinct(out); len(di) == 1 && len(do) == 1 {
		return []choice{{when: fixture.SignedIn, o: di[0]}, {when: fixture.SignedOut, o: do[0]}}
	}
	w.note("%s %s led to different screens at different times; the replay always shows %s.", where, g.trigger, w.s.screens[d[0].to].name)
	return []choice{{o: d[0]}}
}

func (w *walker) transitions(f *fixture.File) {
	for _, g := range w.groups(false) {
		from := w.s.screens[g.from].name
		for _, c := range w.choose(g, "On screen "+from+",") {
			t := fixture.Transition{When: c.when, Effects: c.o.effects}
			switch g.act.kind {
			case actTap:
				sel := g.act.sel
				t.Tap = &sel
			case actKey:
				t.Key = g.act.key
			case actSwipe:
				t.Swipe = string(g.act.swipe)
			}
			if c.o.to != c.o.from {
				t.Goto = w.s.screens[c.o.to].name
			}
			sc := f.Screens[from]
			sc.Transitions = append(sc.Transitions, t)
		}
	}
}

func (w *walker) activities() []fixture.Activity {
	var out []fixture.Activity
	for _, g := range w.groups(true) {
		for _, c := range w.choose(g, "Starting") {
			a := g.act.intent
			a.When = c.when
			a.Screen = w.s.screens[c.o.to].name
			out = append(out, a)
		}
	}
	return out
}

// displaySize is the size the full-screen dumps cover; "" when unknown.
func (s *recording) displaySize() string {
	w, h := 0, 0
	for _, sc := range s.screens {
		for _, r := range sc.h.Roots {
			if r.Bounds.Left == 0 && r.Bounds.Top == 0 {
				w, h = max(w, r.Bounds.Right), max(h, r.Bounds.Bottom)
			}
		}
	}
	if w <= 0 || h <= 0 || w > 99999 || h > 99999 {
		return ""
	}
	return fmt.Sprintf("%dx%d", w, h)
}

// latency is the latency model (medians of the measured durations, each
// kind beyond a shell round trip, which the fake adds to every call) and
// the recorded commands with their durations beyond that round trip.
func (s *recording) latency() (*fixture.Latency, []fixture.Command) {
	shell := median(s.durations[latShell])
	beyond := func(k latKind) time.Duration {
		if len(s.durations[k]) == 0 {
			return 0
		}
		return max(0, median(s.durations[k])-shell)
	}
	lat := &fixture.Latency{
		Shell:     shell,
		Dump:      beyond(latDump),
		Input:     beyond(latInput),
		AmStart:   beyond(latAmStart),
		Screencap: beyond(latScreencap),
		Sync:      median(s.durations[latSync]),
	}
	cmds := make([]fixture.Command, len(s.commands))
	for i, c := range s.commands {
		cmds[i] = fixture.Command{Service: c.Service, Cmd: c.Cmd, Outputs: slices.Clone(c.Outputs)}
		for j := range cmds[i].Outputs {
			o := &cmds[i].Outputs[j]
			o.Duration = max(0, o.Duration-shell).Round(time.Millisecond)
		}
	}
	return lat, cmds
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2].Round(time.Millisecond)
}

// hangs are the commands that timed out and never answered otherwise:
// the replaying phone hangs on them too.
func (s *recording) hangs() []string {
	var out []string
	for _, t := range s.timeouts {
		if _, answered := s.cmdIndex["shell\x00"+t.cmd]; answered {
			continue
		}
		if _, answered := s.cmdIndex["exec\x00"+t.cmd]; answered {
			continue
		}
		if slices.ContainsFunc(t.args, func(a string) bool { return strings.ContainsAny(a, " \t\n") }) {
			continue
		}
		h := strings.Join(t.args, " ")
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}

func (s *recording) description(opts Options) string {
	p := s.props
	name := p["ro.product.marketname"]
	if name == "" {
		name = strings.TrimSpace(p["ro.product.brand"] + " " + p["ro.product.model"])
	}
	if name == "" {
		name = "a phone"
	}
	var about []string
	if v := p["ro.mi.os.version.name"]; v != "" {
		about = append(about, "HyperOS "+v)
	} else if v := p["ro.miui.ui.version.name"]; v != "" {
		// V140 is MIUI 14, V125 MIUI 12.5.
		if d := strings.TrimPrefix(v, "V"); len(d) == 3 && isDigits(d) {
			v = strings.TrimSuffix(d[:2]+"."+d[2:], ".0")
		}
		about = append(about, "MIUI "+v)
	}
	if v := p["ro.build.version.release"]; v != "" {
		about = append(about, "Android "+v)
	}
	if v := p["persist.sys.locale"]; v != "" {
		about = append(about, v)
	}
	d := "Recorded from " + name
	if len(about) > 0 {
		d += " (" + strings.Join(about, ", ") + ")"
	}
	if opts.Command != "" {
		d += ": miacct " + opts.Command
	}
	return d
}

// summaryNotes say what a person should know about the recording.
func (s *recording) summaryNotes() []string {
	var notes []string
	if !s.complete {
		notes = append(notes, "The run had not ended when this was written: it was interrupted or is still going.")
	}
	if s.injectionDenied {
		notes = append(notes, "The phone refused input injection (USB debugging (Security settings) is off).")
	}
	if len(s.timeouts) > 0 {
		notes = append(notes, fmt.Sprintf("%d commands timed out.", len(s.timeouts)))
	}
	return notes
}
