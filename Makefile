# dect-operator. `make help` lists the targets.

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

GO ?= go
CONTROLLER_GEN := $(GO) tool controller-gen
# The envtest binaries (kube-apiserver, etcd, kubectl): provided, and on first use
# built, by hack/envtest-assets.sh into a cache outside the repository.
ENVTEST_ASSETS = $(shell hack/envtest-assets.sh)

# The image `make image` builds, and the base it copies the binary onto (see Dockerfile).
IMG ?= ghcr.io/dect-operator/dect-operator:v0.1.0
BASE_IMAGE ?= gcr.io/distroless/static:nonroot
IMAGE_ARCH ?= $(shell $(GO) env GOARCH)
DOCKER ?= docker

.PHONY: help
help: ## List the targets.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*##/ { printf "  %-18s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

##@ Main jobs

.PHONY: demo
demo: ## Run a local control plane, the operator, the server and a simulated base.
	CGO_ENABLED=0 $(GO) build -o bin/demo ./hack/demo
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" bin/demo $(DEMO_FLAGS)

.PHONY: test
test: verify-generated verify-fmt vet ## Check generated files, formatting and vet, then run every test.
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" $(GO) test -count=1 ./...
	# The LAN-facing server's packages once more under the race detector.
	$(GO) test -race -count=1 ./internal/provserver/... ./internal/digest/... ./internal/server/... ./internal/feed/... ./internal/push/...

.PHONY: test-peers
test-peers: ## The check-sync NOTIFY against Kamailio, an independent SIP stack (installs kamailio when missing; root).
	hack/kamailio-notify-check.sh

.PHONY: test-cluster
test-cluster: ## The image on a real one-node cluster: make image, kubectl apply -k, a device via the Service (root).
	DECT_CLUSTER_TEST=1 $(GO) test -count=1 -v -timeout 85m ./test/cluster

.PHONY: bench
bench: ## Run the benchmarks and print their figures.
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" hack/bench.sh

##@ Development

.PHONY: generate
generate: ## Generate deepcopy code from the API types.
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths=./api/...

.PHONY: manifests
manifests: ## Generate CRDs, RBAC and docs/api.md from the types and markers.
	$(CONTROLLER_GEN) crd rbac:roleName=dect-operator paths=./... \
		output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	$(GO) run ./hack/apidocs config/crd/bases > docs/api.md

.PHONY: verify-generated
verify-generated: ## Fail when generated code or manifests are stale.
	hack/verify-generated.sh

.PHONY: verify-fmt
verify-fmt: ## Fail when gofmt would change a file.
	@out=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

.PHONY: vet
vet: ## Run go vet.
	$(GO) vet ./...

.PHONY: build
build: ## Build the one binary into bin/.
	CGO_ENABLED=0 $(GO) build -o bin/dect-operator ./cmd/dect-operator

.PHONY: image-binary
image-binary: ## Build the image's static binary into bin/image/linux_$(IMAGE_ARCH)/.
	CGO_ENABLED=0 GOOS=linux GOARCH=$(IMAGE_ARCH) $(GO) build -trimpath -buildvcs=false -ldflags="-s -w" \
		-o bin/image/linux_$(IMAGE_ARCH)/dect-operator ./cmd/dect-operator

.PHONY: image
image: image-binary ## Build the image $(IMG) from the Dockerfile (BASE_IMAGE= to change its base).
	$(DOCKER) build --build-arg BASE_IMAGE=$(BASE_IMAGE) \
		--build-arg TARGETOS=linux --build-arg TARGETARCH=$(IMAGE_ARCH) -t $(IMG) .

.PHONY: envtest
envtest: ## Print the folder of the envtest binaries, building them on first use.
	@echo "$(ENVTEST_ASSETS)"
