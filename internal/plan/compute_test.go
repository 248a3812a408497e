package plan

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/ledger"
)

// fxHighLoad taints, labels and alerts when cpuLoadRatio > 1.5; it recovers when the
// trigger is false and then sends a recovery alert.
const fxHighLoad = `
conditions:
- {metric: cpuLoadRatio, operator: GreaterThan, value: 1.5, duration: 0s}
actions:
- {type: taint, taint: {key: nodeguardian/high-load, value: "true", effect: NoSchedule}}
- {type: label, label: {labels: {nodeguardian.io/status: high-load}}}
- {type: alert, alert: {template: high-load-alert}}
recoveryActions:
- {type: alert, alert: {template: recovery-alert}}
maxUnhealthy: 100%
`

const (
	fxTaintKey = "nodeguardian/high-load"
	fxLabelKey = "nodeguardian.io/status"
)

// fxHLEntry is the entry of fxHighLoad Firing since t, owning its taint and label.
func fxHLEntry(since time.Time) *ledger.Entry {
	e := fxFiring(since)
	e.Taints = []corev1.Taint{{Key: fxTaintKey, Value: "true", Effect: corev1.TaintEffectNoSchedule}}
	e.Labels = map[string]string{fxLabelKey: "high-load"}
	return e
}

// fxHLNode is a node where fxHighLoad fires since t, with its effects in place.
func fxHLNode(name string, since time.Time, opts ...func(*corev1.Node)) corev1.Node {
	base := []func(*corev1.Node){
		fxTaint(fxTaintKey, "true", corev1.TaintEffectNoSchedule),
		fxLabel(fxLabelKey, "high-load"),
		fxLedger(map[string]*ledger.Entry{"hl": fxHLEntry(since)}),
	}
	return fxNode(name, append(base, opts...)...)
}

func fxCPU(v string) map[string]map[string]string {
	return map[string]map[string]string{"n1": {"cpuLoadRatio": v}}
}

