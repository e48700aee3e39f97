# rt: build, demo, test, bench. Every target that needs packages installs
# them (Debian, apt-get), so a fresh machine needs nothing but this tree.
GO       ?= go
VERSION  ?= 0.1.0
TAGS     := netgo osusergo urfave_cli_no_docs
LDFLAGS  := -s -w -X main.version=$(VERSION) -linkmode external -extldflags -static
SOURCES  := $(shell find . -path ./tests -prune -o \( -name '*.go' -o -name '*.c' -o -name '*.h' \) -print) go.mod go.sum
APT_DEPS := busybox-static iproute2 util-linux
DEMO     := /tmp/rt-demo

.PHONY: all demo test unit integration conformance cgroupv2 clients lint deps bench clean

all: rt

# jsonv2: config.json is decoded twice per container (rt and its init), and
# the v2 decoder behind encoding/json halves that (~0.7 ms each, measured).
rt: $(SOURCES)
	GOEXPERIMENT=jsonv2 CGO_ENABLED=1 $(GO) build -trimpath -tags "$(TAGS)" -ldflags "$(LDFLAGS)" -o $@ .

# Installs only what is missing: apt-get is slow even when there is nothing to do.
deps:
	@missing=""; for p in $(APT_DEPS) $(EXTRA_DEPS); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

demo: rt deps
	rm -rf $(DEMO) && tests/mkbundle.sh $(DEMO) sh -c 'echo "hostname: $$(hostname)"; echo "pid: $$$$"; echo "mounts:"; cat /proc/self/mounts'
	./rt run --bundle $(DEMO) rt-demo-$$$$

test: rt deps lint unit integration conformance clients cgroupv2

unit:
	$(GO) test -count=1 ./libcontainer/...

integration: rt
	RT_BINARY=$(CURDIR)/rt $(GO) test -count=1 -timeout 20m ./tests/integration/...

conformance: rt
	tests/conformance/run.sh $(CURDIR)/rt

# Podman (conmon) and containerd (the runc shim) drive rt as their runtime.
clients: rt
	tests/clients/run.sh $(CURDIR)/rt

# This host has cgroup v1 controllers only: the v2 tests boot Debian's
# kernel under qemu (installed and cached by the script).
cgroupv2: rt
	tests/cgroupv2/run.sh $(CURDIR)/rt

lint:
	@test -z "$$(gofmt -l . | tee /dev/stderr)" || { echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	@command -v staticcheck >/dev/null || $(GO) install honnef.co/go/tools/cmd/staticcheck@latest
	PATH="$$PATH:$$($(GO) env GOPATH)/bin" staticcheck ./...

bench: rt
	$(MAKE) deps EXTRA_DEPS="hyperfine runc crun"
	bench/run.sh

clean:
	rm -f rt
