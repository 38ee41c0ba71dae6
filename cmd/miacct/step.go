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
}

func newStepCmd(app *App) *cobra.Command {
	opts := &StepOptions{FlowOptions: FlowOptions{App: app}}
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
				return usagef("step needs exactly one step NAME; the steps are: %s", strings.Join(flows.StepNames(), ", "))
			}
			return nil
		},
		ValidArgs: flows.StepNames(),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runFlow(cmd.Context(), &opts.FlowOptions, runSpec{command: "step", job: flows.Job{Step: args[0]}})
		},
	}
	addFlowFlags(cmd, &opts.FlowOptions)
	addDeleteFlags(cmd, &opts.FlowOptions)
	return cmd
}

// StepsOptions are the options of `miacct steps`.
type StepsOptions struct{ App *App }

func newStepsCmd(app *App) *cobra.Command {
	opts := &StepsOptions{App: app}
	return &cobra.Command{
		Use:     "steps",
		Short:   "List the steps, in order, with the guide's step numbers",
		Example: "  miacct steps\n  miacct steps --json",
		Args:    requireNoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSteps(opts)
		},
	}
}

func runSteps(opts *StepsOptions) error {
	steps := flows.Steps()
	if opts.App.Global.JSON {
		return writeJSON(opts.App.IO.Out, steps)
	}
	var flow flows.Flow
	for _, s := range steps {
		if s.Flow != flow {
			if flow != "" {
				opts.App.IO.Printf("\n")
			}
			flow = s.Flow
			opts.App.IO.Printf("miacct %s:\n", flow)
		}
		number := "  "
		if s.Number > 0 {
			number = fmt.Sprintf("%2d", s.Number)
		}
		opts.App.IO.Printf("%s  %-17s %s\n", number, s.Name, s.Summary)
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
