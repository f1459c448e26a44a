# moodle-mcp — every target a developer or CI needs. `make help` lists them.
# The two README commands: `make run` (gateway; simulator when no Moodle is configured) and `make test` (everything CI runs).
SHELL := /bin/bash
NODE  := node --import tsx
export GOTOOLCHAIN ?= local

.PHONY: help setup run sim generate check-generated policy policy-test php-lint build test test-unit test-node24 container-test bench fuzz typecheck ci

help:            ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

setup:           ## install everything the project needs (npm packages, OPA CLI as Go tool, Debian packages for tests)
	bash scripts/setup.sh

run: setup policy ## run the gateway (against the built-in Moodle simulator when no Moodle URL is configured)
	$(NODE) runtime/cli/main.ts serve

sim:             ## run the Moodle simulator alone (a test double)
	$(NODE) runtime/cli/main.ts sim

CODEGEN_SOURCE = $(if $(MOODLE_URL),--url "$(MOODLE_URL)") $(if $(SNAPSHOT),--snapshot "$(SNAPSHOT)")

generate:        ## regenerate generated/ (bundled snapshot, SNAPSHOT=file, or MOODLE_URL + MOODLE_TOKEN for a live site)
	$(NODE) codegen/main.ts $(CODEGEN_SOURCE)

check-generated: ## fail when generated/ is stale against codegen and the source (same SNAPSHOT / MOODLE_URL as generate)
	$(NODE) codegen/main.ts --check $(CODEGEN_SOURCE)

policy:          ## compile policies/*.rego to WASM (go tool opa)
	bash scripts/policy-build.sh

policy-test:     ## opa test with coverage (fails under 95 %)
	bash scripts/policy-test.sh

php-lint:        ## php -l on the Moodle-side exporter
	bash scripts/php-lint.sh

build:           ## compile TypeScript to dist/ (what the container and the npm package run)
	node scripts/build.mjs

container-test: policy ## build the Dockerfile with podman, run it and check it (scripts/container-test.sh)
	bash scripts/container-test.sh

typecheck:       ## tsc --noEmit
	npx tsc --noEmit -p .

test-unit:       ## node:test suites only (make test-unit F=substring to filter)
	node scripts/run-tests.mjs $(F)

test: setup      ## everything CI runs: checks, build, the suite on this machine's Node and on Node 24
	$(MAKE) check-generated php-lint policy policy-test typecheck build
	node scripts/run-tests.mjs
	$(MAKE) test-node24

test-node24:     ## the test suite once more on Node 24 (from the npm registry, cached in .tmp/node24)
	"$$(bash scripts/node24.sh)" scripts/run-tests.mjs $(F)

bench: setup policy build ## benchmarks, each printing a table
	$(NODE) bench/run.ts

fuzz: setup policy  ## fuzz campaigns against /mcp (FUZZ_CASES, default 100000; FUZZ_SEED); fails on a broken invariant
	$(NODE) bench/run.ts fuzz

ci: test
