package cluster

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/engine"
	"github.com/nodeguardian/nodeguardian/internal/fleet"
	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// livePlanner plans a few live nodes with the real engine, as a live plan does.
type livePlanner struct {
	t     *testing.T
	f     *fixture
	rules []*v1.NodeGuardianRule
	snap  *fleet.Snapshot
	// refusals are the dry-run evictions' answers, planned with once known.
	refusals map[string]plan.Refusal
}

// read reads the planner's nodes, the pods on them and the PDBs from the cluster.
func (lp *livePlanner) read(ctx context.Context, names ...string) {
	lp.t.Helper()
	all, err := lp.f.c.Nodes(ctx)
	if err != nil {
		lp.t.Fatal(err)
	}
	lp.snap.Nodes = slices.DeleteFunc(all, func(n corev1.Node) bool { return !slices.Contains(names, n.Name) })
	if lp.snap.Pods, err = lp.f.c.PodsOn(ctx, names); err != nil {
		lp.t.Fatal(err)
	}
	if lp.snap.PodDisruptionBudgets, err = lp.f.c.PDBs(ctx); err != nil {
		lp.t.Fatal(err)
	}
}

func (lp *livePlanner) plan() (*plan.Plan, error) {
	fl, err := engine.FromSnapshot(lp.snap)
	if err != nil {
		return nil, err
	}
	return engine.Plan(lp.rules, nil, fl, engine.Options{Now: lp.snap.Time.Time, Interval: lp.snap.Interval.Duration, Refusals: lp.refusals})
}

// replan is the ReplanFunc: the node as it is now, the rest as read.
func (lp *livePlanner) replan(_ context.Context, n *corev1.Node) (*plan.NodePlan, error) {
	for i := range lp.snap.Nodes {
		if lp.snap.Nodes[i].Name == n.Name {
			lp.snap.Nodes[i] = *n
		}
	}
	p, err := lp.plan()
	if err != nil {
		return nil, err
	}
	for i := range p.Nodes {
		if p.Nodes[i].Node == n.Name {
			return &p.Nodes[i], nil
		}
	}
	return nil, nil
}

// roundTripNS is the namespace of TestEngineRoundTrip's pods.
const roundTripNS = "roundtrip"

// roundTripPlanner sets up two nodes, rt-hot (hot, with pods "web" and "db", the latter
// under a PDB that allows no disruption) and rt-cool, and a planner whose drain rule
// fires on rt-hot.
func roundTripPlanner(t *testing.T, f *fixture) *livePlanner {
	t.Helper()
	const ns = roundTripNS
	f.createNamespace(t, ns)
	f.createNode(t, "rt-hot")
	f.createNode(t, "rt-cool")
	running(t, f, createPod(t, f, ns, "web", "rt-hot", nil))
	running(t, f, createPod(t, f, ns, "db", "rt-hot", func(p *corev1.Pod) { p.Labels = map[string]string{"app": "db"} }))
	createPDB(t, f, ns, "db", map[string]string{"app": "db"}, exhausted())

	rule := &v1.NodeGuardianRule{
		ObjectMeta: metav1.ObjectMeta{Name: "hot"},
		Spec: v1.NodeGuardianRuleSpec{
			NodeSelector: &v1.NodeSelector{NodeNames: []string{"rt-hot", "rt-cool"}},
			Conditions:   []v1.Condition{{Metric: v1.MetricCPULoadRatio, Operator: v1.OpGreaterThan, Value: 1.5, Duration: &metav1.Duration{Duration: time.Minute}}},
			Actions: []v1.Action{
				{Type: v1.ActionTaint, Taint: &v1.TaintSpec{Key: "nodeguardian/hot", Effect: "NoSchedule"}},
				{Type: v1.ActionLabel, Label: &v1.LabelAction{Labels: map[string]string{"nodeguardian.io/status": "hot"}}},
				{Type: v1.ActionDrain, Drain: &v1.DrainAction{}},
			},
		},
	}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	lp := &livePlanner{t: t, f: f, rules: []*v1.NodeGuardianRule{rule}, snap: &fleet.Snapshot{
		APIVersion: fleet.APIVersion, Kind: fleet.Kind, Time: metav1.NewTime(now), Interval: metav1.Duration{Duration: 30 * time.Second},
		Series: map[string]map[string]string{"rt-hot": {v1.MetricCPULoadRatio: "2x10"}, "rt-cool": {v1.MetricCPULoadRatio: "0.5x10"}},
	}}
	return lp
}

// TestEngineRoundTrip plans live nodes with the engine (a drain rule firing on one of
// them), simulates its evictions, applies the plan while someone else changes the node,
// and plans again: nothing is left to do, and applying that writes nothing.
func TestEngineRoundTrip(t *testing.T) {
	f := newFixture(t)
	ctx := testContext(t)
	const ns = roundTripNS
	lp := roundTripPlanner(t, f)
	lp.read(ctx, "rt-hot", "rt-cool")
	p, err := lp.plan()
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Nodes) != 1 || p.Nodes[0].Node != "rt-hot" {
		t.Fatalf("plan changes %+v, want rt-hot only", p.Nodes)
	}
	if lp.refusals, err = f.c.SimulateEvictions(ctx, p); err != nil {
		t.Fatal(err)
	}
	if p, err = lp.plan(); err != nil {
		t.Fatal(err)
	}
	if p.Summary.Evictions != 1 {
		t.Errorf("plan evicts %d pods, want 1 (db is blocked)", p.Summary.Evictions)
	}

	f.touchNode(t, "rt-hot", "someone-else", "x")
	res, err := f.c.Apply(ctx, p, lp.replan, ApplyOptions{EvictionTimeout: time.Second, EvictionRetryDelay: 200 * time.Millisecond})
	if err != nil || len(res.Failed) > 0 {
		t.Fatalf("apply: %v %v", err, res.Failed)
	}
	if res.NodesChanged != 1 || res.PodsEvicted != 1 || !slices.Equal(res.Replanned, []string{"rt-hot"}) {
		t.Errorf("NodesChanged %d PodsEvicted %d Replanned %q; want 1, 1, [rt-hot]", res.NodesChanged, res.PodsEvicted, res.Replanned)
	}
	if len(res.Blocked) != 1 || !strings.HasPrefix(res.Blocked[0], ns+"/db: blocked by PDB "+ns+"/db") {
		t.Errorf("blocked = %q", res.Blocked)
	}
	hot := f.getNode(t, "rt-hot")
	if hot.Labels["someone-else"] != "x" || hot.Labels["nodeguardian.io/status"] != "hot" || !hot.Spec.Unschedulable {
		t.Errorf("rt-hot labels %v unschedulable %v", hot.Labels, hot.Spec.Unschedulable)
	}

	lp.read(ctx, "rt-hot", "rt-cool")
	again, err := lp.plan()
	if err != nil {
		t.Fatal(err)
	}
	if again.HasChanges() {
		t.Fatalf("planning again after apply changes %+v", again.Nodes)
	}
	f.rec.reset()
	if res, err := f.c.Apply(ctx, again, lp.replan, ApplyOptions{}); err != nil || len(res.Failed) > 0 || res.NodesChanged != 0 {
		t.Errorf("second apply: %v %v, %d nodes changed", err, res.Failed, res.NodesChanged)
	}
	if writes := append(f.rec.matching("PATCH", ""), f.rec.matching("POST", "")...); len(writes) > 0 {
		t.Errorf("second apply wrote %+v", writes)
	}
}
