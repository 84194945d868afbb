# gvs — a userspace virtual switch for OpenStack hypervisors.
GO      ?= go
BIN     := bin
PKGS    := ./...
FUZZTIME ?= 20s
# The version gvsd and gvsctl report (--version, gvs_build_info); empty
# outside a git checkout, where the binaries fall back to Go's VCS stamp.
VERSION ?= $(shell git describe --always --dirty 2>/dev/null)
LDFLAGS := -X github.com/gvs-project/gvs/internal/version.version=$(VERSION)

.PHONY: all build test test-short bench fuzz difffuzz lint proto clean goldens

all: build

build:
	CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/...

# The whole suite. Tests that need root, network namespaces or Open vSwitch
# skip with a reason when those are missing (CI has them all).
test: build
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 30m $(PKGS)

test-short:
	$(GO) test -short -count=1 $(PKGS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./bench/... ./conntrack/... ./tunnel/ ./openflow/

# Each fuzz target for a short time box (go test runs one target at a time).
fuzz:
	@for p in ./flowtable ./datapath ./datapath/header ./datapath/packet ./config ./conntrack ./conntrack/ipf ./netdev ./tunnel ./openflow ./ovsdb; do \
		for t in $$($(GO) test -list 'Fuzz.*' $$p | grep ^Fuzz); do \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$p || exit 1; done; done

# Random flow tables and frames through Open vSwitch and gvs, compared port by
# port, for DURATION (default 5m); divergences are shrunk into DIFFFUZZ_OUT.
DURATION ?= 5m
DIFFFUZZ_OUT ?= /tmp/gvs-difffuzz
difffuzz:
	mkdir -p $(DIFFFUZZ_OUT)
	GVS_DIFFFUZZ_DURATION=$(DURATION) GVS_DIFFFUZZ_OUT=$(DIFFFUZZ_OUT) $(GO) test -count=1 -timeout 0 -run TestDifferential ./internal/difffuzz/

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

clean:
	rm -rf $(BIN)

# Regenerate testdata/replay (input pcaps from internal/ovsreplay/inputs.go,
# expected outputs from Open vSwitch); review expected/summary.txt and commit.
goldens:
	GVS_UPDATE_GOLDENS=1 $(GO) test -count=1 -run TestReplay ./internal/ovsreplay

# Regenerate the gRPC code from ctl/*.proto (protoc from Debian's
# protobuf-compiler; plugins from the Go module proxy).
proto:
	command -v protoc >/dev/null || (apt-get update -qq && apt-get install -y -qq protobuf-compiler)
	GOFLAGS= $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
	GOFLAGS= $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
	PATH="$$PATH:$$($(GO) env GOPATH)/bin" protoc --proto_path=ctl \
		--go_out=ctl/ctlpb --go_opt=paths=source_relative \
		--go-grpc_out=ctl/ctlpb --go-grpc_opt=paths=source_relative ctl/gvs.proto
