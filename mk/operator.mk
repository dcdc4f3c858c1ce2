# chat4all-operator: build, image, and tests. Included by the root Makefile (NODE_TEST, install,
# services-up come from there); docs/operator.md describes the operator.
#
#   make test-operator               unit tests (decision tables, watch, election, queue, config)
#   make test-operator-kube          against a real kube-apiserver (scripts/kube.sh), gateways on 127.x.y.z
#   make test-operator-drain         a gateway's drain on the real servers (scripts/services.sh)

OPERATOR_UNIT_TESTS = $(shell find operator/test -name '*.test.ts' -not -name '*.integration.test.ts' | sort)
OPERATOR_KUBE_TESTS = operator/test/operator.integration.test.ts
OPERATOR_DRAIN_TESTS = operator/test/drain.integration.test.ts

.PHONY: operator-build
operator-build: install ## Bundle chat4all-operator into operator/dist/chat4all-operator.mjs
	node scripts/build.mjs operator

.PHONY: operator-image
operator-image: operator-build ## Build the chat4all-operator image (operator/Dockerfile) as images/catalog.env names it
	scripts/cluster/images.sh build operator

.PHONY: run-operator
run-operator: install ## Run the operator against $KUBECONFIG, watching $WATCH_NAMESPACE (default: default)
	node --import tsx operator/src/main.ts

.PHONY: test-operator
test-operator: install ## Operator unit tests: decision tables, watch restarts, leader election, work queue, config
	$(NODE_TEST) $(OPERATOR_UNIT_TESTS)

.PHONY: test-operator-kube
test-operator-kube: install ## Operator on a real kube-apiserver: scaling, deletion costs, conditions, failover, watch restarts
	scripts/kube.sh install
	$(NODE_TEST) --test-concurrency=1 --test-timeout=600000 $(OPERATOR_KUBE_TESTS)

.PHONY: test-operator-drain
test-operator-drain: install services-up ## A gateway's SIGTERM drain on the real Redis and Cassandra: 1012, reconnect, nothing lost
	set -a; eval "$$(scripts/services.sh env)"; set +a; $(NODE_TEST) --test-concurrency=1 --test-timeout=600000 $(OPERATOR_DRAIN_TESTS)
