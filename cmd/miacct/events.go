package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Events: one JSON object per line, for warehouse systems that follow a
// station (--events FILE, or - for stdout). Every line has "schema": 1,
// "time" (RFC 3339, UTC) and "event"; the other keys depend on the event
// and are left out when empty:
//
//	phone_seen    phone, server, serial, state, model
//	phone_gone    phone, server, serial
//	step_done     phone, step, status, message, duration_ms
//	run_finished  phone, command, exit_code, verdict, resume_from, error, certificate
//
// New keys and events may appear in schema 1; readers ignore what they
// do not know.

// Event names.
const (
	eventPhoneSeen   = "phone_seen"
	eventPhoneGone   = "phone_gone"
	eventStepDone    = "step_done"
	eventRunFinished = "run_finished"
)

// event is one line of --events.
type event struct {
	Schema      int    `json:"schema"`
	Time        string `json:"time"`
	Event       string `json:"event"`
	Phone       string `json:"phone,omitempty"`
	Server      string `json:"server,omitempty"`
	Serial      string `json:"serial,omitempty"`
	State       string `json:"state,omitempty"`
	Model       string `json:"model,omitempty"`
	Step        string `json:"step,omitempty"`
	Status      string `json:"status,omitempty"`
	Message     string `json:"message,omitempty"`
	DurationMS  int64  `json:"duration_ms,omitempty"`
	Command     string `json:"command,omitempty"`
	ExitCode    *int   `json:"exit_code,omitempty"` // run_finished only
	Verdict     string `json:"verdict,omitempty"`
	ResumeFrom  string `json:"resume_from,omitempty"`
	Error       string `json:"error,omitempty"`
	Certificate string `json:"certificate,omitempty"`
}

// exitCode is an event's exit_code.
func exitCode(n int) *int { return &n }

// eventLog writes events, one whole line at a time, from any goroutine.
// A nil *eventLog writes nothing.
type eventLog struct {
	mu  sync.Mutex
	w   io.Writer
	err error
}

// openEventLog opens --events: "-" is stdout, else the file is created
// (appended to when it exists, so a station's log survives restarts).
func openEventLog(a *App, dest string) (*eventLog, error) {
	if dest == "-" {
		return &eventLog{w: a.IO.Out}, nil
	}
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, usagef("--events: %v", err)
	}
	a.onExit(f.Close)
	return &eventLog{w: f}, nil
}

func (l *eventLog) emit(e event) {
	if l == nil {
		return
	}
	e.Schema = 1
	e.Time = time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00")
	line, err := json.Marshal(e)
	if err != nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := fmt.Fprintf(l.w, "%s\n", line); err != nil && l.err == nil {
		l.err = err
	}
}

// jsonUnmarshal is json.Unmarshal (kept here with the other JSON readers).
func jsonUnmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// jsonIndent is JSON for people, with a final newline.
func jsonIndent(v any) ([]byte, error) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}
