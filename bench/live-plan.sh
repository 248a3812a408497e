#!/usr/bin/env bash
# Times a live `ngctl plan` against its read floor: N nodes (default 2000) in a real
# kube-apiserver + etcd (envtest) with their series in a real Prometheus.
#   bench/live-plan.sh            # 2000 nodes
#   bench/live-plan.sh 5000       # 5000 nodes
# Prints plan-ms/op, floor-ms/op (one paginated node LIST + one range query per metric,
# decoded as bare JSON) and their ratio. Needs bin/k8s (make envtest-assets) and
# Debian's prometheus package.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-${LIVE_PLAN_NODES:-2000}}
hack/envtest-assets.sh
echo "live plan of $N nodes (envtest + Prometheus):"
LIVE_PLAN_NODES=$N NODEGUARDIAN_REQUIRE_ENVTEST=1 NODEGUARDIAN_REQUIRE_PROMETHEUS=1 \
  go test ./internal/live -run '^$' -bench '^BenchmarkLivePlan$' -benchtime "${BENCHTIME:-5x}" -timeout 30m |
  tee /dev/stderr | awk '/BenchmarkLivePlan/ {
    for (i = 1; i <= NF; i++) { if ($i == "floor-ms/op") f = $(i-1); if ($i == "plan-ms/op") p = $(i-1); if ($i == "plan/floor") r = $(i-1) }
    printf "\nplan %s ms, read floor %s ms, ratio %s\n", p, f, r }'
