package apply

import (
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nodeguardian/nodeguardian/internal/fleet"
	"github.com/nodeguardian/nodeguardian/internal/ledger"
	"github.com/nodeguardian/nodeguardian/internal/plan"
)

var now = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func node(name string, mutate ...func(*corev1.Node)) corev1.Node {
	n := corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	for _, m := range mutate {
		m(&n)
	}
	return n
}

func pod(ns, name, on string) corev1.Pod {
	return corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: corev1.PodSpec{NodeName: on}}
}

func snapshot() *fleet.Snapshot {
	return &fleet.Snapshot{
		APIVersion: fleet.APIVersion, Kind: fleet.Kind,
		Time: metav1.NewTime(now), Interval: metav1.Duration{Duration: time.Minute},
		Nodes: []corev1.Node{
			node("node-a", func(n *corev1.Node) {
				n.Labels = map[string]string{"pool": "web", "old": "x"}
				n.Spec.Taints = []corev1.Taint{{Key: "dedicated", Value: "web", Effect: corev1.TaintEffectNoSchedule}}
			}),
			node("node-b"),
		},
		Pods: []corev1.Pod{pod("shop", "web-1", "node-a"), pod("shop", "web-2", "node-a"), pod("", "db-1", "node-a"), pod("shop", "api-1", "node-b")},
	}
}

const ledgerValue = `{"version":1,"rules":{"hot":{"state":"Firing","since":"2025-03-01T12:00:00Z","taints":[{"key":"hot","value":"yes","effect":"NoSchedule"}],"cordon":true}}}`

// fullPlan touches every kind of change.
func fullPlan() *plan.Plan {
	return &plan.Plan{
		ID: "p1",
		Nodes: []plan.NodePlan{
			{Node: "node-a", Changes: []plan.Change{
				{Op: plan.OpAdd, Kind: plan.KindTaint, Key: "hot", Value: "yes", Effect: "NoSchedule", Rule: "hot"},
				{Op: plan.OpChange, Kind: plan.KindTaint, Key: "dedicated", Value: "batch", Old: "web", Effect: "NoSchedule", Rule: "hot"},
				{Op: plan.OpAdd, Kind: plan.KindTaint, Key: "evict-me", Effect: "NoExecute", Rule: "hot"},
				{Op: plan.OpAdd, Kind: plan.KindLabel, Key: "health", Value: "hot", Rule: "hot"},
				{Op: plan.OpRemove, Kind: plan.KindLabel, Key: "old", Old: "x", Rule: "hot"},
				{Op: plan.OpAdd, Kind: plan.KindAnnotation, Key: "note", Value: "too hot", Rule: "hot"},
				{Op: plan.OpAdd, Kind: plan.KindCordon, Rule: "hot"},
				{Op: plan.OpAdd, Kind: plan.KindLedger, Key: ledger.Annotation, Value: ledgerValue},
				{Op: plan.OpChange, Kind: plan.KindState, Rule: "hot", From: "Healthy", To: "Firing"},
				{Op: plan.OpAdd, Kind: plan.KindEvict, Rule: "hot", Pods: []plan.PodEviction{
					{Namespace: "shop", Name: "web-1"},
					{Namespace: "shop", Name: "web-2", BlockedBy: "web"},
					{Namespace: "default", Name: "db-1"},
				}},
				{Op: plan.OpAdd, Kind: plan.KindAlert, Rule: "hot", Alert: &plan.Alert{Event: "firing", Channels: []string{"slack"}, Subject: "node-a is hot"}},
				{Op: plan.OpAdd, Kind: plan.KindLabel, Key: "dry", Value: "run", Rule: "shadow", DryRun: true},
			}},
		},
		Deferred: []plan.Deferred{{Rule: "hot", Node: "node-b", Reason: "maxUnhealthy reached"}},
	}
}

