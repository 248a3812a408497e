package engine

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/apply"
	"github.com/nodeguardian/nodeguardian/internal/fleet"
	"github.com/nodeguardian/nodeguardian/internal/ledger"
	"github.com/nodeguardian/nodeguardian/internal/load"
	"github.com/nodeguardian/nodeguardian/internal/plan"
	"github.com/nodeguardian/nodeguardian/internal/testseed"
)

var t0 = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func exampleRules(t testing.TB) *load.Set {
	t.Helper()
	set, diags := load.Paths([]string{filepath.Join("..", "..", "examples", "rules", "yaml")}, nil)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return set
}

// randomFleet builds a snapshot of n nodes with random labels, unmanaged taints, pods and
// metric series around the example rules' thresholds, with random gaps and missing metrics.
func randomFleet(rng *rand.Rand, n, samples int) *fleet.Snapshot {
	s := &fleet.Snapshot{APIVersion: fleet.APIVersion, Kind: fleet.Kind, Time: metav1.NewTime(t0),
		Interval: metav1.Duration{Duration: 30 * time.Second}, Series: map[string]map[string]string{}}
	for i := range n {
		name := fmt.Sprintf("node-%03d", i)
		labels := map[string]string{}
		if rng.IntN(4) > 0 {
			labels["node-role.kubernetes.io/worker"] = "true"
		}
		if rng.IntN(10) == 0 {
			labels["node-role.kubernetes.io/control-plane"] = ""
		}
		if rng.IntN(15) == 0 {
			labels["nodeguardian.k8s.io/exclude"] = "true"
		}
		node := corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
		if rng.IntN(8) == 0 {
			node.Spec.Taints = []corev1.Taint{{Key: "nodeguardian/high-load", Value: "manual", Effect: corev1.TaintEffectNoSchedule}}
		}
		if rng.IntN(10) == 0 {
			labels["nodeguardian.io/status"] = "manual"
		}
		s.Nodes = append(s.Nodes, node)
		for p := range rng.IntN(4) {
			s.Pods = append(s.Pods, corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Namespace: []string{"default", "kube-system", "shop"}[rng.IntN(3)], Name: fmt.Sprintf("%s-pod-%d", name, p)},
				Spec:       corev1.PodSpec{NodeName: name},
				Status:     corev1.PodStatus{Phase: corev1.PodRunning},
			})
		}
		s.Series[name] = randomSeries(rng, samples)
	}
	return s
}

func randomSeries(rng *rand.Rand, samples int) map[string]string {
	out := map[string]string{}
	ranges := map[string][2]float64{
		v1.MetricCPULoadRatio: {0.3, 2.5}, v1.MetricMemoryUtilization: {50, 100},
		v1.MetricDiskUtilization: {60, 95}, v1.MetricCPUUtilization: {10, 100},
	}
	// Sorted: the draws must not depend on Go's random map order (issue 7: this loop
	// over the map made TestApplyThenPlanHasNoChanges fail about 1 run in 16).
	for _, m := range slices.Sorted(maps.Keys(ranges)) {
		r := ranges[m]
		if rng.IntN(12) == 0 {
			continue // no data for this metric
		}
		var terms []string
		for range samples {
			if rng.IntN(25) == 0 {
				terms = append(terms, "_")
				continue
			}
			terms = append(terms, fmt.Sprintf("%.1f", r[0]+rng.Float64()*(r[1]-r[0])))
		}
		out[m] = strings.Join(terms, " ")
	}
	return out
}

// advance moves the snapshot forward by k samples, appending random values, node by
// node in name order.
func advance(rng *rand.Rand, s *fleet.Snapshot, k int) {
	s.Time = metav1.NewTime(s.Time.Add(time.Duration(k) * s.Interval.Duration))
	for _, node := range slices.Sorted(maps.Keys(s.Series)) {
		metrics := s.Series[node]
		more := randomSeries(rng, k)
		for m, v := range more {
			if old, ok := metrics[m]; ok {
				metrics[m] = old + " " + v
			}
		}
		s.Series[node] = metrics
	}
}

// drift removes something NodeGuardian put on a random node it manages (one with a
// ledger), as a person might. Picking among managed nodes, not all nodes, makes drift
// common enough that every seed exercises it.
func drift(rng *rand.Rand, s *fleet.Snapshot) {
	var managed []int
	for i, n := range s.Nodes {
		if n.Annotations[ledger.Annotation] != "" {
			managed = append(managed, i)
		}
	}
	if len(managed) == 0 {
		return
	}
	n := &s.Nodes[managed[rng.IntN(len(managed))]]
	if len(n.Spec.Taints) > 0 {
		n.Spec.Taints = n.Spec.Taints[1:]
	}
	delete(n.Labels, "nodeguardian.io/status")
	n.Spec.Unschedulable = false
}

// planSnapshot plans a snapshot; where says which random fleet it is in failures.
func planSnapshot(t *testing.T, where string, set *load.Set, s *fleet.Snapshot) *plan.Plan {
	t.Helper()
	f, err := FromSnapshot(s)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	p, err := Plan(set.Rules, set.Templates, f, Options{Now: s.Time.Time, Interval: s.Interval.Duration})
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	return p
}

