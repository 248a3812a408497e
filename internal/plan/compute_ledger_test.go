package plan

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/ledger"
)

// Semantics: a ledger is not trusted beyond what NodeGuardian could have written. An entry
// claiming a reserved key, or with impossible content, is corrupt: it is left alone, its
// rule does not act on the node, and the ledger keeps it verbatim.
func TestComputeUntrustedLedger(t *testing.T) {
	hl := fxRule(t, "hl", fxHighLoad)
	cordon := fxRule(t, "co", `
conditions: [{metric: cpuLoadRatio, operator: GreaterThan, value: 1.5, duration: 0s}]
actions: [{type: cordon}]
maxUnhealthy: 100%
`)
	unreachable := corev1.Taint{Key: "node.kubernetes.io/unreachable", Effect: corev1.TaintEffectNoExecute}
	forged := `{"version":1,"rules":{"hl":{"state":"Firing","since":"2026-11-29T11:00:00Z","lastFired":"2026-11-29T11:00:00Z",` +
		`"taints":[{"key":"node.kubernetes.io/unreachable","effect":"NoExecute"}],"cordon":true}}}`
	exploded := `{"version":1,"rules":{"hl":{"state":"Exploded","since":"2026-11-29T11:00:00Z","taints":[{"key":"nodeguardian/high-load","value":"true","effect":"NoSchedule"}]}}}`
	hostname := `{"version":1,"rules":{"hl":{"state":"Firing","since":"2026-11-29T11:00:00Z","labels":{"kubernetes.io/hostname":"evil"}}}}`
	unknownField := `{"version":1,"rules":{"hl":{"state":"Firing","since":"2026-11-29T11:00:00Z","owns":"everything"}}}`
	badEffect := `{"version":1,"rules":{"hl":{"state":"Firing","since":"2026-11-29T11:00:00Z","taints":[{"key":"x","effect":"Explode"}]}}}`
	// encoding/json keeps the last of two keys and matches keys in any case (issue 7):
	// either would turn a Firing entry Healthy and its recovery would remove the taint.
	twice := `{"version":1,"rules":{"hl":{"state":"Firing","since":"2026-11-29T11:00:00Z","taints":[{"key":"nodeguardian/high-load","value":"true","effect":"NoSchedule"}]},` +
		`"hl":{"state":"Healthy","since":"2026-11-29T11:00:00Z"}}}`
	caseVariant := `{"version":1,"rules":{"hl":{"state":"Firing","since":"2026-11-29T11:00:00Z","STATE":"Healthy","taints":[{"key":"nodeguardian/high-load","value":"true","effect":"NoSchedule"}]}}}`
	// Another rule's valid entry next to a corrupt one keeps working.
	mixed := `{"version":1,"rules":{"co":{"state":"Firing","since":"2026-11-29T11:00:00Z","lastFired":"2026-11-29T11:00:00Z","cordon":true},` +
		`"hl":{"state":"Exploded","since":"2026-11-29T11:00:00Z"}}}`

	corruptWarning := func(why string) string {
		return "n1 hl: corrupt ledger entry: " + why +
			"; left alone (nothing it claims is changed and the rule does not act on this node) until a person fixes or deletes it"
	}
	tests := []fxCase{
		{name: "a forged claim on a system taint: recovery neither removes it nor uncordons", rules: []*v1.NodeGuardianRule{hl}, series: fxCPU("0.5"),
			nodes:    []corev1.Node{fxNode("n1", func(n *corev1.Node) { n.Spec.Taints = []corev1.Taint{unreachable} }, fxCordoned, fxAnnotation(ledger.Annotation, forged))},
			changes:  []string{},
			warnings: []string{corruptWarning("claims the reserved taint node.kubernetes.io/unreachable, which NodeGuardian never sets, changes or removes")}},
		{name: "a forged claim on kubernetes.io/hostname", rules: []*v1.NodeGuardianRule{hl}, series: fxCPU("0.5"),
			nodes:    []corev1.Node{fxNode("n1", fxLabel("kubernetes.io/hostname", "n1"), fxAnnotation(ledger.Annotation, hostname))},
			changes:  []string{},
			warnings: []string{corruptWarning("claims the reserved label kubernetes.io/hostname, which NodeGuardian never sets, changes or removes")}},
		{name: "an unknown state: nothing it claims is removed, even when the rule fires", rules: []*v1.NodeGuardianRule{hl}, series: fxCPU("2"),
			nodes:    []corev1.Node{fxNode("n1", fxTaint(fxTaintKey, "true", corev1.TaintEffectNoSchedule), fxAnnotation(ledger.Annotation, exploded))},
			changes:  []string{},
			warnings: []string{corruptWarning(`state "Exploded" is neither Healthy nor Firing`)}},
		{name: "an unknown field", rules: []*v1.NodeGuardianRule{hl}, series: fxCPU("0.5"),
			nodes:    []corev1.Node{fxNode("n1", fxAnnotation(ledger.Annotation, unknownField))},
			changes:  []string{},
			warnings: []string{corruptWarning(`entry does not decode: json: unknown field "owns"`)}},
		{name: "an unknown taint effect", rules: []*v1.NodeGuardianRule{hl}, series: fxCPU("0.5"),
			nodes:    []corev1.Node{fxNode("n1", fxTaint("x", "", "Explode"), fxAnnotation(ledger.Annotation, badEffect))},
			changes:  []string{},
			warnings: []string{corruptWarning(`taint "x" has unknown effect "Explode"`)}},
		{name: "a rule given twice: the ledger is corrupt and nothing is removed", rules: []*v1.NodeGuardianRule{hl}, series: fxCPU("0.5"),
			nodes:    []corev1.Node{fxNode("n1", fxTaint(fxTaintKey, "true", corev1.TaintEffectNoSchedule), fxAnnotation(ledger.Annotation, twice))},
			changes:  []string{},
			warnings: []string{`n1: corrupt ledger: node n1: annotation nodeguardian.k8s.io/ledger: line 1: rules: field "hl" appears twice; treating it as owning nothing, node left alone`}},
		{name: "a field in another case: the entry is corrupt and nothing is removed", rules: []*v1.NodeGuardianRule{hl}, series: fxCPU("0.5"),
			nodes:    []corev1.Node{fxNode("n1", fxTaint(fxTaintKey, "true", corev1.TaintEffectNoSchedule), fxAnnotation(ledger.Annotation, caseVariant))},
			changes:  []string{},
			warnings: []string{corruptWarning(`entry does not decode: line 1: the entry: unknown field "STATE" (field names are case-sensitive: "state")`)}},
		{name: "a valid entry beside a corrupt one still recovers; the corrupt one is kept verbatim", rules: []*v1.NodeGuardianRule{hl, cordon}, series: fxCPU("0.5"),
			nodes:   []corev1.Node{fxNode("n1", fxCordoned, fxAnnotation(ledger.Annotation, mixed))},
			changes: []string{"n1 ~state co Firing→Healthy", "n1 -cordon (co)", "n1 ~ledger"},
			check: func(t *testing.T, p *Plan) {
				for _, ch := range p.Nodes[0].Changes {
					if ch.Kind == KindLedger && !strings.Contains(ch.Value, `"hl":{"state":"Exploded","since":"2026-11-29T11:00:00Z"}`) {
						t.Errorf("the corrupt entry was not kept verbatim: %s", ch.Value)
					}
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { fxRun(t, tt) })
	}
}

// A rule that names a reserved key never reaches the node, even when it slips past the
// loader (a rule object stored before the CRD rejected it).
func TestComputeRuleWithReservedKey(t *testing.T) {
	r := fxRule(t, "bad", `
conditions: [{metric: cpuLoadRatio, operator: GreaterThan, value: 1.5, duration: 0s}]
actions:
- {type: taint, taint: {key: node.kubernetes.io/unschedulable, effect: NoSchedule}}
- {type: label, label: {labels: {kubernetes.io/hostname: x, ok/label: "y", node.kubernetes.io/out-of-service: z}}}
- {type: annotation, annotation: {annotations: {nodeguardian.k8s.io/ledger: "{}", node.kubernetes.io/out-of-service: z}}}
maxUnhealthy: 100%
`)
	fxRun(t, fxCase{rules: []*v1.NodeGuardianRule{r}, series: fxCPU("2"), nodes: []corev1.Node{fxNode("n1")},
		changes: []string{"n1 ~state bad Healthy→Firing", "n1 +label ok/label=y (bad)", "n1 +ledger"},
		warnings: []string{
			"bad: annotation node.kubernetes.io/out-of-service is a reserved key NodeGuardian never sets, changes or removes; the action is ignored",
			"bad: annotation nodeguardian.k8s.io/ledger is a reserved key NodeGuardian never sets, changes or removes; the action is ignored",
			"bad: label kubernetes.io/hostname is a reserved key NodeGuardian never sets, changes or removes; the action is ignored",
			// The one allowed reserved key is a taint key only (issue 7).
			"bad: label node.kubernetes.io/out-of-service is a reserved key NodeGuardian never sets, changes or removes; the action is ignored",
			"bad: taint node.kubernetes.io/unschedulable is a reserved key NodeGuardian never sets, changes or removes; the action is ignored",
		}})
}

// Semantics: a time in a ledger entry after Now (plus ledger.MaxClockSkew) or before
// ledger.MinTime is impossible: the entry is corrupt and left alone, never trusted — a
// lastFired in 2999 would otherwise hold the rule in cooldown on the node forever.
func TestComputeLedgerImpossibleTimes(t *testing.T) {
	hl := fxRule(t, "hl", fxHighLoad)
	entry := func(fields string) string {
		return `{"version":1,"rules":{"hl":{` + fields + `}}}`
	}
	corruptWarning := func(why string) string {
		return "n1 hl: corrupt ledger entry: " + why +
			"; left alone (nothing it claims is changed and the rule does not act on this node) until a person fixes or deletes it"
	}
	future := func(field, at string) string {
		return field + " " + at + " is in the future (now is 2026-11-29T12:00:00Z; at most 5m0s of clock skew is allowed)"
	}
	tests := []struct {
		name, ledger string
		warning      string // "" when the entry is trusted
		deferred     []string
	}{
		{name: "lastFired in 2999", ledger: entry(`"state":"Healthy","since":"2026-11-29T11:00:00Z","lastFired":"2999-01-01T00:00:00Z"`),
			warning: future("lastFired", "2999-01-01T00:00:00Z")},
		{name: "since in the future", ledger: entry(`"state":"Firing","since":"2026-11-29T12:06:00Z","lastFired":"2026-11-29T11:00:00Z"`),
			warning: future("since", "2026-11-29T12:06:00Z")},
		{name: "notified at in the future", ledger: entry(`"state":"Firing","since":"2026-11-29T11:00:00Z","lastFired":"2026-11-29T11:00:00Z","notified":{"event":"firing","at":"2027-01-01T00:00:00Z","channels":["x"]}`),
			warning: future("notified.at", "2027-01-01T00:00:00Z")},
		{name: "taint timeAdded in the future", ledger: entry(`"state":"Firing","since":"2026-11-29T11:00:00Z","taints":[{"key":"nodeguardian/high-load","effect":"NoSchedule","timeAdded":"2030-01-01T00:00:00Z"}]`),
			warning: future("taints[0].timeAdded", "2030-01-01T00:00:00Z")},
		{name: "since before 2000", ledger: entry(`"state":"Healthy","since":"1970-01-01T00:00:00Z"`),
			warning: "since 1970-01-01T00:00:00Z is before 2000"},
		{name: "lastFired before 2000", ledger: entry(`"state":"Healthy","since":"2026-11-29T11:00:00Z","lastFired":"0001-01-01T00:00:00Z"`),
			warning: "lastFired 0001-01-01T00:00:00Z is before 2000"},
		{name: "lastFired within the clock skew is trusted", ledger: entry(`"state":"Healthy","since":"2026-11-29T11:00:00Z","lastFired":"2026-11-29T12:04:00Z"`),
			deferred: []string{"n1 hl: cooldown until 2026-11-29T12:09:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fxCase{rules: []*v1.NodeGuardianRule{hl}, series: fxCPU("2"),
				nodes: []corev1.Node{fxNode("n1", fxAnnotation(ledger.Annotation, tt.ledger))}, deferred: tt.deferred}
			if tt.warning != "" {
				c.changes, c.warnings, c.deferred = []string{}, []string{corruptWarning(tt.warning)}, []string{}
				c.check = func(t *testing.T, p *Plan) {
					if len(p.Nodes) > 0 && len(p.Nodes[0].Changes) > 0 {
						t.Errorf("the corrupt entry's node changes: %v", p.Nodes[0].Changes)
					}
				}
			}
			fxRun(t, c)
		})
	}
}
