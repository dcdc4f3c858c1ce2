# Kubernetes: cdk8s manifests, the Helm chart generated from them, a kind cluster, and the tests against a real
# kube-apiserver. Included by the root Makefile; docs/kubernetes.md walks through it.
#
#   make kind-up images kind-load deploy     nothing to a running platform on kind
#   make undeploy kind-down                  and back

KIND ?= kind
DOCKER ?= docker
KUBECTL ?= kubectl
KIND_CLUSTER ?= chat4all
NAMESPACE ?= chat4all
SERVER_IMAGE ?= chat4all-server:dev
OPERATOR_IMAGE ?= chat4all-operator:dev
INGRESS_HOST ?= chat4all.localhost
# ingress-nginx's manifest for kind (host ports 80 and 443 on the ingress-ready node).
INGRESS_NGINX_VERSION ?= controller-v1.12.1
INGRESS_NGINX_MANIFEST ?= https://raw.githubusercontent.com/kubernetes/ingress-nginx/$(INGRESS_NGINX_VERSION)/deploy/static/provider/kind/deploy.yaml
# Props set of `make synth` (cdk8s/src/profiles.ts); `make deploy` uses the laptop-sized one.
PROFILE ?= default
DEPLOY_PROFILE ?= small
CDK8S_DIST := cdk8s/dist
CDK8S_UNIT_TESTS = $(shell find cdk8s/test -name '*.test.ts' -not -name '*.integration.test.ts' | sort)
CDK8S_KUBE_TESTS = $(shell find cdk8s/test -name '*.integration.test.ts' | sort)
# synthesize with props set $(1) into cdk8s/dist/
synth_into_dist = rm -rf $(CDK8S_DIST) && PROFILE=$(1) SERVER_IMAGE=$(SERVER_IMAGE) OPERATOR_IMAGE=$(OPERATOR_IMAGE) \
  INGRESS_HOST=$(INGRESS_HOST) node --import tsx cdk8s/src/main.ts $(CDK8S_DIST)
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
	$(NODE_TEST) $(CDK8S_KUBE_TESTS)

.PHONY: kind-up
kind-up: ## Create the kind cluster (kind-config.yaml: ports 80/443, two workers) with ingress-nginx
	@if $(KIND) get clusters 2>/dev/null | grep -qx '$(KIND_CLUSTER)'; then echo "kind cluster $(KIND_CLUSTER) exists"; \
	 else $(KIND) create cluster --name $(KIND_CLUSTER) --config kind-config.yaml; fi
	$(KUBECTL) config use-context kind-$(KIND_CLUSTER)
	$(KUBECTL) apply -f $(INGRESS_NGINX_MANIFEST)
	$(KUBECTL) -n ingress-nginx rollout status deployment/ingress-nginx-controller --timeout=300s

.PHONY: kind-down
kind-down: ## Delete the kind cluster
	$(KIND) delete cluster --name $(KIND_CLUSTER)

.PHONY: images
images: ## Build the chat4all-server image (Dockerfile; also chat4all-operator when operator/Dockerfile exists)
	$(DOCKER) build -t $(SERVER_IMAGE) .
	@if [ -f operator/Dockerfile ]; then $(DOCKER) build -t $(OPERATOR_IMAGE) -f operator/Dockerfile .; \
	 else echo "operator/Dockerfile not there yet: no $(OPERATOR_IMAGE) image"; fi

.PHONY: kind-load
kind-load: ## Load the images into the kind cluster's nodes
	$(KIND) load docker-image $(SERVER_IMAGE) --name $(KIND_CLUSTER)
	@if $(DOCKER) image inspect $(OPERATOR_IMAGE) >/dev/null 2>&1; then $(KIND) load docker-image $(OPERATOR_IMAGE) --name $(KIND_CLUSTER); fi

.PHONY: deploy
deploy: install ## Deploy to the current kube context, namespace $NAMESPACE: CRD, secrets (created once), everything else
	$(call synth_into_dist,$(DEPLOY_PROFILE))
	$(KUBECTL) create namespace $(NAMESPACE) --dry-run=client -o yaml | $(KUBECTL) apply -f -
	$(KUBECTL) apply --server-side --field-manager=chat4all -f $(CDK8S_DIST)/crds.k8s.yaml
	$(KUBECTL) wait --for condition=established --timeout=60s crd/chat4alls.chat4all.io
	@# Generated secrets are created when missing and never replaced: a redeploy keeps the JWT key.
	@for s in $$(awk '/^  name: /{ print $$2 }' $(CDK8S_DIST)/secrets.k8s.yaml); do \
	  if $(KUBECTL) -n $(NAMESPACE) get secret $$s >/dev/null 2>&1; then echo "secret/$$s exists, kept"; \
	  else $(KUBECTL) -n $(NAMESPACE) create -f $(CDK8S_DIST)/secrets.k8s.yaml -l app.kubernetes.io/name=$$s; fi; done
	@if ! $(KUBECTL) -n $(NAMESPACE) get secret chat4all-tls >/dev/null 2>&1; then \
	  mkdir -p .run/tls && openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=$(INGRESS_HOST)" \
	    -addext "subjectAltName=DNS:$(INGRESS_HOST)" -keyout .run/tls/tls.key -out .run/tls/tls.crt 2>/dev/null && \
	  $(KUBECTL) -n $(NAMESPACE) create secret tls chat4all-tls --cert=.run/tls/tls.crt --key=.run/tls/tls.key; \
	  else echo "secret/chat4all-tls exists, kept"; fi
	$(KUBECTL) -n $(NAMESPACE) apply --server-side --field-manager=chat4all \
	  -f $(CDK8S_DIST)/infrastructure.k8s.yaml -f $(CDK8S_DIST)/platform.k8s.yaml \
	  -f $(CDK8S_DIST)/observability.k8s.yaml -f $(CDK8S_DIST)/operator.k8s.yaml
	@echo "deployed to namespace $(NAMESPACE); watch it come up: $(KUBECTL) -n $(NAMESPACE) get pods -w"

.PHONY: undeploy
undeploy: ## Remove the platform: its namespace (volumes included) and the Chat4All CRD
	$(KUBECTL) delete namespace $(NAMESPACE) --ignore-not-found --wait=true
	$(KUBECTL) delete crd chat4alls.chat4all.io --ignore-not-found
