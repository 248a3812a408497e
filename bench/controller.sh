#!/usr/bin/env bash
# The controller benchmark: `ngctl controller` (the binary, a child process) on a real
# kube-apiserver + etcd (envtest, with an audit log) and a real Prometheus, at several
# fleet sizes, printed as one table.
#   bench/controller.sh              # 5000 nodes
#   bench/controller.sh 1000 5000    # the sizes to run (or CONTROLLER_NODES="1000 5000")
# For each size N, BenchmarkController (internal/live/controllerbench_test.go): the example
# rules with checkInterval 15s, N realistic nodes (~9.5 KB each); reported: the time to
# the end of the first reconcile, the process's RSS (own memory and binary pages) and Go
# heap then, its peak RSS, the requests per steady reconcile (writes and LISTs must be 0:
# the benchmark fails otherwise), the latency from one node's metric crossing
# emergency-eviction's threshold to the PATCH of that node, and the requests per steady
# reconcile after that node fired (writes and LISTs must be 0 there too). BENCH_RAW, when set, names a
# file the raw benchmark lines are appended to (prefixed with N), for bench/all.sh.
# Needs bin/k8s (make envtest-assets) and Debian's prometheus package.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=("$@")
if [ ${#SIZES[@]} -eq 0 ]; then read -r -a SIZES <<<"${CONTROLLER_NODES:-5000}"; fi
hack/envtest-assets.sh >&2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for n in "${SIZES[@]}"; do
  echo "== $n nodes" >&2
  CONTROLLER_BENCH_NODES=$n NODEGUARDIAN_REQUIRE_ENVTEST=1 NODEGUARDIAN_REQUIRE_PROMETHEUS=1 \
    go test ./internal/live -run '^$' -bench '^BenchmarkController$' -benchtime 1x -timeout 60m |
    tee /dev/stderr | sed -n "s/^Benchmark/$n Benchmark/p" >>"$out"
done
if [ -n "${BENCH_RAW:-}" ]; then cat "$out" >>"$BENCH_RAW"; fi
awk '
function m(name,   i) { for (i = 3; i <= NF; i++) if ($i == name) return $(i-1); return "-" }
$2 ~ /^BenchmarkController/ {
  row[++n] = sprintf("| %6s | %6s | %6s | %7s | %7s | %7s | %8s | %8s | %8s | %6s | %9s | %12s | %9s | %6s | %5s |", $1, m("sync-s"),
    m("rss-MB"), m("rss-anon-MB"), m("rss-file-MB"), m("heap-MB"), m("peak-hwm-MB"), m("cycle-requests"),
    m("cycle-writes"), m("cycle-lists"), m("latency-s"), m("over-duration-s"), m("fired-cycle-requests"),
    m("fired-cycle-writes"), m("fired-cycle-lists")) }
END {
  print "\nngctl controller (goals: RSS after sync <= 100 MiB; 0 writes and 0 LISTs per steady cycle, before and after a node fired; PATCH <= checkInterval (15s) + 2s after the condition holds)"
  print "| nodes  | sync s | RSS MB | anon MB | file MB | heap MB | peak MB | req/cycle | writes/cycle | LISTs/cycle | latency s | over duration s | fired: req/cycle | writes | LISTs |"
  print "| -----: | -----: | -----: | ------: | ------: | ------: | ------: | -------: | -------: | -----: | --------: | -----------: | --------: | -----: | ----: |"
  for (i = 1; i <= n; i++) print row[i]
}' "$out"
