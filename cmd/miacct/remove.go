package main

import (
	"github.com/spf13/cobra"

	"github.com/miacct/miacct/flows"
)

// RemoveOptions are the options of `miacct remove`.
type RemoveOptions struct {
	FlowOptions
	From string // --from STEP
}

// spec is the run remove makes of its options.
func (o *RemoveOptions) spec() runSpec {
	return runSpec{command: cmdRemove, job: flows.Job{Flow: flows.FlowRemove, From: o.From, DeleteAccount: o.DeleteAccount}}
}

func newRemoveCmd(app *App) *cobra.Command {
	opts := &RemoveOptions{FlowOptions: newFlowOptions(app)}
	cmd := &cobra.Command{
		Use:   "remove",
		Short: "Sign the Xiaomi Account out of the phone, remove its data, restart, verify",
		Long: `remove runs every step on the connected phone: preflight, open Settings,
open the Xiaomi Account screen, Sign out, remove the synced data and
confirm, type the account password, restart, and verify the account is
gone.

The password comes from --password-stdin (one line), else $MIACCT_PASSWORD,
else a prompt without echo. There is no flag that takes it as a value.
It is asked only after a read-only look at the phone: a phone with no
Xiaomi account has nothing to remove and needs no password. On a
terminal remove asks before changing the phone; otherwise it needs
--yes. A failed run says which step to resume from (--from STEP).`,
		Example: `  miacct remove
  printf '%s\n' "$PW" | miacct remove --password-stdin --yes
  miacct --fake miui14-en remove --dry-run
  miacct remove --from sign-out --keep-data`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runFlow(cmd.Context(), &opts.FlowOptions, opts.spec())
		},
	}
	addRunFlags(cmd, &opts.FlowOptions)
	addPhoneFlags(cmd, &opts.FlowOptions)
	addSiteFlags(cmd, &opts.FlowOptions)
	addFleetFlags(cmd, &opts.FlowOptions)
	addCertificateFlags(cmd, &opts.ShopOptions)
	addEventsFlag(cmd, &opts.ShopOptions)
	f := cmd.Flags()
	f.BoolVar(&opts.DeleteAccount, "delete-account", false, "then delete the account for good on Xiaomi's site (see miacct delete-account)")
	f.StringVar(&opts.From, "from", "", "resume from `STEP` (see miacct steps)")
	f.BoolVar(&opts.DryRun, "dry-run", false, "check the phone and print the plan; send no input, change nothing")
	f.BoolVar(&opts.NoReboot, "no-reboot", false, "do not restart the phone at the end")
	return cmd
}

// newFlowOptions are the defaults of the flags a command may not bind.
func newFlowOptions(app *App) FlowOptions {
	return FlowOptions{App: app, BootTimeout: flows.DefaultBootTimeout, Settle: flows.DefaultSettle}
}

// addRunFlags binds the flags of every command that runs steps.
func addRunFlags(cmd *cobra.Command, opts *FlowOptions) {
	f := cmd.Flags()
	f.BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation (needed when not on a terminal)")
	f.BoolVar(&opts.PasswordStdin, "password-stdin", false, "read the account password from the first line of stdin")
	f.StringVar(&opts.Lang, "lang", "", "language of the phone's screens (a code of miacct languages, e.g. de, es-US, zh-CN); default: the phone's")
	f.StringVar(&opts.Texts, "texts", "", "add the phone's words from a language `FILE` (the format of flows/texts/*.yaml)")
	f.DurationVar(&opts.Settle, "settle", flows.DefaultSettle, "how long to wait for a screen after each action, on the phone's clock")
	f.StringVar(&opts.Report, "report", "", "write a report (JSON, screenshots, hierarchies, log, index.html) to `DIR`, a new or empty folder")
}

// addPhoneFlags binds the flags of the steps on the phone itself.
func addPhoneFlags(cmd *cobra.Command, opts *FlowOptions) {
	f := cmd.Flags()
	f.BoolVar(&opts.KeepData, "keep-data", false, "keep the synced data on the phone (choose Keep instead of Remove)")
	f.DurationVar(&opts.BootTimeout, "boot-timeout", flows.DefaultBootTimeout, "how long to wait for the phone to restart")
}

// addFleetFlags binds the flags of runs on every connected phone.
func addFleetFlags(cmd *cobra.Command, opts *FlowOptions) {
	f := cmd.Flags()
	f.BoolVar(&opts.All, "all", false, "run on every Xiaomi phone of every --adb server, in parallel")
	f.IntVar(&opts.Parallel, "parallel", 0, "with --all: at most `N` phones at once (default: every phone, at most "+itoa(maxPerServer)+" per ADB server)")
	f.StringVar(&opts.Passwords, "passwords", "", "with --all: CSV `FILE` of serial or account id,password (mode 600)")
}