func TestToSnapshot(t *testing.T) {
	s := snapshot()
	r, err := ToSnapshot(fullPlan(), s)
	if err != nil {
		t.Fatal(err)
	}
	a := s.Nodes[0]
	added := metav1.NewTime(now)
	wantTaints := []corev1.Taint{
		{Key: "dedicated", Value: "batch", Effect: corev1.TaintEffectNoSchedule},
		{Key: "hot", Value: "yes", Effect: corev1.TaintEffectNoSchedule},
		{Key: "evict-me", Effect: corev1.TaintEffectNoExecute, TimeAdded: &added},
	}
	if !reflect.DeepEqual(a.Spec.Taints, wantTaints) {
		t.Errorf("taints = %+v\nwant %+v", a.Spec.Taints, wantTaints)
	}
	if want := map[string]string{"pool": "web", "health": "hot"}; !reflect.DeepEqual(a.Labels, want) {
		t.Errorf("labels = %v, want %v", a.Labels, want)
	}
	if want := map[string]string{"note": "too hot", ledger.Annotation: ledgerValue}; !reflect.DeepEqual(a.Annotations, want) {
		t.Errorf("annotations = %v, want %v", a.Annotations, want)
	}
	if !a.Spec.Unschedulable {
		t.Error("node-a is not cordoned")
	}
	if got := podNames(s.Pods); !reflect.DeepEqual(got, []string{"shop/web-2", "shop/api-1"}) {
		t.Errorf("pods = %v", got)
	}
	if !reflect.DeepEqual(s.Nodes[1], node("node-b")) {
		t.Errorf("node-b changed: %+v", s.Nodes[1])
	}
	wantAlerts := []SentAlert{{Node: "node-a", Rule: "hot", Alert: plan.Alert{Event: "firing", Channels: []string{"slack"}, Subject: "node-a is hot"}}}
	if r.NodesChanged != 1 || r.PodsEvicted != 2 || r.Deferred != 1 || !reflect.DeepEqual(r.Alerts, wantAlerts) {
		t.Errorf("result = %+v", r)
	}
	if len(r.Skipped) != 1 || !strings.Contains(r.Skipped[0], "node-a: evict (rule hot): shop/web-2 blocked by PodDisruptionBudget web") {
		t.Errorf("skipped = %q", r.Skipped)
	}
	if _, err := ledger.Read(&a); err != nil {
		t.Errorf("ledger annotation does not decode: %v", err)
	}
}

func podNames(pods []corev1.Pod) []string {
	var out []string
	for _, p := range pods {
		out = append(out, p.Namespace+"/"+p.Name)
	}
	return out
}

func TestToSnapshotIsIdempotent(t *testing.T) {
	s := snapshot()
	if _, err := ToSnapshot(fullPlan(), s); err != nil {
		t.Fatal(err)
	}
	once := s.DeepCopy()
	r, err := ToSnapshot(fullPlan(), s)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(once, s) {
		t.Errorf("second apply changed the snapshot:\n%+v\n%+v", once, s)
	}
	if once.Hash() != s.Hash() {
		t.Error("hash changed")
	}
	if r.NodesChanged != 0 || r.PodsEvicted != 0 {
		t.Errorf("second apply result = %+v", r)
	}
}

func TestToSnapshotUnknownNode(t *testing.T) {
	s := snapshot()
	before := s.DeepCopy()
	p := fullPlan()
	p.Nodes = append(p.Nodes,
		plan.NodePlan{Node: "node-z", Changes: []plan.Change{{Op: plan.OpAdd, Kind: plan.KindCordon}}},
		plan.NodePlan{Node: "node-y", Changes: []plan.Change{{Op: plan.OpAdd, Kind: plan.KindCordon, DryRun: true}}},
	)
	_, err := ToSnapshot(p, s)
	if err == nil || !strings.Contains(err.Error(), `"node-y", "node-z"`) {
		t.Fatalf("error = %v, want it to name node-y and node-z", err)
	}
	if !reflect.DeepEqual(before, s) {
		t.Error("a failed apply changed the snapshot")
	}
	if _, err := ToSnapshot(nil, s); err == nil {
		t.Error("nil plan: no error")
	}
}