// Semantics: the per (rule, node) state machine, cooldown, Unknown, flapping.
func TestComputeStateMachine(t *testing.T) {
	hl := fxRule(t, "hl", fxHighLoad)
	rules := []*v1.NodeGuardianRule{hl}
	healthySince := func(since time.Time, lastFired time.Duration) func(*corev1.Node) {
		return fxLedger(map[string]*ledger.Entry{"hl": {State: ledger.Healthy, Since: since, LastFired: fxTime(fxAgo(lastFired))}})
	}
	fires := []string{
		"n1 ~state hl Healthy→Firing",
		"n1 +taint nodeguardian/high-load=true:NoSchedule (hl)",
		"n1 +label nodeguardian.io/status=high-load (hl)",
		"n1 +ledger",
		`n1 +alert (hl) firing high-load-alert [email slack] "[NodeGuardian] High load on node n1"`,
	}
	tests := []fxCase{
		{name: "Healthy, trigger True: fires", nodes: []corev1.Node{fxNode("n1")}, series: fxCPU("2"), changes: fires, deferred: []string{}, warnings: []string{}},
		{name: "Healthy, trigger False: nothing", nodes: []corev1.Node{fxNode("n1")}, series: fxCPU("1"), changes: []string{}, warnings: []string{}},
		{name: "Healthy, trigger Unknown: nothing, a warning", nodes: []corev1.Node{fxNode("n1")}, changes: []string{},
			warnings: []string{"n1 hl: cpuLoadRatio: no data"},
			check: func(t *testing.T, p *Plan) {
				if s := fxStatus(p, "hl"); strings.Join(s.Unknown, ",") != "n1" {
					t.Errorf("unknown = %v", s.Unknown)
				}
			}},
		{name: "Firing, recovery True: recovers and removes what it owns", nodes: []corev1.Node{fxHLNode("n1", fxAgo(time.Hour))}, series: fxCPU("1"),
			changes: []string{
				"n1 ~state hl Firing→Healthy",
				"n1 -taint nodeguardian/high-load=true:NoSchedule (hl)",
				"n1 -label nodeguardian.io/status=high-load (hl)",
				"n1 ~ledger",
				`n1 +alert (hl) recovered recovery-alert [webhook] "[NodeGuardian] Node n1 has recovered"`,
			},
			check: func(t *testing.T, p *Plan) {
				e := fxLedgerOf(t, p, "n1").Rules["hl"]
				if e.State != ledger.Healthy || !e.Since.Equal(fxNow) || !e.LastFired.Equal(fxAgo(time.Hour)) || ownsAnything(e) {
					t.Errorf("entry after recovery: %+v", e)
				}
			}},
		{name: "Firing, recovery False: nothing", nodes: []corev1.Node{fxHLNode("n1", fxAgo(time.Hour))}, series: fxCPU("2"), changes: []string{}, warnings: []string{}},
		{name: "Firing, recovery Unknown: stays Firing, a warning", nodes: []corev1.Node{fxHLNode("n1", fxAgo(time.Hour))}, changes: []string{},
			warnings: []string{"n1 hl: cpuLoadRatio: no data"},
			check: func(t *testing.T, p *Plan) {
				if s := fxStatus(p, "hl"); strings.Join(s.Firing, ",") != "n1" || strings.Join(s.Unknown, ",") != "n1" {
					t.Errorf("status = %+v", s)
				}
			}},
		{name: "in cooldown: deferred", nodes: []corev1.Node{fxNode("n1", healthySince(fxAgo(2*time.Minute), 4*time.Minute))}, series: fxCPU("2"),
			changes: []string{}, deferred: []string{"n1 hl: cooldown until 2026-11-29T12:01:00Z"}},
		{name: "cooldown over: fires", nodes: []corev1.Node{fxNode("n1", healthySince(fxAgo(2*time.Minute), 5*time.Minute))}, series: fxCPU("2"),
			changes: []string{fires[0], fires[1], fires[2], "n1 ~ledger", fires[4]}, deferred: []string{}},
		{name: "no recovery at the instant it fired", nodes: []corev1.Node{fxHLNode("n1", fxNow)}, series: fxCPU("1"), changes: []string{},
			deferred: []string{"n1 hl: recovery waits for the next evaluation: fired at this instant (2026-11-29T12:00:00Z)"}},
		{name: "no firing at the instant it recovered", nodes: []corev1.Node{fxNode("n1", healthySince(fxNow, time.Hour))}, series: fxCPU("2"), changes: []string{},
			deferred: []string{"n1 hl: firing waits for the next evaluation: recovered at this instant (2026-11-29T12:00:00Z)"}},
		{name: "pending: not yet for the whole duration", nodes: []corev1.Node{fxNode("n1")}, changes: []string{},
			series: fxCPU("1 1 2 2"),
			rules:  []*v1.NodeGuardianRule{fxRule(t, "hl", strings.Replace(fxHighLoad, "value: 1.5, duration: 0s}", "value: 1.5, duration: 3m}", 1))},
			check: func(t *testing.T, p *Plan) {
				if s := fxStatus(p, "hl"); strings.Join(s.Pending, ",") != "n1" {
					t.Errorf("pending = %v", s.Pending)
				}
			}},
	}
	for _, tt := range tests {
		if tt.rules == nil {
			tt.rules = rules
		}
		t.Run(tt.name, func(t *testing.T) { fxRun(t, tt) })
	}
}

