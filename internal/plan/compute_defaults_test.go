package plan

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
)

// Semantics: the prototype's defaults. An evict action that does not list the namespaces
// it spares spares kube-system and kube-public (also "type: evict" without an evict
// object); an explicit [] spares none. A condition without a duration must hold for 5m.
func TestComputePrototypeDefaults(t *testing.T) {
	evict := func(name, action string) *v1.NodeGuardianRule {
		return fxRule(t, name, `
conditions: [{metric: cpuLoadRatio, operator: GreaterThan, value: 1.5, duration: 0s}]
actions: [`+action+`]
maxUnhealthy: 100%
`)
	}
	pods := []corev1.Pod{fxPod("kube-system", "dns", "n1"), fxPod("kube-public", "info", "n1"), fxPod("default", "web", "n1")}
	tests := []fxCase{
		{name: "evict without excludeNamespaces spares kube-system and kube-public",
			rules:   []*v1.NodeGuardianRule{evict("ev", "{type: evict, evict: {maxPods: 5}}")},
			changes: []string{"n1 ~state ev Healthy→Firing", "n1 +ledger", "n1 +evict (ev) default/web"}},
		{name: "type evict without an evict object too",
			rules:   []*v1.NodeGuardianRule{evict("ev", "{type: evict}")},
			changes: []string{"n1 ~state ev Healthy→Firing", "n1 +ledger", "n1 +evict (ev) default/web"}},
		{name: "excludeNamespaces: [] spares none",
			rules:   []*v1.NodeGuardianRule{evict("ev", "{type: evict, evict: {maxPods: 5, excludeNamespaces: []}}")},
			changes: []string{"n1 ~state ev Healthy→Firing", "n1 +ledger", "n1 +evict (ev) default/web,kube-public/info,kube-system/dns"}},
		{name: "evict's gracePeriodSeconds is carried by its change",
			rules:   []*v1.NodeGuardianRule{evict("ev", "{type: evict, evict: {gracePeriodSeconds: 7}}")},
			changes: []string{"n1 ~state ev Healthy→Firing", "n1 +ledger", "n1 +evict (ev) default/web"},
			check:   evictHow(7, 0)},
		{name: "drain's gracePeriodSeconds and timeout are carried by its change",
			rules:   []*v1.NodeGuardianRule{evict("dr", "{type: drain, drain: {gracePeriodSeconds: 0, timeout: 90s}}")},
			changes: []string{"n1 ~state dr Healthy→Firing", "n1 +cordon (dr)", "n1 +ledger", "n1 +evict (dr) default/web,kube-public/info,kube-system/dns"},
			check:   evictHow(0, 90)},
		{name: "without them, each pod's own grace period and the apply's timeout",
			rules:   []*v1.NodeGuardianRule{evict("ev", "{type: evict}")},
			changes: []string{"n1 ~state ev Healthy→Firing", "n1 +ledger", "n1 +evict (ev) default/web"},
			check:   evictHow(-1, 0)},
		{name: "a condition without duration is pending for 5m",
			rules: []*v1.NodeGuardianRule{fxRule(t, "hl", `
conditions: [{metric: cpuLoadRatio, operator: GreaterThan, value: 1.5}]
actions: [{type: taint, taint: {}}]
maxUnhealthy: 100%
`)},
			series:  fxCPU("1 2 2 2 2 2 2 2 2"),
			changes: []string{},
			check: func(t *testing.T, p *Plan) {
				if s := fxStatus(p, "hl"); len(s.Pending) != 1 {
					t.Errorf("pending = %v, want [n1]", s.Pending)
				}
			}},
		{name: "held for 5m it fires, with the default taint",
			rules: []*v1.NodeGuardianRule{fxRule(t, "hl", `
conditions: [{metric: cpuLoadRatio, operator: GreaterThan, value: 1.5}]
actions: [{type: taint, taint: {}}]
maxUnhealthy: 100%
`)},
			series:  fxCPU("1 2x10"),
			changes: []string{"n1 ~state hl Healthy→Firing", "n1 +taint nodeguardian/rule-triggered=true:NoSchedule (hl)", "n1 +ledger"}},
	}
	for _, tt := range tests {
		if tt.nodes == nil {
			tt.nodes = []corev1.Node{fxNode("n1")}
		}
		if tt.series == nil {
			tt.series = fxCPU("2")
		}
		tt.pods = pods
		t.Run(tt.name, func(t *testing.T) { fxRun(t, tt) })
	}
}

// evictHow checks the plan's one eviction change: its grace period (-1: none set) and
// timeout in seconds.
func evictHow(grace, timeout int64) func(*testing.T, *Plan) {
	return func(t *testing.T, p *Plan) {
		t.Helper()
		for _, np := range p.Nodes {
			for _, c := range np.Changes {
				if c.Kind != KindEvict {
					continue
				}
				switch {
				case grace < 0 && c.GracePeriodSeconds != nil:
					t.Errorf("grace period %d, want none", *c.GracePeriodSeconds)
				case grace >= 0 && (c.GracePeriodSeconds == nil || *c.GracePeriodSeconds != grace):
					t.Errorf("grace period %v, want %d", c.GracePeriodSeconds, grace)
				}
				if c.TimeoutSeconds != timeout {
					t.Errorf("timeout %ds, want %ds", c.TimeoutSeconds, timeout)
				}
				return
			}
		}
		t.Error("no eviction change")
	}
}
