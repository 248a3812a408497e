package apply

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nodeguardian/nodeguardian/internal/fleet"
	"github.com/nodeguardian/nodeguardian/internal/ledger"
	"github.com/nodeguardian/nodeguardian/internal/plan"
)

type changeCase struct {
	name    string
	before  corev1.Node
	change  plan.Change
	after   corev1.Node
	skipped string // a substring of the one skip reason ("" = nothing skipped)
	changed int    // Result.NodesChanged
}

func taint(key, value string, effect corev1.TaintEffect) corev1.Taint {
	return corev1.Taint{Key: key, Value: value, Effect: effect}
}

func withTaints(ts ...corev1.Taint) func(*corev1.Node) {
	return func(n *corev1.Node) { n.Spec.Taints = ts }
}

func withLabels(kv ...string) func(*corev1.Node) {
	return func(n *corev1.Node) { n.Labels = pairs(kv) }
}

func withAnnotations(kv ...string) func(*corev1.Node) {
	return func(n *corev1.Node) { n.Annotations = pairs(kv) }
}

func cordoned(n *corev1.Node) { n.Spec.Unschedulable = true }

// taintCases are changes to taints.
func taintCases() []changeCase {
	return []changeCase{
		{"add taint", node("n"), plan.Change{Op: plan.OpAdd, Kind: plan.KindTaint, Key: "k", Value: "v", Effect: "NoSchedule"},
			node("n", withTaints(taint("k", "v", "NoSchedule"))), "", 1},
		{"add present taint", node("n", withTaints(taint("k", "v", "NoSchedule"))), plan.Change{Op: plan.OpAdd, Kind: plan.KindTaint, Key: "k", Value: "v", Effect: "NoSchedule"},
			node("n", withTaints(taint("k", "v", "NoSchedule"))), "", 0},
		{"change taint value", node("n", withTaints(taint("k", "v", "NoSchedule"))), plan.Change{Op: plan.OpChange, Kind: plan.KindTaint, Key: "k", Value: "w", Effect: "NoSchedule"},
			node("n", withTaints(taint("k", "w", "NoSchedule"))), "", 1},
		{"remove taint by key and effect", node("n", withTaints(taint("k", "v", "NoSchedule"), taint("k", "v", "PreferNoSchedule"))), plan.Change{Op: plan.OpRemove, Kind: plan.KindTaint, Key: "k", Effect: "NoSchedule"},
			node("n", withTaints(taint("k", "v", "PreferNoSchedule"))), "", 1},
		{"remove taint by key", node("n", withTaints(taint("k", "v", "NoSchedule"), taint("j", "", "NoSchedule"), taint("k", "v", "PreferNoSchedule"))), plan.Change{Op: plan.OpRemove, Kind: plan.KindTaint, Key: "k"},
			node("n", withTaints(taint("j", "", "NoSchedule"))), "", 1},
		{"remove absent taint", node("n"), plan.Change{Op: plan.OpRemove, Kind: plan.KindTaint, Key: "k", Effect: "NoSchedule"}, node("n"), "", 0},
		{"taint without effect", node("n"), plan.Change{Op: plan.OpAdd, Kind: plan.KindTaint, Key: "k"}, node("n"), `n: add taint k: taint effect "" is not NoSchedule`, 0},
		{"taint without key", node("n"), plan.Change{Op: plan.OpAdd, Kind: plan.KindTaint, Effect: "NoSchedule"}, node("n"), "n: add taint: no taint key", 0},
		{"taint unknown op", node("n"), plan.Change{Op: "replace", Kind: plan.KindTaint, Key: "k", Effect: "NoSchedule"}, node("n"), `unknown op "replace"`, 0},
	}
}

