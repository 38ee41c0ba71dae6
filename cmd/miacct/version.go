package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// commit and date are set at build time with -ldflags "-X main.commit=...
// -X main.date=..." (GoReleaser and the Makefile do), next to version in
// root.go. A plain `go build` or `go install` leaves them empty and the
// module's build information fills them in.
var (
	commit = ""
	date   = ""
)

// versionInfo is what `miacct version` prints.
type versionInfo struct {
	Schema   int    `json:"schema"`
	Version  string `json:"version"`
	Commit   string `json:"commit"`
	Date     string `json:"date"`
	Modified bool   `json:"modified"` // built from a work tree with uncommitted changes
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

// ldflagsInfo is what the linker was told (empty when it was told nothing).
type ldflagsInfo struct {
	Version, Commit, Date string
}

// currentVersion is this binary's version: from the linker flags when the
// build set them, else from the module's build information.
func currentVersion() versionInfo {
	bi, _ := debug.ReadBuildInfo()
	info := resolveVersion(ldflagsInfo{Version: version, Commit: commit, Date: date}, bi)
	info.Schema = schemaVersion
	info.Platform = runtime.GOOS + "/" + runtime.GOARCH
	if info.Go == "" {
		info.Go = runtime.Version()
	}
	return info
}

// resolveVersion decides the version, commit and date: each from the
// linker flags when set (release builds), else from bi: the module
// version `go install ...@v0.1.0` records and the vcs.* settings a build
// in a git work tree records. bi may be nil (no build information).
func resolveVersion(ld ldflagsInfo, bi *debug.BuildInfo) versionInfo {
	info := versionInfo{Version: "dev", Commit: "unknown", Date: "unknown"}
	if bi != nil {
		info.Go = bi.GoVersion
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			info.Version = v
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Commit = s.Value
			case "vcs.time":
				info.Date = s.Value
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
		// A module version such as v0.1.1-0.20261201071000-0d0bb10c3f55+dirty
		// says the same when the build recorded no vcs settings.
		if strings.HasSuffix(info.Version, "+dirty") {
			info.Modified = true
		}
	}
	if ld.Version != "" && ld.Version != "dev" {
		info.Version = ld.Version
	}
	if ld.Commit != "" {
		info.Commit = ld.Commit
	}
	if ld.Date != "" {
		info.Date = ld.Date
	}
	info.Version = strings.TrimSuffix(trimVersionV(info.Version), "+dirty")
	return info
}

// trimVersionV writes v0.1.0 (Go modules, git tags) as 0.1.0, as release
// archives and the Debian package name it.
func trimVersionV(v string) string {
	if len(v) > 1 && v[0] == 'v' && v[1] >= '0' && v[1] <= '9' {
		return v[1:]
	}
	return v
}

// Text is the version as `miacct version` and `miacct --version` print it.
func (v versionInfo) Text() string {
	commit := v.Commit
	if v.Modified {
		commit += " (modified)"
	}
	return fmt.Sprintf("miacct version %s\ncommit: %s\ndate:   %s\ngo:     %s %s\n", v.Version, commit, v.Date, v.Go, v.Platform)
}

// VersionOptions are the options of `miacct version`.
type VersionOptions struct{ App *App }

func newVersionCmd(app *App) *cobra.Command {
	opts := &VersionOptions{App: app}
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and date of this miacct",
		Long: `version prints miacct's version, the commit it was built from and that
commit's date, and the Go version and platform. Release builds carry them
from the build; a binary from go build or go install reads them from the
module's build information (the module version, and the git commit, its
time and whether the work tree had changes). miacct --version prints the
same.`,
		Example: "  miacct version\n  miacct version --json",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVersion(opts)
		},
	}
}

func runVersion(opts *VersionOptions) error {
	info := currentVersion()
	if opts.App.Global.JSON {
		return writeJSON(opts.App.IO.Out, info)
	}
	opts.App.IO.Printf("%s", info.Text())
	return nil
}
