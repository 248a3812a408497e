package plan

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/evaluate"
	"github.com/nodeguardian/nodeguardian/internal/ledger"
)

// fxSetter is a rule that sets one taint, label or annotation (kind) to value.
func fxSetter(t *testing.T, name string, priority int, kind, value string) *v1.NodeGuardianRule {
	action := map[string]string{
		"label":      `{type: label, label: {labels: {nodeguardian.io/status: ` + value + `}}}`,
		"annotation": `{type: annotation, annotation: {annotations: {nodeguardian.io/note: ` + value + `}}}`,
		"taint":      `{type: taint, taint: {key: nodeguardian/x, value: ` + value + `, effect: NoSchedule}}`,
	}[kind]
	return fxRule(t, name, fmt.Sprintf(`
conditions: [{metric: cpuLoadRatio, operator: GreaterThan, value: 1.5, duration: 0s}]
actions: [%s]
metadata: {priority: %d}
maxUnhealthy: 100%%
`, action, priority))
}

// Semantics: conflicts between Firing rules — the lower priority number wins, then the name.
func TestComputeConflicts(t *testing.T) {
	owned := fxFiring(fxAgo(time.Hour))
	owned.Labels = map[string]string{fxLabelKey: "high-load"}
	tests := []fxCase{
		{name: "label: lower priority number wins",
			rules: []*v1.NodeGuardianRule{fxSetter(t, "high-load-isolation", 100, "label", "high-load"), fxSetter(t, "emergency-eviction", 50, "label", "emergency")},
			changes: []string{"n1 ~state emergency-eviction Healthy→Firing", "n1 ~state high-load-isolation Healthy→Firing",
				"n1 +label nodeguardian.io/status=emergency (emergency-eviction)", "n1 +ledger"},
			deferred: []string{"n1 high-load-isolation: label nodeguardian.io/status: rule emergency-eviction (priority 50) wins"}},
		{name: "tie: the rule name decides",
			rules:    []*v1.NodeGuardianRule{fxSetter(t, "b-rule", 100, "annotation", "b"), fxSetter(t, "a-rule", 100, "annotation", "a")},
			changes:  []string{"n1 ~state a-rule Healthy→Firing", "n1 ~state b-rule Healthy→Firing", "n1 +annotation nodeguardian.io/note=a (a-rule)", "n1 +ledger"},
			deferred: []string{"n1 b-rule: annotation nodeguardian.io/note: rule a-rule (priority 100) wins"}},
		{name: "taint: same key and effect, different values",
			rules:    []*v1.NodeGuardianRule{fxSetter(t, "low", 200, "taint", "low"), fxSetter(t, "high", 10, "taint", "high")},
			changes:  []string{"n1 ~state high Healthy→Firing", "n1 ~state low Healthy→Firing", "n1 +taint nodeguardian/x=high:NoSchedule (high)", "n1 +ledger"},
			deferred: []string{"n1 low: taint nodeguardian/x:NoSchedule: rule high (priority 10) wins"}},
		{name: "the winner takes over what the loser applied",
			rules:    []*v1.NodeGuardianRule{fxSetter(t, "high-load-isolation", 100, "label", "high-load"), fxSetter(t, "emergency-eviction", 50, "label", "emergency")},
			nodes:    []corev1.Node{fxNode("n1", fxLabel(fxLabelKey, "high-load"), fxLedger(map[string]*ledger.Entry{"high-load-isolation": owned}))},
			changes:  []string{"n1 ~state emergency-eviction Healthy→Firing", "n1 ~label nodeguardian.io/status=emergency (emergency-eviction)", "n1 ~ledger"},
			deferred: []string{"n1 high-load-isolation: label nodeguardian.io/status: rule emergency-eviction (priority 50) wins"},
			check: func(t *testing.T, p *Plan) {
				if e := fxLedgerOf(t, p, "n1").Rules["high-load-isolation"]; ownsAnything(e) || e.State != ledger.Firing {
					t.Errorf("the loser still owns the label: %+v", e)
				}
			}},
		{name: "same value: no conflict",
			rules:    []*v1.NodeGuardianRule{fxSetter(t, "a", 10, "label", "x"), fxSetter(t, "b", 20, "label", "x")},
			changes:  []string{"n1 ~state a Healthy→Firing", "n1 ~state b Healthy→Firing", "n1 +label nodeguardian.io/status=x (a)", "n1 +ledger"},
			deferred: []string{}},
	}
	for _, tt := range tests {
		if tt.nodes == nil {
			tt.nodes = []corev1.Node{fxNode("n1")}
		}
		tt.series = fxCPU("2")
		t.Run(tt.name, func(t *testing.T) { fxRun(t, tt) })
	}
}

