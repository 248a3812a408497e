package controller

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fluxcd/pkg/apis/meta"
	"github.com/fluxcd/pkg/runtime/conditions"
	"github.com/prometheus/client_golang/prometheus"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// denyLedger installs a ValidatingAdmissionPolicy that refuses every write of node
// giving it the ownership ledger (what the controller's PATCH does), and waits until the
// API server enforces it; it is removed when the test ends.
func denyLedger(t *testing.T, w *world, node string) {
	t.Helper()
	ctx := context.Background()
	fail := admissionregistrationv1.Fail
	policy := &admissionregistrationv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: node + "-deny-ledger"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: &fail,
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionregistrationv1.RuleWithOperations{
					Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Update},
					Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"nodes"}},
				},
			}}},
			Validations: []admissionregistrationv1.Validation{{
				Expression: fmt.Sprintf("object.metadata.name != %q || !has(object.metadata.annotations) || !(%q in object.metadata.annotations)", node, ledgerKey),
				Message:    "the test refuses the ownership ledger on " + node,
			}},
		},
	}
	binding := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: policy.Name},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: policy.Name,
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}},
	}
	for _, o := range []client.Object{policy, binding} {
		if err := w.c.Create(ctx, o); err != nil {
			t.Fatalf("create %s: %v", o.GetName(), err)
		}
		t.Cleanup(func() { _ = w.c.Delete(context.Background(), o) })
	}
	eventually(t, 30*time.Second, "the policy enforced", func() (bool, string) {
		n := w.getNode(node)
		p := client.MergeFrom(n.DeepCopy())
		n.Annotations = map[string]string{ledgerKey: "{}"}
		err := w.c.Patch(ctx, n, p, client.DryRunAll)
		return err != nil && contains(err.Error(), "refuses the ownership ledger"), fmt.Sprintf("dry-run patch: %v", err)
	})
}

// histogramCount is how many observations the histogram named name in reg holds.
func histogramCount(t *testing.T, reg *prometheus.Registry, name string) uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	return 0
}

// A node whose PATCH the API server refuses: the rule is Ready False ApplyFailed with
// the refusal in lastError, an ApplyFailed Event is on the rule and the node, the action
// is counted failed and the apply timed; the node is not changed.
func TestApplyFailed(t *testing.T) {
	w := newWorld(t, "ng_hot{node=\"apf-a\"} 1\n")
	w.node("apf-a", map[string]string{"group": "apf"})
	denyLedger(t, w, "apf-a")
	reg := prometheus.NewRegistry()
	run := w.start(Options{Registerer: reg})
	w.rule("apf", hotRule("apf", "ng_hot", ""))
	eventually(t, 30*time.Second, "Ready False ApplyFailed", func() (bool, string) {
		r := w.getRule("apf")
		return conditions.IsFalse(r, meta.ReadyCondition) && conditions.GetReason(r, meta.ReadyCondition) == ReasonApplyFailed &&
			contains(r.Status.LastError, "refuses the ownership ledger"), describe(r)
	})
	eventually(t, 10*time.Second, "ApplyFailed Events on the rule and the node", func() (bool, string) {
		r, n := w.eventsOf("NodeGuardianRule", "apf"), w.eventsOf("Node", "apf-a")
		return hasEvent(r, EventApplyFailed) && hasEvent(n, EventApplyFailed), fmt.Sprintf("rule %q node %q", r, n)
	})
	if got := testutilValue(run.r.m.actions.WithLabelValues(string(plan.KindTaint), "failed")); got == 0 {
		t.Error(`nodeguardian_actions_total{type="taint",result="failed"} did not move`)
	}
	if got := histogramCount(t, reg, "nodeguardian_apply_duration_seconds"); got == 0 {
		t.Error("nodeguardian_apply_duration_seconds observed no apply")
	}
	if n := w.getNode("apf-a"); hasTaint(n, "apf/hot") || n.Annotations[ledgerKey] != "" {
		t.Fatalf("the refused PATCH changed the node: %v %v", n.Spec.Taints, n.Annotations)
	}
}

