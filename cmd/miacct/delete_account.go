package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/miacct/miacct/flows"
)

// DeleteAccountOptions are the options of `miacct delete-account`.
type DeleteAccountOptions struct {
	FlowOptions
	From string // --from STEP
}

// spec is the run delete-account makes of its options.
func (o *DeleteAccountOptions) spec() runSpec {
	return runSpec{command: cmdDeleteAccount, job: flows.Job{Flow: flows.FlowDeleteAccount, From: o.From}}
}

func newDeleteAccountCmd(app *App) *cobra.Command {
	opts := &DeleteAccountOptions{FlowOptions: newFlowOptions(app)}
	cmd := &cobra.Command{
		Use:   "delete-account",
		Short: "Delete the Xiaomi Account for good, on Xiaomi's site in the phone's browser",
		Long: `delete-account deletes the Xiaomi Account itself (the guide's steps 7-12),
on Xiaomi's account site in the phone's own browser: open the site and sign
in if asked, open the delete page, tick the approval box, press "Delete Mi
Account", enter the verification code Xiaomi mails to the account, confirm.
The computer never contacts the network; the phone does.

It cannot be undone, and Xiaomi may take up to 15 days to complete it. On
a terminal you type the account id to confirm; otherwise --yes is needed.
The account id comes from --account, else the phone's signed-in account.
The password comes as for remove; the code from --code-stdin (the line
after the password) or a prompt when the code has been sent.
A captcha or an unknown page stops with exit 6 and what to do by hand;
--manual only opens the delete page and prints the remaining steps.`,
		Example: `  miacct delete-account
  printf '%s\n%s\n' "$PW" 482916 | miacct --fake miui14-en delete-account --password-stdin --code-stdin --yes
  miacct delete-account --manual
  miacct remove --delete-account          # the whole guide: steps 1-12`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runFlow(cmd.Context(), &opts.FlowOptions, opts.spec())
		},
	}
	addRunFlags(cmd, &opts.FlowOptions)
	addSiteFlags(cmd, &opts.FlowOptions)
	addFleetFlags(cmd, &opts.FlowOptions)
	cmd.Flags().StringVar(&opts.From, "from", "", "resume from `STEP` (see miacct steps)")
	cmd.Flags().BoolVar(&opts.Manual, "manual", false, "only open the delete page on the phone and print the remaining steps")
	return cmd
}

// addSiteFlags binds the flags of the web steps.
func addSiteFlags(cmd *cobra.Command, opts *FlowOptions) {
	cmd.Flags().StringVar(&opts.Account, "account", "", "Xiaomi Account `ID` to sign in to the site with (default: the phone's)")
	cmd.Flags().BoolVar(&opts.CodeStdin, "code-stdin", false, "read the verification code from the next line of stdin (after the password)")
}

// codeAsker returns how the flow gets the verification code: the next
// stdin line, or a prompt at the moment the code has been sent.
func (a *App) codeAsker(fromStdin bool, lines *stdinLines) func(ctx context.Context, sentTo string) (flows.Secret, error) {
	return func(ctx context.Context, sentTo string) (flows.Secret, error) {
		// Phones of a fleet ask one at a time, each for its own code.
		a.codeMu.Lock()
		defer a.codeMu.Unlock()
		where := "the account's e-mail"
		if sentTo != "" {
			where = sentTo
		}
		var code string
		switch {
		case fromStdin:
			line, err := lines.next()
			if err != nil || strings.TrimSpace(line) == "" {
				return flows.Secret{}, usagef("--code-stdin: no verification code on stdin (give it as the line after the password)")
			}
			code = strings.TrimSpace(line)
		case a.IO.ReadSecret != nil && a.IO.CanPrompt():
			// The live progress must not draw over the prompt.
			release := a.holdDisplay()
			a.IO.Errorf("Enter the code sent to %s: ", where)
			line, err := a.IO.ReadSecret()
			a.IO.Errorf("\n")
			release()
			if err != nil {
				return flows.Secret{}, fmt.Errorf("read the verification code: %w", err)
			}
			code = strings.TrimSpace(line)
		default:
			return flows.Secret{}, usagef("the site sent a code to %s but there is no terminal to ask for it: use --code-stdin", where)
		}
		if err := flows.CheckCode(code); err != nil {
			return flows.Secret{}, &UsageError{Err: err}
		}
		a.noteSecret(code) // a recording must not hold it either
		return flows.NewSecret(code), nil
	}
}

// confirmDeletion warns that deletion is permanent and, on a terminal,
// has the user type the account id; without one it needs --yes.
func (a *App) confirmDeletion(account string, opts *FlowOptions, lines *stdinLines) error {
	if opts.Yes {
		return nil
	}
	if !a.IO.CanPrompt() {
		return usagef("not on a terminal, so miacct cannot ask before deleting the account: pass --yes to go ahead")
	}
	a.IO.Errorf("This deletes Xiaomi Account %s for good, with everything in it (Xiaomi Cloud data, purchases, devices).\n", flows.MaskID(account))
	a.IO.Errorf("It cannot be undone, and Xiaomi may take up to 15 days to complete it.\n")
	a.IO.Errorf("Type the account id to confirm: ")
	answer, err := lines.next()
	if err != nil || strings.TrimSpace(answer) != account {
		return usagef("the account id was not typed: nothing was changed")
	}
	return nil
}

// openDeletePageByHand opens the delete page and prints what is left to do.
func (a *App) openDeletePageByHand(ctx context.Context, sess *flows.Session) error {
	if err := sess.OpenDeletePage(ctx); err != nil {
		return err
	}
	if a.Global.JSON {
		return writeJSON(a.IO.Out, manualResult{Schema: schemaVersion, OK: true, Command: cmdDeleteAccount.String(), Manual: true, URL: flows.DeletePageURL, Remaining: flows.ManualSteps()})
	}
	a.IO.Printf("The delete page (%s) is open on %s. Finish on the phone:\n", flows.DeletePageURL, sess.Phone().Label())
	for i, s := range flows.ManualSteps() {
		a.IO.Printf("  %d. %s\n", i+1, s)
	}
	return nil
}

// manualResult is what delete-account --manual prints with --json.
type manualResult struct {
	Schema    int      `json:"schema"`
	OK        bool     `json:"ok"`
	ExitCode  int      `json:"exit_code"`
	Command   string   `json:"command"`
	Manual    bool     `json:"manual"`
	URL       string   `json:"url"`
	Remaining []string `json:"remaining"`
}
