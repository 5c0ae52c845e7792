# esignet-operator. `make help` lists the targets.
include hack/versions.env

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec
export GOFLAGS := -buildvcs=false
export GOTOOLCHAIN := local

IMG ?= ghcr.io/openg2p/esignet-operator:dev
BIN := $(CURDIR)/bin
CONTAINER_TOOL ?= docker
# Cluster targets use the kubectl on PATH and the current kubeconfig context.
KUBECTL ?= kubectl
ignore-not-found ?= true
DELETE_TIMEOUT ?= 2m

# Tools are built once per machine into the user cache (hack/tools.sh) and resolved lazily.
CONTROLLER_GEN = $(shell hack/tools.sh controller-gen)
KUSTOMIZE = $(shell hack/tools.sh kustomize)
GOLANGCI_LINT = $(shell hack/tools.sh golangci-lint)
ENVTEST_ASSETS = $(shell hack/envtest-assets.sh)
HELM = $(shell hack/tools.sh helm)
CHART := config/helm/esignet-operator

.PHONY: all
all: build

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*##/ {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

##@ Try it

.PHONY: demo
demo: ## Local control plane + fake eSignet + manager + samples, then wait for Ctrl-C (DEMO_EXIT=1: check and exit).
	go build -o $(BIN)/demo ./hack/demo
	$(BIN)/demo $(DEMO_FLAGS)

##@ Development

