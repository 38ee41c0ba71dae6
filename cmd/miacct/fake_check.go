package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/flows"
)

// FakeCheckOptions are the options of `miacct fake check`.
type FakeCheckOptions struct {
	App *App
	Ref string
}

func newFakeCheckCmd(app *App) *cobra.Command {
	opts := &FakeCheckOptions{App: app}
	return &cobra.Command{
		Use:   "check DIR",
		Short: "Validate a fixture or recording directory and summarise it",
		Long: `check loads a fixture directory (or a built-in scenario) as --fake would and
prints what it holds: screens, transitions, activities, recorded commands,
and for a recording the actions its last replay did not find in it
(DIR/last-replay.log). A problem in the files is reported with its file
and line, and exits 2.`,
		Example: "  miacct fake check ./my-phone\n  miacct fake check ./my-phone --json",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("fake check needs exactly one fixture DIR (or built-in scenario)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ref = args[0]
			return runFakeCheck(opts)
		},
	}
}

// fixtureCheck is what `fake check` reports (and prints with --json).
type fixtureCheck struct {
	OK          bool            `json:"ok"`
	Name        string          `json:"name"`
	Source      string          `json:"source"`
	Description string          `json:"description"`
	Base        string          `json:"base,omitempty"`
	Recording   *recordingCheck `json:"recording,omitempty"`
	Serial      string          `json:"serial"`
	Screens     []screenCheck   `json:"screens"`
	Transitions int             `json:"transitions"`
	Activities  int             `json:"activities"`
	Commands    int             `json:"commands"`
	Outputs     int             `json:"outputs"`
	Screenshots []string        `json:"screenshots,omitempty"`
	LastReplay  *replayCheck    `json:"last_replay,omitempty"`
	// Misread are screens miacct would not read as their name (or is:)
	// says, in the phone's language: the words or ids differ from what
	// miacct knows (add them with --texts, or fix the fixture).
	Misread []flows.Misread `json:"misread"`
}

type recordingCheck struct {
	Tool     string `json:"tool,omitempty"`
	Command  string `json:"command,omitempty"`
	Calls    int    `json:"calls"`
	Complete bool   `json:"complete"`
}

type screenCheck struct {
	Name        string `json:"name"`
	Is          string `json:"is,omitempty"`
	Settle      int    `json:"settle,omitempty"`
	Transitions int    `json:"transitions"`
}

type replayCheck struct {
	File       string   `json:"file"`
	Unrecorded []string `json:"unrecorded"`
}

func runFakeCheck(opts *FakeCheckOptions) error {
	app := opts.App
	fx, err := loadFixture(opts.Ref)
	if err != nil {
		return err
	}
	res := checkFixture(fx)
	if res.Misread, err = flows.CheckFixtureScreens(fx, nil); err != nil {
		return fmt.Errorf("fake check: %w", err)
	}
	if res.Misread == nil {
		res.Misread = []flows.Misread{}
	}
	if fx.Source != "built-in" {
		shots, _ := filepath.Glob(filepath.Join(fx.Source, "screens", "*.png"))
		for _, s := range shots {
			res.Screenshots = append(res.Screenshots, filepath.ToSlash(filepath.Join("screens", filepath.Base(s))))
		}
		unrecorded, ok, err := readReplayLog(fx.Source)
		if err != nil {
			return fmt.Errorf("fake check: %w", err)
		}
		if ok {
			res.LastReplay = &replayCheck{File: filepath.Join(fx.Source, replayLogName), Unrecorded: unrecorded}
			if res.LastReplay.Unrecorded == nil {
				res.LastReplay.Unrecorded = []string{}
			}
		}
	}
	if app.Global.JSON {
		return writeJSON(app.IO.Out, res)
	}
	printFixtureCheck(app, fx, res)
	return nil
}

// checkFixture summarises a loaded (so valid) fixture.
func checkFixture(fx *fixture.Fixture) *fixtureCheck {
	res := &fixtureCheck{
		OK:          true,
		Name:        fx.Name,
		Source:      fx.Source,
		Description: fx.Description,
		Base:        fx.Base,
		Serial:      fx.Serial,
		Activities:  len(fx.Activities),
		Commands:    len(fx.Commands),
		Screens:     []screenCheck{},
	}
	if r := fx.Recording; r != nil {
		res.Recording = &recordingCheck{Tool: r.Tool, Command: r.Command, Calls: r.Calls, Complete: r.Complete}
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range fx.Screens {
			if !yield(k) {
				return
			}
		}
	}) {
		s := fx.Screens[name]
		res.Screens = append(res.Screens, screenCheck{Name: name, Is: s.Is, Settle: s.Settle, Transitions: len(s.Transitions)})
		res.Transitions += len(s.Transitions)
	}
	for _, c := range fx.Commands {
		res.Outputs += len(c.Outputs)
	}
	return res
}

func printFixtureCheck(app *App, fx *fixture.Fixture, res *fixtureCheck) {
	tw := tabwriter.NewWriter(app.IO.Out, 0, 4, 2, ' ', 0)
	row := func(k, format string, args ...any) { fmt.Fprintf(tw, "%s\t%s\n", k, fmt.Sprintf(format, args...)) }
	row("fixture", "%s (%s)", res.Name, res.Source)
	row("description", "%s", res.Description)
	if res.Base != "" {
		row("base", "%s", res.Base)
	}
	if r := res.Recording; r != nil {
		state := "complete"
		if !r.Complete {
			state = "INCOMPLETE: the run was interrupted or killed; it replays up to where it ended"
		}
		what := "a recording"
		if r.Command != "" {
			what += " of `miacct " + r.Command + "`"
		}
		if r.Tool != "" {
			what += " by " + r.Tool
		}
		row("recording", "%s, %d device calls, %s", what, r.Calls, state)
	}
	row("serial", "%s", res.Serial)
	var screens []string
	for _, s := range res.Screens {
		name := s.Name
		var about []string
		if s.Is != "" {
			about = append(about, "is "+s.Is)
		}
		if s.Settle > 0 {
			about = append(about, fmt.Sprintf("settle %d", s.Settle))
		}
		if len(about) > 0 {
			name += " (" + strings.Join(about, ", ") + ")"
		}
		screens = append(screens, name)
	}
	row("screens", "%d: %s", len(res.Screens), strings.Join(screens, ", "))
	if len(res.Misread) == 0 {
		row("recognised", "every screen as its name says")
	} else {
		var m []string
		for _, r := range res.Misread {
			m = append(m, r.String())
		}
		row("recognised", "%d screens not as their name says: %s", len(res.Misread), strings.Join(m, "; "))
	}
	row("transitions", "%d", res.Transitions)
	row("activities", "%d", res.Activities)
	row("commands", "%d recorded, %d outputs", res.Commands, res.Outputs)
	if fx.Recording != nil || len(res.Screenshots) > 0 {
		note := ""
		if len(res.Screenshots) > 0 {
			note = " (not scanned for personal data: look at them before sharing)"
		}
		row("screenshots", "%d%s", len(res.Screenshots), note)
	}
	switch lr := res.LastReplay; {
	case lr == nil && fx.Recording != nil:
		row("last replay", "none yet")
	case lr != nil && len(lr.Unrecorded) == 0:
		row("last replay", "no unrecorded actions (%s)", lr.File)
	case lr != nil:
		row("last replay", "%d unrecorded actions (%s):", len(lr.Unrecorded), lr.File)
	}
	_ = tw.Flush()
	if lr := res.LastReplay; lr != nil {
		for _, u := range lr.Unrecorded {
			app.IO.Printf("  %s\n", u)
		}
	}
}
