# Benchmarks (bench/): ours against a Socket.IO peer, on a private set of real servers so the
# tests other people run at the same time (which stop Cassandra, fail Redis over and join the
# worker's Kafka consumer group) cannot disturb them. Included by the root Makefile;
# docs/performance.md has the latest figures and how to read them.
#
#   make bench                      every workload, moderate defaults (about 15 minutes)
#   make bench-connections BENCH_CONNECTIONS=19000
#   make bench-report               tables and plots of docs/performance.md from bench/results/

BENCH_STATE ?= $(CURDIR)/.run/bench
# The private servers: same scripts as `make services-up`, other ports and state.
BENCH_SERVICES = CHAT4ALL_STATE=$(BENCH_STATE) REDIS_PORT=21379 REDIS_REPLICA_PORT=21380 \
  REDIS_SENTINEL_PORTS="21391 21392 21393" KAFKA_PORT=21092 KAFKA_CONTROLLER_PORT=21093 \
  CASSANDRA_PORT=21042 CASSANDRA_STORAGE_PORT=21000 CASSANDRA_JMX_PORT=21199 scripts/services.sh
BENCH_RUN = BENCH_SERVICES_STATE=$(BENCH_STATE) bench/run.sh
BENCH_WORKLOADS := connections fanout e2e api reconnect

.PHONY: bench
bench: bench-services-up $(addprefix bench-,$(BENCH_WORKLOADS)) bench-report ## Run every benchmark (ours and the Socket.IO peer), write bench/results/, refresh docs/performance.md's plots

.PHONY: bench-services-up
bench-services-up: install ## Start the benchmarks' own Redis, Kafka and Cassandra (ports 21379, 21092, 21042: below the ephemeral range)
	$(BENCH_SERVICES) up

.PHONY: bench-services-down
bench-services-down: ## Stop the benchmarks' servers
	$(BENCH_SERVICES) down

.PHONY: bench-connections
bench-connections: bench-services-up ## Idle connections on one process: memory per connection, connects/s, idle CPU
	$(BENCH_RUN) bench/workloads/connections.ts

.PHONY: bench-fanout
bench-fanout: bench-services-up ## Deliveries through Redis at rising rates: deliveries/s, CPU, p50/p99
	$(BENCH_RUN) bench/workloads/fanout.ts

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