// TestApplyThenPlanHasNoChanges is the engine's central property: for any fleet, applying
// the plan and planning again at the same instant changes nothing — across rounds in
// which time moves, metrics change and people undo NodeGuardian's work.
//
// The fleets are random but reproducible: fleet i draws from stream i of the seed, which
// is logged and can be set with NODEGUARDIAN_TEST_SEED (see internal/testseed).
func TestApplyThenPlanHasNoChanges(t *testing.T) {
	seed := testseed.Seed(t, 42)
	set := exampleRules(t)
	fleets, rounds := 150, 6
	if testing.Short() {
		fleets = 20
	}
	kinds := map[string]int{}
	for i := range fleets {
		rng := testseed.Rand(seed, uint64(i))
		s := randomFleet(rng, 5+rng.IntN(25), 12+rng.IntN(12))
		for round := range rounds {
			where := fmt.Sprintf("seed %d, fleet %d, round %d", seed, i, round)
			p := planSnapshot(t, where, set, s)
			countKinds(p, kinds)
			if _, err := apply.ToSnapshot(p, s); err != nil {
				t.Fatalf("%s: apply: %v", where, err)
			}
			again := planSnapshot(t, where, set, s)
			if again.HasChanges() {
				var b strings.Builder
				_ = plan.RenderText(&b, again, plan.RenderOptions{})
				t.Fatalf("%s: plan after apply has changes:\n%s", where, b.String())
			}
			advance(rng, s, 1+rng.IntN(8))
			if rng.IntN(3) == 0 {
				drift(rng, s)
			}
		}
	}
	t.Logf("changes seen: %v", kinds)
	if testing.Short() {
		return // too few fleets to be sure of seeing every kind of change
	}
	// The property means little unless the rounds really fire, recover, drift and defer.
	for _, k := range []string{"Healthy→Firing", "Firing→Healthy", "drift", "evict", "deferred"} {
		if kinds[k] == 0 {
			t.Errorf("seed %d: no %s in %d rounds: the random fleets do not exercise the engine (%v)", seed, k, fleets*rounds, kinds)
		}
	}
}

// TestRandomFleetIsReproducible: a random fleet and its rounds (plan, apply, advance,
// drift), built twice from the same seed, are deep-equal at every round. A draw that
// depends on Go's random map order (issue 7: randomSeries looped over a map) makes a
// failure of TestApplyThenPlanHasNoChanges impossible to reproduce from its seed.
func TestRandomFleetIsReproducible(t *testing.T) {
	seed := testseed.Seed(t, 42)
	set := exampleRules(t)
	build := func(stream uint64) []*fleet.Snapshot {
		rng := testseed.Rand(seed, stream)
		s := randomFleet(rng, 5+rng.IntN(25), 12+rng.IntN(12))
		rounds := []*fleet.Snapshot{s.DeepCopy()}
		for round := range 4 {
			p := planSnapshot(t, fmt.Sprintf("seed %d, fleet %d, round %d", seed, stream, round), set, s)
			if _, err := apply.ToSnapshot(p, s); err != nil {
				t.Fatalf("seed %d, fleet %d, round %d: apply: %v", seed, stream, round, err)
			}
			advance(rng, s, 1+rng.IntN(8))
			if rng.IntN(3) == 0 {
				drift(rng, s)
			}
			rounds = append(rounds, s.DeepCopy())
		}
		return rounds
	}
	for stream := range uint64(8) {
		a, b := build(stream), build(stream)
		for round := range a {
			if !reflect.DeepEqual(a[round], b[round]) {
				t.Fatalf("seed %d, fleet %d, round %d: two builds from the same seed differ", seed, stream, round)
			}
		}
	}
}

func countKinds(p *plan.Plan, kinds map[string]int) {
	for _, n := range p.Nodes {
		for _, c := range n.Changes {
			switch {
			case c.Kind == plan.KindState:
				kinds[c.From+"→"+c.To]++
			case c.Drift:
				kinds["drift"]++
			case c.Kind == plan.KindEvict:
				kinds["evict"]++
			}
		}
	}
	kinds["deferred"] += len(p.Deferred)
}

// TestPlanIsDeterministic: the same inputs give the same plan, byte for byte. The fleet
// is random, from a seed set with NODEGUARDIAN_TEST_SEED (see internal/testseed).
func TestPlanIsDeterministic(t *testing.T) {
	seed := testseed.Seed(t, 7)
	where := fmt.Sprintf("seed %d", seed)
	set := exampleRules(t)
	s := randomFleet(testseed.Rand(seed, 7), 40, 20)
	var a, b strings.Builder
	if err := plan.RenderJSON(&a, planSnapshot(t, where, set, s)); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	if err := plan.RenderJSON(&b, planSnapshot(t, where, set, s)); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	if a.String() != b.String() {
		t.Fatalf("%s: two plans of the same inputs differ", where)
	}
}

// TestUnknownNeverTriggers: a fleet without any metric data changes nothing. The fleet
// is random, from a seed set with NODEGUARDIAN_TEST_SEED (see internal/testseed).
func TestUnknownNeverTriggers(t *testing.T) {
	seed := testseed.Seed(t, 1)
	where := fmt.Sprintf("seed %d", seed)
	set := exampleRules(t)
	s := randomFleet(testseed.Rand(seed, 2), 30, 20)
	s.Series = nil
	p := planSnapshot(t, where, set, s)
	if p.HasChanges() {
		t.Fatalf("%s: plan without metrics has %d changed nodes", where, len(p.Nodes))
	}
	if len(p.Warnings) == 0 {
		t.Fatalf("%s: no warning about Unknown metrics", where)
	}
}
