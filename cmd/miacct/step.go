package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/miacct/miacct/flows"
)

// StepOptions are the options of `miacct step NAME`.
type StepOptions struct {
	FlowOptions
	Step string // NAME
}

// spec is the run step makes of its options.
func (o *StepOptions) spec() runSpec {
	return runSpec{command: cmdStep, job: flows.Job{Step: o.Step}}
}

func newStepCmd(app *App) *cobra.Command {
	opts := &StepOptions{FlowOptions: newFlowOptions(app)}
	cmd := &cobra.Command{
		Use:   "step NAME",
		Short: "Run one step on its own (see miacct steps)",
		Long: `step runs a single step of the flow, for scripts and debugging. A step
that starts on a particular screen checks the phone shows it and otherwise
says which step to run first. ` + strings.Join(changingSteps(), ", ") + ` change the
phone or the account for good: they ask on a terminal and need --yes
otherwise.

Steps: ` + strings.Join(flows.StepNames(), ", "),
		Example: `  miacct step preflight
  miacct step open-account
  printf '%s\n' "$PW" | miacct step enter-password --password-stdin --yes`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageHelpf(cmd, "step needs exactly one step NAME; the steps are: %s", strings.Join(flows.StepNames(), ", "))
			}
			return nil
		},
		ValidArgs: flows.StepNames(),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Step = args[0]
			return runFlow(cmd.Context(), &opts.FlowOptions, opts.spec())
		},
	}
	addRunFlags(cmd, &opts.FlowOptions)
	addPhoneFlags(cmd, &opts.FlowOptions)
	addSiteFlags(cmd, &opts.FlowOptions)
	return cmd
}

// StepsOptions are the options of `miacct steps`.
type StepsOptions struct{ App *App }

// stepJSON is a step in `steps --json`.
type stepJSON struct {
	Schema int `json:"schema"`
	flows.StepInfo
}

func newStepsCmd(app *App) *cobra.Command {
	opts := &StepsOptions{App: app}
	return &cobra.Command{
		Use:     "steps",
		Short:   "List the steps, in order, with the guide's step numbers",
		Example: "  miacct steps\n  miacct steps --json",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSteps(opts)
		},
	}
}

func runSteps(opts *StepsOptions) error {
	steps := flows.Steps()
	io := opts.App.IO
	if opts.App.Global.JSON {
		out := make([]stepJSON, len(steps))
		for i, s := range steps {
			out[i] = stepJSON{Schema: schemaVersion, StepInfo: s}
		}
		return writeJSON(io.Out, out)
	}
	var flow flows.Flow
	for _, s := range steps {
		if s.Flow != flow {
			if flow != "" {
				io.Printf("\n")
			}
			flow = s.Flow
			io.Printf("miacct %s:\n", flow)
		}
		number := "  "
		if s.Number > 0 {
			number = fmt.Sprintf("%2d", s.Number)
		}
		io.Printf("%s  %-17s %s\n", number, s.Name, s.Summary)
	}
	return nil
}

// changingSteps names the steps that change the phone or the account for
// good, from the step table.
func changingSteps() []string {
	var out []string
	for _, s := range flows.Steps() {
		if s.ChangesPhone {
			out = append(out, s.Name)
		}
	}
	return out
}
