package controller

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fluxcd/pkg/apis/meta"
	"github.com/fluxcd/pkg/runtime/conditions"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
)

// kstatusOf computes the rule's kstatus, as Flux's health checks do.
func kstatusOf(t *testing.T, r *v1.NodeGuardianRule) status.Status {
	t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(r)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetAPIVersion(v1.APIVersion)
	u.SetKind(v1.KindRule)
	res, err := status.Compute(u)
	if err != nil {
		t.Fatal(err)
	}
	return res.Status
}

func describe(r *v1.NodeGuardianRule) string {
	return fmt.Sprintf("gen %d status %+v", r.Generation, r.Status)
}

// A rule fires on its hot node within a checkInterval: taint and ledger, status Ready
// with the firing node, kstatus Current; the metric recovers: the taint goes.
func TestFireAndRecover(t *testing.T) {
	w := newWorld(t, "ng_hot{node=\"fire-a\"} 1\nng_hot{node=\"fire-b\"} 0\n")
	w.node("fire-a", map[string]string{"group": "fire"})
	w.node("fire-b", map[string]string{"group": "fire"})
	run := w.start(Options{})
	w.rule("fire", hotRule("fire", "ng_hot", ""))
	eventually(t, 20*time.Second, "fire-a tainted and owned", func() (bool, string) {
		n := w.getNode("fire-a")
		return hasTaint(n, "fire/hot") && ledgerState(n, "fire") == "Firing", fmt.Sprintf("%v %v", n.Spec.Taints, n.Annotations)
	})
	eventually(t, 10*time.Second, "status Ready with fire-a firing", func() (bool, string) {
		r := w.getRule("fire")
		st := r.Status
		ok := conditions.IsReady(r) && st.FiringCount == 1 && len(st.FiringNodes) == 1 && st.FiringNodes[0].Name == "fire-a" &&
			st.MatchedNodes == 2 && st.ObservedGeneration == r.Generation && st.LastTriggered != nil
		return ok && kstatusOf(t, r) == status.CurrentStatus, describe(r)
	})
	if n := w.getNode("fire-b"); hasTaint(n, "fire/hot") {
		t.Fatalf("fire-b tainted: %v", n.Spec.Taints)
	}
	w.exp.Set("ng_hot{node=\"fire-a\"} 0\nng_hot{node=\"fire-b\"} 0\n")
	eventually(t, 20*time.Second, "fire-a recovered", func() (bool, string) {
		n := w.getNode("fire-a")
		return !hasTaint(n, "fire/hot") && ledgerState(n, "fire") == "Healthy", fmt.Sprintf("%v %v", n.Spec.Taints, n.Annotations)
	})
	eventually(t, 10*time.Second, "status without firing nodes", func() (bool, string) {
		r := w.getRule("fire")
		return conditions.IsReady(r) && r.Status.FiringCount == 0 && len(r.Status.FiringNodes) == 0, describe(r)
	})
	checkFireEvents(t, w, run, "fire", "fire-a")
}

// A dryRun rule changes nothing, but its status reports what it would do.
func TestDryRunRule(t *testing.T) {
	w := newWorld(t, "ng_hot{node=\"dry-a\"} 1\n")
	w.node("dry-a", map[string]string{"group": "dry"})
	run := w.start(Options{})
	w.rule("dry", hotRule("dry", "ng_hot", "dryRun: true"))
	eventually(t, 20*time.Second, "dry-run status", func() (bool, string) {
		r := w.getRule("dry")
		return conditions.IsReady(r) && r.Status.FiringCount == 1 &&
			conditions.GetMessage(r, meta.ReadyCondition) != "" && run.reconciles() >= 3, describe(r)
	})
	if msg := conditions.GetMessage(w.getRule("dry"), meta.ReadyCondition); !contains(msg, "dry run") {
		t.Errorf("Ready message %q does not say dry run", msg)
	}
	if n := w.getNode("dry-a"); hasTaint(n, "dry/hot") || n.Annotations[ledgerKey] != "" {
		t.Fatalf("a dry-run rule changed the node: %v %v", n.Spec.Taints, n.Annotations)
	}
	if got := w.nodeWrites.Load(); got != 0 {
		t.Fatalf("%d node writes by a dry-run rule", got)
	}
}

