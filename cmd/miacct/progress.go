package main

import (
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/miacct/miacct/flows"
)

// liveArea is a block of lines redrawn in place on stderr (a terminal
// that takes ANSI escapes): a step list, or one line per phone. Each line
// is cut to the terminal's width, so none wraps and a redraw overwrites
// exactly what the last one drew. While a prompt holds it, it draws
// nothing; a note prints a line above it.
type liveArea struct {
	io     *IOStreams
	render func(frame int) []string // the lines to draw; called with mu held
	// newTicker makes the ticks that animate the spinner; tests give their own.
	newTicker func() (<-chan time.Time, func())

	mu    sync.Mutex
	drawn int // lines drawn last time
	frame int
	held  int // prompts holding the display
	stopC chan struct{}
	wg    sync.WaitGroup
}

func newLiveArea(io *IOStreams, every time.Duration, render func(frame int) []string) *liveArea {
	return &liveArea{io: io, render: render, newTicker: func() (<-chan time.Time, func()) {
		t := time.NewTicker(every)
		return t.C, t.Stop
	}}
}

// start draws and animates until stop.
func (l *liveArea) start() {
	ticks, stopTicks := l.newTicker()
	l.stopC = make(chan struct{})
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		defer stopTicks()
		for {
			select {
			case <-ticks:
				l.mu.Lock()
				l.frame++
				l.drawLocked()
				l.mu.Unlock()
			case <-l.stopC:
				return
			}
		}
	}()
}

// stop ends the animation and draws the final state.
func (l *liveArea) stop() {
	if l.stopC == nil {
		return
	}
	close(l.stopC)
	l.wg.Wait()
	l.stopC = nil
	l.redraw()
}

// redraw draws now (a step started or ended).
func (l *liveArea) redraw() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.drawLocked()
}

// note prints line above the area and draws the area again below it.
func (l *liveArea) note(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held > 0 {
		// A prompt waits on the last line: leave it and the area be.
		l.io.Errorf("\n%s\n", line)
		return
	}
	var b strings.Builder
	if l.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA\x1b[J", l.drawn)
	}
	b.WriteString(line + "\n")
	l.io.Errorf("%s", b.String())
	l.drawn = 0
	l.drawLocked()
}

// hold stops drawing until release: a prompt is waiting on the line
// below the area, and a redraw would overwrite it.
func (l *liveArea) hold() func() {
	l.mu.Lock()
	l.held++
	l.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.held--
			// The prompt's line now sits below the area: start afresh.
			l.drawn = 0
			if l.held == 0 {
				l.drawLocked()
			}
		})
	}
}

// drawLocked redraws the lines in place; the caller holds mu.
func (l *liveArea) drawLocked() {
	if l.held > 0 {
		return
	}
	width := l.io.TerminalWidth()
	var b strings.Builder
	if l.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", l.drawn)
	}
	lines := l.render(l.frame)
	for _, line := range lines {
		// One column is kept free: some terminals wrap a line that fills
		// the last column.
		fmt.Fprintf(&b, "\x1b[2K%s\n", cutVisible(line, width-1))
	}
	l.drawn = len(lines)
	l.io.Errorf("%s", b.String())
}

// cutVisible cuts a line that may hold colour escapes to n visible
// columns, ending it with "…" when it had to be cut.
func cutVisible(s string, n int) string {
	if textWidth(stripEscapes(s)) <= n {
		return s
	}
	var b strings.Builder
	visible := 0
	for i := 0; i < len(s); {
		if s[i] == '\x1b' {
			j := strings.IndexByte(s[i:], 'm')
			if j < 0 {
				break
			}
			b.WriteString(s[i : i+j+1])
			i += j + 1
			continue
		}
		if visible >= n-1 {
			break
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r)
		i += size
		visible++
	}
	b.WriteString("…")
	if strings.Contains(s, "\x1b[") {
		b.WriteString("\x1b[0m")
	}
	return b.String()
}

// stripEscapes removes colour escapes.
func stripEscapes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\x1b' {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// progress shows the steps on stderr as they run: on a terminal a live
// list with a spinner, ticks, crosses and times; otherwise one plain line
// per finished step, so logs stay readable.
type progress struct {
	io    *IOStreams
	color bool
	area  *liveArea // nil: plain lines

	mu      sync.Mutex
	names   []string
	status  map[string]string // "", running, ok, failed, skipped
	detail  map[string]string
	started map[string]time.Time
	took    map[string]time.Duration
	total   int
	done    int
}

func newProgress(io *IOStreams, spec runSpec) *progress {
	p := &progress{
		io:      io,
		color:   io.Color(),
		status:  map[string]string{},
		detail:  map[string]string{},
		started: map[string]time.Time{},
		took:    map[string]time.Duration{},
	}
	if spec.alone() {
		p.names = []string{spec.job.Step}
	} else {
		p.names = spec.job.StepNames()
	}
	p.total = len(p.names)
	if io.LiveStderr() {
		p.area = newLiveArea(io, 100*time.Millisecond, p.lines)
	}
	return p
}

var spinnerFrames = [...]string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// start shows the live list, through which app's notes then go.
func (p *progress) start(app *App) {
	if p.area == nil {
		return
	}
	app.showing(p.area)
	p.area.start()
}

// stop draws the final list; notes go straight to stderr again.
func (p *progress) stop(app *App) {
	if p.area == nil {
		return
	}
	app.showing(nil)
	p.area.stop()
}

func (p *progress) StepStarted(name string) {
	p.mu.Lock()
	p.status[name] = "running"
	p.started[name] = time.Now()
	p.mu.Unlock()
	if p.area != nil {
		p.area.redraw()
	}
}

func (p *progress) StepFinished(r flows.StepResult) {
	p.mu.Lock()
	p.status[r.Name] = r.Status
	p.detail[r.Name] = r.Message
	p.took[r.Name] = time.Duration(r.DurationMS) * time.Millisecond
	p.done++
	done, took := p.done, p.took[r.Name]
	p.mu.Unlock()
	if p.area != nil {
		p.area.redraw()
		return
	}
	line := fmt.Sprintf("[%d/%d] %-16s %-7s", done, p.total, r.Name, r.Status)
	if r.Status != flows.StatusSkipped {
		line += fmt.Sprintf(" %6s", humanDuration(took))
	}
	if r.Message != "" {
		line += "  " + r.Message
	}
	p.io.Errorf("%s\n", strings.TrimRight(line, " "))
}

// lines renders the list for the live area.
func (p *progress) lines(frame int) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, name := range p.names {
		mark, took := "·", ""
		switch p.status[name] {
		case "running":
			mark = spinnerFrames[frame%len(spinnerFrames)]
			took = humanDuration(time.Since(p.started[name]))
		case flows.StatusOK:
			mark, took = p.paint("✓", "32"), humanDuration(p.took[name])
		case flows.StatusFailed:
			mark, took = p.paint("✗", "31"), humanDuration(p.took[name])
		case flows.StatusSkipped:
			mark = p.paint("-", "90")
		}
		out = append(out, strings.TrimRight(fmt.Sprintf(" %s %-16s %7s  %s", mark, name, took, p.detail[name]), " "))
	}
	return out
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
