package engine

import (
	"testing"
	"time"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/plandiff"
)

// BenchmarkDiff measures what `ngctl diff` adds to a plan on a 5,000-node fleet (the
// fleet and rules of BenchmarkPlan): "plan" is one plan, "diff" the plans of two
// versions of the rules (a tenth of them with another threshold) and their comparison.
// Target: diff at most 2.2× plan (docs/performance.md).
func BenchmarkDiff(b *testing.B) {
	f, base, head, opts := diffBenchInputs()
	b.Run("nodes=5000/plan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Plan(head, nil, f, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
	bp, err := Plan(base, nil, f, opts)
	if err != nil {
		b.Fatal(err)
	}
	hp, err := Plan(head, nil, f, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("nodes=5000/compare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			plandiff.Plans(bp, hp)
		}
	})
	b.Run("nodes=5000/diff", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			bev, hev, err := EvaluatePair(base, head, nil, nil, f, opts)
			if err != nil {
				b.Fatal(err)
			}
			if d := plandiff.Plans(bev.Plan(f, nil), hev.Plan(f, nil)); !d.HasEffectChanges() {
				b.Fatal("no effect change")
			}
		}
	})
}

// BenchmarkDiffRatio alternates one plan and one diff (the two versions evaluated by
// EvaluatePair, as ngctl diff does, their two plans and the comparison)
// on the fleet of BenchmarkDiff and reports diff/plan, each timed in the same
// iteration, so that other load on the machine weighs on both alike. Target ≤ 2.2.
func BenchmarkDiffRatio(b *testing.B) {
	f, base, head, opts := diffBenchInputs()
	var planned, diffed time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := Plan(head, nil, f, opts); err != nil {
			b.Fatal(err)
		}
		planned += time.Since(start)
		start = time.Now()
		bev, hev, err := EvaluatePair(base, head, nil, nil, f, opts)
		if err != nil {
			b.Fatal(err)
		}
		if d := plandiff.Plans(bev.Plan(f, nil), hev.Plan(f, nil)); !d.HasEffectChanges() {
			b.Fatal("no effect change")
		}
		diffed += time.Since(start)
	}
	b.ReportMetric(float64(planned.Milliseconds())/float64(b.N), "plan-ms/op")
	b.ReportMetric(float64(diffed.Milliseconds())/float64(b.N), "diff-ms/op")
	b.ReportMetric(float64(diffed)/float64(planned), "diff/plan")
	if r := float64(diffed) / float64(planned); r > 2.2 {
		b.Logf("diff/plan %.2f is over the 2.2 target", r)
	}
}

// diffBenchInputs are the fleet, the two versions of the rules (a tenth of them with
// another threshold) and the options of the diff benchmarks.
func diffBenchInputs() (*Fleet, []*v1.NodeGuardianRule, []*v1.NodeGuardianRule, Options) {
	f := benchFleet(5000)
	base := benchRules(100)
	head := make([]*v1.NodeGuardianRule, len(base))
	for i, r := range base {
		head[i] = r
		if i%10 == 0 {
			head[i] = r.DeepCopy()
			head[i].Spec.Conditions[0].Value = 50
		}
	}
	opts := Options{Now: t0, Interval: 30 * time.Second}
	return f, base, head, opts
}