// fxFleet is n nodes n00, n01, ... all with cpuLoadRatio v.
func fxFleet(n int, v string) ([]corev1.Node, map[string]map[string]string) {
	var nodes []corev1.Node
	ser := map[string]map[string]string{}
	for i := range n {
		name := fmt.Sprintf("n%02d", i)
		nodes = append(nodes, fxNode(name))
		ser[name] = map[string]string{"cpuLoadRatio": v}
	}
	return nodes, ser
}

// Semantics: blast radius — maxUnhealthy per rule, max-disruptive over all rules.
func TestComputeBlastRadius(t *testing.T) {
	tainter := func(name string, priority int, mu, effect string) *v1.NodeGuardianRule {
		return fxRule(t, name, fmt.Sprintf(`
conditions: [{metric: cpuLoadRatio, operator: GreaterThan, value: 1.5, duration: 0s}]
actions: [{type: taint, taint: {key: nodeguardian/%s, effect: %s}}]
metadata: {priority: %d}
maxUnhealthy: %s
`, name, effect, priority, mu))
	}
	labeler := fxRule(t, "lb", `
conditions: [{metric: cpuLoadRatio, operator: GreaterThan, value: 1.5, duration: 0s}]
actions: [{type: label, label: {labels: {x: "y"}}}]
maxUnhealthy: 0
`)
	tests := []fxBudgetCase{
		{"20% of 10 nodes", []*v1.NodeGuardianRule{tainter("r", 100, `"20%"`, "NoSchedule")}, 10, nil, nil, -1,
			[]string{"r n00", "r n01"}, "maxUnhealthy 20% (2 of 10 nodes) reached"},
		{"nodes already Firing count", []*v1.NodeGuardianRule{tainter("r", 100, `"20%"`, "NoSchedule")}, 10, nil, map[int]string{3: "r", 7: "r"}, -1,
			nil, "maxUnhealthy 20% (2 of 10 nodes) reached"},
		{"a node recovering frees its slot", []*v1.NodeGuardianRule{tainter("r", 100, `"20%"`, "NoSchedule")}, 10, nil, map[int]string{3: "r", 7: "r"}, 3,
			[]string{"r n00"}, "maxUnhealthy 20% (2 of 10 nodes) reached"},
		{"percentages round down, never below 1", []*v1.NodeGuardianRule{tainter("r", 100, `"20%"`, "NoExecute")}, 3, nil, nil, -1,
			[]string{"r n00"}, "maxUnhealthy 20% (1 of 3 nodes) reached"},
		{"a count", []*v1.NodeGuardianRule{tainter("r", 100, "2", "NoSchedule")}, 3, nil, nil, -1,
			[]string{"r n00", "r n01"}, "maxUnhealthy 2 (2 of 3 nodes) reached"},
		{"explicit 0 allows none", []*v1.NodeGuardianRule{tainter("r", 100, "0", "NoSchedule")}, 3, nil, nil, -1,
			nil, "maxUnhealthy 0 (0 of 3 nodes) reached"},
		{`"0%" allows none`, []*v1.NodeGuardianRule{tainter("r", 100, `"0%"`, "NoSchedule")}, 3, nil, nil, -1,
			nil, "maxUnhealthy 0% (0 of 3 nodes) reached"},
		{"max-disruptive over the fleet", []*v1.NodeGuardianRule{tainter("r", 100, `"100%"`, "NoSchedule")}, 12, fxPtr(intstr.FromString("30%")), nil, -1,
			[]string{"r n00", "r n01", "r n02"}, "max-disruptive 30% (3 of 12 nodes) reached"},
		{"max-disruptive defaults to 30%", []*v1.NodeGuardianRule{tainter("r", 100, `"100%"`, "NoSchedule")}, 12, fxPtr(intstr.FromString("unset")), nil, -1,
			[]string{"r n00", "r n01", "r n02"}, "max-disruptive 30% (3 of 12 nodes) reached"},
		{"max-disruptive 0 allows none", []*v1.NodeGuardianRule{tainter("r", 100, `"100%"`, "NoSchedule")}, 3, fxPtr(intstr.FromInt32(0)), nil, -1,
			nil, "max-disruptive 0 (0 of 3 nodes) reached"},
		{"max-disruptive 0% allows none", []*v1.NodeGuardianRule{tainter("r", 100, `"100%"`, "NoSchedule")}, 3, fxPtr(intstr.FromString("0%")), nil, -1,
			nil, "max-disruptive 0% (0 of 3 nodes) reached"},
		{"max-disruptive counts every rule's held nodes; priority first; a held node costs nothing",
			[]*v1.NodeGuardianRule{tainter("a", 100, `"100%"`, "NoSchedule"), tainter("z", 10, `"100%"`, "NoSchedule")}, 4, fxPtr(intstr.FromInt32(2)), map[int]string{3: "a"}, -1,
			[]string{"a n00", "z n00", "z n03"}, "max-disruptive 2 (2 of 4 nodes) reached"},
		{"PreferNoSchedule is not disruptive", []*v1.NodeGuardianRule{tainter("r", 100, "0", "PreferNoSchedule")}, 3, nil, nil, -1,
			[]string{"r n00", "r n01", "r n02"}, ""},
		{"non-disruptive rules are not limited", []*v1.NodeGuardianRule{labeler}, 3, fxPtr(intstr.FromInt32(0)), nil, -1,
			[]string{"lb n00", "lb n01", "lb n02"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { fxRunBudget(t, tt) })
	}
}

// fxBudgetCase is a fleet of n nodes where every rule triggers everywhere.
type fxBudgetCase struct {
	name     string
	rules    []*v1.NodeGuardianRule
	n        int
	global   *intstr.IntOrString
	firing   map[int]string // node index → rule already Firing there
	recover  int            // node index whose metric recovers (-1: none)
	fire     []string       // "rule node" that fire
	deferred string         // the reason of every other (rule, node) whose trigger holds
}

func fxRunBudget(t *testing.T, tt fxBudgetCase) {
	nodes, ser := fxFleet(tt.n, "2")
	for i, rule := range tt.firing {
		fxFiringOn(rule)(&nodes[i])
	}
	if tt.recover >= 0 {
		ser[nodes[tt.recover].Name]["cpuLoadRatio"] = "1"
	}
	deferred := 0
	fxRun(t, fxCase{rules: tt.rules, nodes: nodes, series: ser,
		input: func(in *Input) {
			switch {
			case tt.global == nil: // the fixture's 100%
			case tt.global.StrVal == "unset": // the default
				in.MaxDisruptive = nil
			default:
				in.MaxDisruptive = tt.global
			}
		},
		check: func(t *testing.T, p *Plan) {
			var fired []string
			for _, n := range p.Nodes {
				for _, ch := range n.Changes {
					if ch.Kind == KindState && ch.To == "Firing" {
						fired = append(fired, ch.Rule+" "+n.Node)
					}
				}
			}
			fxEqual(t, "fired", fired, tt.fire)
			deferred = len(p.Deferred)
			for _, d := range p.Deferred {
				if d.Reason != tt.deferred {
					t.Errorf("deferred %s %s: %q, want %q", d.Node, d.Rule, d.Reason, tt.deferred)
				}
			}
		}})
	triggered := len(tt.rules)*tt.n - len(tt.firing) // every pair triggers but those already Firing
	if want := triggered - len(tt.fire); deferred != want {
		t.Errorf("%d deferred, want %d", deferred, want)
	}
}

// fxFiringOn puts rule Firing on a node with its NoSchedule taint nodeguardian/<rule>.
func fxFiringOn(rule string) func(*corev1.Node) {
	e := fxFiring(fxAgo(time.Hour))
	e.Taints = []corev1.Taint{{Key: "nodeguardian/" + rule, Effect: corev1.TaintEffectNoSchedule}}
	return func(n *corev1.Node) {
		fxTaint("nodeguardian/"+rule, "", corev1.TaintEffectNoSchedule)(n)
		fxLedger(map[string]*ledger.Entry{rule: e})(n)
	}
}

func fxPtr[T any](v T) *T { return &v }

// Semantics: candidates over a budget go earliest-firing first (longest-held trigger),
// then by node name.
func TestComputeBudgetOrder(t *testing.T) {
	r := fxRule(t, "r", `
conditions: [{metric: cpuLoadRatio, operator: GreaterThan, value: 1.5, duration: 1m}]
actions: [{type: cordon}]
maxUnhealthy: 2
`)
	held := map[string]time.Duration{"n1": time.Minute, "n2": 5 * time.Minute, "n3": 3 * time.Minute, "n4": 5 * time.Minute}
	res := evaluate.RuleResult{Rule: r, Active: true}
	var nodes []corev1.Node
	for _, name := range []string{"n1", "n2", "n3", "n4"} {
		nodes = append(nodes, fxNode(name))
		res.Verdicts = append(res.Verdicts, evaluate.Verdict{Rule: "r", Node: name, Trigger: evaluate.True, Recovery: evaluate.False,
			Conditions: []evaluate.ConditionResult{{Condition: &r.Spec.Conditions[0], Result: evaluate.True, Why: evaluate.WhyHeld, Last: 2, Worst: 2, HeldFor: held[name]}}})
	}
	p := Compute(Input{Now: fxNow, Results: []evaluate.RuleResult{res}, Nodes: nodes, MaxDisruptive: fxBudget("100%")})
	fxEqual(t, "firing", fxStatus(p, "r").Firing, []string{"n2", "n4"})
	fxEqual(t, "deferred", fxDeferred(p), []string{"n1 r: maxUnhealthy 2 (2 of 4 nodes) reached", "n3 r: maxUnhealthy 2 (2 of 4 nodes) reached"})
}

// Semantics: which pods an evict or drain lists, in which order, and PDBs.
func TestComputeEvictions(t *testing.T) {
	evicting := func(extra string) *v1.NodeGuardianRule {
		return fxRule(t, "ev", `
conditions: [{metric: cpuLoadRatio, operator: GreaterThan, value: 1.5, duration: 0s}]
actions: [{type: evict, evict: {maxPods: 3, excludeNamespaces: [kube-system]`+extra+`}}]
maxUnhealthy: 100%
`)
	}
	ds := func(p *corev1.Pod) { p.OwnerReferences = []metav1.OwnerReference{{Kind: "DaemonSet", Name: "ds"}} }
	mirror := func(p *corev1.Pod) { p.Annotations = map[string]string{corev1.MirrorPodAnnotationKey: "x"} }
	keep := func(p *corev1.Pod) { p.Annotations = map[string]string{AnnotationDoNotEvict: "true"} }
	done := func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded }
	pods := []corev1.Pod{
		fxPod("default", "ds", "n1", ds), fxPod("default", "mirror", "n1", mirror), fxPod("kube-system", "sys", "n1"),
		fxPod("default", "keep", "n1", keep), fxPod("default", "done", "n1", done), fxPod("default", "elsewhere", "n2"),
		fxPod("default", "a", "n1", fxPriority(100)), fxPod("default", "b", "n1"), fxPod("default", "c", "n1", fxPriority(-5)),
		fxPod("default", "d", "n1", fxPriority(0)), fxPod("apps", "e", "n1"),
	}
	pdbBC := fxPDB("default", "pdb-bc", "", 1)
	pdbBC.Spec.Selector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpIn, Values: []string{"b", "c"}}}}
	badPDB := fxPDB("default", "broken", "", 5)
	badPDB.Spec.Selector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Bogus"}}}
	tests := []fxCase{
		{name: "a PDB whose selector cannot be evaluated blocks every pod of its namespace", rules: []*v1.NodeGuardianRule{evicting("")}, pods: pods,
			pdbs:    []policyv1.PodDisruptionBudget{badPDB},
			changes: []string{"n1 +evict (ev) default/c[blocked default/broken],apps/e,default/b[blocked default/broken]"},
			check: func(t *testing.T, p *Plan) {
				if w := fxWarnings(p); len(w) != 1 || !strings.Contains(w[0], "PodDisruptionBudget default/broken: selector cannot be evaluated") ||
					!strings.Contains(w[0], "no pod in namespace default is evicted") {
					t.Errorf("warnings %q", w)
				}
			}},
		{name: "filters, lowest priority first, maxPods", rules: []*v1.NodeGuardianRule{evicting("")}, pods: pods,
			changes: []string{"n1 +evict (ev) default/c,apps/e,default/b"}},
		{name: "podSelector", rules: []*v1.NodeGuardianRule{evicting(", podSelector: {matchLabels: {app: a}}")}, pods: pods,
			changes: []string{"n1 +evict (ev) default/a"}},
		{name: "a PDB allowing no disruption blocks", rules: []*v1.NodeGuardianRule{evicting("")}, pods: pods, pdbs: []policyv1.PodDisruptionBudget{fxPDB("default", "pdb-c", "c", 0), fxPDB("apps", "pdb-c", "c", 0)},
			changes: []string{"n1 +evict (ev) default/c[blocked default/pdb-c],apps/e,default/b"}},
		{name: "earlier pods of the plan count against the PDB", rules: []*v1.NodeGuardianRule{evicting("")}, pods: pods, pdbs: []policyv1.PodDisruptionBudget{pdbBC},
			changes: []string{"n1 +evict (ev) default/c,apps/e,default/b[blocked default/pdb-bc]"}},
		{name: "PDBs count across nodes", rules: []*v1.NodeGuardianRule{evicting("")},
			nodes:   []corev1.Node{fxNode("n1"), fxNode("n2")},
			series:  map[string]map[string]string{"n1": {"cpuLoadRatio": "2"}, "n2": {"cpuLoadRatio": "2"}},
			pods:    []corev1.Pod{fxPod("default", "web1", "n1", fxLabelPod("web")), fxPod("default", "web2", "n2", fxLabelPod("web"))},
			pdbs:    []policyv1.PodDisruptionBudget{fxPDB("default", "web", "web", 1)},
			changes: []string{"n1 +evict (ev) default/web1", "n2 +evict (ev) default/web2[blocked default/web]"}},
	}
	for _, tt := range tests {
		if tt.nodes == nil {
			tt.nodes, tt.series = []corev1.Node{fxNode("n1")}, fxCPU("2")
		}
		t.Run(tt.name, func(t *testing.T) {
			p, _ := tt.plan(t, tt.nodes)
			var got []string
			for _, n := range p.Nodes {
				for _, ch := range n.Changes {
					if ch.Kind == KindEvict {
						got = append(got, fxLine(n.Node, ch))
					}
				}
			}
			fxEqual(t, "evictions", got, tt.changes)
			tt.changes = nil
			fxRun(t, tt)
		})
	}
}