// --dry-run: a rule that would act changes nothing; status says so.
func TestGlobalDryRun(t *testing.T) {
	w := newWorld(t, "ng_hot{node=\"gdry-a\"} 1\n")
	w.node("gdry-a", map[string]string{"group": "gdry"})
	run := w.start(Options{DryRun: true})
	w.rule("gdry", hotRule("gdry", "ng_hot", ""))
	eventually(t, 20*time.Second, "dry-run status", func() (bool, string) {
		r := w.getRule("gdry")
		return conditions.IsReady(r) && contains(conditions.GetMessage(r, meta.ReadyCondition), "dry run") && run.reconciles() >= 3, describe(r)
	})
	if n := w.getNode("gdry-a"); hasTaint(n, "gdry/hot") || n.Annotations[ledgerKey] != "" || w.nodeWrites.Load() != 0 {
		t.Fatalf("--dry-run changed the node: %v %v (%d writes)", n.Spec.Taints, n.Annotations, w.nodeWrites.Load())
	}
}

// A custom query that is not valid PromQL passes the CRD, but the rule is Stalled with
// Ready False InvalidSpec, and kstatus says Failed.
func TestInvalidQueryStalled(t *testing.T) {
	w := newWorld(t, "ng_hot{node=\"bad-a\"} 1\n")
	w.node("bad-a", map[string]string{"group": "bad"})
	w.start(Options{})
	w.rule("bad", `
nodeSelector: {matchLabels: {group: bad}}
conditions:
- {metric: ng_bad, query: "sum(ng_hot{", operator: GreaterThan, value: 0.5, duration: 0s}
actions:
- type: taint
  taint: {key: bad/hot}
monitoring: {checkInterval: 1s}
`)
	eventually(t, 20*time.Second, "Stalled InvalidSpec", func() (bool, string) {
		r := w.getRule("bad")
		return conditions.IsStalled(r) && conditions.IsFalse(r, meta.ReadyCondition) &&
			conditions.GetReason(r, meta.ReadyCondition) == ReasonInvalidSpec && kstatusOf(t, r) == status.FailedStatus, describe(r)
	})
	t.Logf("Ready: %s", conditions.GetMessage(w.getRule("bad"), meta.ReadyCondition))
	if n := w.getNode("bad-a"); hasTaint(n, "bad/hot") {
		t.Fatal("a rule with an invalid query acted")
	}
}

// Steady state, over several checkIntervals, writes nothing to nodes nor to status
// (lastEvaluationTime included); a kubelet-style status update
// does not trigger a reconcile, a label change does.
func TestSteadyStateAndTriggers(t *testing.T) {
	w := newWorld(t, "ng_hot{node=\"calm-a\"} 1\n")
	w.node("calm-a", map[string]string{"group": "calm"})
	run := w.start(Options{})
	spec := hotRule("calm", "ng_hot", "")
	w.rule("calm", spec)
	eventually(t, 20*time.Second, "calm-a fired and status written", func() (bool, string) {
		r := w.getRule("calm")
		return hasTaint(w.getNode("calm-a"), "calm/hot") && r.Status.FiringCount == 1 && conditions.IsReady(r), describe(r)
	})
	// Let the reconcile of our own PATCH pass, then count over three more checkIntervals.
	base := run.reconciles()
	eventually(t, 10*time.Second, "two more reconciles", func() (bool, string) { return run.reconciles() >= base+2, "" })
	writes, statusWrites := w.nodeWrites.Load(), testutilValue(run.r.m.statusWrites)
	evaluated := w.getRule("calm").Status.LastEvaluationTime
	base = run.reconciles()
	eventually(t, 10*time.Second, "three steady reconciles", func() (bool, string) { return run.reconciles() >= base+3, "" })
	if got := w.nodeWrites.Load() - writes; got != 0 {
		t.Errorf("steady state: %d node writes", got)
	}
	if got := testutilValue(run.r.m.statusWrites) - statusWrites; got != 0 {
		t.Errorf("steady state: %v status writes", got)
	}
	if got := w.getRule("calm").Status.LastEvaluationTime; !got.Equal(evaluated) {
		t.Errorf("steady state: lastEvaluationTime moved from %v to %v", evaluated, got)
	}
	testStatusUpdateDoesNotTrigger(t, w)
}

