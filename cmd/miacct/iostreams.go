package main

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams are the command's standard streams and environment, injected
// so a command runs the same in a test as on a terminal.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// InTTY, OutTTY, ErrTTY say whether the streams are terminals.
	InTTY, OutTTY, ErrTTY bool
	// NoANSI: stderr is a terminal that does not take ANSI escapes (a
	// Windows console older than Windows 10), so progress prints plain
	// lines and no colours.
	NoANSI bool
	// Getenv reads the environment.
	Getenv func(string) string
	// ReadSecret reads a line from the terminal without echo; nil when
	// there is no terminal to read from.
	ReadSecret func() (string, error)
	// Width is the terminal's width in columns, asked each time (the
	// window may change); nil or 0: not a terminal, or it does not say.
	Width func() int
}

// SystemIO returns the process's streams.
func SystemIO() *IOStreams {
	io := &IOStreams{
		In:     os.Stdin,
		Out:    os.Stdout,
		ErrOut: os.Stderr,
		InTTY:  term.IsTerminal(int(os.Stdin.Fd())),
		OutTTY: term.IsTerminal(int(os.Stdout.Fd())),
		ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
		Getenv: os.Getenv,
	}
	io.NoANSI = io.ErrTTY && !enableANSI(os.Stderr)
	io.Width = func() int {
		for _, f := range []*os.File{os.Stderr, os.Stdout} {
			if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
				return w
			}
		}
		return 0
	}
	if io.InTTY {
		io.ReadSecret = func() (string, error) {
			b, err := term.ReadPassword(int(os.Stdin.Fd()))
			return string(b), err
		}
	}
	return io
}

// CanPrompt reports whether questions can be asked and answered.
func (s *IOStreams) CanPrompt() bool { return s.InTTY && s.ErrTTY }

// Color reports whether stderr may use colours (a terminal, and NO_COLOR
// unset as https://no-color.org asks).
func (s *IOStreams) Color() bool {
	_, color := stderrDisplay(s.ErrTTY, !s.NoANSI, s.Getenv("TERM"), s.Getenv("NO_COLOR"))
	return color
}

// Printf writes to stdout.
func (s *IOStreams) Printf(format string, args ...any) { fmt.Fprintf(s.Out, format, args...) }

// Errorf writes to stderr.
func (s *IOStreams) Errorf(format string, args ...any) { fmt.Fprintf(s.ErrOut, format, args...) }
