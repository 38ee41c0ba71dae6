package main

// stderrDisplay decides how progress shows on stderr: live (redrawn in
// place with ANSI escapes) and in colour, or as plain lines. Live needs a
// terminal that understands the escapes (ansi: on Windows, a console
// that took virtual-terminal processing) and TERM other than dumb;
// colour also needs NO_COLOR unset (https://no-color.org).
func stderrDisplay(tty, ansi bool, term, noColor string) (live, color bool) {
	live = tty && ansi && term != "dumb"
	return live, live && noColor == ""
}

// LiveStderr reports whether progress may be redrawn in place on stderr.
func (s *IOStreams) LiveStderr() bool {
	live, _ := stderrDisplay(s.ErrTTY, !s.NoANSI, s.Getenv("TERM"), s.Getenv("NO_COLOR"))
	return live
}
