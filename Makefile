# The README's two commands: `make demo` and `make test`. Both do their own set-up.
SWIFT ?= swift
CAPSTAN := .build/debug/capstan
PYTEST := .venv/bin/python -m pytest -q

.PHONY: demo test deps build engine test-swift test-python bench reliability fuzz clean

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

demo: build
	@scripts/demo.sh

# Starts (or reuses) the test Docker engine and exports DOCKER_HOST to every test. The fuzz
# targets get a short pass (10 s each) between the Swift and the Python suites.
test: build
	@set -e; eval "$$(scripts/docker-engine.sh)"; \
	$(SWIFT) build --build-tests; \
	$(SWIFT) test --skip-build; \
	scripts/fuzz.sh 10; \
	CAPSTAN_BIN=$(CURDIR)/$(CAPSTAN) $(PYTEST) Tests examples/quickstart/projects/textkit

# Fault injection, load and security scenarios in their full form, a fuzzing pass, and
# docs/RELIABILITY.md written from what they measured. `make test` runs the short form.
reliability: build
	@set -e; eval "$$(scripts/docker-engine.sh)"; .venv/bin/python scripts/reliability.py

# Each libFuzzer target for FUZZ_SECONDS (default 60), from the committed corpora.
FUZZ_SECONDS ?= 60
fuzz: deps
	@scripts/fuzz.sh $(FUZZ_SECONDS)

# Benchmarks are measured, not asserted: see docs/benchmarks.md.
bench: deps
	$(SWIFT) build -c release --product capstan-bench
	.build/release/capstan-bench

clean:
	rm -rf .build .venv
