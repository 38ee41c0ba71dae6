package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/miacct/miacct/flows"
)

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// deviceJSON is a phone in every command's JSON, with the same key for
// the same fact everywhere: devices' rows, doctor's "device", the
// "device" of remove, delete-account and step, and each phone of --all.
type deviceJSON struct {
	// Name is the device as -s takes it: the serial, or
	// HOST:PORT/SERIAL with several ADB servers.
	Name   string `json:"name,omitempty"`
	Serial string `json:"serial"`
	Server string `json:"server,omitempty"`
	State  string `json:"state,omitempty"`
	Brand  string `json:"brand,omitempty"`
	// Model is the name people know ("Redmi Note 12"); ModelCode the
	// model property (23021RAAEG).
	Model     string `json:"model"`
	ModelCode string `json:"model_code,omitempty"`
	OS        string `json:"os"`
	Android   string `json:"android"`
	// Account is the Xiaomi account id, masked (12******90) unless
	// --show-account; null when none is signed in.
	Account *string `json:"account"`
}

// newDeviceJSON describes a phone; account is its Xiaomi account id ("":
// none), masked unless show.
func newDeviceJSON(p *flows.Phone, account string, show bool) *deviceJSON {
	d := &deviceJSON{Serial: p.Serial, Brand: p.Brand, Model: p.Name, ModelCode: p.Model, OS: p.OS, Android: p.Android}
	d.setAccount(account, show)
	return d
}

func (d *deviceJSON) setAccount(account string, show bool) {
	if account == "" {
		d.Account = nil
		return
	}
	if !show {
		account = flows.MaskID(account)
	}
	d.Account = &account
}

// runResult is the JSON remove, delete-account and step print.
type runResult struct {
	Schema      int                `json:"schema"`
	OK          bool               `json:"ok"`
	ExitCode    int                `json:"exit_code"`
	Command     string             `json:"command"`
	DryRun      bool               `json:"dry_run,omitempty"`
	Device      *deviceJSON        `json:"device,omitempty"`
	NothingToDo bool               `json:"nothing_to_do,omitempty"`
	Steps       []flows.StepResult `json:"steps"`
	Plan        []flows.PlanItem   `json:"plan,omitempty"`
	Totals      flows.Totals       `json:"totals"`
	ResumeFrom  string             `json:"resume_from,omitempty"`
	Error       string             `json:"error,omitempty"`
	Report      string             `json:"report,omitempty"`
}

// summarize turns a run into its JSON: the account is the one signed in
// when the run began, else --account.
func summarize(sess *flows.Session, st *flows.State, res *flows.Result, in *flowInputs) *runResult {
	opts := in.opts
	out := &runResult{
		Schema:      schemaVersion,
		OK:          res.Err == nil,
		ExitCode:    ExitCode(res.Err),
		Command:     in.spec.command.String(),
		DryRun:      opts.DryRun,
		Device:      newDeviceJSON(sess.Phone(), in.accountOf(st), opts.ShowAccount),
		NothingToDo: res.NothingToDo,
		Steps:       res.Steps,
		Totals:      res.Totals(),
		ResumeFrom:  res.Resume,
	}
	if out.Steps == nil {
		out.Steps = []flows.StepResult{}
	}
	if opts.DryRun {
		out.Plan = sess.Plan(in.spec.job)
	}
	if res.Err != nil {
		out.Error = res.Err.Error()
	}
	return out
}

func printSummary(app *App, out *runResult, res *flows.Result, spec runSpec) {
	switch {
	case out.DryRun:
		app.IO.Printf("Dry run on %s (%s, Android %s): nothing was changed. The plan:\n", out.Device.Model, out.Device.OS, out.Device.Android)
		for _, p := range out.Plan {
			line := fmt.Sprintf("  %-15s %s", p.Name, p.Action)
			if p.Skip != "" {
				line += " [skipped: " + p.Skip + "]"
			}
			app.IO.Printf("%s\n", line)
		}
	case res.NothingToDo:
		app.IO.Printf("Nothing to remove: no Xiaomi account is signed in on %s.\n", out.Device.Model)
	case res.Err == nil && spec.deletes():
		last := out.Steps[len(out.Steps)-1]
		app.IO.Printf("Done: deleting Xiaomi Account %s was requested (%s). It cannot be undone; Xiaomi may take up to 15 days to complete it.\n", accountOf(out), last.Message)
	case res.Err == nil && spec.command == cmdRemove:
		acct := "the Xiaomi account"
		if out.Device.Account != nil {
			acct = "Xiaomi Account " + *out.Device.Account
		}
		app.IO.Printf("Done: %s is off %s (%s). %d steps, %d ADB calls, %d screen reads, %s.\n",
			acct, out.Device.Model, out.Device.Serial, len(out.Steps), out.Totals.ADBCalls, out.Totals.Dumps,
			humanDuration(time.Duration(out.Totals.DurationMS)*time.Millisecond))
	case res.Err == nil:
		for _, s := range out.Steps {
			app.IO.Printf("%s: %s\n", s.Name, s.Message)
		}
	}
}

func accountOf(out *runResult) string {
	if out.Device != nil && out.Device.Account != nil {
		return *out.Device.Account
	}
	return "(unknown)"
}
