package controller

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fluxcd/pkg/runtime/conditions"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/nodeguardian/nodeguardian/internal/ledger"
)

// Once an evicting rule has fired and evicted, the reconciles that follow, while its
// trigger still holds, make no LIST (no pods, no PodDisruptionBudgets: nothing can be
// evicted) and no write (issue 10: every reconcile LISTed the node's pods and every
// PodDisruptionBudget), and leave the status as it is, lastEvaluationTime included.
func TestFiredEvictingRuleIsSteady(t *testing.T) {
	w := newWorld(t, "ng_hot{node=\"evs-a\"} 1\n")
	w.node("evs-a", map[string]string{"group": "evs"})
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "evs-web", Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{NodeName: "evs-a", Containers: []corev1.Container{{Name: "web", Image: "web"}}},
	}
	if err := w.c.Create(context.Background(), pod); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.c.Delete(context.Background(), pod, client.GracePeriodSeconds(0)) })
	run := w.start(Options{})
	w.rule("evs", `
nodeSelector: {matchLabels: {group: evs}}
conditions:
- {metric: ng_hot, query: ng_hot, operator: GreaterThan, value: 0.5, duration: 0s}
actions:
- type: taint
  taint: {key: evs/hot, value: "true", effect: NoSchedule}
- type: evict
  evict: {}
monitoring: {checkInterval: 1s, cooldownPeriod: 0s}
maxUnhealthy: "100%"
`)
	eventually(t, 30*time.Second, "evs-a fired and its pod evicted", func() (bool, string) {
		n := w.getNode("evs-a")
		var p corev1.Pod
		err := w.c.Get(context.Background(), client.ObjectKeyFromObject(pod), &p)
		evicted := err != nil || p.DeletionTimestamp != nil // envtest has no kubelet: Terminating
		e := ledgerEntryOf(n, "evs")
		r := w.getRule("evs")
		return evicted && e != nil && e.State == ledger.Firing && len(e.Evictions) == 0 && r.Status.FiringCount == 1 && conditions.IsReady(r),
			fmt.Sprintf("evicted %v, entry %+v, %s", evicted, e, describe(r))
	})
	base := run.reconciles()
	eventually(t, 10*time.Second, "two more reconciles", func() (bool, string) { return run.reconciles() >= base+2, "" })
	lists, writes, noted := w.lists.Load(), w.writes.Load(), w.noted()
	statusWrites, evaluated := testutilValue(run.r.m.statusWrites), testutilValue(run.r.m.lastEval)
	before := w.getRule("evs").Status
	base = run.reconciles()
	eventually(t, 15*time.Second, "four steady reconciles", func() (bool, string) { return run.reconciles() >= base+4, "" })
	if l, wr := w.lists.Load()-lists, w.writes.Load()-writes; l != 0 || wr != 0 {
		t.Errorf("steady reconciles after the eviction: %d LISTs, %d writes, want none:\n%s", l, wr, strings.Join(w.requestsSince(noted), "\n"))
	}
	if got := testutilValue(run.r.m.statusWrites) - statusWrites; got != 0 {
		t.Errorf("steady reconciles: %v status writes", got)
	}
	if after := w.getRule("evs").Status; !after.LastEvaluationTime.Equal(before.LastEvaluationTime) {
		t.Errorf("lastEvaluationTime moved from %v to %v with nothing else changed", before.LastEvaluationTime, after.LastEvaluationTime)
	}
	if got := testutilValue(run.r.m.lastEval); got <= evaluated {
		t.Errorf("nodeguardian_last_evaluation_timestamp_seconds stayed at %v over four reconciles", got)
	}
}

// ledgerEntryOf is rule's entry in the node's ledger, nil when none.
func ledgerEntryOf(n *corev1.Node, rule string) *ledger.Entry {
	l, err := ledger.Read(n)
	if err != nil || l == nil {
		return nil
	}
	return l.Rules[rule]
}

// isList tells LISTs from GETs of one object and watches.
func TestIsList(t *testing.T) {
	for path, want := range map[string]bool{
		"/api/v1/pods?fieldSelector=spec.nodeName%3Da":            true,
		"/api/v1/namespaces/default/pods":                         true,
		"/apis/policy/v1/poddisruptionbudgets":                    true,
		"/apis/nodeguardian.k8s.io/v1/nodeguardianrules":          true,
		"/api/v1/nodes/a":                                         false,
		"/api/v1/namespaces/default/pods/web":                     false,
		"/apis/policy/v1/namespaces/default/poddisruptionbudgets": true,
		"/api/v1/nodes?watch=true&resourceVersion=5":              false,
		"/version": false,
	} {
		req, err := http.NewRequest(http.MethodGet, "https://api"+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := isList(req); got != want {
			t.Errorf("%s: isList %v, want %v", path, got, want)
		}
	}
}