// Semantics: declarative effects — drift repair, removal of what the ledger owns only,
// one-shot effects, drain.
func TestComputeDeclarativeEffects(t *testing.T) {
	hl := fxRule(t, "hl", fxHighLoad)
	evicting := fxRule(t, "ev", `
conditions: [{metric: cpuLoadRatio, operator: GreaterThan, value: 1.5, duration: 0s}]
actions:
- {type: evict, evict: {maxPods: 2}}
- {type: alert, alert: {channels: [slack]}}
maxUnhealthy: 100%
`)
	draining := fxRule(t, "dr", `
conditions: [{metric: cpuLoadRatio, operator: GreaterThan, value: 1.5, duration: 0s}]
actions: [{type: drain}]
maxUnhealthy: 100%
`)
	removing := fxRule(t, "hl", strings.Replace(fxHighLoad, "recoveryActions:\n", `recoveryActions:
- {type: removeLabel, label: {keys: [nodeguardian.io/status]}}
- {type: removeTaint, taint: {key: nodeguardian/high-load}}
- {type: uncordon}
`, 1))
	var pods []corev1.Pod
	for _, name := range []string{"p01", "p02", "p03", "p04", "p05", "p06", "p07", "p08", "p09", "p10", "p11"} {
		pods = append(pods, fxPod("default", name, "n1"))
	}
	oldLabel := fxHLEntry(fxAgo(time.Hour))
	oldLabel.Labels["nodeguardian.io/old"] = "x"
	tests := []fxCase{
		{name: "drift: a removed taint is put back", rules: []*v1.NodeGuardianRule{hl}, series: fxCPU("2"),
			nodes:   []corev1.Node{fxNode("n1", fxLabel(fxLabelKey, "high-load"), fxLedger(map[string]*ledger.Entry{"hl": fxHLEntry(fxAgo(time.Hour))}))},
			changes: []string{"n1 +taint nodeguardian/high-load=true:NoSchedule (hl) drift"},
			check: func(t *testing.T, p *Plan) {
				if r := p.Nodes[0].Changes[0].Reason; r != "drift: removed outside NodeGuardian" {
					t.Errorf("reason %q", r)
				}
			}},
		{name: "drift: a changed label is put back", rules: []*v1.NodeGuardianRule{hl}, series: fxCPU("2"),
			nodes:   []corev1.Node{fxHLNode("n1", fxAgo(time.Hour), fxLabel(fxLabelKey, "fine"))},
			changes: []string{"n1 ~label nodeguardian.io/status=high-load (hl) drift"}},
		{name: "one-shot effects only on the transition", rules: []*v1.NodeGuardianRule{evicting}, series: fxCPU("2"), pods: pods,
			nodes:   []corev1.Node{fxNode("n1", fxLedger(map[string]*ledger.Entry{"ev": fxFiring(fxAgo(time.Hour))}))},
			changes: []string{}},
		{name: "evict on the transition", rules: []*v1.NodeGuardianRule{evicting}, series: fxCPU("2"), pods: pods, nodes: []corev1.Node{fxNode("n1")},
			changes: []string{"n1 ~state ev Healthy→Firing", "n1 +ledger", "n1 +evict (ev) default/p01,default/p02", `n1 +alert (ev) firing  [slack] "[NodeGuardian] ev firing on n1"`}},
		{name: "drain: cordon and evict every evictable pod", rules: []*v1.NodeGuardianRule{draining}, series: fxCPU("2"), pods: pods, nodes: []corev1.Node{fxNode("n1")},
			changes: []string{"n1 ~state dr Healthy→Firing", "n1 +cordon (dr)", "n1 +ledger",
				"n1 +evict (dr) default/p01,default/p02,default/p03,default/p04,default/p05,default/p06,default/p07,default/p08,default/p09,default/p10,default/p11"}},
		{name: "drained node recovers: uncordoned", rules: []*v1.NodeGuardianRule{draining}, series: fxCPU("1"), pods: pods,
			nodes:   []corev1.Node{fxNode("n1", fxCordoned, fxLedger(map[string]*ledger.Entry{"dr": {State: ledger.Firing, Since: fxAgo(time.Hour), Cordon: true}}))},
			changes: []string{"n1 ~state dr Firing→Healthy", "n1 -cordon (dr)", "n1 ~ledger"}},
		{name: "an effect the rule no longer has is removed", rules: []*v1.NodeGuardianRule{hl}, series: fxCPU("2"),
			nodes:   []corev1.Node{fxHLNode("n1", fxAgo(time.Hour), fxLabel("nodeguardian.io/old", "x"), fxLedger(map[string]*ledger.Entry{"hl": oldLabel}))},
			changes: []string{"n1 -label nodeguardian.io/old=x (hl)", "n1 ~ledger"}},
		{name: "recovery actions remove only what NodeGuardian applied", rules: []*v1.NodeGuardianRule{removing}, series: fxCPU("1"),
			nodes: []corev1.Node{fxNode("n1", fxCordoned, fxTaint(fxTaintKey, "true", corev1.TaintEffectNoSchedule), fxTaint(fxTaintKey, "x", corev1.TaintEffectNoExecute),
				fxLabel(fxLabelKey, "mine"), fxLedger(map[string]*ledger.Entry{"hl": {State: ledger.Firing, Since: fxAgo(time.Hour),
					Taints: []corev1.Taint{{Key: fxTaintKey, Value: "true", Effect: corev1.TaintEffectNoSchedule}}}}))},
			changes: []string{"n1 ~state hl Firing→Healthy", "n1 -taint nodeguardian/high-load=true:NoSchedule (hl)", "n1 ~ledger",
				`n1 +alert (hl) recovered recovery-alert [webhook] "[NodeGuardian] Node n1 has recovered"`},
			warnings: []string{
				"n1 hl: removeLabel nodeguardian.io/status: not applied by NodeGuardian, left alone",
				"n1 hl: removeTaint nodeguardian/high-load:NoExecute: not applied by NodeGuardian, left alone",
				"n1 hl: uncordon (node cordoned): not applied by NodeGuardian, left alone",
			}},
		{name: "recovery actions leave alone what a rule that is not loaded holds", rules: []*v1.NodeGuardianRule{removing}, series: fxCPU("1"),
			nodes: []corev1.Node{fxNode("n1", fxLabel(fxLabelKey, "x"), fxLedger(map[string]*ledger.Entry{
				"hl":   fxFiring(fxAgo(time.Hour)),
				"gone": {State: ledger.Firing, Since: fxAgo(time.Hour), Labels: map[string]string{fxLabelKey: "x"}},
			}))},
			changes: []string{"n1 ~state hl Firing→Healthy", "n1 ~ledger",
				`n1 +alert (hl) recovered recovery-alert [webhook] "[NodeGuardian] Node n1 has recovered"`},
			warnings: []string{
				"n1 gone: rule gone is not loaded; its effects are left alone",
				"n1 hl: removeLabel nodeguardian.io/status: held by rule gone, which is not loaded; left alone",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { fxRun(t, tt) })
	}
}

// Semantics: the ownership ledger — unmanaged effects, corrupt ledgers, rules not loaded,
// nodes no longer selected, canonical encoding, shared ownership.
func TestComputeOwnership(t *testing.T) {
	hl := fxRule(t, "hl", fxHighLoad)
	cordon := fxRule(t, "co", `
conditions: [{metric: cpuLoadRatio, operator: GreaterThan, value: 1.5, duration: 0s}]
actions: [{type: cordon}, {type: annotation, annotation: {annotations: {nodeguardian.io/why: load}}}]
maxUnhealthy: 100%
`)
	workers := fxRule(t, "hl", fxHighLoad+"nodeSelector: {matchLabels: {role: worker}}\n")
	shared := func(name, metric string) *v1.NodeGuardianRule {
		return fxRule(t, name, `
conditions: [{metric: `+metric+`, operator: GreaterThan, value: 1.5, duration: 0s}]
actions: [{type: taint, taint: {key: shared, value: "yes", effect: NoSchedule}}]
maxUnhealthy: 100%
`)
	}
	sharedEntry := func() *ledger.Entry {
		e := fxFiring(fxAgo(time.Hour))
		e.Taints = []corev1.Taint{{Key: "shared", Value: "yes", Effect: corev1.TaintEffectNoSchedule}}
		return e
	}
	goneEntry := &ledger.Entry{State: ledger.Firing, Since: fxAgo(time.Hour), Labels: map[string]string{"gone": "yes"}}
	tests := []fxCase{
		{name: "a pre-existing taint and label are unmanaged: left alone, not owned", rules: []*v1.NodeGuardianRule{hl}, series: fxCPU("2"),
			nodes:   []corev1.Node{fxNode("n1", fxTaint(fxTaintKey, "other", corev1.TaintEffectNoSchedule), fxLabel(fxLabelKey, "high-load"))},
			changes: []string{"n1 ~state hl Healthy→Firing", "n1 +ledger", `n1 +alert (hl) firing high-load-alert [email slack] "[NodeGuardian] High load on node n1"`},
			warnings: []string{
				"n1 hl: unmanaged label nodeguardian.io/status already on the node, left alone",
				"n1 hl: unmanaged taint nodeguardian/high-load:NoSchedule already on the node, left alone",
			},
			check: func(t *testing.T, p *Plan) {
				if e := fxLedgerOf(t, p, "n1").Rules["hl"]; e.State != ledger.Firing || ownsAnything(e) {
					t.Errorf("entry %+v owns what it did not apply", e)
				}
			}},
		{name: "an already cordoned node and a pre-existing annotation are unmanaged", rules: []*v1.NodeGuardianRule{cordon}, series: fxCPU("2"),
			nodes:   []corev1.Node{fxNode("n1", fxCordoned, fxAnnotation("nodeguardian.io/why", "maintenance"))},
			changes: []string{"n1 ~state co Healthy→Firing", "n1 +ledger"},
			warnings: []string{
				"n1 co: node already cordoned outside NodeGuardian, left alone",
				"n1 co: unmanaged annotation nodeguardian.io/why already on the node, left alone",
			}},
		{name: "corrupt ledger: a warning, node left alone", rules: []*v1.NodeGuardianRule{hl}, series: fxCPU("2"),
			nodes: []corev1.Node{fxNode("n1", fxAnnotation(ledger.Annotation, "{not json"))}, changes: []string{},
			check: func(t *testing.T, p *Plan) {
				if len(p.Warnings) != 1 || !strings.HasPrefix(p.Warnings[0].Message, "corrupt ledger: ") || p.Warnings[0].Node != "n1" {
					t.Errorf("warnings %+v", p.Warnings)
				}
			}},
		{name: "corrupt ledger: a null entry", rules: []*v1.NodeGuardianRule{hl}, series: fxCPU("2"),
			nodes: []corev1.Node{fxNode("n1", fxAnnotation(ledger.Annotation, "{\"version\":1,\"rules\":{\"co\":null}}"))},
			// Only the corrupt entry is left alone: other rules act on the node, and the
			// entry is written back verbatim.
			changes: []string{"n1 ~state hl Healthy→Firing", "n1 +taint nodeguardian/high-load=true:NoSchedule (hl)", "n1 +label nodeguardian.io/status=high-load (hl)", "n1 ~ledger",
				`n1 +alert (hl) firing high-load-alert [email slack] "[NodeGuardian] High load on node n1"`},
			check: func(t *testing.T, p *Plan) {
				if len(p.Warnings) != 1 || !strings.HasPrefix(p.Warnings[0].Message, "corrupt ledger entry: ") || p.Warnings[0].Rule != "co" {
					t.Errorf("warnings %+v", p.Warnings)
				}
				if l := p.Nodes[0].Changes[3].Value; !strings.Contains(l, `"co":null`) {
					t.Errorf("the corrupt entry is not kept verbatim: %s", l)
				}
			}},
		{name: "corrupt ledger: an unknown state", rules: []*v1.NodeGuardianRule{hl}, series: fxCPU("2"),
			nodes: []corev1.Node{fxNode("n1", fxAnnotation(ledger.Annotation, "{\"version\":1,\"rules\":{\"co\":{\"state\":\"Exploding\"}}}"))},
			// Only the corrupt entry is left alone: other rules act on the node, and the
			// entry is written back verbatim.
			changes: []string{"n1 ~state hl Healthy→Firing", "n1 +taint nodeguardian/high-load=true:NoSchedule (hl)", "n1 +label nodeguardian.io/status=high-load (hl)", "n1 ~ledger",
				`n1 +alert (hl) firing high-load-alert [email slack] "[NodeGuardian] High load on node n1"`},
			check: func(t *testing.T, p *Plan) {
				if len(p.Warnings) != 1 || !strings.HasPrefix(p.Warnings[0].Message, "corrupt ledger entry: ") || p.Warnings[0].Rule != "co" {
					t.Errorf("warnings %+v", p.Warnings)
				}
				if l := p.Nodes[0].Changes[3].Value; !strings.Contains(l, `"co":{"state":"Exploding"}`) {
					t.Errorf("the corrupt entry is not kept verbatim: %s", l)
				}
			}},
		{name: "entries of rules that are not loaded are left alone", rules: []*v1.NodeGuardianRule{hl}, series: fxCPU("1"),
			nodes:    []corev1.Node{fxNode("n1", fxLabel("gone", "yes"), fxLedger(map[string]*ledger.Entry{"gone": goneEntry}))},
			changes:  []string{},
			warnings: []string{"n1 gone: rule gone is not loaded; its effects are left alone"}},
		{name: "not loaded, with --rule: no warning", rules: []*v1.NodeGuardianRule{hl}, series: fxCPU("1"),
			nodes:   []corev1.Node{fxNode("n1", fxLabel("gone", "yes"), fxLedger(map[string]*ledger.Entry{"gone": goneEntry}))},
			input:   func(in *Input) { in.PartialRules = true },
			changes: []string{}, warnings: []string{}},
		{name: "a node no longer selected while Firing is left alone", rules: []*v1.NodeGuardianRule{workers}, series: fxCPU("1"),
			nodes:    []corev1.Node{fxHLNode("n1", fxAgo(time.Hour))},
			changes:  []string{},
			warnings: []string{"n1 hl: node is no longer selected by the rule while it is Firing; its effects are left alone"},
			check: func(t *testing.T, p *Plan) {
				if s := fxStatus(p, "hl"); s.Matched != 0 || strings.Join(s.Firing, ",") != "n1" {
					t.Errorf("status %+v", s)
				}
			}},
		{name: "a non-canonical ledger is rewritten", rules: []*v1.NodeGuardianRule{hl}, series: fxCPU("1"),
			nodes: []corev1.Node{fxNode("n1", fxAnnotation(ledger.Annotation,
				`{ "version": 1, "rules": {"hl": {"state": "Healthy", "since": "2026-11-29T10:00:00Z"}} }`))},
			changes: []string{"n1 ~ledger"}},
		{name: "an empty ledger is removed", rules: []*v1.NodeGuardianRule{hl}, series: fxCPU("1"),
			nodes: []corev1.Node{fxNode("n1", fxAnnotation(ledger.Annotation, `{"version":1}`))}, changes: []string{"n1 -ledger"}},
		{name: "shared ownership: a taint two rules applied stays while one fires", rules: []*v1.NodeGuardianRule{shared("a", "cpuLoadRatio"), shared("b", "memoryUtilizationPercent")},
			series:  map[string]map[string]string{"n1": {"cpuLoadRatio": "1", "memoryUtilizationPercent": "2"}},
			nodes:   []corev1.Node{fxNode("n1", fxTaint("shared", "yes", corev1.TaintEffectNoSchedule), fxLedger(map[string]*ledger.Entry{"a": sharedEntry(), "b": sharedEntry()}))},
			changes: []string{"n1 ~state a Firing→Healthy", "n1 ~ledger"}},
		{name: "shared ownership: a second rule firing shares what the first applied", rules: []*v1.NodeGuardianRule{shared("a", "cpuLoadRatio"), shared("b", "memoryUtilizationPercent")},
			series:  map[string]map[string]string{"n1": {"cpuLoadRatio": "2", "memoryUtilizationPercent": "2"}},
			nodes:   []corev1.Node{fxNode("n1", fxTaint("shared", "yes", corev1.TaintEffectNoSchedule), fxLedger(map[string]*ledger.Entry{"a": sharedEntry()}))},
			changes: []string{"n1 ~state b Healthy→Firing", "n1 ~ledger"},
			check: func(t *testing.T, p *Plan) {
				if e := fxLedgerOf(t, p, "n1").Rules["b"]; len(e.Taints) != 1 {
					t.Errorf("b does not share the taint: %+v", e)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { fxRun(t, tt) })
	}
}

// Semantics: templated annotation values are rendered once, when the rule fires.
func TestComputeAnnotationTemplates(t *testing.T) {
	ann := fxRule(t, "ann", `
conditions: [{metric: cpuLoadRatio, operator: GreaterThan, value: 1.5, duration: 0s}]
actions: [{type: annotation, annotation: {annotations: {nodeguardian.io/since: "{{ timestamp }} {{ node_name }} {{ rule_name }} {{ metrics.cpu_load_ratio }}"}}}]
`)
	const old = "2026-11-29T11:00:00Z n1 ann 3"
	owned := fxFiring(fxAgo(time.Hour))
	owned.Annotations = map[string]string{"nodeguardian.io/since": old}
	tests := []fxCase{
		{name: "rendered at the transition and stored in the ledger", nodes: []corev1.Node{fxNode("n1")},
			changes: []string{"n1 ~state ann Healthy→Firing", "n1 +annotation nodeguardian.io/since=2026-11-29T12:00:00Z n1 ann 2 (ann)", "n1 +ledger"},
			check: func(t *testing.T, p *Plan) {
				if v := fxLedgerOf(t, p, "n1").Rules["ann"].Annotations["nodeguardian.io/since"]; v != "2026-11-29T12:00:00Z n1 ann 2" {
					t.Errorf("ledger value %q", v)
				}
			}},
		{name: "afterwards the ledger's value is the desired one", changes: []string{},
			nodes: []corev1.Node{fxNode("n1", fxAnnotation("nodeguardian.io/since", old), fxLedger(map[string]*ledger.Entry{"ann": owned}))}},
		{name: "drift puts the ledger's value back", changes: []string{"n1 +annotation nodeguardian.io/since=" + old + " (ann) drift"},
			nodes: []corev1.Node{fxNode("n1", fxLedger(map[string]*ledger.Entry{"ann": owned}))}},
	}
	for _, tt := range tests {
		tt.rules, tt.series = []*v1.NodeGuardianRule{ann}, fxCPU("2")
		t.Run(tt.name, func(t *testing.T) { fxRun(t, tt) })
	}
}

// Annotation values in Go-template style are rendered too (they were left as written); one
// that fails to render is used as written, with a warning.
func TestComputeAnnotationTemplateSyntaxes(t *testing.T) {
	tests := []struct{ name, value, want, warning string }{
		{"go", `{{ .nodeName }} {{ .ruleName }} {{ printf "%.1f" .metrics.cpuLoadRatio }}`, "n1 ann 2.0", ""},
		{"jinja filters", `{{ node_name }} {{ metrics.cpu_load_ratio | round(1) }} {{ nope | default("n/a") }}`, "n1 2.0 n/a", ""},
		{"rendering error", `{{ .metrics.nope }}`, `{{ .metrics.nope }}`,
			`n1 ann: annotation nodeguardian.io/x: template: annotation nodeguardian.io/x:1:11: executing "annotation nodeguardian.io/x" at <.metrics.nope>: map has no entry for key "nope"; the value is used as written`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rule := fxRule(t, "ann", `
conditions: [{metric: cpuLoadRatio, operator: GreaterThan, value: 1.5, duration: 0s}]
actions: [{type: annotation, annotation: {annotations: {nodeguardian.io/x: '`+tt.value+`'}}}]
`)
			warnings := []string{}
			if tt.warning != "" {
				warnings = []string{tt.warning}
			}
			fxRun(t, fxCase{rules: []*v1.NodeGuardianRule{rule}, series: fxCPU("2"), nodes: []corev1.Node{fxNode("n1")},
				warnings: warnings,
				changes:  []string{"n1 ~state ann Healthy→Firing", "n1 +annotation nodeguardian.io/x=" + tt.want + " (ann)", "n1 +ledger"}})
		})
	}
}

// Semantics: alerts — channels, templates, defaults, enabled: false, recovery alerts.
func TestComputeAlerts(t *testing.T) {
	alerting := func(alert string) *v1.NodeGuardianRule {
		return fxRule(t, "al", `
conditions: [{metric: cpuLoadRatio, operator: GreaterThan, value: 1.5, duration: 0s}]
actions: [{type: alert, alert: `+alert+`}]
`)
	}
	tests := []struct {
		name, alert string
		want        []string
		warnings    []string
		body        string
	}{
		{"the template's channels, rendered", "{template: high-load-alert}",
			[]string{`n1 +alert (al) firing high-load-alert [email slack] "[NodeGuardian] High load on node n1"`}, []string{}, "load 2 at 2026-11-29T12:00:00Z (al)"},
		{"the action's channels first", "{template: high-load-alert, channels: [webhook]}",
			[]string{`n1 +alert (al) firing high-load-alert [webhook] "[NodeGuardian] High load on node n1"`}, []string{}, ""},
		{"no template: log and a default subject", "{}",
			[]string{`n1 +alert (al) firing  [log] "[NodeGuardian] al firing on n1"`}, []string{"al: an alert action names no template; the default message is used"}, "cpuLoadRatio 2 > 1.5"},
		// A fallback names no template: none rendered the text (webhook template "").
		{"missing template: a default subject and a warning", "{template: nope}",
			[]string{`n1 +alert (al) firing  [log] "[NodeGuardian] al firing on n1"`}, []string{"n1 al: alert template nope not found; a default subject is used"}, ""},
		{"enabled: false", "{enabled: false, template: high-load-alert}", []string{}, []string{}, ""},
		{"Go-template style, with the plan ID", "{template: go-alert}",
			[]string{`n1 +alert (al) firing go-alert [log] "[NodeGuardian] n1 firing"`}, []string{}, "alert; plan PLANID"},
		// The ID covers alert text with the ID as a placeholder: a template that changes
		// the ID cannot be covered with it, so it is rendered without the ID.
		{"a template that cuts the plan ID: rendered without it, and a warning", "{template: cut-id-alert}",
			[]string{`n1 +alert (al) firing cut-id-alert [log] "n1 plan "`},
			[]string{`n1 al: alert template cut-id-alert changes the plan ID (cuts, cases or compares it) or fails with it; the alert is rendered without the plan ID`},
			"plan "},
		{"a rendering error: the default message and a warning", "{template: broken-alert}",
			[]string{`n1 +alert (al) firing  [log] "[NodeGuardian] al firing on n1"`},
			[]string{`n1 al: alert template broken-alert: spec.subject: template: spec.subject:1:27: executing "spec.subject" at <.metrics.noSuchMetric>: map has no entry for key "noSuchMetric"; the default message is used`},
			"cpuLoadRatio 2 > 1.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fxRun(t, fxCase{rules: []*v1.NodeGuardianRule{alerting(tt.alert)}, nodes: []corev1.Node{fxNode("n1")}, series: fxCPU("2"),
				warnings: tt.warnings,
				check: func(t *testing.T, p *Plan) {
					var got []string
					for _, ch := range p.Nodes[0].Changes {
						if ch.Kind == KindAlert {
							got = append(got, fxLine("n1", ch))
							if want := strings.ReplaceAll(tt.body, "PLANID", p.ID); tt.body != "" && ch.Alert.Body != want {
								t.Errorf("body %q, want %q", ch.Alert.Body, tt.body)
							}
						}
					}
					if p.ID != ID(p) {
						t.Errorf("the plan ID does not cover the plan as rendered")
					}
					if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
						t.Errorf("alerts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
					}
				}})
		})
	}
}

// Semantics: rules that are not active do nothing and show why.
func TestComputeInactiveRules(t *testing.T) {
	tests := []struct{ name, extra, inactive string }{
		{"disabled", "metadata: {enabled: false}\n", "disabled"},
		{"suspended", "suspend: true\n", "suspended"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fxRun(t, fxCase{rules: []*v1.NodeGuardianRule{fxRule(t, "hl", fxHighLoad+tt.extra)}, series: fxCPU("1"),
				nodes:   []corev1.Node{fxHLNode("n1", fxAgo(time.Hour)), fxNode("n2")},
				changes: []string{}, warnings: []string{}, deferred: []string{},
				check: func(t *testing.T, p *Plan) {
					s := fxStatus(p, "hl")
					if s.Active || s.Inactive != tt.inactive || s.Matched != 0 || strings.Join(s.Firing, ",") != "n1" {
						t.Errorf("status %+v", s)
					}
				}})
		})
	}
}
