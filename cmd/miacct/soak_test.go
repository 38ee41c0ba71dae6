package main

import (
	"os"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/miacct/miacct/adb/fake/faketest"
	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/adb/fake/phone"
)

// soakRunsEnv sets how many runs TestSoak makes: `make soak` sets 500;
// plain `go test` (and CI) makes defaultSoakRuns.
const (
	soakRunsEnv     = "MIACCT_SOAK_RUNS"
	defaultSoakRuns = 50
)

// Leaks grow with the number of runs; a few goroutines and descriptors of
// the last run may still be closing when counted (a connection the
// server has not noticed closed yet), so a small, fixed slack is allowed.
const (
	goroutineSlack = 8
	fdSlack        = 8
)

// TestSoak runs `miacct remove` many times in a row, in-process, against
// one fake ADB server whose phone is re-armed (a fresh, signed-in phone
// under the same serial) before each run, and checks that neither
// goroutines nor open file descriptors grow with the runs.
func TestSoak(t *testing.T) {
	runs := defaultSoakRuns
	if v := os.Getenv(soakRunsEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 2 {
			t.Fatalf("%s=%q: want a number of runs, at least 2", soakRunsEnv, v)
		}
		runs = n
	}
	fx := loadBuiltin(t, "miui14-en")
	newPhone := func() *phone.Phone {
		p, err := phone.New(fx, phone.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	target := &rearmable{phone: newPhone()}
	srv := faketest.Serve(t, faketest.Options{}, target).Server

	removeOnce := func(i int) {
		phone := newPhone()
		target.rearm(phone)
		r := runMain(demoPassword+"\n", nil, "--adb", srv.Addr(), "remove", "--password-stdin", "--yes")
		if r.code != 0 {
			t.Fatalf("run %d: exit %d\n%s", i, r.code, r.stderr)
		}
		if slices.ContainsFunc(phone.Accounts(), func(a fixture.Account) bool { return a.Type == "com.xiaomi" }) {
			t.Fatalf("run %d: the account is still on the phone", i)
		}
		if phone.Reboots() != 1 || phone.Setting("global", "stay_on_while_plugged_in") != "0" {
			t.Fatalf("run %d: %d reboots, stay-awake %q", i, phone.Reboots(), phone.Setting("global", "stay_on_while_plugged_in"))
		}
	}

	// The first run pays for what is made once (the race detector's and
	// the runtime's own goroutines, lazily opened files).
	removeOnce(0)
	g0, fd0 := runtime.NumGoroutine(), settledFDs(t, -1)
	for i := 1; i < runs; i++ {
		removeOnce(i)
	}
	g1, fd1 := runtime.NumGoroutine(), settledFDs(t, fd0)
	t.Logf("%d runs: goroutines %d -> %d, open files %d -> %d", runs, g0, g1, fd0, fd1)
	if g1 > g0+goroutineSlack {
		t.Errorf("goroutines grew from %d to %d over %d runs", g0, g1, runs-1)
	}
	if fd0 >= 0 && fd1 > fd0+fdSlack {
		t.Errorf("open file descriptors grew from %d to %d over %d runs", fd0, fd1, runs-1)
	}
	if got := srv.Requests()["shell"]; got < runs*10 {
		t.Errorf("the server served %d shell requests for %d runs: the runs did not reach it", got, runs)
	}
}

// settledFDs counts open descriptors once the garbage collector has
// closed what is only closed by finalizers: the fake phone's shell
// (mvdan.cc/sh's interpreter) leaves a here-document's pipe to its
// finalizer, so a count taken between collections swings by a dozen.
// Finalizers run after runtime.GC returns, so it collects and waits a
// little, until the count is at most want (at most 20 times), or twice
// when there is no target yet (want < 0).
func settledFDs(t *testing.T, want int) int {
	rounds := 20
	if want < 0 {
		rounds = 2
	}
	n := openFDs(t)
	for i := 0; i < rounds && (want < 0 || n > want); i++ {
		runtime.GC()
		time.Sleep(10 * time.Millisecond) // the finalizer goroutine runs
		n = openFDs(t)
	}
	return n
}

// openFDs counts the process's open file descriptors; -1 where
// /proc/self/fd does not exist (not Linux).
func openFDs(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Logf("cannot count open files: %v", err)
		return -1
	}
	return len(entries)
}
