# gvs — a userspace virtual switch for OpenStack hypervisors.
GO      ?= go
BIN     := bin
PKGS    := ./...
FUZZTIME ?= 20s

.PHONY: all build test test-short bench fuzz lint proto clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -o $(BIN)/ ./cmd/...

# The whole suite. Tests that need root, network namespaces or Open vSwitch
# skip with a reason when those are missing (CI has them all).
test: build
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 30m $(PKGS)

test-short:
	$(GO) test -short -count=1 $(PKGS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./bench/...

# Each fuzz target for a short time box (go test runs one target at a time).
fuzz:
	@for t in $$($(GO) test -list 'Fuzz.*' ./flowtable | grep ^Fuzz); do \
		$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) ./flowtable || exit 1; done
	@for t in $$($(GO) test -list 'Fuzz.*' ./datapath/header | grep ^Fuzz); do \
		$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) ./datapath/header || exit 1; done

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

clean:
	rm -rf $(BIN)
