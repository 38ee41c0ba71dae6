package main

import (
	"encoding/json"
	"runtime/debug"
	"strings"
	"testing"
)

// A binary built without ldflags takes its version from the build
// information Go records: the module version of `go install ...@v0.1.0`
// and the vcs.* settings of a build in a git work tree.
func TestResolveVersionFromBuildInfo(t *testing.T) {
	vcs := func(rev, when, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{
			{Key: "-compiler", Value: "gc"},
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: rev},
			{Key: "vcs.time", Value: when},
			{Key: "vcs.modified", Value: modified},
		}
	}
	for _, tc := range []struct {
		name string
		ld   ldflagsInfo
		bi   *debug.BuildInfo
		want versionInfo
	}{
		{
			name: "go install at a tag",
			bi:   &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/miacct/miacct", Version: "v0.1.0"}},
			want: versionInfo{Version: "0.1.0", Commit: "unknown", Date: "unknown", Go: "go1.26.8"},
		},
		{
			name: "go build in a clean work tree",
			bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.1.1-0.20261201072833-cbe727dbea68"},
				Settings: vcs("cbe727dbea68e39832db6c58ff58a3195d006b54", "2026-12-01T07:28:33Z", "false")},
			want: versionInfo{Version: "0.1.1-0.20261201072833-cbe727dbea68", Commit: "cbe727dbea68e39832db6c58ff58a3195d006b54", Date: "2026-12-01T07:28:33Z", Go: "go1.26.8"},
		},
		{
			name: "go build with uncommitted changes",
			bi: &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261201072833-cbe727dbea68+dirty"},
				Settings: vcs("cbe727dbea68e39832db6c58ff58a3195d006b54", "2026-12-01T07:28:33Z", "true")},
			want: versionInfo{Version: "0.0.0-20261201072833-cbe727dbea68", Commit: "cbe727dbea68e39832db6c58ff58a3195d006b54", Date: "2026-12-01T07:28:33Z", Modified: true},
		},
		{
			name: "a +dirty module version without vcs settings",
			bi:   &debug.BuildInfo{Main: debug.Module{Version: "v0.2.0+dirty"}},
			want: versionInfo{Version: "0.2.0", Commit: "unknown", Date: "unknown", Modified: true},
		},
		{
			name: "go run or -buildvcs=false: nothing known",
			bi:   &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			want: versionInfo{Version: "dev", Commit: "unknown", Date: "unknown", Go: "go1.26.8"},
		},
		{
			name: "no build information",
			want: versionInfo{Version: "dev", Commit: "unknown", Date: "unknown"},
		},
		{
			name: "ldflags win over the build information",
			ld:   ldflagsInfo{Version: "0.1.0", Commit: "0d0bb10c", Date: "2026-12-01T07:09:00Z"},
			bi:   &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("cbe727db", "2026-11-30T00:00:00Z", "false")},
			want: versionInfo{Version: "0.1.0", Commit: "0d0bb10c", Date: "2026-12-01T07:09:00Z"},
		},
		{
			name: "the Makefile's git describe",
			ld:   ldflagsInfo{Version: "v0.1.0-3-g0d0bb10-dirty"},
			want: versionInfo{Version: "0.1.0-3-g0d0bb10-dirty", Commit: "unknown", Date: "unknown"},
		},
		{
			name: "the default version is no version",
			ld:   ldflagsInfo{Version: "dev"},
			bi:   &debug.BuildInfo{Main: debug.Module{Version: "v0.3.0"}},
			want: versionInfo{Version: "0.3.0", Commit: "unknown", Date: "unknown"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := resolveVersion(tc.ld, tc.bi); got != tc.want {
				t.Errorf("resolveVersion:\n got  %+v\n want %+v", got, tc.want)
			}
		})
	}
}

func TestVersionCommandAndFlag(t *testing.T) {
	r := runMain("", nil, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "miacct version ") || !strings.Contains(r.stdout, "\ncommit: ") || !strings.Contains(r.stdout, "\ndate:   ") {
		t.Fatalf("miacct version: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if f := runMain("", nil, "--version"); f.code != 0 || f.stdout != r.stdout {
		t.Errorf("miacct --version printed\n%s\nwant what miacct version prints:\n%s", f.stdout, r.stdout)
	}
	j := runMain("", nil, "version", "--json")
	var got versionInfo
	if err := json.Unmarshal([]byte(j.stdout), &got); err != nil || j.code != 0 {
		t.Fatalf("version --json: exit %d, %v\n%s", j.code, err, j.stdout)
	}
	if got != currentVersion() || got.Platform == "" || got.Go == "" {
		t.Errorf("version --json = %+v, want %+v", got, currentVersion())
	}
}