// testStatusUpdateDoesNotTrigger runs a manager whose only rule checks hourly, so that
// reconciles come from triggers only.
func testStatusUpdateDoesNotTrigger(t *testing.T, w *world) {
	_ = w.c.Delete(context.Background(), w.getRule("calm"))
	w.rule("hourly", `
nodeSelector: {matchLabels: {group: calm}}
conditions:
- {metric: ng_hot, query: ng_hot, operator: GreaterThan, value: 5, duration: 0s}
actions:
- type: taint
  taint: {key: calm/hourly}
monitoring: {checkInterval: 1h}
`)
	run := w.start(Options{})
	eventually(t, 20*time.Second, "hourly evaluated", func() (bool, string) {
		return conditions.IsReady(w.getRule("hourly")) && run.reconciles() >= 1, describe(w.getRule("hourly"))
	})
	time.Sleep(time.Second) // the triggers of the start settle
	base := run.reconciles()
	n := w.getNode("calm-a")
	n.Status.Conditions = append(n.Status.Conditions, heartbeat())
	if err := w.c.Status().Update(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	if got := run.reconciles(); got != base {
		t.Fatalf("a node status update triggered %v reconciles", got-base)
	}
	n = w.getNode("calm-a")
	n.Labels["zone"] = "b"
	if err := w.c.Update(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "a label change triggers a reconcile", func() (bool, string) {
		return run.reconciles() > base, ""
	})
}

// A suspended rule is not evaluated (Ready False Suspended); with Prometheus down, a rule
// is Ready False MetricsUnavailable and what it owns stays.
func TestSuspendedAndMetricsUnavailable(t *testing.T) {
	w := newWorld(t, "ng_hot{node=\"sus-a\"} 1\n")
	w.node("sus-a", map[string]string{"group": "sus"})
	w.start(Options{})
	w.rule("sus-off", hotRule("sus", "ng_hot", "suspend: true"))
	w.rule("sus-on", hotRule("sus", "ng_hot", ""))
	eventually(t, 20*time.Second, "suspended, and the other fired", func() (bool, string) {
		off, on := w.getRule("sus-off"), w.getRule("sus-on")
		return conditions.GetReason(off, meta.ReadyCondition) == ReasonSuspended && conditions.IsFalse(off, meta.ReadyCondition) &&
			conditions.IsReady(on) && on.Status.FiringCount == 1, describe(off) + " / " + describe(on)
	})
	if l := ledgerState(w.getNode("sus-a"), "sus-off"); l != "" {
		t.Fatalf("a suspended rule is in the ledger: %s", l)
	}
	w.prom.Stop()
	eventually(t, 60*time.Second, "MetricsUnavailable", func() (bool, string) {
		r := w.getRule("sus-on")
		return conditions.GetReason(r, meta.ReadyCondition) == ReasonMetricsUnavailable && r.Status.LastError != "", describe(r)
	})
	if n := w.getNode("sus-a"); !hasTaint(n, "sus/hot") {
		t.Fatalf("the taint went while metrics were Unknown: %v", n.Spec.Taints)
	}
}
