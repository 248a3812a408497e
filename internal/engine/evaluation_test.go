package engine

import (
	"slices"
	"testing"

	"github.com/nodeguardian/nodeguardian/internal/plan"
	"github.com/nodeguardian/nodeguardian/internal/testseed"
)

// MayEvict names every node the plan evicts on (the nodes whose pods a live plan reads
// before computing the plan), and Plan from an Evaluation is engine.Plan.
func TestMayEvictCoversEveryEviction(t *testing.T) {
	seed := testseed.Seed(t, 11)
	set := exampleRules(t)
	evictions := 0
	for i := range 40 {
		s := randomFleet(testseed.Rand(seed, uint64(i)), 30, 20)
		f, err := FromSnapshot(s)
		if err != nil {
			t.Fatal(err)
		}
		opts := Options{Now: s.Time.Time, Interval: s.Interval.Duration}
		ev, err := Evaluate(set.Rules, set.Templates, f, opts)
		if err != nil {
			t.Fatal(err)
		}
		may := ev.MayEvict()
		p := ev.Plan(f, nil)
		for _, n := range p.Nodes {
			for _, c := range n.Changes {
				if c.Kind == plan.KindEvict {
					evictions++
				}
				if c.Kind == plan.KindEvict && !slices.Contains(may, n.Node) {
					t.Fatalf("seed %d, fleet %d: the plan evicts on %s, which MayEvict %v leaves out", seed, i, n.Node, may)
				}
			}
		}
		whole, err := Plan(set.Rules, set.Templates, f, opts)
		if err != nil {
			t.Fatal(err)
		}
		if whole.ID != p.ID {
			t.Fatalf("seed %d, fleet %d: Evaluate+Plan differs from Plan", seed, i)
		}
	}
	if evictions == 0 {
		t.Fatalf("seed %d: no fleet planned an eviction: the test checked nothing", seed)
	}
}

// NeedPods names every node where a firing alert lists the top pods (its template names
// topPods), as well as MayEvict's nodes: a live plan reads their pods.
func TestNeedPodsCoversTopPodAlerts(t *testing.T) {
	seed := testseed.Seed(t, 12)
	set := exampleRules(t)
	tmpls := slices.Clone(set.Templates)
	for i, tp := range tmpls {
		c := tp.DeepCopy()
		c.Spec.Body += "{{ range .topPods }}{{ .name }}{{ end }}"
		tmpls[i] = c
	}
	alerts := 0
	for i := range 20 {
		s := randomFleet(testseed.Rand(seed, uint64(i)), 30, 20)
		f, err := FromSnapshot(s)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := Evaluate(set.Rules, tmpls, f, Options{Now: s.Time.Time, Interval: s.Interval.Duration})
		if err != nil {
			t.Fatal(err)
		}
		need, may := ev.NeedPods(), ev.MayEvict()
		if slices.ContainsFunc(may, func(n string) bool { return !slices.Contains(need, n) }) {
			t.Fatalf("seed %d, fleet %d: NeedPods %v leaves out MayEvict's %v", seed, i, need, may)
		}
		for _, n := range ev.Plan(f, nil).Nodes {
			for _, c := range n.Changes {
				if c.Kind == plan.KindAlert && c.Alert.Event == "firing" && c.Alert.Template != "" {
					alerts++
					if !slices.Contains(need, n.Node) {
						t.Fatalf("seed %d, fleet %d: a firing alert on %s lists top pods, and NeedPods %v leaves it out", seed, i, n.Node, need)
					}
				}
			}
		}
	}
	if alerts == 0 {
		t.Fatalf("seed %d: no fleet planned a firing alert: the test checked nothing", seed)
	}
}
