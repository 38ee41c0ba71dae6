//go:build gendocs

package main

// Built with -tags gendocs, miacct is instead the program that writes its
// documentation from the command tree: a man page per command and the
// shell completion scripts, for the release archives and the Debian
// package (make man). A separate main keeps cobra's man-page renderer out
// of the binary people run.

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

func main() {
	out := flag.String("out", "dist", "write man/ and completions/ into `DIR`")
	date := flag.String("date", "", "date the man pages `SECONDS` since 1970 (default: $SOURCE_DATE_EPOCH, else now)")
	flag.Parse()
	getenv := os.Getenv
	if *date != "" {
		getenv = func(k string) string {
			if k == "SOURCE_DATE_EPOCH" {
				return *date
			}
			return os.Getenv(k)
		}
	}
	if err := writeDocs(*out, getenv); err != nil {
		fmt.Fprintf(os.Stderr, "gendocs: %v\n", err)
		os.Exit(1)
	}
}

// writeDocs writes DIR/man/*.1 (and .1.gz, as Debian installs them) and
// DIR/completions/{miacct.bash,_miacct,miacct.fish,miacct.ps1}. The
// pages are dated $SOURCE_DATE_EPOCH when set, so a release rebuilds
// them byte for byte.
func writeDocs(dir string, getenv func(string) string) error {
	app := &App{IO: &IOStreams{In: bytes.NewReader(nil), Out: io.Discard, ErrOut: io.Discard, Getenv: getenv}}
	root := newRootCmd(app)
	root.InitDefaultCompletionCmd()
	root.DisableAutoGenTag = true
	walkCommands(root, func(cmd *cobra.Command) { cmd.Long = manMarkdown(cmd.Long) })

	when := time.Now().UTC()
	if s := getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH=%q: %w", s, err)
		}
		when = time.Unix(sec, 0).UTC()
	}
	manDir := filepath.Join(dir, "man")
	if err := os.RemoveAll(manDir); err != nil {
		return err
	}
	if err := os.MkdirAll(manDir, 0o755); err != nil {
		return err
	}
	header := &doc.GenManHeader{
		Title:   "MIACCT",
		Section: "1",
		Date:    &when,
		Source:  "miacct " + root.Version,
		Manual:  "miacct manual",
	}
	if err := doc.GenManTree(root, header, manDir); err != nil {
		return fmt.Errorf("man pages: %w", err)
	}
	pages, err := filepath.Glob(filepath.Join(manDir, "*.1"))
	if err != nil {
		return err
	}
	for _, p := range pages {
		if err := gzipFile(p); err != nil {
			return err
		}
	}

	compDir := filepath.Join(dir, "completions")
	if err := os.MkdirAll(compDir, 0o755); err != nil {
		return err
	}
	for name, gen := range map[string]func(io.Writer) error{
		"miacct.bash": func(w io.Writer) error { return root.GenBashCompletionV2(w, true) },
		"_miacct":     root.GenZshCompletion,
		"miacct.fish": func(w io.Writer) error { return root.GenFishCompletion(w, true) },
		"miacct.ps1":  root.GenPowerShellCompletionWithDesc,
	} {
		if err := writeWith(filepath.Join(compDir, name), gen); err != nil {
			return fmt.Errorf("completion %s: %w", name, err)
		}
	}
	return nil
}

// gzipFile writes path.gz with no name or time in its header, so the
// same page always compresses to the same bytes.
func gzipFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return writeWith(path+".gz", func(w io.Writer) error {
		zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
		if err != nil {
			return err
		}
		if _, err := zw.Write(data); err != nil {
			return err
		}
		return zw.Close()
	})
}

func writeWith(path string, gen func(io.Writer) error) error {
	var b bytes.Buffer
	if err := gen(&b); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// manMarkdown prepares help text for the man page renderer, which reads
// it as Markdown: runs of indented lines (the exit codes, the JSON
// shape) become preformatted blocks, so they keep their columns instead
// of being joined into a paragraph.
func manMarkdown(long string) string {
	var b strings.Builder
	inBlock := false
	for _, line := range strings.Split(long, "\n") {
		indented := strings.HasPrefix(line, " ") && strings.TrimSpace(line) != ""
		switch {
		case indented && !inBlock:
			b.WriteString("\n```\n")
			inBlock = true
		case !indented && inBlock:
			b.WriteString("```\n\n")
			inBlock = false
		}
		b.WriteString(line + "\n")
	}
	if inBlock {
		b.WriteString("```\n")
	}
	return strings.TrimRight(b.String(), "\n")
}
