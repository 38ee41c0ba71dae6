package main

import (
	"strings"
	"unicode/utf8"
)

// defaultWidth is the width assumed when stderr or stdout is no terminal
// or the terminal does not say: 80 columns, the smallest common one.
const defaultWidth = 80

// TerminalWidth is the width lines printed to the terminal must fit in,
// so that none wraps: the terminal's when it says, else defaultWidth.
func (s *IOStreams) TerminalWidth() int {
	if s.Width != nil {
		if w := s.Width(); w > 0 {
			return w
		}
	}
	return defaultWidth
}

// textWidth is the number of columns s takes (one per character; the
// texts miacct prints are Latin).
func textWidth(s string) int { return utf8.RuneCountInString(s) }

// cut shortens s to at most n columns, ending it with "…" when it had to
// be cut.
func cut(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if textWidth(s) <= n {
		return s
	}
	r := []rune(s)
	if n == 1 {
		return "…"
	}
	return strings.TrimRight(string(r[:n-1]), " ") + "…"
}

// fitTable lays rows out in columns two spaces apart within width: every
// column as wide as its widest cell, except column flex, which gets what
// is left and has its cells cut to it.
func fitTable(rows [][]string, flex, width int) []string {
	if len(rows) == 0 {
		return nil
	}
	cols := len(rows[0])
	widths := make([]int, cols)
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], textWidth(c))
		}
	}
	used := 0
	for i, w := range widths {
		if i != flex {
			used += w
		}
	}
	used += 2 * (cols - 1)
	// The flexible column keeps at least its header, and the line may then
	// still be too wide for a very narrow terminal: the last columns are
	// cut instead of wrapped.
	widths[flex] = max(textWidth(rows[0][flex]), min(widths[flex], width-1-used))
	var out []string
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			c = cut(c, widths[i])
			b.WriteString(c)
			if i < cols-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-textWidth(c)+2))
			}
		}
		out = append(out, cut(strings.TrimRight(b.String(), " "), width-1))
	}
	return out
}

// wrapCommand writes a shell command line after first, breaking it at
// spaces before width with a backslash at the end of each broken line,
// so that it can still be pasted into a shell as it is.
func wrapCommand(first, cmd string, width int) string {
	var b strings.Builder
	line := first
	for i, word := range strings.Fields(cmd) {
		if i > 0 && textWidth(line)+1+textWidth(word)+2 > width-1 {
			b.WriteString(line + " \\\n")
			line = strings.Repeat(" ", textWidth(first)+4) + word
			continue
		}
		if i > 0 {
			line += " "
		}
		line += word
	}
	b.WriteString(line)
	return b.String()
}