func fxLabelPod(app string) func(*corev1.Pod) {
	return func(p *corev1.Pod) { p.Labels = map[string]string{"app": app} }
}

// Semantics: dry-run rules show their changes, never touch the ledger, and count apart.
func TestComputeDryRun(t *testing.T) {
	dry := fxRule(t, "hl", fxHighLoad+"dryRun: true\n")
	tests := []fxCase{
		{name: "changes are marked, no ledger", rules: []*v1.NodeGuardianRule{dry}, nodes: []corev1.Node{fxNode("n1")},
			changes: []string{"n1 ~state hl Healthy→Firing dry", "n1 +taint nodeguardian/high-load=true:NoSchedule (hl) dry",
				"n1 +label nodeguardian.io/status=high-load (hl) dry", `n1 +alert (hl) firing high-load-alert [email slack] "[NodeGuardian] High load on node n1" dry`},
			check: func(t *testing.T, p *Plan) {
				want := Summary{DryRun: 4}
				if p.Summary != want || p.HasChanges() {
					t.Errorf("summary %+v, has changes %v", p.Summary, p.HasChanges())
				}
				if s := fxStatus(p, "hl"); !s.DryRun || strings.Join(s.Firing, ",") != "n1" {
					t.Errorf("status %+v", s)
				}
			}},
		{name: "real rules win conflicts with dry-run rules", rules: []*v1.NodeGuardianRule{
			fxRule(t, "dry", strings.Replace(fxHighLoad, "value: \"true\"", "value: dry", 1)+"dryRun: true\nmetadata: {priority: 1}\n"), fxRule(t, "real", fxHighLoad)},
			nodes: []corev1.Node{fxNode("n1")},
			changes: []string{"n1 ~state dry Healthy→Firing dry", "n1 ~state real Healthy→Firing",
				"n1 +taint nodeguardian/high-load=true:NoSchedule (real)", "n1 +label nodeguardian.io/status=high-load (real)", "n1 +ledger",
				`n1 +alert (dry) firing high-load-alert [email slack] "[NodeGuardian] High load on node n1" dry`,
				`n1 +alert (real) firing high-load-alert [email slack] "[NodeGuardian] High load on node n1"`},
			deferred: []string{"n1 dry: taint nodeguardian/high-load:NoSchedule: rule real (priority 100) wins"}},
		{name: "a rule switched to dry-run while Firing: recovery is shown, nothing changes", rules: []*v1.NodeGuardianRule{dry},
			nodes: []corev1.Node{fxHLNode("n1", fxAgo(time.Hour))}, series: fxCPU("1"),
			changes: []string{"n1 ~state hl Firing→Healthy dry", "n1 -taint nodeguardian/high-load=true:NoSchedule (hl) dry",
				"n1 -label nodeguardian.io/status=high-load (hl) dry", `n1 +alert (hl) recovered recovery-alert [webhook] "[NodeGuardian] Node n1 has recovered" dry`}},
	}
	for _, tt := range tests {
		if tt.series == nil {
			tt.series = fxCPU("2")
		}
		t.Run(tt.name, func(t *testing.T) { fxRun(t, tt) })
	}
}
