# miacct: build, test, benchmark.
GO        ?= go
BIN       ?= bin/miacct
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse HEAD 2>/dev/null)
DATE      ?= $(shell git log -1 --format=%cI 2>/dev/null)
LDFLAGS   := -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)
FUZZTIME  ?= 10s
PKGS      := ./...

.PHONY: all build install test test-short fmt-check vet staticcheck unit fuzz soak bench clean demo \
	man release-snapshot cross-check

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/miacct

install:
	$(GO) install -ldflags "$(LDFLAGS)" ./cmd/miacct

# gotestsum prints each package as it finishes (and a failing test's
# output at once), so a run of several minutes shows its progress. It is
# pinned in .ci/tools/go.mod with GoReleaser, out of miacct's go.mod.
GOTESTSUM := $(GO) tool -modfile=.ci/tools/go.mod gotestsum
TESTFORMAT ?= pkgname-and-test-fails

# test is what CI runs: formatting, vet, staticcheck, then every test with
# the race detector (the end-to-end tests through Debian's adb included when
# adb is installed).
test: fmt-check vet staticcheck unit

# test-short is the quick loop while working: formatting and vet, then the
# tests without the race detector, and without the soak and the end-to-end
# tests through a real adb (go test -short).
test-short: fmt-check vet
	$(GOTESTSUM) --format $(TESTFORMAT) -- -short -count=1 $(PKGS)

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

staticcheck:
	$(GO) tool staticcheck $(PKGS)

# cmd/miacct's tests run the CLI end to end a few hundred times; under the
# race detector on two CPUs that is about 5 minutes, near go test's
# default 10-minute limit per package, hence a limit of our own.
TESTTIMEOUT ?= 25m

unit:
	$(GOTESTSUM) --format $(TESTFORMAT) -- -race -count=1 -timeout $(TESTTIMEOUT) $(PKGS)

# fuzz runs every fuzz target for $(FUZZTIME), one after the other (go
# test -fuzz takes one target of one package at a time): a duration (10s,
# 5m) or a count of inputs (3000x, what CI runs). Run longer with e.g.
# make fuzz FUZZTIME=5m. Failing inputs are
# written to the package's testdata/fuzz and then replayed by go test.
FUZZ_TARGETS := \
	./adb/hierarchy:FuzzParse \
	./flows/ui:FuzzSelector \
	./adb:FuzzEncodeText \
	./adb:FuzzTypeTextOnFakePhone \
	./adb:FuzzDumpReader \
	./adb/fake:FuzzHostProtocol \
	./adb/fake/fixture:FuzzLoad \
	./flows/certificate:FuzzVerify

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "== $$name ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 50x $$pkg; \
	done

# soak runs `remove` 500 times in a row against one fake ADB server and
# checks goroutines and open files do not grow (plain go test runs 50).
SOAK_RUNS ?= 500
soak:
	MIACCT_SOAK_RUNS=$(SOAK_RUNS) $(GO) test -race -count=1 -run '^TestSoak$$' -v ./cmd/miacct

# bench prints the five groups of BENCHMARKS.md: host cost (Go
# benchmarks, 3 runs each), side by side with peers (the adb CLI, gadb,
# Node's adbkit from the npm registry) through a private real adb server
# (needs adb; node and npm for adbkit), device time against the phone's
# floor, peak memory (needs GNU time), and remove --all on 1, 32 and 256
# phones. Timed figures are the median of 3 runs with their range.
bench: build
	$(GO) test -run '^$$' -bench . -benchmem -count 3 ./bench/ ./flows/
	$(GO) run ./bench/cmd/miacct-bench -bin $(BIN)

# demo runs the main job against the built-in recorded fake phone.
demo:
	@printf '%s\n' 'Mi pa$$$$ %s '"'"'q'"'"' "dq" \ & ; | $$(reboot)' | $(GO) run ./cmd/miacct --fake miui14-en remove --password-stdin --yes

# man writes a man page per command (dist/man/*.1, and .1.gz for the
# Debian package) and the shell completions (dist/completions), generated
# from the command tree (cobra/doc) by miacct built with -tags gendocs.
man:
	SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct 2>/dev/null || date +%s) $(GO) run -tags gendocs ./cmd/miacct -out dist

# GoReleaser is pinned in a go.mod of its own (.ci/tools/go.mod), so its
# hundreds of modules stay out of miacct's: `go install` users and the
# module graph of the project never see them. Once its modules are
# downloaded, it runs offline.
GORELEASER := $(GO) tool -modfile=.ci/tools/go.mod goreleaser

# release-snapshot builds everything a release ships into dist/release
# (the archives for Windows, macOS and Linux on amd64 and arm64, the .deb,
# checksums.txt), from the current commit, and publishes nothing.
release-snapshot:
	$(GORELEASER) check --config .ci/goreleaser.yaml
	$(GORELEASER) release --snapshot --clean --config .ci/goreleaser.yaml

# cross-check is what CI adds for the code plain go test does not build:
# vet and build for Windows and macOS, every package's tests compiled for
# Windows (they cannot run on Linux), staticcheck as Windows sees the
# code, and the documentation generator (-tags gendocs) with its tests.
CROSS_TEST_DIR ?= dist/windows-tests
cross-check:
	GOOS=windows $(GO) vet $(PKGS)
	GOOS=windows $(GO) vet -tags gendocs ./cmd/miacct
	GOOS=windows $(GO) build -o /dev/null ./cmd/miacct
	mkdir -p $(CROSS_TEST_DIR)
	GOOS=windows $(GO) test -c -o $(CROSS_TEST_DIR)/ $(PKGS)
	$(GO) build -o $(CROSS_TEST_DIR)/staticcheck honnef.co/go/tools/cmd/staticcheck
	GOOS=windows $(CROSS_TEST_DIR)/staticcheck $(PKGS)
	GOOS=darwin $(GO) vet $(PKGS)
	GOOS=darwin $(GO) build -o /dev/null ./cmd/miacct
	$(GO) vet -tags gendocs ./cmd/miacct
	$(GO) test -tags gendocs -count=1 -run '^(TestManMarkdown|TestWriteDocs)$$' ./cmd/miacct

clean:
	rm -rf bin dist
