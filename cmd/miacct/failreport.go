package main

import (
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
// index.html) into a fresh temporary directory and returns it; "" when
// it could not be written (then the reason is on stderr). Like --report,
// it never holds the password: the password field shows dots in dumps
// and screenshots, and messages never quote typed text.
func (a *App) saveFailureReport(sess *flows.Session, res *flows.Result, out *runResult) string {
	dir, err := os.MkdirTemp("", "miacct-report-")
	if err != nil {
		a.IO.Errorf("miacct: save a failure report: %v\n", err)
		return ""
	}
	rw, err := newReportWriter(dir)
	if err != nil {
		a.IO.Errorf("miacct: save a failure report: %v\n", err)
		return ""
	}
	rw.session = sess
	for _, st := range res.Steps {
		if st.Status == flows.StatusFailed {
			rw.StepFinished(st) // snapshots the screen the step failed on
		} else {
			rw.steps = append(rw.steps, reportStep{StepResult: st})
		}
	}
	out.Report = dir
	if err := rw.finish(out); err != nil {
		a.IO.Errorf("miacct: save a failure report: %v\n", err)
	}
	return dir
}
