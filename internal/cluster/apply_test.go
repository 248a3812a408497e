package cluster

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/nodeguardian/nodeguardian/internal/ledger"
	"github.com/nodeguardian/nodeguardian/internal/plan"
)

const (
	firingLedger  = `{"version":1,"rules":{"hot":{"state":"Firing","since":"2026-01-01T00:00:00Z","lastFired":"2026-01-01T00:00:00Z","taints":[{"key":"nodeguardian/hot","value":"true","effect":"NoSchedule"}],"labels":{"nodeguardian.io/status":"hot"},"cordon":true}}}`
	healthyLedger = `{"version":1,"rules":{"hot":{"state":"Healthy","since":"2026-01-01T00:10:00Z","lastFired":"2026-01-01T00:00:00Z"}}}`
)

// firing are the changes of rule "hot" firing on a node.
func firing() []plan.Change {
	return []plan.Change{
		{Op: plan.OpChange, Kind: plan.KindState, Rule: "hot", From: "Healthy", To: "Firing"},
		{Op: plan.OpAdd, Kind: plan.KindTaint, Key: "nodeguardian/hot", Value: "true", Effect: "NoSchedule", Rule: "hot"},
		{Op: plan.OpAdd, Kind: plan.KindTaint, Key: "nodeguardian/evict", Value: "now", Effect: "NoExecute", Rule: "hot"},
		{Op: plan.OpAdd, Kind: plan.KindLabel, Key: "nodeguardian.io/status", Value: "hot", Rule: "hot"},
		{Op: plan.OpAdd, Kind: plan.KindAnnotation, Key: "nodeguardian.io/why", Value: "too hot", Rule: "hot"},
		{Op: plan.OpAdd, Kind: plan.KindCordon, Rule: "hot"},
		{Op: plan.OpAdd, Kind: plan.KindLedger, Key: ledger.Annotation, Value: firingLedger},
		{Op: plan.OpAdd, Kind: plan.KindAlert, Rule: "hot", Alert: &plan.Alert{Event: "firing", Channels: []string{"log"}, Subject: "hot"}},
		{Op: plan.OpAdd, Kind: plan.KindLabel, Key: "shadow", Value: "x", Rule: "shadow", DryRun: true},
	}
}

// recovery are the changes of rule "hot" recovering on a node.
func recovery() []plan.Change {
	return []plan.Change{
		{Op: plan.OpChange, Kind: plan.KindState, Rule: "hot", From: "Firing", To: "Healthy"},
		{Op: plan.OpRemove, Kind: plan.KindTaint, Key: "nodeguardian/hot", Old: "true", Effect: "NoSchedule", Rule: "hot"},
		{Op: plan.OpRemove, Kind: plan.KindLabel, Key: "nodeguardian.io/status", Old: "hot", Rule: "hot"},
		{Op: plan.OpRemove, Kind: plan.KindCordon, Rule: "hot"},
		{Op: plan.OpChange, Kind: plan.KindLedger, Key: ledger.Annotation, Old: firingLedger, Value: healthyLedger},
	}
}

// notReady is the taint the API server puts on every new node (TaintNodesByCondition);
// plans never mention it and applying them must keep it.
const notReady = "node.kubernetes.io/not-ready"

// nodeState is what a plan changes on a node (the notReady taint left out).
type nodeState struct {
	labels        map[string]string
	annotations   map[string]string
	taints        []string // key=value:effect, in order
	unschedulable bool
}

func stateOf(n *corev1.Node) nodeState {
	s := nodeState{labels: n.Labels, annotations: n.Annotations, unschedulable: n.Spec.Unschedulable}
	for _, t := range n.Spec.Taints {
		if t.Key != notReady {
			s.taints = append(s.taints, t.Key+"="+t.Value+":"+string(t.Effect))
		}
	}
	return s
}

func (s nodeState) equal(o nodeState) bool {
	return maps.Equal(s.labels, o.labels) && maps.Equal(s.annotations, o.annotations) &&
		slices.Equal(s.taints, o.taints) && s.unschedulable == o.unschedulable
}

// applyCase is a plan for one node and what applying it must do.
type applyCase struct {
	name    string
	node    []func(*corev1.Node)
	changes []plan.Change
	want    nodeState
	patches int // PATCH requests of the first apply
	alerts  int
}

