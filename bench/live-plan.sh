#!/usr/bin/env bash
# Live benchmarks on a real kube-apiserver + etcd (envtest) and a real Prometheus, at
# several fleet sizes, printed as one table.
#   bench/live-plan.sh                  # 1000 and 5000 nodes
#   bench/live-plan.sh 1000 5000 10000  # the sizes to run (or LIVE_NODES="1000 5000")
# For each size N:
#   BenchmarkLivePlan  — a whole live `ngctl plan` of N realistic nodes (~9.5 KB each) vs
#                        its read floor (the same LIST and range queries, scanned as JSON)
#   BenchmarkLiveApply — a live apply changing LIVE_APPLY_CHANGED (default 100) of the N
#                        nodes; requests counted from the API server's audit log
#   BenchmarkCLI       — the ngctl binary: `ngctl snapshot`, `plan --snapshot` on its file
#                        and a live `ngctl plan`, each command's wall time and peak RSS
# BENCHTIME (default 3x) sets -benchtime. BENCH_RAW, when set, names a file the raw
# benchmark lines are appended to (prefixed with N), for bench/all.sh. Needs bin/k8s (make envtest-assets) and Debian's
# prometheus package.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=("$@")
if [ ${#SIZES[@]} -eq 0 ]; then read -r -a SIZES <<<"${LIVE_NODES:-1000 5000}"; fi
hack/envtest-assets.sh >&2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for n in "${SIZES[@]}"; do
  echo "== $n nodes" >&2
  LIVE_PLAN_NODES=$n LIVE_APPLY_NODES=$n LIVE_CLI_NODES=$n NODEGUARDIAN_REQUIRE_ENVTEST=1 NODEGUARDIAN_REQUIRE_PROMETHEUS=1 \
    go test ./internal/live -run '^$' -bench '^(BenchmarkLivePlan|BenchmarkLiveApply|BenchmarkCLI)$' \
    -benchtime "${BENCHTIME:-3x}" -timeout 60m | tee /dev/stderr | sed -n "s/^Benchmark/$n Benchmark/p" >>"$out"
done
if [ -n "${BENCH_RAW:-}" ]; then cat "$out" >>"$BENCH_RAW"; fi
# One row per benchmark line: the metric named NAME is the field before it.
awk '
function m(name,   i) { for (i = 3; i <= NF; i++) if ($i == name) return $(i-1); return "-" }
$2 ~ /^BenchmarkLivePlan/ {
  plan[++np] = sprintf("| %6s | %10s | %9s | %10s | %10s | %11s | %9s |", $1, m("floor-ms/op"), m("plan-ms/op"),
    m("plan/floor"), m("node-bytes"), m("peak-rss-MB"), m("throttled")) }
$2 ~ /^BenchmarkLiveApply/ {
  name = $2; sub(/^BenchmarkLiveApply\//, "", name); sub(/-[0-9]+$/, "", name)
  apply[++na] = sprintf("| %6s | %-17s | %7s | %11s | %10s | %7s | %11s | %13s | %9s |", $1, name, m("changed"),
    m("apply-ms/op"), m("patches/op"), m("gets/op"), m("requests/op"), m("requests/changed-node"), m("throttled")) }
$2 ~ /^BenchmarkCLI/ {
  cli[++nc] = sprintf("| %6s | %11s | %12s | %11s | %16s | %15s | %12s | %11s |", $1, m("snapshot-ms/op"), m("snapshot-rss-MB"),
    m("snapshot-MiB"), m("plan-snapshot-ms/op"), m("plan-snapshot-rss-MB"), m("live-plan-ms/op"), m("live-plan-rss-MB")) }
END {
  print "\nThe ngctl binary (wall time, peak RSS of the process)"
  print "| nodes  | snapshot ms | snapshot RSS MB | file MiB | plan --snapshot ms | plan --snapshot RSS MB | live plan ms | live plan RSS MB |"
  print "| -----: | ----------: | -----------: | ----------: | ---------------: | --------------: | -----------: | ----------: |"
  for (i = 1; i <= nc; i++) print cli[i]
  print "\nLive plan vs read floor"
  print "| nodes  | floor ms/op | plan ms/op | plan/floor | node bytes | peak RSS MB | throttled |"
  print "| -----: | ---------: | --------: | ---------: | ---------: | ----------: | --------: |"
  for (i = 1; i <= np; i++) print plan[i]
  print "\nLive apply (requests from the audit log)"
  print "| nodes  | rules             | changed | apply ms/op | patches/op | gets/op | requests/op | req/changed node | throttled |"
  print "| -----: | ----------------- | ------: | ----------: | ---------: | ------: | ----------: | ------------: | --------: |"
  for (i = 1; i <= na; i++) print apply[i]
}' "$out"
