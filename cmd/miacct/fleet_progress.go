package main

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/miacct/miacct/flows"
)

// fleetBoard shows a fleet run on stderr: on a terminal one live line
// per phone (step, elapsed, result), cut to the terminal's width;
// otherwise a plain line per finished step, prefixed by the phone's name,
// so logs of many phones stay apart.
type fleetBoard struct {
	io    *IOStreams
	area  *liveArea // nil: plain lines
	mu    sync.Mutex
	lines []*fleetLine
}

// fleetLine is one phone's line; it hears its phone's steps.
type fleetLine struct {
	board *fleetBoard
	name  string
	total int
	done  int
	step  string
	start time.Time
	state string // "", running, ok, failed, skipped, nothing
	note  string
}

func newFleetBoard(io *IOStreams, phones []*fleetPhone, spec runSpec) *fleetBoard {
	b := &fleetBoard{io: io}
	total := len(spec.job.StepNames())
	for _, p := range phones {
		l := &fleetLine{board: b, name: p.name, total: total}
		p.progress = l
		b.lines = append(b.lines, l)
	}
	if io.LiveStderr() {
		b.area = newLiveArea(io, 200*time.Millisecond, b.render)
	}
	return b
}

func (b *fleetBoard) start(app *App) {
	if b.area == nil {
		return
	}
	app.showing(b.area)
	b.area.start()
}

func (b *fleetBoard) stop(app *App) {
	if b.area == nil {
		return
	}
	app.showing(nil)
	b.area.stop()
}

// done marks a phone finished (or skipped).
func (b *fleetBoard) done(p *fleetPhone) {
	b.mu.Lock()
	l := p.progress
	switch {
	case p.setupErr != nil:
		l.state, l.note = flows.StatusFailed, p.setupErr.Error()
	case p.skip != "":
		l.state, l.note = flows.StatusSkipped, p.skip
	case p.pr != nil && p.pr.out != nil && p.pr.out.ExitCode != ExitOK:
		l.state, l.note = flows.StatusFailed, p.pr.out.Error
	case p.pr != nil && p.pr.res != nil && p.pr.res.NothingToDo:
		l.state, l.note = "nothing", "nothing to do: no Xiaomi account"
	default:
		l.state, l.note = flows.StatusOK, "done"
	}
	took := ""
	if !l.start.IsZero() {
		took = " in " + humanDuration(time.Since(l.start))
	}
	b.mu.Unlock()
	if b.area != nil {
		b.area.redraw()
		return
	}
	b.io.Errorf("%s: %s%s: %s\n", l.name, strings.ToUpper(l.state), took, l.note)
}

func (l *fleetLine) StepStarted(name string) {
	b := l.board
	b.mu.Lock()
	if l.start.IsZero() {
		l.start = time.Now()
	}
	l.step, l.state = name, "running"
	b.mu.Unlock()
	if b.area != nil {
		b.area.redraw()
	}
}

func (l *fleetLine) StepFinished(r flows.StepResult) {
	b := l.board
	b.mu.Lock()
	l.done++
	done := l.done
	b.mu.Unlock()
	if b.area != nil {
		return
	}
	line := fmt.Sprintf("%s: [%d/%d] %-16s %-7s", l.name, done, l.total, r.Name, r.Status)
	if r.Status != flows.StatusSkipped {
		line += fmt.Sprintf(" %6s", humanDuration(time.Duration(r.DurationMS)*time.Millisecond))
	}
	if r.Message != "" {
		line += "  " + r.Message
	}
	b.io.Errorf("%s\n", strings.TrimRight(line, " "))
}

// render is every phone's line for the live area.
func (b *fleetBoard) render(frame int) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	nameWidth := 0
	for _, l := range b.lines {
		nameWidth = max(nameWidth, textWidth(l.name))
	}
	var out []string
	for _, l := range b.lines {
		mark, what := "·", "waiting"
		elapsed := ""
		if !l.start.IsZero() {
			elapsed = humanDuration(time.Since(l.start))
		}
		switch l.state {
		case "running":
			mark = spinnerFrames[frame%len(spinnerFrames)]
			what = fmt.Sprintf("[%d/%d] %s", l.done+1, l.total, l.step)
		case flows.StatusOK, "nothing":
			mark, what = "✓", l.note
		case flows.StatusFailed:
			mark, what = "✗", l.note
		case flows.StatusSkipped:
			mark, what = "-", "skipped: "+l.note
		}
		out = append(out, fmt.Sprintf(" %s %-*s %7s  %s", mark, nameWidth, l.name, elapsed, what))
	}
	return out
}
