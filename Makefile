# Chat4All. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export CHAT4ALL_CACHE ?= $(HOME)/.cache/chat4all
NODE_TEST := node --import tsx --test --test-concurrency=2 --test-timeout=120000
UNIT_TESTS = $(shell find services cli test -name '*.test.ts' -not -name '*.integration.test.ts' -not -name '*.tour.test.ts' -not -path '*/node_modules/*' 2>/dev/null | sort)
DOC_TESTS = $(wildcard test/*.tour.test.ts)
SERVICE_TESTS = $(shell find services cli -name '*.integration.test.ts' -not -path '*/node_modules/*' | sort)

.PHONY: help
help: ## Show this list
	@if [ -t 1 ]; then color='\033[36m' plain='\033[0m'; fi; awk -v color="$$color" -v plain="$$plain" \
	  'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {n++; name[n] = $$1; text[n] = $$2; if (length($$1) > width) width = length($$1)} \
	   END {for (i = 1; i <= n; i++) printf "  %s%s%s  %s\n", color, sprintf("%-" width "s", name[i]), plain, text[i]}' $(MAKEFILE_LIST)

node_modules/.installed: package.json package-lock.json $(wildcard */package.json services/*/package.json)
	npm ci --no-audit --no-fund --cache "$(CHAT4ALL_CACHE)/npm" --prefer-offline
	@touch $@

.PHONY: install
install: node_modules/.installed ## Install the npm dependencies (cached under $CHAT4ALL_CACHE)

.PHONY: run
run: install ## Run the whole platform in one process on in-memory adapters (the embedded default)
	node --import tsx services/server/src/main.ts --role all

.PHONY: build
build: install ## Bundle chat4all-server into dist/chat4all-server.mjs
	node scripts/build.mjs

.PHONY: cli-package
cli-package: install ## Bundle the chat4all CLI and pack it: cli/dist/chat4all-cli-<version>.tgz, for npm install -g
	cd cli && npm pack --pack-destination dist

.PHONY: typecheck
typecheck: install ## Type-check every workspace (strict TypeScript)
	npx tsc -p tsconfig.json

.PHONY: lint
lint: install ## Lint every workspace
	npx eslint .

.PHONY: check-imports
check-imports: install ## Check package boundaries: no import cycles, no undeclared dependencies
	npx depcruise --config .dependency-cruiser.cjs services cli cdk8s operator

.PHONY: test-unit
test-unit: install terminal-tools ## Unit, contract (in-memory adapters) and in-process end-to-end tests
	$(NODE_TEST) $(UNIT_TESTS)

.PHONY: test-docs
test-docs: install terminal-tools ## The tours of README.md and docs/cli.md, each line pasted into a terminal (tmux) as written
	$(NODE_TEST) --test-timeout=900000 $(DOC_TESTS)

# The terminal tests drive tmux; the tours run it in a network namespace of their own (unshare, ip).
.PHONY: terminal-tools
terminal-tools:
	@command -v tmux >/dev/null && command -v unshare >/dev/null && command -v ip >/dev/null || \
	  { echo "installing tmux, util-linux and iproute2 for the terminal tests"; \
	    $$([ "$$(id -u)" = 0 ] || echo sudo) apt-get update -qq && $$([ "$$(id -u)" = 0 ] || echo sudo) apt-get install -y -qq tmux util-linux iproute2; }

.PHONY: dev
dev: install ## The platform as production runs it: real Kafka, Cassandra, Redis+Sentinel; api, worker, two gateways
	scripts/dev.sh

.PHONY: services-up
services-up: ## Install (cached) and start real Kafka, Cassandra, Redis with Sentinel on 127.0.0.1
	scripts/services.sh up

.PHONY: services-down
services-down: ## Stop the real servers
	scripts/services.sh down

.PHONY: services-status
services-status: ## Show which real servers run, with pids and ports
	scripts/services.sh status

.PHONY: test-integration
test-integration: install services-up ## Contract suites on real servers, cross-process and fault tests
	set -a; eval "$$(scripts/services.sh env)"; set +a; $(NODE_TEST) --test-concurrency=1 --test-timeout=900000 $(SERVICE_TESTS)

.PHONY: test-api-schema
test-api-schema: install ## Schemathesis (pinned, installed under $CHAT4ALL_CACHE) against /openapi.json with a real token: no 5xx, nothing undocumented (~3 min)
	scripts/schemathesis.sh

.PHONY: fault-drill
fault-drill: install services-up ## Every fault under client traffic on the real servers; counts every message and status at every device (~10 min)
	set -a; eval "$$(scripts/services.sh env)"; set +a; node --import tsx services/server/test/fault-drill.ts

.PHONY: test
test: ## Everything CI runs (test-steps: checks, all tests, the tours, the kind cluster), building Kubernetes meanwhile at low priority (PREBUILD=0: not); then stops the real servers it started (KEEP_SERVICES=1 keeps them)
	scripts/prebuild-scope.sh scripts/services-scope.sh $(MAKE) --no-print-directory test-steps

.PHONY: test-steps
test-steps: typecheck lint check-imports test-unit test-api-schema test-docs test-cdk8s test-operator test-integration test-operator-drain test-kube test-operator-kube test-cluster ## The steps of `make test`, leaving the real servers running

include mk/kubernetes.mk
include mk/operator.mk

include mk/bench.mk