.PHONY: manifests
manifests: ## Generate CRDs and RBAC from the API types and markers.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd paths="./..." \
		output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	@cp config/crd/bases/*.yaml $(CHART)/crds/
	@cp config/rbac/role.yaml $(CHART)/files/manager-role.yaml

.PHONY: generate
generate: ## Generate DeepCopy methods.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: fmt
fmt: ## go fmt.
	go fmt ./...

.PHONY: vet
vet: ## go vet.
	go vet ./...

.PHONY: lint
lint: ## golangci-lint (config in .golangci.yml).
	$(GOLANGCI_LINT) run ./...

.PHONY: verify-generated
verify-generated: manifests generate ## Fail if generated files are stale.
	@git diff --exit-code -- api config || { echo "generated files are stale: run 'make manifests generate' and commit"; exit 1; }

.PHONY: envtest
envtest: ## Provide kube-apiserver, etcd and kubectl for envtest; prints KUBEBUILDER_ASSETS.
	@hack/envtest-assets.sh

.PHONY: test-deps
test-deps: ## Install the Debian packages the consumer tests drive (python3-jose, PostgreSQL) when missing.
	@hack/install-test-deps.sh

.PHONY: test
test: manifests generate test-deps ## Unit and envtest integration tests against a real kube-apiserver and etcd.
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go test ./... -count=1 $(TESTFLAGS)

.PHONY: bench
bench: ## Scale benchmark (not part of test): N relying parties to Ready vs a floor, calls, writes, resync, latency, memory. BENCH_N=100,1000 BENCH_LARGE=1 BENCH_LATENCY=20ms BENCH_UNRELATED=10000 BENCH_OUT=file BENCH_FLAGS=...
	BENCH_N="$(BENCH_N)" BENCH_LARGE="$(BENCH_LARGE)" BENCH_LATENCY="$(BENCH_LATENCY)" BENCH_UNRELATED="$(BENCH_UNRELATED)" \
		BENCH_OUT="$(BENCH_OUT)" BENCH_FLAGS="$(BENCH_FLAGS)" hack/bench.sh

.PHONY: fuzz
fuzz: ## Run every Go fuzz target for FUZZTIME each (default 30s; e.g. make fuzz FUZZTIME=10m).
	FUZZTIME=$(or $(FUZZTIME),30s) hack/fuzz.sh

##@ OLM bundle

# VERSION is the bundle's semver. The manager image is IMG when given on the command line or in the
# environment, else ghcr.io/openg2p/esignet-operator:v$(VERSION) (IMG's default :dev is a moving tag).
VERSION ?= 0.1.0

.PHONY: bundle
bundle: manifests ## OLM bundle in bundle/ for VERSION (default 0.1.0) and the manager image IMG (default ...:vVERSION), validated.
	hack/bundle.sh $(VERSION) $(if $(filter command line environment,$(origin IMG)),$(IMG))

.PHONY: bundle-check
bundle-check: ## Fail if bundle/ is not what the sources give for the version and image it declares.
	hack/bundle.sh --check

##@ Helm chart

.PHONY: helm-lint
helm-lint: ## helm lint --strict the chart, with its defaults and with the optional parts on.
	$(HELM) lint --strict $(CHART)
	$(HELM) lint --strict $(CHART) --set metrics.serviceMonitor.enabled=true --set 'watchNamespaces={openg2p}'

.PHONY: helm-template
helm-template: ## Render the chart (release esignet-operator, namespace esignet-operator-system) to stdout; HELM_ARGS adds --set/-f.
	$(HELM) template esignet-operator $(CHART) --namespace esignet-operator-system $(HELM_ARGS)

##@ Build

.PHONY: build
build: generate ## Build the manager and the fake eSignet into bin/.
	go build -o $(BIN)/manager ./cmd/manager
	@if [ -d cmd/fake-esignet ]; then go build -o $(BIN)/fake-esignet ./cmd/fake-esignet; fi

.PHONY: run
run: manifests generate ## Run the manager from your host against the cluster of the current kubeconfig (after 'make install').
	go run ./cmd/manager $(RUN_ARGS)

.PHONY: image
image: ## Build the manager image as an OCI layout in bin/image (and bin/image.tar for docker/podman load) without Docker.
	go run ./hack/image -o bin/image -tar bin/image.tar -tag $(IMG)

.PHONY: docker-build
docker-build: ## Build the manager image IMG (static binary on distroless).
	$(CONTAINER_TOOL) build -t $(IMG) .

.PHONY: docker-push
docker-push: ## Push the manager image IMG.
	$(CONTAINER_TOOL) push $(IMG)

##@ Deployment (kubectl from PATH, current kubeconfig context)

.PHONY: install
install: manifests ## Install the CRDs into the cluster.
	@echo "kustomize build config/crd | $(KUBECTL) apply -f -"
	@$(KUSTOMIZE) build config/crd | $(KUBECTL) apply -f -

.PHONY: uninstall
uninstall: manifests delete-relying-parties ## Delete every ESignetRelyingParty (a running manager deactivates its clients), then the CRDs.
	@echo "kustomize build config/crd | $(KUBECTL) delete --ignore-not-found=$(ignore-not-found) -f -"
	@$(KUSTOMIZE) build config/crd | $(KUBECTL) delete --ignore-not-found=$(ignore-not-found) -f -

.PHONY: deploy
deploy: manifests ## Deploy CRDs, RBAC and the manager (image IMG) through config/default.
	@rm -rf .tmp/deploy; mkdir -p .tmp/deploy; trap 'rm -rf .tmp/deploy' EXIT; \
	printf 'resources:\n- ../../config/default\n' > .tmp/deploy/kustomization.yaml; \
	(cd .tmp/deploy && $(KUSTOMIZE) edit set image ghcr.io/openg2p/esignet-operator=$(IMG)); \
	echo "kustomize build config/default (image $(IMG)) | $(KUBECTL) apply -f -"; \
	$(KUSTOMIZE) build .tmp/deploy | $(KUBECTL) apply -f -

.PHONY: undeploy
undeploy: delete-relying-parties ## Delete every ESignetRelyingParty while the operator still runs, then what 'make deploy' created (CRDs included).
	@echo "kustomize build config/default | $(KUBECTL) delete --ignore-not-found=$(ignore-not-found) -f -"
	@$(KUSTOMIZE) build config/default | $(KUBECTL) delete --ignore-not-found=$(ignore-not-found) -f -

# Relying parties go first: their finalizer deactivates the client at eSignet (deletionPolicy
# Deactivate), which needs the operator and the provider; deleting the CRDs first would leave them
# stuck. Skipped when the CRD is not installed.
.PHONY: delete-relying-parties
delete-relying-parties:
	@if $(KUBECTL) get crd esignetrelyingparties.esignet.openg2p.org >/dev/null 2>&1; then \
		echo "$(KUBECTL) delete esignetrelyingparties --all --all-namespaces --timeout=$(DELETE_TIMEOUT)"; \
		$(KUBECTL) delete esignetrelyingparties.esignet.openg2p.org --all --all-namespaces --timeout=$(DELETE_TIMEOUT); \
	fi
