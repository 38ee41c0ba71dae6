# miacct: build, test, benchmark.
GO        ?= go
BIN       ?= bin/miacct
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)
FUZZTIME  ?= 10s
PKGS      := ./...

.PHONY: all build install test fmt-check vet staticcheck unit fuzz soak bench clean demo

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/miacct

install:
	$(GO) install -ldflags "$(LDFLAGS)" ./cmd/miacct

# test is what CI runs: formatting, vet, staticcheck, then every test with
# the race detector (the end-to-end tests through Debian's adb included when
# adb is installed).
test: fmt-check vet staticcheck unit

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

staticcheck:
	$(GO) tool staticcheck $(PKGS)

unit:
	$(GO) test -race -count=1 $(PKGS)

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
# benchmarks), side by side with the adb CLI through a private real adb
# server (needs adb), device time, peak memory (needs GNU time), and
# remove --all on 1, 8 and 32 phones.
bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./bench/ ./flows/
	$(GO) run ./bench/cmd/miacct-bench -bin $(BIN)

# demo runs the main job against the built-in recorded fake phone.
demo:
	@printf '%s\n' 'Mi pa$$$$ %s '"'"'q'"'"' "dq" \ & ; | $$(reboot)' | $(GO) run ./cmd/miacct --fake miui14-en remove --password-stdin --yes

clean:
	rm -rf bin