// applyCases are single-node plans: what they change, and how many PATCHes that takes.
func applyCases() []applyCase {
	return []applyCase{
		{
			name:    "firing: taints, label, annotation, cordon and ledger in one patch",
			node:    []func(*corev1.Node){withLabels("pool", "web"), withTaints(taint("dedicated", "web", "NoSchedule"))},
			changes: firing(),
			want: nodeState{
				labels:        map[string]string{"pool": "web", "nodeguardian.io/status": "hot"},
				annotations:   map[string]string{"nodeguardian.io/why": "too hot", ledger.Annotation: firingLedger},
				taints:        []string{"dedicated=web:NoSchedule", "nodeguardian/hot=true:NoSchedule", "nodeguardian/evict=now:NoExecute"},
				unschedulable: true,
			},
			patches: 1, alerts: 1,
		},
		{
			name: "recovery: removes what the rule applied, keeps the rest",
			node: []func(*corev1.Node){
				withLabels("pool", "web", "nodeguardian.io/status", "hot"),
				withAnnotations(ledger.Annotation, firingLedger, "note", "manual"),
				withTaints(taint("nodeguardian/hot", "true", "NoSchedule"), taint("nodeguardian/hot", "manual", "PreferNoSchedule")),
				cordoned,
			},
			changes: recovery(),
			want: nodeState{
				labels:      map[string]string{"pool": "web"},
				annotations: map[string]string{ledger.Annotation: healthyLedger, "note": "manual"},
				taints:      []string{"nodeguardian/hot=manual:PreferNoSchedule"},
			},
			patches: 1,
		},
		{
			name: "last taint removed",
			node: []func(*corev1.Node){withTaints(taint("nodeguardian/hot", "true", "NoSchedule"))},
			changes: []plan.Change{
				{Op: plan.OpRemove, Kind: plan.KindTaint, Key: "nodeguardian/hot", Effect: "NoSchedule", Rule: "hot"},
			},
			want:    nodeState{},
			patches: 1,
		},
		{
			name:    "only dry-run changes: nothing sent",
			node:    []func(*corev1.Node){withLabels("pool", "web")},
			changes: []plan.Change{{Op: plan.OpAdd, Kind: plan.KindLabel, Key: "x", Value: "y", Rule: "shadow", DryRun: true}},
			want:    nodeState{labels: map[string]string{"pool": "web"}},
		},
		{
			name:    "already as planned: nothing sent",
			node:    []func(*corev1.Node){withLabels("nodeguardian.io/status", "hot")},
			changes: []plan.Change{{Op: plan.OpAdd, Kind: plan.KindLabel, Key: "nodeguardian.io/status", Value: "hot", Rule: "hot"}},
			want:    nodeState{labels: map[string]string{"nodeguardian.io/status": "hot"}},
		},
	}
}

func TestApply(t *testing.T) {
	f := newFixture(t)
	ctx := testContext(t)
	for i, tt := range applyCases() {
		t.Run(tt.name, func(t *testing.T) {
			name := "apply-" + string(rune('a'+i))
			n := f.createNode(t, name, tt.node...)
			p := &plan.Plan{
				Inputs: plan.Inputs{NodeVersions: map[string]string{name: n.ResourceVersion}},
				Nodes:  []plan.NodePlan{{Node: name, ResourceVersion: n.ResourceVersion, Changes: tt.changes}},
			}
			f.rec.reset()
			res, err := f.c.Apply(ctx, p, nil, ApplyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Failed) > 0 || len(res.Skipped) > 0 {
				t.Fatalf("failed %v, skipped %q", res.Failed, res.Skipped)
			}
			got := f.getNode(t, name)
			checkApplied(t, f, tt, res, got)

			// A fresh plan with the same changes, at the node's new version, writes nothing.
			again := &plan.Plan{Nodes: []plan.NodePlan{{Node: name, ResourceVersion: got.ResourceVersion, Changes: tt.changes}}}
			f.rec.reset()
			res, err = f.c.Apply(ctx, again, nil, ApplyOptions{})
			if err != nil || len(res.Failed) > 0 {
				t.Fatalf("second apply: %v %v", err, res.Failed)
			}
			if patches := f.rec.matching("PATCH", ""); len(patches) != 0 || res.NodesChanged != 0 {
				t.Errorf("second apply: %d PATCH requests, NodesChanged %d; want none", len(patches), res.NodesChanged)
			}
			if rv := f.getNode(t, name).ResourceVersion; rv != got.ResourceVersion {
				t.Errorf("second apply changed the node: resourceVersion %s → %s", got.ResourceVersion, rv)
			}
		})
	}
}

