package main

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/miacct/miacct/flows"
)

// fleetBoard shows a fleet run on stderr: on a terminal one live line
// per phone (step, elapsed, result); otherwise a plain line per finished
// step, prefixed by the phone's name, so logs of many phones stay apart.
type fleetBoard struct {
	io    *IOStreams
	live  bool
	mu    sync.Mutex
	lines []*fleetLine
	drawn int
	frame int
	stopC chan struct{}
	wg    sync.WaitGroup
}

// fleetLine is one phone's line; it hears its phone's steps.
type fleetLine struct {
	board *fleetBoard
	name  string
	total int
	done  int
	step  string
	since time.Time
	start time.Time
	state string // "", running, ok, failed, skipped, nothing
	note  string
}

func newFleetBoard(io *IOStreams, phones []*fleetPhone, spec runSpec) *fleetBoard {
	b := &fleetBoard{io: io, live: io.LiveStderr()}
	total := len(spec.job.StepNames())
	for _, p := range phones {
		l := &fleetLine{board: b, name: p.name, total: total}
		p.progress = l
		b.lines = append(b.lines, l)
	}
	return b
}

func (b *fleetBoard) start() {
	if !b.live {
		return
	}
	b.stopC = make(chan struct{})
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				b.mu.Lock()
				b.frame++
				b.draw()
				b.mu.Unlock()
			case <-b.stopC:
				return
			}
		}
	}()
}

func (b *fleetBoard) stop() {
	if b.stopC == nil {
		return
	}
	close(b.stopC)
	b.wg.Wait()
	b.stopC = nil
	b.mu.Lock()
	b.draw()
	b.mu.Unlock()
}

// done marks a phone finished (or skipped).
func (b *fleetBoard) done(p *fleetPhone) {
	b.mu.Lock()
	defer b.mu.Unlock()
	l := p.progress
	switch {
	case p.setupErr != nil:
		l.state, l.note = flows.StatusFailed, p.setupErr.Error()
	case p.skip != "":
		l.state, l.note = flows.StatusSkipped, p.skip
	case p.pr != nil && p.pr.res != nil && p.pr.res.Err != nil:
		l.state, l.note = flows.StatusFailed, p.pr.res.Err.Error()
	case p.pr != nil && p.pr.res != nil && p.pr.res.NothingToDo:
		l.state, l.note = "nothing", "nothing to do: no Xiaomi account"
	default:
		l.state, l.note = flows.StatusOK, "done"
	}
	if b.live {
		b.draw()
		return
	}
	took := ""
	if !l.start.IsZero() {
		took = " in " + humanDuration(time.Since(l.start))
	}
	b.io.Errorf("%s: %s%s: %s\n", l.name, strings.ToUpper(l.state), took, l.note)
}

func (l *fleetLine) StepStarted(name string) {
	b := l.board
	b.mu.Lock()
	defer b.mu.Unlock()
	if l.start.IsZero() {
		l.start = time.Now()
	}
	l.step, l.since, l.state = name, time.Now(), "running"
}

func (l *fleetLine) StepFinished(r flows.StepResult) {
	b := l.board
	b.mu.Lock()
	defer b.mu.Unlock()
	l.done++
	if b.live {
		return
	}
	line := fmt.Sprintf("%s: [%d/%d] %-16s %-7s", l.name, l.done, l.total, r.Name, r.Status)
	if r.Status != flows.StatusSkipped {
		line += fmt.Sprintf(" %6s", humanDuration(time.Duration(r.DurationMS)*time.Millisecond))
	}
	if r.Message != "" {
		line += "  " + r.Message
	}
	b.io.Errorf("%s\n", strings.TrimRight(line, " "))
}

// draw redraws every phone's line in place; the caller holds b.mu.
func (b *fleetBoard) draw() {
	var s strings.Builder
	if b.drawn > 0 {
		fmt.Fprintf(&s, "\x1b[%dA", b.drawn)
	}
	for _, l := range b.lines {
		mark, what := "·", "waiting"
		elapsed := ""
		if !l.start.IsZero() {
			elapsed = humanDuration(time.Since(l.start))
		}
		switch l.state {
		case "running":
			mark = spinnerFrames[b.frame%len(spinnerFrames)]
			what = fmt.Sprintf("[%d/%d] %s", l.done+1, l.total, l.step)
		case flows.StatusOK:
			mark, what = "✓", l.note
		case "nothing":
			mark, what = "✓", l.note
		case flows.StatusFailed:
			mark, what = "✗", l.note
		case flows.StatusSkipped:
			mark, what = "-", "skipped: "+l.note
		}
		if len(what) > 80 {
			what = what[:77] + "..."
		}
		fmt.Fprintf(&s, "\x1b[2K %s %-28s %7s  %s\n", mark, l.name, elapsed, what)
	}
	b.drawn = len(b.lines)
	b.io.Errorf("%s", s.String())
}
