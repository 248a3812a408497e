package engine

import (
	"bytes"
	"path/filepath"
	"testing"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/fleet"
	"github.com/nodeguardian/nodeguardian/internal/load"
	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// EvaluatePair's two evaluations plan exactly what Evaluate plans for each version
// alone (the same plan JSON, ID included), whether rules are shared, changed, added or
// removed, and with --rule.
func TestEvaluatePairPlansAsEvaluate(t *testing.T) {
	set, diags := load.Paths([]string{filepath.Join("..", "..", "examples", "rules", "yaml")}, nil)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	snap, err := fleet.Load(filepath.Join("..", "..", "examples", "fleet", "demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	demo, err := FromSnapshot(snap)
	if err != nil {
		t.Fatal(err)
	}
	changed := make([]*v1.NodeGuardianRule, 0, len(set.Rules))
	for _, r := range set.Rules {
		c := r.DeepCopy()
		if c.Name == "high-load-isolation" {
			c.Spec.Conditions[0].Value = 0.5 // more nodes fire
		}
		if c.Name != "disk-space-alert" { // removed
			changed = append(changed, c)
		}
	}
	added := set.Rules[0].DeepCopy()
	added.Name = "added-copy"
	changed = append(changed, added)
	bench := benchRules(20)
	benchHead := append([]*v1.NodeGuardianRule(nil), bench...)
	benchHead[3] = bench[3].DeepCopy()
	benchHead[3].Spec.Conditions[0].Value = 50
	demoOpts := Options{Now: snap.Time.Time, Interval: snap.Interval.Duration}
	for _, tc := range []struct {
		name       string
		base, head []*v1.NodeGuardianRule
		tmpls      []*v1.AlertTemplate
		f          *Fleet
		opts       Options
	}{
		{"demo: changed, removed, added", set.Rules, changed, set.Templates, demo, demoOpts},
		{"demo: identical", set.Rules, set.Rules, set.Templates, demo, demoOpts},
		{"demo: --rule of one version", set.Rules, changed, set.Templates, demo,
			Options{Now: demoOpts.Now, Interval: demoOpts.Interval, Rule: "added-copy", RuleMayBeAbsent: true}},
		{"bench: one threshold", bench, benchHead, nil, benchFleet(300), Options{Now: t0, Interval: demoOpts.Interval}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bev, hev, err := EvaluatePair(tc.base, tc.head, tc.tmpls, tc.tmpls, tc.f, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			for side, pair := range map[string]struct {
				rules []*v1.NodeGuardianRule
				got   *plan.Plan
			}{"base": {tc.base, bev.Plan(tc.f, nil)}, "head": {tc.head, hev.Plan(tc.f, nil)}} {
				want, err := Plan(pair.rules, tc.tmpls, tc.f, tc.opts)
				if err != nil {
					t.Fatal(err)
				}
				var g, w bytes.Buffer
				if err := plan.RenderJSON(&g, pair.got); err != nil {
					t.Fatal(err)
				}
				if err := plan.RenderJSON(&w, want); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(g.Bytes(), w.Bytes()) {
					t.Errorf("%s: EvaluatePair's plan differs from Evaluate's:\n%s\n---\n%s", side, g.Bytes(), w.Bytes())
				}
			}
		})
	}
}
