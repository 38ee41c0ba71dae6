package main

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/miacct/miacct/flows"
)

// progress shows the steps on stderr as they run: on a terminal a live
// list with a spinner, ticks, crosses and times; otherwise one plain line
// per finished step, so logs stay readable.
type progress struct {
	io    *IOStreams
	live  bool
	color bool

	mu      sync.Mutex
	names   []string
	status  map[string]string // "", running, ok, failed, skipped
	detail  map[string]string
	started map[string]time.Time
	took    map[string]time.Duration
	frame   int
	drawn   int // lines drawn last time (to redraw in place)
	total   int
	done    int
	stopC   chan struct{}
	wg      sync.WaitGroup
}

func newProgress(io *IOStreams, spec runSpec) *progress {
	p := &progress{
		io:      io,
		live:    io.LiveStderr(),
		color:   io.Color(),
		status:  map[string]string{},
		detail:  map[string]string{},
		started: map[string]time.Time{},
		took:    map[string]time.Duration{},
	}
	if spec.job.Step != "" {
		p.names = []string{spec.job.Step}
	} else {
		p.names = spec.job.StepNames()
	}
	p.total = len(p.names)
	return p
}

var spinnerFrames = [...]string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

func (p *progress) start() {
	if !p.live {
		return
	}
	p.stopC = make(chan struct{})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.mu.Lock()
				p.frame++
				p.draw()
				p.mu.Unlock()
			case <-p.stopC:
				return
			}
		}
	}()
}

func (p *progress) stop() {
	if p.stopC != nil {
		close(p.stopC)
		p.wg.Wait()
		p.stopC = nil
		p.mu.Lock()
		p.draw()
		p.mu.Unlock()
	}
}

func (p *progress) StepStarted(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status[name] = "running"
	p.started[name] = time.Now()
	if p.live {
		p.draw()
	}
}

func (p *progress) StepFinished(r flows.StepResult) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status[r.Name] = r.Status
	p.detail[r.Name] = r.Message
	p.took[r.Name] = time.Duration(r.DurationMS) * time.Millisecond
	p.done++
	if p.live {
		p.draw()
		return
	}
	line := fmt.Sprintf("[%d/%d] %-16s %-7s", p.done, p.total, r.Name, r.Status)
	if r.Status != flows.StatusSkipped {
		line += fmt.Sprintf(" %6s", humanDuration(p.took[r.Name]))
	}
	if r.Message != "" {
		line += "  " + r.Message
	}
	p.io.Errorf("%s\n", strings.TrimRight(line, " "))
}

// draw redraws the list in place; the caller holds p.mu.
func (p *progress) draw() {
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", p.drawn)
	}
	for _, name := range p.names {
		mark, took := "·", ""
		switch p.status[name] {
		case "running":
			mark = spinnerFrames[p.frame%len(spinnerFrames)]
			took = humanDuration(time.Since(p.started[name]))
		case flows.StatusOK:
			mark, took = p.paint("✓", "32"), humanDuration(p.took[name])
		case flows.StatusFailed:
			mark, took = p.paint("✗", "31"), humanDuration(p.took[name])
		case flows.StatusSkipped:
			mark = p.paint("-", "90")
		}
		detail := p.detail[name]
		if len(detail) > 70 {
			detail = detail[:67] + "..."
		}
		fmt.Fprintf(&b, "\x1b[2K %s %-16s %7s  %s\n", mark, name, took, detail)
	}
	p.drawn = len(p.names)
	p.io.Errorf("%s", b.String())
}

func (p *progress) paint(s, code string) string {
	if !p.color {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// humanDuration prints 850ms, 1.2s, 3m5s: precise where it is short.
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
