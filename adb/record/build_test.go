package record

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/adb/hierarchy"
)

// events builds a recording of three screens a, b, c from events.
func recordingOf(t *testing.T, initialSignIn bool, events ...event) *recording {
	t.Helper()
	var s recording
	s.init()
	s.accountsKnown, s.initialSignIn = true, initialSignIn
	for _, name := range []string{"a", "b", "c"} {
		s.screens = append(s.screens, &screen{name: name, h: &hierarchy.Hierarchy{}})
	}
	s.events = events
	return &s
}

func dumpOf(i int) event { return event{kind: evDump, screen: i} }
func tapOn(text string) event {
	return event{kind: evAction, act: action{kind: actTap, sel: fixture.Selector{Text: text}}}
}
func keyOf(name string) event { return event{kind: evAction, act: action{kind: actKey, key: name}} }
func startOf(act string) event {
	return event{kind: evAction, act: action{kind: actStart, intent: fixture.Activity{Action: act}}}
}
func accounts(signed bool) event { return event{kind: evAccounts, signedIn: signed} }

func TestBuildTransitionsSettleAndStays(t *testing.T) {
	const a, b, c = 0, 1, 2
	s := recordingOf(t, true,
		dumpOf(a),
		tapOn("Go"), dumpOf(a), dumpOf(a), dumpOf(b), // b drawn two dumps late
		tapOn("Next"), dumpOf(b), tapOn("Next"), dumpOf(c), // the first tap did not take
		keyOf("BACK"), dumpOf(b),
		tapOn("Nothing"), dumpOf(b), // a tap that changes nothing
		event{kind: evAction, act: action{kind: actDisplay}}, dumpOf(b),
	)
	f := s.build(Options{}, "SERIAL1").file
	assert.Equal(t, "a", f.Display.Start)
	assert.Equal(t, 2, f.Screens["b"].Settle)
	assert.Equal(t, []fixture.Transition{{Tap: &fixture.Selector{Text: "Go"}, Goto: "b"}}, f.Screens["a"].Transitions)
	assert.Equal(t, []fixture.Transition{
		{Tap: &fixture.Selector{Text: "Next"}, Goto: "c"},
		{Tap: &fixture.Selector{Text: "Nothing"}},
	}, f.Screens["b"].Transitions)
	assert.Equal(t, []fixture.Transition{{Key: "BACK", Goto: "b"}}, f.Screens["c"].Transitions)
}

func TestBuildAccountStateExplainsOutcomes(t *testing.T) {
	const a, b, c = 0, 1, 2
	s := recordingOf(t, true,
		startOf("SETTINGS"), dumpOf(a),
		tapOn("OK"), dumpOf(b),
		accounts(false),
		startOf("SETTINGS"), dumpOf(c),
	)
	f := s.build(Options{}, "SERIAL1").file
	require.Len(t, f.Screens["a"].Transitions, 1)
	assert.Equal(t, []fixture.Effect{fixture.RemoveAccount}, f.Screens["a"].Transitions[0].Effects, "the account went away after OK")
	assert.Equal(t, []fixture.Activity{
		{Action: "SETTINGS", When: "signed-in", Screen: "a"},
		{Action: "SETTINGS", When: "signed-out", Screen: "c"},
	}, f.Activities)
	assert.Equal(t, "a", f.Display.Start, "no screen before the first action: the first one")
}

func TestBuildNotesWhatCannotReplay(t *testing.T) {
	const a, b, c = 0, 1, 2
	s := recordingOf(t, true,
		dumpOf(a), tapOn("X"), dumpOf(b),
		dumpOf(c), // by itself
		keyOf("BACK"), dumpOf(a),
		tapOn("Y"), dumpOf(c),
		keyOf("BACK"), dumpOf(b), // BACK on c went to a, now to b
	)
	bl := s.build(Options{}, "SERIAL1")
	assert.Equal(t, []fixture.Transition{{Key: "BACK", Goto: "a"}}, bl.file.Screens["c"].Transitions, "the first outcome")
	assert.Equal(t, &fixture.After{Dumps: 1, Goto: "c"}, bl.file.Screens["b"].After, "b moved on by itself after one dump")
	assert.Len(t, bl.notes, 2) // and: the run had not ended
	assert.Contains(t, bl.file.Notes, "key BACK led to different screens")
}

func TestBuildAfterReboot(t *testing.T) {
	const a, b = 0, 1
	s := recordingOf(t, true,
		startOf("S"), dumpOf(a),
		event{kind: evReboot},
		dumpOf(b), // the screen the phone boots to
		keyOf("BACK"), dumpOf(a),
	)
	f := s.build(Options{}, "SERIAL1").file
	assert.Equal(t, "b", f.Display.Start)
	assert.Equal(t, []fixture.Transition{{Key: "BACK", Goto: "a"}}, f.Screens["b"].Transitions)
}

// An activity started before any dump: the first dump may still show the
// screen before it (settling); a different screen next tells.
func TestBuildStartBeforeAnyDump(t *testing.T) {
	const a, b = 0, 1
	s := recordingOf(t, true,
		startOf("ACCOUNT"), dumpOf(a), dumpOf(b), // a was still shown, then b
		keyOf("BACK"), dumpOf(a),
	)
	f := s.build(Options{}, "SERIAL1").file
	assert.Equal(t, "a", f.Display.Start, "the screen shown before the start")
	assert.Equal(t, []fixture.Activity{{Action: "ACCOUNT", Screen: "b"}}, f.Activities)
	assert.Equal(t, 1, f.Screens["b"].Settle)
	assert.Nil(t, f.Screens["a"].After, "a did not move by itself: the start moved it")

	// Started and shown at once: the start led to the first screen seen.
	s = recordingOf(t, true, startOf("ACCOUNT"), dumpOf(a), keyOf("BACK"), dumpOf(b))
	f = s.build(Options{}, "SERIAL1").file
	assert.Equal(t, []fixture.Activity{{Action: "ACCOUNT", Screen: "a"}}, f.Activities)
	assert.Equal(t, []fixture.Transition{{Key: "BACK", Goto: "b"}}, f.Screens["a"].Transitions)
}
