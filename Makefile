# The README's two commands: `make demo` and `make test`. Both do their own set-up.
SWIFT ?= swift
CAPSTAN := .build/debug/capstan
PYTEST := .venv/bin/python -m pytest -q

.PHONY: demo test deps build engine test-swift test-python bench clean

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

demo: build
	@scripts/demo.sh

# Starts (or reuses) the test Docker engine and exports DOCKER_HOST to every test.
test: build
	@set -e; eval "$$(scripts/docker-engine.sh)"; \
	$(SWIFT) build --build-tests; \
	$(SWIFT) test --skip-build; \
	CAPSTAN_BIN=$(CURDIR)/$(CAPSTAN) $(PYTEST) Tests examples/quickstart/projects/textkit

# Benchmarks are measured, not asserted: see docs/benchmarks.md.
bench: deps
	$(SWIFT) build -c release --product capstan-bench
	.build/release/capstan-bench

clean:
	rm -rf .build .venv
