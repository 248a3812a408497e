package plan

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/evaluate"
	"github.com/nodeguardian/nodeguardian/internal/ledger"
	"github.com/nodeguardian/nodeguardian/internal/series"
)

// Fixtures of the compute tests, prefixed fx so as not to clash with other test files.

var fxNow = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

const fxStep = 30 * time.Second

// fxAgo is fxNow minus d.
func fxAgo(d time.Duration) time.Time { return fxNow.Add(-d) }

func fxTime(t time.Time) *time.Time { return &t }

// fxRule builds a defaulted rule from the YAML of its spec.
func fxRule(t testing.TB, name, spec string) *v1.NodeGuardianRule {
	t.Helper()
	var s v1.NodeGuardianRuleSpec
	if err := yaml.UnmarshalStrict([]byte(spec), &s); err != nil {
		t.Fatalf("rule %s: %v", name, err)
	}
	r := &v1.NodeGuardianRule{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: s}
	r.Default()
	return r
}

// fxNode builds a node; options add taints, labels, annotations, a ledger.
func fxNode(name string, opts ...func(*corev1.Node)) corev1.Node {
	n := corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, ResourceVersion: "1"}}
	for _, o := range opts {
		o(&n)
	}
	return n
}

func fxTaint(key, value string, effect corev1.TaintEffect) func(*corev1.Node) {
	return func(n *corev1.Node) {
		n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: key, Value: value, Effect: effect})
	}
}

func fxLabel(key, value string) func(*corev1.Node) {
	return func(n *corev1.Node) {
		if n.Labels == nil {
			n.Labels = map[string]string{}
		}
		n.Labels[key] = value
	}
}

func fxAnnotation(key, value string) func(*corev1.Node) {
	return func(n *corev1.Node) {
		if n.Annotations == nil {
			n.Annotations = map[string]string{}
		}
		n.Annotations[key] = value
	}
}

func fxCordoned(n *corev1.Node) { n.Spec.Unschedulable = true }

// fxLedger puts a canonical ledger with these entries on the node.
func fxLedger(entries map[string]*ledger.Entry) func(*corev1.Node) {
	l := &ledger.Ledger{Version: ledger.Version, Rules: entries}
	return fxAnnotation(ledger.Annotation, l.Encode())
}

// fxFiring is a Firing entry since t (also its lastFired).
func fxFiring(since time.Time) *ledger.Entry {
	return &ledger.Entry{State: ledger.Firing, Since: since, LastFired: fxTime(since)}
}

// fxPod is a pod on a node; options change it.
func fxPod(ns, name, node string, opts ...func(*corev1.Pod)) corev1.Pod {
	p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": name}}, Spec: corev1.PodSpec{NodeName: node}}
	for _, o := range opts {
		o(&p)
	}
	return p
}

func fxPriority(v int32) func(*corev1.Pod) { return func(p *corev1.Pod) { p.Spec.Priority = &v } }

func fxPDB(ns, name, app string, allowed int32) policyv1.PodDisruptionBudget {
	return policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       policyv1.PodDisruptionBudgetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}},
		Status:     policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: allowed},
	}
}

// fxTemplates are alert templates in the prototype's style.
func fxTemplates() map[string]*v1.AlertTemplate {
	tmpl := func(name, subject, body string, ch ...v1.Channel) *v1.AlertTemplate {
		return &v1.AlertTemplate{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1.AlertTemplateSpec{Subject: subject, Body: body, Channels: ch}}
	}
	return map[string]*v1.AlertTemplate{
		"high-load-alert": tmpl("high-load-alert", "[NodeGuardian] High load on node {{ node_name }}",
			"load {{ metrics.cpu_load_ratio }} at {{ timestamp }} ({{ rule_name }})", v1.ChannelEmail, v1.ChannelSlack),
		"recovery-alert": tmpl("recovery-alert", "[NodeGuardian] Node {{ node_name }} has recovered", "", v1.ChannelWebhook),
		"go-alert": tmpl("go-alert", "[NodeGuardian] {{ .nodeName }} {{ .state }}",
			"{{ range .actions }}{{ .type }};{{ end }} plan {{ .planID }}"),
		"cut-id-alert": tmpl("cut-id-alert", `{{ .nodeName }} plan {{ printf "%.8s" .planID }}`, "plan {{ .planID }}"),
		"broken-alert": tmpl("broken-alert", "{{ .nodeName }} {{ .metrics.noSuchMetric }}", ""),
	}
}

// fxCase is one planning scenario: a fleet, rules, metric series, and what the plan must hold.
type fxCase struct {
	name   string
	rules  []*v1.NodeGuardianRule
	nodes  []corev1.Node
	series map[string]map[string]string // node → metric → promtool notation ending at fxNow
	pods   []corev1.Pod
	pdbs   []policyv1.PodDisruptionBudget
	input  func(*Input) // adjusts the input
	// changes are every change as fxLine shows it, in plan order ("n1 +ledger" for the ledger).
	changes []string
	// deferred and warnings are "node rule: text", sorted as in the plan; nil skips the check.
	deferred []string
	warnings []string
	check    func(t *testing.T, p *Plan)
}

