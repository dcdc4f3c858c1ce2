# Benchmarks (bench/): ours against Socket.IO (with its Redis adapter) and Centrifugo (its Redis
# engine), on a private set of real servers so the tests other people run at the same time (which
# stop Cassandra, fail Redis over and join the worker's Kafka consumer group) cannot disturb them.
# Every workload runs BENCH_RUNS times (3) and reports medians with their spread. Included by the
# root Makefile; docs/performance.md has the latest figures and how to read them.
#
#   make bench                      every workload, moderate defaults (about an hour)
#   make bench-connections BENCH_CONNECTIONS=19000
#   make bench-report               tables and plots of docs/performance.md from bench/results/

BENCH_STATE ?= $(CURDIR)/.run/bench
# The private servers: same scripts as `make services-up`, other ports and state.
BENCH_SERVICES = CHAT4ALL_STATE=$(BENCH_STATE) REDIS_PORT=21379 REDIS_REPLICA_PORT=21380 \
  REDIS_SENTINEL_PORTS="21391 21392 21393" KAFKA_PORT=21092 KAFKA_CONTROLLER_PORT=21093 \
  CASSANDRA_PORT=21042 CASSANDRA_STORAGE_PORT=21000 CASSANDRA_JMX_PORT=21199 OBJECTSTORE_PORT=21070 \
  scripts/services.sh
# Ours runs as production does: the bundle `make build` writes (bench/run.sh alone runs the sources through tsx).
BENCH_RUN = BENCH_SERVICES_STATE=$(BENCH_STATE) BENCH_OURS_BUNDLE=$(CURDIR)/dist/chat4all-server.mjs bench/run.sh
BENCH_WORKLOADS := connections fanout fanout-status e2e api reconnect

.PHONY: bench
bench: bench-services-up bench-centrifugo $(addprefix bench-,$(BENCH_WORKLOADS)) bench-report ## Run every benchmark (ours, Socket.IO and Centrifugo), write bench/results/, refresh docs/performance.md

.PHONY: bench-services-up
bench-services-up: install build ## Start the benchmarks' own Redis, Kafka, Cassandra and object store (ports 21379, 21092, 21042, 21070: below the ephemeral range)
	$(BENCH_SERVICES) up

.PHONY: bench-centrifugo
bench-centrifugo: ## Build Centrifugo (the version bench/peer/centrifugo.sh names) into CHAT4ALL_CACHE once
	bench/peer/centrifugo.sh

.PHONY: bench-services-down
bench-services-down: ## Stop the benchmarks' servers
	$(BENCH_SERVICES) down

.PHONY: bench-connections
bench-connections: bench-services-up ## Idle connections on one process: memory per connection, connects/s, idle CPU
	$(BENCH_RUN) bench/workloads/connections.ts

.PHONY: bench-fanout
bench-fanout: bench-services-up ## Deliveries through Redis at rising rates: deliveries/s, CPU, p50/p99
	$(BENCH_RUN) bench/workloads/fanout.ts

.PHONY: bench-fanout-status
bench-fanout-status: bench-services-up ## The fan-out with message_status frames: no receipts on any side
	BENCH_FANOUT_FRAME=message_status $(BENCH_RUN) bench/workloads/fanout.ts

.PHONY: bench-e2e
bench-e2e: bench-services-up ## HTTP send to WebSocket receipt on the real stack at fixed rates: p50/p95/p99
	$(BENCH_RUN) bench/workloads/e2e.ts

.PHONY: bench-api
bench-api: bench-services-up ## Accepted sends per second of one api process, with p99
	$(BENCH_RUN) bench/workloads/api.ts

.PHONY: bench-reconnect
bench-reconnect: bench-services-up ## Gateway restart: time until every connection is back and caught up, messages lost
	$(BENCH_RUN) bench/workloads/reconnect.ts

.PHONY: bench-report
bench-report: install ## Plots (docs/performance/*.svg) and tables from the latest bench/results/
	bench/run.sh bench/report.ts
