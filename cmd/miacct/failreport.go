package main

import (
	"context"
	"errors"
	"os"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/flows"
	"github.com/miacct/miacct/flows/ui"
)

// needsFailureReport: failures nobody can understand without seeing the
// screen (an unknown screen, output from the phone that could not be
// read) get a report even without --report.
func needsFailureReport(err error) bool {
	return errors.Is(err, ui.ErrUnexpectedScreen) || errors.Is(err, adb.ErrBadOutput)
}

// saveFailureReport writes what --report would have held about the
// failure (the run's JSON, the failed step's screenshot and hierarchy, an
// index.html) into a fresh private temporary directory and returns it.
// Like --report, it never holds the password, and it masks the account
// unless --show-account. An error is a *WriteError.
func (a *App) saveFailureReport(ctx context.Context, sess *flows.Session, res *flows.Result, out *runResult, private *privacy) (string, error) {
	dir, err := os.MkdirTemp("", "miacct-report-")
	if err != nil {
		return "", &WriteError{What: "failure report", Err: err}
	}
	rw, err := newReportWriter(ctx, dir, a.Global.Timeout)
	if err != nil {
		return "", &WriteError{What: "failure report", Err: err}
	}
	rw.attach(sess, private)
	for _, st := range res.Steps {
		if st.Status == flows.StatusFailed {
			rw.StepFinished(st) // snapshots the screen the step failed on
		} else {
			rw.steps = append(rw.steps, reportStep{StepResult: st})
		}
	}
	out.Report = dir
	return dir, rw.finish(out)
}
