package main

import (
	"io/fs"
	"net"
	"os"
	"path"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/spf13/cobra"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake/fixture"
)

func TestFixtureCompletions(t *testing.T) {
	builtins := []fixture.Summary{
		{Name: "miui14-en", Description: "Redmi Note 12"},
		{Name: "miui14-en-locked", Description: "locked"},
		{Name: "hyperos2-en", Description: "Xiaomi 14"},
	}
	files := fstest.MapFS{
		"my-phone/fixture.yaml":       {},
		"my-phone/screens/a.xml":      {},
		"miui14-en-copy/fixture.yaml": {},
		"miui14-en/fixture.yaml":      {}, // shadowed: --fake miui14-en loads the built-in one
		"mine.txt":                    {},
		".hidden/fixture.yaml":        {},
		"recordings/phone1/calls.log": {},
		"recordings/phone2/calls.log": {},
	}
	readDir := func(dir string) ([]fs.DirEntry, error) { return fs.ReadDir(files, dir) }
	sep := string(os.PathSeparator)
	for _, tc := range []struct {
		word      string
		want      []string
		directive cobra.ShellCompDirective
	}{
		{"miui14-en", []string{"miui14-en\tRedmi Note 12", "miui14-en-locked\tlocked", "miui14-en-copy" + sep}, cobra.ShellCompDirectiveNoFileComp},
		{"h", []string{"hyperos2-en\tXiaomi 14"}, cobra.ShellCompDirectiveNoFileComp},
		{"my", []string{"my-phone" + sep}, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace},
		{"rec", []string{"recordings" + sep}, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace},
		{"recordings/", []string{"recordings/phone1/", "recordings/phone2/"}, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace},
		{"recordings/phone2", []string{"recordings/phone2/"}, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace},
		{"./my", []string{"./my-phone/"}, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace},
		{".h", []string{".hidden" + sep}, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace},
		{"nothing", nil, cobra.ShellCompDirectiveNoFileComp},
	} {
		got, directive := fixtureCompletions(tc.word, builtins, func(dir string) ([]fs.DirEntry, error) {
			return readDir(path.Clean(dir)) // fstest wants "recordings", not "recordings/"
		})
		if !slices.Equal(got, tc.want) || directive != tc.directive {
			t.Errorf("fixtureCompletions(%q) = %q, %v; want %q, %v", tc.word, got, directive, tc.want, tc.directive)
		}
	}
}

func TestSerialCompletions(t *testing.T) {
	one := []adb.DeviceInfo{
		{Serial: "6d8f2a41", State: adb.StateDevice, Model: "23021RAAEG", Server: "127.0.0.1:5037"},
		{Serial: "127.0.0.1:40001", State: adb.StateUnauthorized, Server: "127.0.0.1:5037"},
	}
	other := []adb.DeviceInfo{{Serial: "6d8f2a41", State: adb.StateDevice, Model: "Redmi_Note_12", Server: "hub:5037"}}
	for _, tc := range []struct {
		word        string
		lists       [][]adb.DeviceInfo
		networkOnly bool
		want        []string
	}{
		{"", [][]adb.DeviceInfo{one}, false, []string{"6d8f2a41\t23021RAAEG, device", "127.0.0.1:40001\tunauthorized"}},
		{"127", [][]adb.DeviceInfo{one}, false, []string{"127.0.0.1:40001\tunauthorized"}},
		{"", [][]adb.DeviceInfo{one}, true, []string{"127.0.0.1:40001\tunauthorized"}},
		{"hub", [][]adb.DeviceInfo{one, other}, false, []string{"hub:5037/6d8f2a41\tRedmi Note 12, device"}},
		{"", [][]adb.DeviceInfo{nil}, false, nil},
	} {
		if got := serialCompletions(tc.word, tc.lists, tc.networkOnly); !slices.Equal(got, tc.want) {
			t.Errorf("serialCompletions(%q, network only %v) = %q, want %q", tc.word, tc.networkOnly, got, tc.want)
		}
	}
}

// An ADB server that accepts and never answers costs the shell a second
// at most, and offers nothing.
func TestSerialCompletionGivesUpOnASilentServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	start := time.Now()
	r := runMain("", nil, "__complete", "--adb", ln.Addr().String(), "-s", "")
	if took := time.Since(start); took > serialCompletionTimeout+2*time.Second {
		t.Errorf("completing -s took %v", took)
	}
	if r.code != 0 || r.stdout != ":4\n" {
		t.Errorf("completing -s against a silent server: exit %d, stdout %q, want only the directive :4", r.code, r.stdout)
	}
}
