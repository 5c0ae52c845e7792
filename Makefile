# esignet-operator. `make help` lists the targets.
include hack/versions.env

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec
export GOFLAGS := -buildvcs=false
export GOTOOLCHAIN := local

IMG ?= ghcr.io/openg2p/esignet-operator:dev
BIN := $(CURDIR)/bin

# Tools are built once per machine into the user cache (hack/tools.sh) and resolved lazily.
CONTROLLER_GEN = $(shell hack/tools.sh controller-gen)
KUSTOMIZE = $(shell hack/tools.sh kustomize)
GOLANGCI_LINT = $(shell hack/tools.sh golangci-lint)
ENVTEST_ASSETS = $(shell hack/envtest-assets.sh)

.PHONY: all
all: build

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*##/ {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: ## Generate CRDs and RBAC from the API types and markers.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd paths="./..." \
		output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac

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

.PHONY: test
test: manifests generate ## Unit and envtest integration tests against a real kube-apiserver and etcd.
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go test ./... -count=1 $(TESTFLAGS)

##@ Build

.PHONY: build
build: generate ## Build the manager and the fake eSignet into bin/.
	go build -o $(BIN)/manager ./cmd/manager
	@if [ -d cmd/fake-esignet ]; then go build -o $(BIN)/fake-esignet ./cmd/fake-esignet; fi
