# NodeGuardian — see README.md. `make demo` and `make test` are the two entry points.
GO       ?= go
BIN      := bin
NGCTL    := $(BIN)/ngctl
PKGS     := ./...
export KUBEBUILDER_ASSETS ?= $(CURDIR)/bin/k8s

.PHONY: all build test unit lint fmt generate demo fuzz envtest-assets test-deps clean bench

all: build

# ngctl version prints the module version and commit the Go toolchain stamps into the
# binary; these are the fallback for builds without that stamp (cmd/ngctl/version.go).
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null)
COMMIT   ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS  := -X main.version=$(VERSION) -X main.commit=$(COMMIT)

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(NGCTL) ./cmd/ngctl

## generate: CRDs, deepcopy and the JSON Schema from api/v1 (never edit schemas/ by hand); the
## kustomize base's copies of the CRDs (deploy/crds: kustomize reads nothing outside deploy/).
generate:
	$(GO) tool controller-gen object paths=./api/...
	rm -f schemas/crds/*.yaml
	$(GO) tool controller-gen crd:allowDangerousTypes=true paths=./api/... output:crd:artifacts:config=schemas/crds
	rm -f deploy/crds/*.yaml
	cp schemas/crds/*.yaml deploy/crds/
	$(GO) run ./hack/jsonschema schemas/crds schemas/nodeguardian.schema.json
	$(GO) run ./hack/planschema schemas/plan.schema.json
	$(GO) run ./hack/planschema -type diff schemas/diff.schema.json

## envtest-assets: build kube-apiserver and etcd from the Go module proxy into bin/k8s.
envtest-assets:
	hack/envtest-assets.sh

## test: every test, including those on a real kube-apiserver + etcd, a real Prometheus and a real Alertmanager
## (Debian's prometheus and prometheus-alertmanager packages: apt-get install --no-install-recommends).
## test-deps: Debian's prometheus and prometheus-alertmanager packages for the metric-source and alerting tests (apt-get, as root).
test-deps:
	hack/test-deps.sh

## The concurrent packages (alert dispatch, parallel cluster reads and writes, snapshot
## encoding and parsing workers, metric source routing and windows) run again
## under the race detector.
RACE_PKGS := ./internal/notify/... ./internal/deliver/... ./internal/cluster/... ./internal/fleet/... ./internal/metrics/... ./internal/controller/...
test: envtest-assets test-deps
	NODEGUARDIAN_REQUIRE_ENVTEST=1 NODEGUARDIAN_REQUIRE_PROMETHEUS=1 NODEGUARDIAN_REQUIRE_ALERTMANAGER=1 $(GO) test -count=1 $(PKGS)
	NODEGUARDIAN_REQUIRE_ENVTEST=1 NODEGUARDIAN_REQUIRE_ALERTMANAGER=1 $(GO) test -race -count=1 $(RACE_PKGS)

## unit: tests without building the control plane (envtest tests skip when it is absent).
unit:
	$(GO) test $(PKGS)

## bench: every benchmark (engine, decoding, alert delivery, the live plan and apply on
## envtest + Prometheus at LIVE_NODES, default "1000 5000", and the controller at
## CONTROLLER_NODES, default 5000), printed as one table (bench/all.sh;
## docs/performance.md). `make test` runs no benchmark.
LIVE_NODES ?= 1000 5000
CONTROLLER_NODES ?= 5000
bench: envtest-assets test-deps
	LIVE_NODES="$(LIVE_NODES)" CONTROLLER_NODES="$(CONTROLLER_NODES)" bench/all.sh

FUZZTIME ?= 5s
FUZZ      = $(GO) test $(1) -run '^$$' -fuzz '^$(2)$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 2s
## fuzz: run each fuzz target for FUZZTIME (crashers are kept in the package's testdata/fuzz).
fuzz:
	$(call FUZZ,./internal/load,FuzzLoadYAML)
	$(call FUZZ,./internal/load,FuzzLoadHCL)
	$(call FUZZ,./internal/srclimit,FuzzCheckHCL)
	$(call FUZZ,./internal/series,FuzzParse)
	$(call FUZZ,./internal/fleet,FuzzParse)
	$(call FUZZ,./internal/ruletest,FuzzParse)
	$(call FUZZ,./internal/plan,FuzzReadJSON)
	$(call FUZZ,./internal/ledger,FuzzRead)
	$(call FUZZ,./internal/alert,FuzzCompile)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 $(PKGS)
	$(GO) run ./cmd/ngctl fmt --check examples

fmt:
	gofmt -w $$(git ls-files '*.go')
	$(GO) run ./cmd/ngctl fmt examples

DEMO_RULES    := examples/rules/yaml
DEMO_FLEET    := examples/fleet/demo.yaml
DEMO_OUT      := $(BIN)/demo-after.yaml
## demo: validate the example rules, plan them on the demo fleet, apply the plan to a copy
## of the snapshot, and plan again: the second plan shows "No changes."
demo: build
	$(NGCTL) validate -f $(DEMO_RULES)
	$(NGCTL) validate -f examples/rules/hcl
	$(NGCTL) plan -f $(DEMO_RULES) --snapshot $(DEMO_FLEET)
	$(NGCTL) apply -f $(DEMO_RULES) --snapshot $(DEMO_FLEET) --write-snapshot $(DEMO_OUT) --auto-approve
	$(NGCTL) plan -f $(DEMO_RULES) --snapshot $(DEMO_OUT) --detailed-exitcode

clean:
	rm -rf $(BIN)/ngctl
