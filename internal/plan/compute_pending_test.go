package plan

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/ledger"
)

// Semantics: an eviction is not one-shot. The pods it did not evict stay in the rule's
// ledger entry and are tried again by every plan while the rule fires, shown as deferred
// while a PodDisruptionBudget blocks them, until they are gone from the node.
func TestComputePendingEvictions(t *testing.T) {
	ev := fxRule(t, "ev", `
conditions: [{metric: cpuLoadRatio, operator: GreaterThan, value: 1.5, duration: 0s}]
actions: [{type: evict, evict: {maxPods: 5, excludeNamespaces: []}}]
maxUnhealthy: 100%
`)
	firing := func(pending ...ledger.PendingEviction) corev1.Node {
		e := fxFiring(fxAgo(time.Hour))
		e.Evictions = pending
		return fxNode("n1", fxLedger(map[string]*ledger.Entry{"ev": e}))
	}
	web := ledger.PendingEviction{Namespace: "default", Name: "web", Attempts: 1, BlockedBy: "default/pdb"}
	pods := []corev1.Pod{fxPod("default", "web", "n1")}
	pdb := func(allowed int32) []policyv1.PodDisruptionBudget {
		return []policyv1.PodDisruptionBudget{fxPDB("default", "pdb", "web", allowed)}
	}
	pendingOf := func(t *testing.T, p *Plan) []ledger.PendingEviction {
		for _, n := range p.Nodes {
			for _, c := range n.Changes {
				if c.Kind == KindLedger {
					return fxLedgerOf(t, p, "n1").Rules["ev"].Evictions
				}
			}
		}
		return nil
	}
	tests := []struct {
		name     string
		c        fxCase
		pending  []string // the entry's pending pods after the plan, when the ledger changes
		deferred string
	}{
		{name: "the PDB allows it now: evicted again", c: fxCase{nodes: []corev1.Node{firing(web)}, series: fxCPU("2"), pods: pods, pdbs: pdb(1),
			changes: []string{"n1 +evict (ev) default/web"}},
		},
		{name: "still blocked: deferred, no change", c: fxCase{nodes: []corev1.Node{firing(web)}, series: fxCPU("2"), pods: pods, pdbs: pdb(0),
			changes: []string{}},
			deferred: "n1 ev: eviction of default/web pending: blocked by PodDisruptionBudget default/pdb (1 attempt so far)"},
		{name: "the pod is gone: forgotten", c: fxCase{nodes: []corev1.Node{firing(web)}, series: fxCPU("2"), pdbs: pdb(0),
			changes: []string{"n1 ~ledger"}}, pending: []string{}},
		{name: "the rule recovers: nothing more is evicted", c: fxCase{nodes: []corev1.Node{firing(web)}, series: fxCPU("1"), pods: pods, pdbs: pdb(1),
			changes: []string{"n1 ~state ev Firing→Healthy", "n1 ~ledger"}}, pending: []string{}},
		{name: "a blocked pod of a new eviction is pending", c: fxCase{nodes: []corev1.Node{fxNode("n1")}, series: fxCPU("2"), pods: pods, pdbs: pdb(0),
			changes: []string{"n1 ~state ev Healthy→Firing", "n1 +ledger", "n1 +evict (ev) default/web[blocked default/pdb]"}},
			pending: []string{"default/web 0 default/pdb"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.rules = []*v1.NodeGuardianRule{ev}
			tt.c.check = func(t *testing.T, p *Plan) {
				if tt.pending != nil {
					var got []string
					for _, pe := range pendingOf(t, p) {
						got = append(got, pe.Namespace+"/"+pe.Name+" "+string(rune('0'+pe.Attempts))+" "+pe.BlockedBy)
					}
					if strings.Join(got, ",") != strings.Join(tt.pending, ",") {
						t.Errorf("pending %q, want %q", got, tt.pending)
					}
				}
				if tt.deferred != "" && !strings.Contains(strings.Join(fxDeferred(p), "\n"), tt.deferred) {
					t.Errorf("deferred %q, want %q", fxDeferred(p), tt.deferred)
				}
				for _, n := range p.Nodes {
					for _, c := range n.Changes {
						if c.Kind == KindEvict && strings.HasPrefix(tt.name, "the PDB allows") && c.Reason != "retry: 1 pod not evicted yet (attempt 2)" {
							t.Errorf("reason %q", c.Reason)
						}
					}
				}
			}
			fxRun(t, tt.c)
		})
	}
}

func TestRecordEvictions(t *testing.T) {
	l := &ledger.Ledger{Version: ledger.Version, Rules: map[string]*ledger.Entry{"ev": {State: ledger.Firing, Since: fxNow,
		Evictions: []ledger.PendingEviction{{Namespace: "a", Name: "gone"}, {Namespace: "a", Name: "stays", Attempts: 2}, {Namespace: "a", Name: "other"}}}}}
	np := NodePlan{Node: "n1", Changes: []Change{{Kind: KindEvict, Rule: "ev", Pods: []PodEviction{
		{Namespace: "a", Name: "gone"}, {Namespace: "a", Name: "stays", BlockedBy: "a/pdb"}}}}}
	if !RecordEvictions(l, np, func(_, name string) bool { return name == "gone" }) {
		t.Fatal("nothing recorded")
	}
	got := l.Rules["ev"].Evictions
	want := []ledger.PendingEviction{{Namespace: "a", Name: "stays", Attempts: 3, BlockedBy: "a/pdb"}, {Namespace: "a", Name: "other"}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("pending %+v, want %+v", got, want)
	}
}
