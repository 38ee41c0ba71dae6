//go:build gendocs

package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestManMarkdown(t *testing.T) {
	in := "remove runs every step.\n\nExit codes:\n    0  done\n    2  usage: bad flag,\n       not confirmed\nWith --all: the worst.\n\nJSON: --json prints\n  {\"ok\"}"
	want := "remove runs every step.\n\nExit codes:\n\n```\n    0  done\n    2  usage: bad flag,\n       not confirmed\n```\n\nWith --all: the worst.\n\nJSON: --json prints\n\n```\n  {\"ok\"}\n```"
	if got := manMarkdown(in); got != want {
		t.Errorf("manMarkdown =\n%s\nwant\n%s", got, want)
	}
}

// The man pages and completions are written, dated by
// SOURCE_DATE_EPOCH, the same bytes every time.
func TestWriteDocs(t *testing.T) {
	env := func(k string) string {
		if k == "SOURCE_DATE_EPOCH" {
			return "1764576000" // 2025-12-01
		}
		return ""
	}
	dirs := []string{t.TempDir(), t.TempDir()}
	for _, d := range dirs {
		if err := writeDocs(d, env); err != nil {
			t.Fatal(err)
		}
	}
	page, err := os.ReadFile(filepath.Join(dirs[0], "man", "miacct-remove.1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`.TH "MIACCT" "1" "Dec 2025"`, "Exit codes:", "--password-stdin", "JSON:"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("miacct-remove.1 lacks %q", want)
		}
	}
	gz, err := os.ReadFile(filepath.Join(dirs[0], "man", "miacct-remove.1.gz"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	if unzipped, err := io.ReadAll(zr); err != nil || !bytes.Equal(unzipped, page) {
		t.Errorf("miacct-remove.1.gz does not hold miacct-remove.1 (%v)", err)
	}
	for _, name := range []string{"man/miacct.1.gz", "man/miacct-connect.1", "completions/miacct.bash", "completions/_miacct", "completions/miacct.fish", "completions/miacct.ps1"} {
		a, err := os.ReadFile(filepath.Join(dirs[0], name))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(dirs[1], name))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two runs", name)
		}
	}
}
