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

# demo runs the main job against the built-in recorded fake phone.
demo:
	printf '%s\n' 'Mi pa$$$$ %s '"'"'q'"'"' "dq" \ & ; | $$(reboot)' | $(GO) run ./cmd/miacct --fake miui14-en remove --password-stdin --yes

clean:
	rm -rf bin