// checkApplied checks a node after the first apply of its case.
func checkApplied(t *testing.T, f *fixture, tt applyCase, res ApplyResult, got *corev1.Node) {
	t.Helper()
	if !stateOf(got).equal(tt.want) {
		t.Errorf("node is\n%+v\nwant\n%+v", stateOf(got), tt.want)
	}
	if patches := f.rec.matching("PATCH", "/nodes/"+got.Name); len(patches) != tt.patches || res.NodesChanged != tt.patches {
		t.Errorf("%d PATCH requests, NodesChanged %d; want %d", len(patches), res.NodesChanged, tt.patches)
	}
	if len(res.Alerts) != tt.alerts {
		t.Errorf("alerts = %+v, want %d", res.Alerts, tt.alerts)
	}
	if !slices.ContainsFunc(got.Spec.Taints, func(tn corev1.Taint) bool { return tn.Key == notReady }) {
		t.Errorf("the API server's %s taint was dropped: %v", notReady, got.Spec.Taints)
	}
	for _, tn := range got.Spec.Taints {
		if tn.Effect == corev1.TaintEffectNoExecute && tn.TimeAdded == nil {
			t.Errorf("NoExecute taint %s without timeAdded", tn.Key)
		}
	}
}

// TestApplyLeavesOtherNodesAlone: a taint with the same key set by hand on another node
// is never touched by a plan that does not mention that node.
func TestApplyLeavesOtherNodesAlone(t *testing.T) {
	f := newFixture(t)
	ctx := testContext(t)
	target := f.createNode(t, "alone-a")
	manual := taint("nodeguardian/hot", "manual", "NoSchedule")
	other := f.createNode(t, "alone-b", withTaints(manual), withLabels("nodeguardian.io/status", "manual"))
	p := &plan.Plan{Nodes: []plan.NodePlan{{Node: "alone-a", ResourceVersion: target.ResourceVersion, Changes: firing()}}}
	f.rec.reset()
	res, err := f.c.Apply(ctx, p, nil, ApplyOptions{})
	if err != nil || len(res.Failed) > 0 {
		t.Fatalf("apply: %v %v", err, res.Failed)
	}
	if reqs := f.rec.matching("", "/nodes/alone-b"); len(reqs) > 0 {
		t.Errorf("requests to the other node: %+v", reqs)
	}
	got := f.getNode(t, "alone-b")
	if got.ResourceVersion != other.ResourceVersion || !stateOf(got).equal(stateOf(other)) {
		t.Errorf("the other node changed: %+v", stateOf(got))
	}
}

// replanner is a ReplanFunc that plans the given changes again for the node it gets,
// and remembers the nodes it was called with.
type replanner struct {
	mu      sync.Mutex
	changes []plan.Change
	calls   []*corev1.Node
}

func (r *replanner) replan(_ context.Context, n *corev1.Node) (*plan.NodePlan, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, n)
	return &plan.NodePlan{Node: n.Name, ResourceVersion: n.ResourceVersion, Changes: r.changes}, nil
}

// touchBeforePatch changes node behind the client's back before each of its first
// times PATCH requests to the node (times < 0: every time).
func touchBeforePatch(t *testing.T, f *fixture, node string, times int32) {
	var done atomic.Int32
	f.rec.setBefore(func(req *http.Request) {
		if req.Method != http.MethodPatch || !strings.HasSuffix(req.URL.Path, "/nodes/"+node) {
			return
		}
		if k := done.Add(1); times < 0 || k <= times {
			f.touchNode(t, node, "someone-else", "x"+string(rune('0'+k%10)))
		}
	})
	t.Cleanup(func() { f.rec.setBefore(nil) })
}

// conflictCase is a node changed behind the client's back, and what Apply must do.
type conflictCase struct {
	name     string
	before   func(t *testing.T, node string) // between plan and apply
	replans  int
	patches  int
	failed   string // substring of the node's error ("" = none)
	keptMark bool   // the other writer's label is on the node in the end
}

// conflictCases change the node between plan and apply, or while it is patched.
func conflictCases(f *fixture) []conflictCase {
	return []conflictCase{
		{name: "changed between plan and apply", replans: 1, patches: 1, keptMark: true,
			before: func(t *testing.T, node string) { f.touchNode(t, node, "someone-else", "x") }},
		{name: "409 on the patch", replans: 1, patches: 2, keptMark: true,
			before: func(t *testing.T, node string) { touchBeforePatch(t, f, node, 1) }},
		{name: "keeps changing: gives up", replans: MaxConflictRetries, patches: MaxConflictRetries + 1, failed: "giving up",
			before: func(t *testing.T, node string) { touchBeforePatch(t, f, node, -1) }},
	}
}