// A rule with metadata.enabled false is not evaluated: Ready False Suspended, nothing
// on its nodes, while an enabled rule on the same nodes acts.
func TestDisabledRule(t *testing.T) {
	w := newWorld(t, "ng_hot{node=\"dis-a\"} 1\n")
	w.node("dis-a", map[string]string{"group": "dis"})
	w.start(Options{})
	w.rule("dis-off", hotRule("dis", "ng_hot", "metadata: {enabled: false}"))
	w.rule("dis-on", hotRule("dis", "ng_hot", "metadata: {priority: 1}"))
	eventually(t, 20*time.Second, "disabled Suspended, the other fired", func() (bool, string) {
		off, on := w.getRule("dis-off"), w.getRule("dis-on")
		return conditions.IsFalse(off, meta.ReadyCondition) && conditions.GetReason(off, meta.ReadyCondition) == ReasonSuspended &&
			contains(conditions.GetMessage(off, meta.ReadyCondition), "enabled is false") &&
			conditions.IsReady(on) && on.Status.FiringCount == 1, describe(off) + " / " + describe(on)
	})
	if off := w.getRule("dis-off"); off.Status.FiringCount != 0 || off.Status.MatchedNodes != 0 {
		t.Errorf("a disabled rule was evaluated: %s", describe(off))
	}
	if l := ledgerState(w.getNode("dis-a"), "dis-off"); l != "" {
		t.Fatalf("a disabled rule is in the ledger: %s", l)
	}
}

// A spec the CRD accepts but the loader's semantic checks refuse (an annotation value
// naming the plan ID, which is part of the plan ID) is Stalled, Ready False
// InvalidSpec naming the field, with an InvalidSpec Event; the rule does not act.
func TestSemanticallyInvalidSpecStalled(t *testing.T) {
	w := newWorld(t, "ng_hot{node=\"sem-a\"} 1\n")
	w.node("sem-a", map[string]string{"group": "sem"})
	w.start(Options{})
	w.rule("sem", `
nodeSelector: {matchLabels: {group: sem}}
conditions:
- {metric: ng_hot, query: ng_hot, operator: GreaterThan, value: 0.5, duration: 0s}
actions:
- type: annotation
  annotation: {annotations: {example.com/plan: "{{ .planID }}"}}
monitoring: {checkInterval: 1s}
`)
	eventually(t, 20*time.Second, "Stalled InvalidSpec", func() (bool, string) {
		r := w.getRule("sem")
		return conditions.IsStalled(r) && conditions.GetReason(r, meta.ReadyCondition) == ReasonInvalidSpec &&
			contains(r.Status.LastError, "cannot use planID") && contains(r.Status.LastError, "annotation"), describe(r)
	})
	eventually(t, 10*time.Second, "InvalidSpec Event", func() (bool, string) {
		e := w.eventsOf("NodeGuardianRule", "sem")
		return hasEvent(e, EventInvalidSpec), fmt.Sprint(e)
	})
	if n := w.getNode("sem-a"); n.Annotations["example.com/plan"] != "" || n.Annotations[ledgerKey] != "" {
		t.Fatalf("an invalid rule acted: %v", n.Annotations)
	}
}

// `flux reconcile` sets reconcile.fluxcd.io/requestedAt: the change triggers a
// reconcile (the rule's only timer is an hour away) and the value is recorded in
// status.lastHandledReconcileAt.
func TestReconcileRequested(t *testing.T) {
	w := newWorld(t, "ng_hot{node=\"req-a\"} 0\n")
	w.node("req-a", map[string]string{"group": "req"})
	run := w.start(Options{})
	w.rule("req", `
nodeSelector: {matchLabels: {group: req}}
conditions:
- {metric: ng_hot, query: ng_hot, operator: GreaterThan, value: 0.5, duration: 0s}
actions:
- type: taint
  taint: {key: req/hot}
monitoring: {checkInterval: 1h}
`)
	eventually(t, 20*time.Second, "evaluated", func() (bool, string) {
		return conditions.IsReady(w.getRule("req")) && run.reconciles() >= 1, describe(w.getRule("req"))
	})
	time.Sleep(time.Second) // the triggers of the start settle
	base := run.reconciles()
	r := w.getRule("req")
	p := client.MergeFrom(r.DeepCopy())
	const at = "2026-12-06T12:00:00Z"
	r.Annotations = map[string]string{meta.ReconcileRequestAnnotation: at}
	if err := w.c.Patch(context.Background(), r, p); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "reconciled and recorded", func() (bool, string) {
		r := w.getRule("req")
		return run.reconciles() > base && r.Status.LastHandledReconcileAt == at, describe(r)
	})
}