// mapCases are changes to labels, annotations and the ledger.
func mapCases() []changeCase {
	return []changeCase{
		{"add label", node("n"), plan.Change{Op: plan.OpAdd, Kind: plan.KindLabel, Key: "k", Value: "v"}, node("n", withLabels("k", "v")), "", 1},
		{"add empty label", node("n"), plan.Change{Op: plan.OpAdd, Kind: plan.KindLabel, Key: "k"}, node("n", withLabels("k", "")), "", 1},
		{"change label", node("n", withLabels("k", "v")), plan.Change{Op: plan.OpChange, Kind: plan.KindLabel, Key: "k", Value: "w"}, node("n", withLabels("k", "w")), "", 1},
		{"remove label", node("n", withLabels("k", "v", "j", "x")), plan.Change{Op: plan.OpRemove, Kind: plan.KindLabel, Key: "k"}, node("n", withLabels("j", "x")), "", 1},
		{"remove absent label", node("n"), plan.Change{Op: plan.OpRemove, Kind: plan.KindLabel, Key: "k"}, node("n"), "", 0},
		{"label without key", node("n"), plan.Change{Op: plan.OpAdd, Kind: plan.KindLabel, Value: "v"}, node("n"), "n: add label: no key", 0},
		{"add annotation", node("n"), plan.Change{Op: plan.OpAdd, Kind: plan.KindAnnotation, Key: "a", Value: "b"}, node("n", withAnnotations("a", "b")), "", 1},
		{"remove annotation", node("n", withAnnotations("a", "b")), plan.Change{Op: plan.OpRemove, Kind: plan.KindAnnotation, Key: "a"}, node("n", withAnnotations()), "", 1},
		{"annotation unknown op", node("n"), plan.Change{Op: "upsert", Kind: plan.KindAnnotation, Key: "a"}, node("n"), `unknown op "upsert"`, 0},
		{"write ledger", node("n"), plan.Change{Op: plan.OpAdd, Kind: plan.KindLedger, Key: ledger.Annotation, Value: "{}"}, node("n", withAnnotations(ledger.Annotation, "{}")), "", 1},
		{"change ledger without key", node("n", withAnnotations(ledger.Annotation, "{}")), plan.Change{Op: plan.OpChange, Kind: plan.KindLedger, Value: "[]"}, node("n", withAnnotations(ledger.Annotation, "[]")), "", 1},
		{"remove ledger", node("n", withAnnotations(ledger.Annotation, "{}", "x", "y")), plan.Change{Op: plan.OpRemove, Kind: plan.KindLedger, Key: ledger.Annotation}, node("n", withAnnotations("x", "y")), "", 1},
		{"ledger with another key", node("n"), plan.Change{Op: plan.OpAdd, Kind: plan.KindLedger, Key: "other", Value: "{}"}, node("n"), "the ledger is annotation nodeguardian.k8s.io/ledger, not other", 0},
	}
}

// otherCases are cordons, state changes, dry runs and bad changes.
func otherCases() []changeCase {
	return []changeCase{
		{"same key other effect", node("n", withTaints(taint("k", "v", "NoSchedule"))), plan.Change{Op: plan.OpAdd, Kind: plan.KindTaint, Key: "k", Value: "v", Effect: "PreferNoSchedule"},
			node("n", withTaints(taint("k", "v", "NoSchedule"), taint("k", "v", "PreferNoSchedule"))), "", 1},
		{"cordon", node("n"), plan.Change{Op: plan.OpAdd, Kind: plan.KindCordon}, node("n", cordoned), "", 1},
		{"cordon cordoned", node("n", cordoned), plan.Change{Op: plan.OpAdd, Kind: plan.KindCordon}, node("n", cordoned), "", 0},
		{"uncordon", node("n", cordoned), plan.Change{Op: plan.OpRemove, Kind: plan.KindCordon}, node("n"), "", 1},
		{"cordon unknown op", node("n"), plan.Change{Op: "toggle", Kind: plan.KindCordon}, node("n"), `n: toggle cordon`, 0},
		{"state", node("n"), plan.Change{Op: plan.OpChange, Kind: plan.KindState, Rule: "r", From: "Healthy", To: "Firing"}, node("n"), "", 0},
		{"dry run", node("n"), plan.Change{Op: plan.OpAdd, Kind: plan.KindCordon, DryRun: true}, node("n"), "", 0},
		{"dry run of an unknown kind", node("n"), plan.Change{Op: plan.OpAdd, Kind: "reboot", DryRun: true}, node("n"), "", 0},
		{"unknown kind", node("n"), plan.Change{Op: plan.OpAdd, Kind: "reboot", Rule: "r"}, node("n"), `n: add reboot (rule r): unknown kind "reboot"`, 0},
		{"alert without alert", node("n"), plan.Change{Op: plan.OpAdd, Kind: plan.KindAlert, Rule: "r"}, node("n"), "n: alert (rule r): no alert to send", 0},
		{"reserved taint is never removed", node("n", withTaints(taint("node.kubernetes.io/unreachable", "", "NoExecute"))), plan.Change{Op: plan.OpRemove, Kind: plan.KindTaint, Key: "node.kubernetes.io/unreachable", Effect: "NoExecute"},
			node("n", withTaints(taint("node.kubernetes.io/unreachable", "", "NoExecute"))), "node.kubernetes.io/unreachable is a reserved key", 0},
		{"reserved label is never set", node("n", withLabels("kubernetes.io/hostname", "n")), plan.Change{Op: plan.OpChange, Kind: plan.KindLabel, Key: "kubernetes.io/hostname", Value: "evil"},
			node("n", withLabels("kubernetes.io/hostname", "n")), "reserved key", 0},
		{"control annotation is never set", node("n"), plan.Change{Op: plan.OpAdd, Kind: plan.KindAnnotation, Key: "nodeguardian.k8s.io/exclude", Value: "true"},
			node("n"), "reserved key", 0},
		{"out-of-service may be set", node("n"), plan.Change{Op: plan.OpAdd, Kind: plan.KindTaint, Key: "node.kubernetes.io/out-of-service", Value: "nodeshutdown", Effect: "NoExecute"},
			node("n", withTaints(corev1.Taint{Key: "node.kubernetes.io/out-of-service", Value: "nodeshutdown", Effect: "NoExecute", TimeAdded: &metav1.Time{Time: now}})), "", 1},
		{"out-of-service label is never set", node("n"), plan.Change{Op: plan.OpAdd, Kind: plan.KindLabel, Key: "node.kubernetes.io/out-of-service", Value: "nodeshutdown"},
			node("n"), "node.kubernetes.io/out-of-service is a reserved key", 0},
		{"out-of-service annotation is never removed", node("n", withAnnotations("node.kubernetes.io/out-of-service", "x")), plan.Change{Op: plan.OpRemove, Kind: plan.KindAnnotation, Key: "node.kubernetes.io/out-of-service"},
			node("n", withAnnotations("node.kubernetes.io/out-of-service", "x")), "reserved key", 0},
		{"evict nothing", node("n"), plan.Change{Op: plan.OpAdd, Kind: plan.KindEvict}, node("n"), "n: evict: no pods to evict", 0},
	}
}

