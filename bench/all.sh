#!/usr/bin/env bash
# Every benchmark, printed as one table (`make bench`):
#   engine:  BenchmarkPlan and BenchmarkDiff (internal/engine), BenchmarkCompute (internal/plan),
#            BenchmarkDecodeRange (internal/metrics), BenchmarkSend1000Webhook (internal/notify),
#            BenchmarkSnapshotWrite and BenchmarkSnapshotRead (internal/fleet)
#   live:    bench/live-plan.sh at LIVE_NODES (default "1000 5000"): BenchmarkLivePlan and
#            BenchmarkLiveApply on envtest + Prometheus (their own tables are printed first)
#   controller: bench/controller.sh at CONTROLLER_NODES (default 5000): BenchmarkController,
#            the ngctl controller binary on envtest + Prometheus (its table is printed first)
# ENGINE_BENCHTIME (default 5x) and BENCHTIME (live, default 3x) set -benchtime.
set -euo pipefail
cd "$(dirname "$0")/.."
raw=$(mktemp)
trap 'rm -f "$raw"' EXIT
for pb in ./internal/engine:BenchmarkPlan ./internal/engine:BenchmarkDiff ./internal/plan:BenchmarkCompute \
  ./internal/metrics:BenchmarkDecodeRange ./internal/notify:BenchmarkSend1000Webhook \
  ./internal/fleet:BenchmarkSnapshotWrite ./internal/fleet:BenchmarkSnapshotRead; do
  go test "${pb%%:*}" -run '^$' -bench "^${pb#*:}\$" -benchtime "${ENGINE_BENCHTIME:-5x}" -benchmem -timeout 30m |
    tee /dev/stderr | sed -n 's/^Benchmark/- Benchmark/p' >>"$raw"
done
read -r -a sizes <<<"${LIVE_NODES:-1000 5000}"
BENCH_RAW=$raw bench/live-plan.sh "${sizes[@]}"
read -r -a csizes <<<"${CONTROLLER_NODES:-5000}"
BENCH_RAW=$raw bench/controller.sh "${csizes[@]}"
# One row per benchmark line ($1: live fleet size or "-", $2: name, $3: iterations,
# then value/unit pairs): ms/op, then every other metric as "value unit".
awk '
BEGIN {
  print "\nAll benchmarks (2 shared cores: compare ratios and counts, not absolute times)"
  print "| benchmark                                    | nodes |     ms/op | figures |"
  print "| -------------------------------------------- | ----: | --------: | ------- |"
}
{ name = $2; sub(/-[0-9]+$/, "", name); ms = "-"; figs = ""
  for (i = 5; i <= NF; i += 2) {
    if ($i == "ns/op") { ms = sprintf("%.1f", $(i-1) / 1e6); continue }
    if ($i == "B/op") { figs = figs sprintf("%.1f MB/op, ", $(i-1) / 1048576); continue }
    figs = figs $(i-1) " " $i ", "
  }
  sub(/, $/, "", figs)
  printf "| %-44s | %5s | %9s | %s |\n", name, $1, ms, figs }' "$raw"
