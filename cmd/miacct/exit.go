package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/flows"
	"github.com/miacct/miacct/flows/ui"
)

// Exit codes, documented in README.md.
const (
	ExitOK          = 0   // done, or nothing to do
	ExitError       = 1   // an unexpected error (a bug: please report it)
	ExitUsage       = 2   // bad flags, arguments, fixture or password; no confirmation
	ExitNoDevice    = 3   // ADB server unreachable, no/several/unknown device, unauthorized
	ExitNotReady    = 4   // locked, input injection off, not a Xiaomi phone
	ExitWrongPass   = 5   // the phone or site rejected the password, or the site the code
	ExitScreen      = 6   // the phone showed a screen the step did not expect
	ExitTimeout     = 7   // the phone stopped answering, dropped off ADB, or sent garbage
	ExitIO          = 8   // a file miacct writes (report, recording) could not be written
	ExitNotVerified = 9   // report verify: a file missing, changed or added, or a bad signature
	ExitInterrupted = 130 // Ctrl-C, SIGTERM, SIGHUP
)

// schemaVersion is the "schema" every JSON document miacct prints
// carries: it changes when a documented key changes meaning or goes.
const schemaVersion = 1

// UsageError is bad input from the user (exit 2), typed where it is found.
type UsageError struct {
	Err error
	// help names the command whose --help explains the mistake, for the
	// flag and argument errors; "" when the message says all.
	help string
}

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// usagef returns a UsageError.
func usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// usageHelpf returns a UsageError about cmd's arguments, which points at
// its --help.
func usageHelpf(cmd *cobra.Command, format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...), help: cmd.CommandPath()}
}

// WriteError is a file miacct writes that could not be written (a full
// disk, a folder removed while writing): exit 8. The phone may be done;
// the proof of it is not.
type WriteError struct {
	What string // "report", "recording", "failure report"
	Err  error
}

func (e *WriteError) Error() string {
	return fmt.Sprintf("could not write the %s: %v", e.What, e.Err)
}
func (e *WriteError) Unwrap() error { return e.Err }

// ExitCode maps an error to the documented exit code.
func ExitCode(err error) int {
	var ue *UsageError
	var fe *fixture.Error
	var multi *adb.MultipleDevicesError
	var we *WriteError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, flows.ErrInterrupted), errors.Is(err, context.Canceled), errors.Is(err, errInterrupted):
		return ExitInterrupted
	case errors.As(err, &we):
		return ExitIO
	case errors.As(err, &ue), errors.As(err, &fe), errors.Is(err, adb.ErrBadAddress),
		errors.Is(err, flows.ErrBadPassword), errors.Is(err, flows.ErrUnknownStep), errors.Is(err, flows.ErrUsage):
		return ExitUsage
	case errors.As(err, &multi), errors.Is(err, adb.ErrServerUnreachable), errors.Is(err, adb.ErrNotADBServer), errors.Is(err, adb.ErrNoDevice),
		errors.Is(err, adb.ErrDeviceNotFound), errors.Is(err, adb.ErrUnauthorized), errors.Is(err, flows.ErrLocked):
		return ExitNoDevice
	case errors.Is(err, flows.ErrNotReady), errors.Is(err, adb.ErrInjectionDenied):
		return ExitNotReady
	case errors.Is(err, flows.ErrWrongPassword), errors.Is(err, flows.ErrWrongCode):
		return ExitWrongPass
	case errors.Is(err, ui.ErrUnexpectedScreen), errors.Is(err, flows.ErrPrecondition), errors.Is(err, flows.ErrNeedsHand), errors.Is(err, flows.ErrStillSignedIn):
		return ExitScreen
	case errors.Is(err, adb.ErrTimeout), errors.Is(err, adb.ErrDeviceLost), errors.Is(err, adb.ErrOffline),
		errors.Is(err, adb.ErrBadOutput), errors.Is(err, context.DeadlineExceeded):
		return ExitTimeout
	}
	return ExitError
}