// fxInput evaluates the rules on the fleet and builds the Compute input.
func fxInput(t testing.TB, rules []*v1.NodeGuardianRule, nodes []corev1.Node, ser map[string]map[string]string) Input {
	t.Helper()
	var data series.Data
	for node, ms := range ser {
		for metric, notation := range ms {
			s, err := series.Expand(notation, fxNow, fxStep)
			if err != nil {
				t.Fatal(err)
			}
			data.Add(node, metric, s...)
		}
	}
	rules = slices.Clone(rules)
	slices.SortFunc(rules, func(a, b *v1.NodeGuardianRule) int { return strings.Compare(a.Name, b.Name) })
	res := evaluate.Evaluate(rules, nodes, &data, evaluate.Options{Now: fxNow, Interval: fxStep})
	return Input{Now: fxNow, Results: res, Templates: fxTemplates(), Nodes: nodes, MaxDisruptive: fxBudget("100%"),
		Inputs: Inputs{RulesHash: "r", FleetHash: "f", Source: "test"}}
}

func (c fxCase) plan(t *testing.T, nodes []corev1.Node) (*Plan, Input) {
	t.Helper()
	in := fxInput(t, c.rules, nodes, c.series)
	in.Pods, in.PDBs = c.pods, c.pdbs
	if c.input != nil {
		c.input(&in)
	}
	return Compute(in), in
}

// fxRun plans a case, checks it, then applies the plan and checks that planning again at
// the same instant changes nothing.
func fxRun(t *testing.T, c fxCase) {
	t.Helper()
	p, in := c.plan(t, c.nodes)
	if c.changes != nil {
		fxEqual(t, "changes", fxLines(p), c.changes)
	}
	if c.deferred != nil {
		fxEqual(t, "deferred", fxDeferred(p), c.deferred)
	}
	if c.warnings != nil {
		fxEqual(t, "warnings", fxWarnings(p), c.warnings)
	}
	if c.check != nil {
		c.check(t, p)
	}
	after := c
	after.pods = fxEvict(c.pods, p)
	again, _ := after.plan(t, fxApply(in.Nodes, p))
	for _, n := range again.Nodes {
		for _, ch := range n.Changes {
			// A blocked eviction is tried again by every plan while its rule fires.
			if !ch.DryRun && !(ch.Kind == KindEvict && strings.HasPrefix(ch.Reason, "retry: ")) {
				t.Errorf("planning again after applying the plan changes %s", fxLine(n.Node, ch))
			}
		}
	}
}

