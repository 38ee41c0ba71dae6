package main

import (
	"context"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/flows"
)

// serialCompletionTimeout bounds the question to the ADB servers when
// completing -s: a shell waiting on a TAB must not hang on a server
// that does not answer.
const serialCompletionTimeout = time.Second

// registerCompletions teaches the shell completion (miacct completion
// SHELL) the names miacct knows: fixtures for --fake and the fake
// commands, steps for --from, languages for --lang, the serials of the
// connected phones for -s, and the network devices for disconnect.
func registerCompletions(root *cobra.Command, app *App) {
	_ = root.RegisterFlagCompletionFunc("fake", completeFixtures)
	_ = root.RegisterFlagCompletionFunc("serial", func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return app.completeSerials(cmd, toComplete, false)
	})
	walkCommands(root, func(cmd *cobra.Command) {
		if cmd.Flags().Lookup("from") != nil {
			_ = cmd.RegisterFlagCompletionFunc("from", completeSteps)
		}
		if cmd.Flags().Lookup("lang") != nil {
			// Read when asked: listing the languages parses every
			// language file, which every run would pay otherwise.
			_ = cmd.RegisterFlagCompletionFunc("lang", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
				return flows.Languages(), cobra.ShellCompDirectiveNoFileComp
			})
		}
		switch commandKey(cmd) {
		case "fake serve":
			cmd.ValidArgsFunction = completeFixtures
		case "fake check":
			cmd.ValidArgsFunction = firstArgOnly(completeFixtures)
		case "disconnect":
			cmd.ValidArgsFunction = firstArgOnly(func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
				return app.completeSerials(cmd, toComplete, true)
			})
		}
	})
}

// firstArgOnly completes the first argument with fn and nothing after it.
func firstArgOnly(fn cobra.CompletionFunc) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return fn(cmd, args, toComplete)
	}
}

// completeSteps completes a step name.
func completeSteps(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var out []cobra.Completion
	for _, name := range flows.StepNames() {
		if strings.HasPrefix(name, toComplete) {
			out = append(out, name)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeFixtures completes a SCENARIO: a built-in fixture or a
// directory.
func completeFixtures(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	builtins, err := fixtureLoader().List()
	if err != nil {
		builtins = nil
	}
	return fixtureCompletions(toComplete, builtins, os.ReadDir)
}

// fixtureCompletions completes toComplete as --fake reads it: the names
// of the built-in fixtures that start with it (with their description),
// and the directories that do, since a fixture or a recording is a
// directory. A word with a path separator completes only directories,
// inside the directory it names. When only directories are offered the
// shell adds no space, so the next TAB goes on inside one.
func fixtureCompletions(toComplete string, builtins []fixture.Summary, readDir func(string) ([]fs.DirEntry, error)) ([]cobra.Completion, cobra.ShellCompDirective) {
	var out []cobra.Completion
	cut := strings.LastIndexAny(toComplete, pathSeparators())
	if cut < 0 {
		for _, b := range builtins {
			if strings.HasPrefix(b.Name, toComplete) {
				out = append(out, cobra.CompletionWithDesc(b.Name, b.Description))
			}
		}
	}
	dir, prefix := toComplete[:cut+1], toComplete[cut+1:]
	sep := "/"
	if cut >= 0 {
		sep = toComplete[cut : cut+1] // go on as the user writes paths
	} else if os.PathSeparator != '/' {
		sep = string(os.PathSeparator)
	}
	listDir := dir
	if listDir == "" {
		listDir = "."
	}
	entries, _ := readDir(listDir)
	dirs := 0
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, prefix) || (strings.HasPrefix(name, ".") && !strings.HasPrefix(prefix, ".")) {
			continue
		}
		if !e.IsDir() && !isDirLink(listDir, e) {
			continue
		}
		if cut < 0 && slices.ContainsFunc(builtins, func(b fixture.Summary) bool { return b.Name == name }) {
			continue // --fake NAME loads the built-in one
		}
		out = append(out, dir+name+sep)
		dirs++
	}
	directive := cobra.ShellCompDirectiveNoFileComp
	if dirs > 0 && dirs == len(out) {
		directive |= cobra.ShellCompDirectiveNoSpace
	}
	return out, directive
}

// pathSeparators are the characters that end a directory in a path
// typed on this system.
func pathSeparators() string {
	if os.PathSeparator == '/' {
		return "/"
	}
	return "/" + string(os.PathSeparator)
}

// isDirLink reports whether e is a symbolic link to a directory.
func isDirLink(dir string, e fs.DirEntry) bool {
	if e.Type()&fs.ModeSymlink == 0 {
		return false
	}
	st, err := os.Stat(dir + string(os.PathSeparator) + e.Name())
	return err == nil && st.IsDir()
}

// completeSerials completes -s with the serials of the phones of the ADB
// servers the flags point at (--adb, the environment, or the in-process
// --fake), or with only the network ones (HOST:PORT) for disconnect. It
// asks for a second at most, starts no ADB server, and offers nothing
// when none answers.
func (a *App) completeSerials(cmd *cobra.Command, toComplete string, networkOnly bool) ([]cobra.Completion, cobra.ShellCompDirective) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, serialCompletionTimeout)
	defer cancel()
	addrs, err := a.servers(ctx)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	// __complete parses the flags twice, so each --adb comes twice.
	addrs = uniqueStrings(addrs)
	lists := make([][]adb.DeviceInfo, len(addrs))
	var wg sync.WaitGroup
	for i, addr := range addrs {
		wg.Go(func() {
			c := adb.NewClient(addr, adb.ClientOptions{CallTimeout: serialCompletionTimeout})
			lists[i], _ = c.Devices(ctx)
		})
	}
	wg.Wait()
	return serialCompletions(toComplete, lists, networkOnly), cobra.ShellCompDirectiveNoFileComp
}

// serialCompletions names the devices of each server's list that start
// with toComplete, as -s takes them: the serial, or HOST:PORT/SERIAL
// when several servers are asked. The description says what the device
// is and its state.
func serialCompletions(toComplete string, lists [][]adb.DeviceInfo, networkOnly bool) []cobra.Completion {
	var out []cobra.Completion
	for _, list := range lists {
		if networkOnly {
			keep := connectedSerials(list)
			list = slices.DeleteFunc(slices.Clone(list), func(d adb.DeviceInfo) bool { return !slices.Contains(keep, d.Serial) })
		}
		for _, d := range list {
			name := deviceName(d, len(lists) > 1 && !networkOnly)
			if !strings.HasPrefix(name, toComplete) {
				continue
			}
			desc := string(d.State)
			if d.Model != "" {
				desc = strings.ReplaceAll(d.Model, "_", " ") + ", " + desc
			}
			out = append(out, cobra.CompletionWithDesc(name, desc))
		}
	}
	return out
}

// uniqueStrings drops repeats from list, keeping the first of each.
func uniqueStrings(list []string) []string {
	var out []string
	for _, s := range list {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