func TestApplyConflicts(t *testing.T) {
	f := newFixture(t)
	ctx := testContext(t)
	for i, tt := range conflictCases(f) {
		t.Run(tt.name, func(t *testing.T) {
			name, steady := "conflict-"+string(rune('a'+i)), "conflict-steady-"+string(rune('a'+i))
			n := f.createNode(t, name)
			s := f.createNode(t, steady)
			p := &plan.Plan{
				Inputs: plan.Inputs{NodeVersions: map[string]string{name: n.ResourceVersion, steady: s.ResourceVersion}},
				Nodes: []plan.NodePlan{
					{Node: name, ResourceVersion: n.ResourceVersion, Changes: firing()},
					{Node: steady, ResourceVersion: s.ResourceVersion, Changes: firing()},
				},
			}
			tt.before(t, name)
			r := &replanner{changes: firing()}
			f.rec.reset()
			var progress []string
			res, err := f.c.Apply(ctx, p, r.replan, ApplyOptions{Progress: func(node string, err error) {
				progress = append(progress, node)
			}})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.calls) != tt.replans {
				t.Errorf("replan called %d times, want %d", len(r.calls), tt.replans)
			}
			if got := len(f.rec.matching("PATCH", "/nodes/"+name)); got != tt.patches {
				t.Errorf("%d PATCH requests to %s, want %d", got, name, tt.patches)
			}
			switch err := res.Failed[name]; {
			case tt.failed == "" && err != nil:
				t.Errorf("node failed: %v", err)
			case tt.failed != "" && (err == nil || !strings.Contains(err.Error(), tt.failed)):
				t.Errorf("node error = %v, want one containing %q", err, tt.failed)
			}
			if res.Failed[steady] != nil || f.getNode(t, steady).Labels["nodeguardian.io/status"] != "hot" {
				t.Errorf("the steady node was not applied: %v", res.Failed[steady])
			}
			slices.Sort(progress)
			if !slices.Equal(progress, []string{name, steady}) {
				t.Errorf("progress reported %q", progress)
			}
			got := f.getNode(t, name)
			if tt.keptMark && (got.Labels["someone-else"] == "" || got.Labels["nodeguardian.io/status"] != "hot" || !got.Spec.Unschedulable) {
				t.Errorf("labels %v unschedulable %v: want both writers' changes", got.Labels, got.Spec.Unschedulable)
			}
			if tt.failed == "" && !slices.Equal(res.Replanned, []string{name}) {
				t.Errorf("Replanned = %q", res.Replanned)
			}
		})
	}
}

// TestApplyNodeFailures: a node that is gone, or that the plan has no resourceVersion
// for, fails alone; the other nodes are applied.
func TestApplyNodeFailures(t *testing.T) {
	f := newFixture(t)
	ctx := testContext(t)
	n := f.createNode(t, "fail-b")
	unversioned := f.createNode(t, "fail-c")
	p := &plan.Plan{Nodes: []plan.NodePlan{
		{Node: "fail-a", ResourceVersion: "1", Changes: firing()},
		{Node: "fail-b", ResourceVersion: n.ResourceVersion, Changes: firing()},
		{Node: "fail-c", Changes: firing()},
	}}
	res, err := f.c.Apply(ctx, p, nil, ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Failed["fail-a"]; !apierrors.IsNotFound(err) || !strings.Contains(err.Error(), "fail-a") {
		t.Errorf("fail-a: err = %v, want a NotFound naming the node", err)
	}
	if err := res.Failed["fail-c"]; err == nil || !strings.Contains(err.Error(), "not made against a live cluster") {
		t.Errorf("fail-c: err = %v, want a missing resourceVersion", err)
	}
	if got := f.getNode(t, "fail-c"); got.ResourceVersion != unversioned.ResourceVersion {
		t.Error("fail-c was changed without a resourceVersion to guard it")
	}
	if res.NodesChanged != 1 || res.Failed["fail-b"] != nil {
		t.Errorf("NodesChanged %d, fail-b: %v", res.NodesChanged, res.Failed["fail-b"])
	}
	if len(res.Alerts) != 1 || res.Alerts[0].Node != "fail-b" {
		t.Errorf("alerts = %+v, want fail-b's only", res.Alerts)
	}
}

// TestApplyReplanFindsNothing: when the node was changed as planned by someone else,
// the new plan for it is empty and nothing is written.
func TestApplyReplanFindsNothing(t *testing.T) {
	f := newFixture(t)
	ctx := testContext(t)
	n := f.createNode(t, "nothing-a")
	p := &plan.Plan{Nodes: []plan.NodePlan{{Node: "nothing-a", ResourceVersion: n.ResourceVersion, Changes: firing()}}}
	f.touchNode(t, "nothing-a", "nodeguardian.io/status", "hot")
	r := &replanner{}
	f.rec.reset()
	res, err := f.c.Apply(ctx, p, r.replan, ApplyOptions{})
	if err != nil || len(res.Failed) > 0 {
		t.Fatalf("apply: %v %v", err, res.Failed)
	}
	if len(r.calls) != 1 || res.NodesChanged != 0 || len(f.rec.matching("PATCH", "")) != 0 || len(res.Alerts) != 0 {
		t.Errorf("replans %d, NodesChanged %d, PATCHes %d, alerts %d; want 1, 0, 0, 0",
			len(r.calls), res.NodesChanged, len(f.rec.matching("PATCH", "")), len(res.Alerts))
	}
}