func fxEqual(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\ngot:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// fxLines shows every change of a plan on one line each.
func fxLines(p *Plan) []string {
	out := []string{}
	for _, n := range p.Nodes {
		for _, ch := range n.Changes {
			out = append(out, fxLine(n.Node, ch))
		}
	}
	return out
}

// fxLine is a change as "node +taint key=value:Effect (rule)", with " drift"/" dry" marks.
func fxLine(node string, ch Change) string {
	sym := map[Op]string{OpAdd: "+", OpChange: "~", OpRemove: "-"}[ch.Op]
	s := node + " " + sym + string(ch.Kind)
	value := ch.Value
	if ch.Op == OpRemove {
		value = ch.Old
	}
	switch ch.Kind {
	case KindState:
		s += " " + ch.Rule + " " + ch.From + "→" + ch.To
	case KindTaint:
		s += " " + ch.Key + "=" + value + ":" + ch.Effect + " (" + ch.Rule + ")"
	case KindLabel, KindAnnotation:
		s += " " + ch.Key + "=" + value + " (" + ch.Rule + ")"
	case KindCordon:
		s += " (" + ch.Rule + ")"
	case KindEvict:
		var pods []string
		for _, p := range ch.Pods {
			ps := p.Namespace + "/" + p.Name
			if p.BlockedBy != "" {
				ps += "[blocked " + p.BlockedBy + "]"
			}
			pods = append(pods, ps)
		}
		s += " (" + ch.Rule + ") " + strings.Join(pods, ",")
	case KindAlert:
		s += fmt.Sprintf(" (%s) %s %s %v %q", ch.Rule, ch.Alert.Event, ch.Alert.Template, ch.Alert.Channels, ch.Alert.Subject)
	}
	if ch.Drift {
		s += " drift"
	}
	if ch.DryRun {
		s += " dry"
	}
	return s
}

func fxDeferred(p *Plan) []string {
	out := []string{}
	for _, d := range p.Deferred {
		out = append(out, d.Node+" "+d.Rule+": "+d.Reason)
	}
	return out
}

func fxWarnings(p *Plan) []string {
	out := []string{}
	for _, w := range p.Warnings {
		out = append(out, strings.TrimSpace(w.Node+" "+w.Rule)+": "+w.Message)
	}
	return out
}

// fxApply applies a plan's non-dry-run changes to a copy of the nodes, the way the
// applier sets taints, labels, annotations, the ledger and unschedulable.
func fxApply(nodes []corev1.Node, p *Plan) []corev1.Node {
	out := make([]corev1.Node, len(nodes))
	for i := range nodes {
		out[i] = *nodes[i].DeepCopy()
	}
	for _, np := range p.Nodes {
		i := slices.IndexFunc(out, func(n corev1.Node) bool { return n.Name == np.Node })
		for _, ch := range np.Changes {
			if !ch.DryRun {
				fxApplyChange(&out[i], ch)
			}
		}
		fxDeliver(&out[i], np, p.CreatedAt)
		fxRecordEvictions(&out[i], np)
	}
	return out
}

// fxEvict is pods without those the plan evicts (not blocked).
func fxEvict(pods []corev1.Pod, p *Plan) []corev1.Pod {
	gone := fxEvicted(p)
	return slices.DeleteFunc(slices.Clone(pods), func(pod corev1.Pod) bool { return gone[pod.Namespace+"/"+pod.Name] })
}

func fxEvicted(p *Plan) map[string]bool {
	gone := map[string]bool{}
	for _, n := range p.Nodes {
		for _, c := range n.Changes {
			if c.Kind == KindEvict && !c.DryRun {
				for _, pe := range c.Pods {
					if pe.BlockedBy == "" {
						gone[pe.Namespace+"/"+pe.Name] = true
					}
				}
			}
		}
	}
	return gone
}

// fxRecordEvictions records the node plan's evictions in the node's ledger, as Apply does.
func fxRecordEvictions(n *corev1.Node, np NodePlan) {
	l, err := ledger.Read(n)
	if err != nil {
		return
	}
	gone := fxEvicted(&Plan{Nodes: []NodePlan{np}})
	if RecordEvictions(l, np, func(ns, name string) bool { return gone[ns+"/"+name] }) {
		if enc := l.Encode(); enc == "" {
			delete(n.Annotations, ledger.Annotation)
		} else {
			n.Annotations[ledger.Annotation] = enc
		}
	}
}

// fxDeliver records every alert of the node plan as delivered to all its channels.
func fxDeliver(n *corev1.Node, np NodePlan, at time.Time) {
	l, err := ledger.Read(n)
	if err != nil {
		return
	}
	changed := false
	for _, ch := range np.Changes {
		if ch.Alert != nil && RecordDelivered(l, ch, ch.Alert.Channels, at) {
			changed = true
		}
	}
	if changed {
		n.Annotations[ledger.Annotation] = l.Encode()
	}
}

func fxApplyChange(n *corev1.Node, ch Change) {
	switch ch.Kind {
	case KindTaint:
		n.Spec.Taints = slices.DeleteFunc(n.Spec.Taints, func(t corev1.Taint) bool {
			return t.Key == ch.Key && string(t.Effect) == ch.Effect
		})
		if ch.Op != OpRemove {
			n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: ch.Key, Value: ch.Value, Effect: corev1.TaintEffect(ch.Effect)})
		}
	case KindLabel:
		fxSetMap(&n.Labels, ch)
	case KindAnnotation, KindLedger:
		fxSetMap(&n.Annotations, ch)
	case KindCordon:
		n.Spec.Unschedulable = ch.Op != OpRemove
	}
}

func fxSetMap(m *map[string]string, ch Change) {
	if ch.Op == OpRemove {
		delete(*m, ch.Key)
		return
	}
	if *m == nil {
		*m = map[string]string{}
	}
	(*m)[ch.Key] = ch.Value
}

// fxLedgerOf decodes the ledger a plan writes on a node (nil when it writes none).
func fxLedgerOf(t *testing.T, p *Plan, node string) *ledger.Ledger {
	t.Helper()
	for _, n := range p.Nodes {
		for _, ch := range n.Changes {
			if n.Node == node && ch.Kind == KindLedger {
				l, err := ledger.Read(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{ledger.Annotation: ch.Value}}})
				if err != nil {
					t.Fatal(err)
				}
				return l
			}
		}
	}
	return nil
}

func fxStatus(p *Plan, rule string) RuleStatus {
	for _, r := range p.Rules {
		if r.Name == rule {
			return r
		}
	}
	return RuleStatus{}
}

// fxLedgerEntries puts a ledger with one entry on a node.
func fxLedgerEntries(rule string, e *ledger.Entry) func(*corev1.Node) {
	return fxLedger(map[string]*ledger.Entry{rule: e})
}

// fxBudget is a budget such as "30%".
func fxBudget(s string) *intstr.IntOrString {
	v := intstr.Parse(s)
	return &v
}
