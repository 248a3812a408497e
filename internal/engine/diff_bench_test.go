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
			bp, err := Plan(base, nil, f, opts)
			if err != nil {
				b.Fatal(err)
			}
			hp, err := Plan(head, nil, f, opts)
			if err != nil {
				b.Fatal(err)
			}
			if d := plandiff.Plans(bp, hp); !d.HasEffectChanges() {
				b.Fatal("no effect change")
			}
		}
	})
}
