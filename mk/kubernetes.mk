# Kubernetes: cdk8s manifests, the Helm chart generated from them, a kind cluster, and the tests against a real
# kube-apiserver. Included by the root Makefile; docs/kubernetes.md walks through it.
#
#   make kind-up images kind-load deploy     nothing to a running platform on kind
#   make undeploy kind-down                  and back

NAMESPACE ?= chat4all
INGRESS_HOST ?= chat4all.localhost
# Props set of `make synth` (cdk8s/src/profiles.ts); `make deploy` uses the one made for kind.
PROFILE ?= default
DEPLOY_PROFILE ?= kind
CDK8S_DIST := cdk8s/dist
CDK8S_UNIT_TESTS = $(shell find cdk8s/test -name '*.test.ts' -not -name '*.integration.test.ts' -not -name '*.cluster.test.ts' | sort)
CDK8S_KUBE_TESTS = $(shell find cdk8s/test -name '*.integration.test.ts' | sort)
# synthesize with props set $(1) into cdk8s/dist/
synth_into_dist = rm -rf $(CDK8S_DIST) && PROFILE=$(1) INGRESS_HOST=$(INGRESS_HOST) node --import tsx cdk8s/src/main.ts $(CDK8S_DIST)
# kubectl and helm from scripts/kube.sh's cache, for the chart targets.
KUBE_TOOLS = eval "$$(scripts/kube.sh env)"

.PHONY: synth
synth: install ## Synthesize the Kubernetes manifests from cdk8s into cdk8s/dist/ (PROFILE=default|small)
	$(call synth_into_dist,$(PROFILE))

.PHONY: chart
chart: install ## Generate the Helm chart charts/chat4all from the cdk8s constructs: templates, values, schema, files, CRD
	node --import tsx cdk8s/src/helm/chat4all-chart.ts charts/chat4all

.PHONY: helm-lint
helm-lint: ## helm lint --strict and helm template of charts/chat4all (helm from scripts/kube.sh install)
	scripts/kube.sh install
	$(KUBE_TOOLS) && helm lint --strict charts/chat4all && helm template chat4all charts/chat4all --include-crds >/dev/null

.PHONY: test-cdk8s
test-cdk8s: install ## cdk8s construct, chart snapshot and dashboard-metrics tests; the chart generator; charts/chat4all up to date
	$(NODE_TEST) $(CDK8S_UNIT_TESTS)

.PHONY: test-kube
test-kube: install ## Manifests against a real kube-apiserver: dry-run of cdk8s/dist, helm install, CRD schema; helm template equal to cdk8s synth
	scripts/kube.sh install
	scripts/cluster/tools.sh install kube-score
	$(NODE_TEST) $(CDK8S_KUBE_TESTS)

.PHONY: kind-up
kind-up: install ## A kind cluster from kind-config.yaml, built here with no registry (KIND_NODE_IMAGE=local|<published image>)
	scripts/cluster/kind.sh up

.PHONY: kind-down
kind-down: ## Delete the kind cluster and leave the machine as it was (containers, networks, iptables, sysctls)
	scripts/cluster/kind.sh down

.PHONY: images
images: build operator-build ## Build every image the platform runs (images/catalog.env), from cached layers where nothing changed
	scripts/cluster/images.sh build

.PHONY: kind-load
kind-load: ## Load the platform's images into the kind cluster's worker nodes
	scripts/cluster/kind.sh load --workers $$(. images/catalog.env && echo $$SERVER_IMAGE $$OPERATOR_IMAGE $$REDIS_IMAGE $$KAFKA_IMAGE $$CASSANDRA_IMAGE $$PROMETHEUS_IMAGE $$OBJECTSTORE_IMAGE)

.PHONY: deploy
deploy: install ## Deploy to the kind cluster, namespace $NAMESPACE (PROFILE=kind): CRD, secrets kept, everything else; waits until all pods are Ready
	NAMESPACE=$(NAMESPACE) PROFILE=$(DEPLOY_PROFILE) INGRESS_HOST=$(INGRESS_HOST) scripts/cluster/deploy.sh up

.PHONY: undeploy
undeploy: ## Remove the platform: its namespace (volumes included) and the Chat4All CRD
	NAMESPACE=$(NAMESPACE) scripts/cluster/deploy.sh down

.PHONY: test-cluster
test-cluster: install ## The platform on a real kind cluster: kind-up, images, deploy, traffic and faults through the ingress, the operator, NetworkPolicies, Prometheus, the Helm chart, kind-down
	scripts/cluster/test.sh