func TestChanges(t *testing.T) {
	for _, tt := range slices.Concat(taintCases(), mapCases(), otherCases()) {
		t.Run(tt.name, func(t *testing.T) {
			s := &fleet.Snapshot{Time: metav1.NewTime(now), Nodes: []corev1.Node{tt.before}}
			p := &plan.Plan{Nodes: []plan.NodePlan{{Node: "n", Changes: []plan.Change{tt.change}}}}
			r, err := ToSnapshot(p, s)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(s.Nodes[0], tt.after) {
				t.Errorf("node = %+v\nwant %+v", s.Nodes[0], tt.after)
			}
			if r.NodesChanged != tt.changed {
				t.Errorf("NodesChanged = %d, want %d", r.NodesChanged, tt.changed)
			}
			switch {
			case tt.skipped == "" && len(r.Skipped) > 0:
				t.Errorf("skipped %q", r.Skipped)
			case tt.skipped != "" && (len(r.Skipped) != 1 || !strings.Contains(r.Skipped[0], tt.skipped)):
				t.Errorf("skipped = %q, want one containing %q", r.Skipped, tt.skipped)
			}
		})
	}
}

func pairs(kv []string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestEvict(t *testing.T) {
	tests := []struct {
		name    string
		pods    []plan.PodEviction
		left    []string
		evicted int
		skipped string
	}{
		{"one", []plan.PodEviction{{Namespace: "shop", Name: "web-1"}}, []string{"shop/web-2", "/db-1", "shop/api-1"}, 1, ""},
		{"default namespace", []plan.PodEviction{{Namespace: "default", Name: "db-1"}}, []string{"shop/web-1", "shop/web-2", "shop/api-1"}, 1, ""},
		{"empty namespace", []plan.PodEviction{{Name: "db-1"}}, []string{"shop/web-1", "shop/web-2", "shop/api-1"}, 1, ""},
		{"gone already", []plan.PodEviction{{Namespace: "shop", Name: "web-9"}}, []string{"shop/web-1", "shop/web-2", "/db-1", "shop/api-1"}, 0, ""},
		{"blocked", []plan.PodEviction{{Namespace: "shop", Name: "web-1", BlockedBy: "web-pdb"}, {Namespace: "shop", Name: "web-2", BlockedBy: "web-pdb"}},
			[]string{"shop/web-1", "shop/web-2", "/db-1", "shop/api-1"}, 0, "shop/web-1 blocked by PodDisruptionBudget web-pdb; shop/web-2 blocked by"},
		{"on another node", []plan.PodEviction{{Namespace: "shop", Name: "api-1"}}, []string{"shop/web-1", "shop/web-2", "/db-1", "shop/api-1"}, 0, "shop/api-1 runs on node node-b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := snapshot()
			p := &plan.Plan{Nodes: []plan.NodePlan{{Node: "node-a", Changes: []plan.Change{{Op: plan.OpAdd, Kind: plan.KindEvict, Pods: tt.pods}}}}}
			r, err := ToSnapshot(p, s)
			if err != nil {
				t.Fatal(err)
			}
			if got := podNames(s.Pods); !reflect.DeepEqual(got, tt.left) {
				t.Errorf("pods left = %v, want %v", got, tt.left)
			}
			if r.PodsEvicted != tt.evicted || r.NodesChanged != 0 {
				t.Errorf("result = %+v", r)
			}
			if tt.skipped != "" && (len(r.Skipped) != 1 || !strings.Contains(r.Skipped[0], tt.skipped)) {
				t.Errorf("skipped = %q, want %q", r.Skipped, tt.skipped)
			}
			if tt.skipped == "" && len(r.Skipped) != 0 {
				t.Errorf("skipped = %q", r.Skipped)
			}
		})
	}
}
