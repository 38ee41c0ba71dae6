package flows

import (
	"errors"
	"fmt"
)

// Errors of the flows, told apart with errors.Is; the CLI maps them to
// exit codes.
var (
	// ErrNotReady: the phone cannot be driven now (locked, input
	// injection off, not a Xiaomi phone).
	ErrNotReady = errors.New("phone not ready")
	// ErrWrongPassword: the phone said the password is incorrect.
	ErrWrongPassword = errors.New("wrong password")
	// ErrBadPassword: the password cannot be typed into the phone.
	ErrBadPassword = errors.New("password cannot be used")
	// ErrInterrupted: the user asked to stop (Ctrl-C).
	ErrInterrupted = errors.New("interrupted")
	// ErrStillSignedIn: verification found the account still on the phone.
	ErrStillSignedIn = errors.New("account still signed in")
	// ErrUnknownStep: no step has that name.
	ErrUnknownStep = errors.New("unknown step")
	// ErrPrecondition: a step run alone found the phone elsewhere.
	ErrPrecondition = errors.New("phone is not where the step starts")
	// ErrCannotSignOut: the phone said it could not sign out ("Can't sign
	// out", "Can't turn off Find device").
	ErrCannotSignOut = errors.New("the phone could not sign out")
	// ErrUsage: an option the flows were given is wrong (a language no
	// file covers); the CLI reports it as a usage error.
	ErrUsage = errors.New("bad option")
)

// NotReadyError says why the phone is not ready and what to do.
type NotReadyError struct {
	Reason string // what is wrong: "the phone is locked"
	Fix    string // what to do: "unlock it and keep the screen on, then run again"
}

func (e *NotReadyError) Error() string {
	if e.Fix == "" {
		return e.Reason
	}
	return e.Reason + ": " + e.Fix
}

// Is makes errors.Is(err, ErrNotReady) true.
func (e *NotReadyError) Is(target error) bool { return target == ErrNotReady }

// StepError is a failed step, with the step to resume from.
type StepError struct {
	Step   string // the step that failed
	Resume string // the step a rerun should start from (--from)
	Err    error
}

func (e *StepError) Error() string { return fmt.Sprintf("%s: %v", e.Step, e.Err) }

// Unwrap returns the cause.
func (e *StepError) Unwrap() error { return e.Err }
