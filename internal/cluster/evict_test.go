package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// running marks a pod Running and Ready, as a kubelet would: the Eviction API ignores
// PodDisruptionBudgets for Pending pods.
func running(t *testing.T, f *fixture, p *corev1.Pod) {
	t.Helper()
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	if _, err := f.admin.CoreV1().Pods(p.Namespace).UpdateStatus(context.Background(), p, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("mark pod %s/%s running: %v", p.Namespace, p.Name, err)
	}
}

// exhausted is the status of a PodDisruptionBudget that allows no disruption.
func exhausted() *policyv1.PodDisruptionBudgetStatus {
	return &policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: 0, CurrentHealthy: 1, DesiredHealthy: 1, ExpectedPods: 1}
}

// evictionFixture creates, on node, in namespace ns: "free" (no PDB), "guarded" (its PDB
// "guard" allows no disruption), "daemon" (a DaemonSet's pod) and "mirror" (a static
// pod's mirror), all Running.
func evictionFixture(t *testing.T, f *fixture, ns, node string) {
	t.Helper()
	f.createNamespace(t, ns)
	f.createNode(t, node)
	ds := &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "agent"},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "agent"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "agent"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "registry.k8s.io/pause:3.10"}}},
			},
		},
	}
	ds, err := f.admin.AppsV1().DaemonSets(ns).Create(context.Background(), ds, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create DaemonSet: %v", err)
	}
	yes := true
	pods := map[string]func(*corev1.Pod){
		"free":    nil,
		"guarded": func(p *corev1.Pod) { p.Labels = map[string]string{"app": "db"} },
		"daemon": func(p *corev1.Pod) {
			p.Labels = map[string]string{"app": "agent"}
			p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "DaemonSet", Name: ds.Name, UID: ds.UID, Controller: &yes}}
		},
		"mirror": func(p *corev1.Pod) { p.Annotations = map[string]string{corev1.MirrorPodAnnotationKey: "x"} },
	}
	for name, mutate := range pods {
		running(t, f, createPod(t, f, ns, name, node, mutate))
	}
	createPDB(t, f, ns, "guard", map[string]string{"app": "db"}, exhausted())
}

// podExists reports whether the pod is still there (and not terminating).
func podExists(t *testing.T, f *fixture, ns, name string) bool {
	t.Helper()
	p, err := f.admin.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false
	}
	if err != nil {
		t.Fatalf("get pod %s/%s: %v", ns, name, err)
	}
	return p.DeletionTimestamp == nil
}

func evictChange(ns string, names ...string) plan.Change {
	ch := plan.Change{Op: plan.OpAdd, Kind: plan.KindEvict, Rule: "hot"}
	for _, n := range names {
		ch.Pods = append(ch.Pods, plan.PodEviction{Namespace: ns, Name: n})
	}
	return ch
}

func TestApplyEvictions(t *testing.T) {
	f := newFixture(t)
	ctx := testContext(t)
	const ns, node = "evict-apply", "evict-apply-n"
	evictionFixture(t, f, ns, node)
	createPod(t, f, ns, "known-blocked", node, nil)

	ev := evictChange(ns, "free", "guarded", "daemon", "mirror", "known-blocked", "absent")
	ev.Pods[4].BlockedBy = ns + "/other"
	changes := append(firing(), ev)
	n := f.getNode(t, node)
	p := &plan.Plan{Nodes: []plan.NodePlan{{Node: node, ResourceVersion: n.ResourceVersion, Changes: changes}}}

	f.rec.reset()
	began := time.Now()
	res, err := f.c.Apply(ctx, p, nil, ApplyOptions{EvictionTimeout: time.Second, EvictionRetryDelay: 200 * time.Millisecond})
	took := time.Since(began)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failed) > 0 {
		t.Fatalf("failed: %v", res.Failed)
	}
	if res.PodsEvicted != 1 || res.NodesChanged != 1 {
		t.Errorf("PodsEvicted %d NodesChanged %d, want 1 and 1", res.PodsEvicted, res.NodesChanged)
	}
	wantBlocked := []string{ns + "/guarded: blocked by PDB " + ns + "/guard", ns + "/known-blocked: blocked by PDB " + ns + "/other"}
	blocked := slices.Sorted(slices.Values(res.Blocked))
	if !slices.Equal(blocked, wantBlocked) {
		t.Errorf("blocked = %q, want %q", blocked, wantBlocked)
	}
	if took < time.Second || took > 10*time.Second {
		t.Errorf("apply took %s; the blocked pod should be retried for the 1s timeout", took)
	}
	for name, want := range map[string]bool{"free": false, "guarded": true, "daemon": true, "mirror": true, "known-blocked": true} {
		if got := podExists(t, f, ns, name); got != want {
			t.Errorf("pod %s exists: %v, want %v", name, got, want)
		}
	}
	if dels := f.rec.matching("DELETE", "/pods"); len(dels) > 0 {
		t.Errorf("pods deleted directly: %+v", dels)
	}
	evictions := map[string]int{}
	for _, r := range f.rec.matching("POST", "/eviction") {
		evictions[strings.TrimSuffix(strings.TrimPrefix(r.Path, "/api/v1/namespaces/"+ns+"/pods/"), "/eviction")]++
	}
	if evictions["free"] != 1 || evictions["guarded"] < 2 || len(evictions) != 2 {
		t.Errorf("eviction requests per pod: %v; want free once, guarded retried, no other", evictions)
	}
	if !slices.ContainsFunc(res.Skipped, func(s string) bool { return strings.Contains(s, ns+"/absent") }) {
		t.Errorf("skipped = %q, want the absent pod", res.Skipped)
	}
	if f.getNode(t, node).Labels["nodeguardian.io/status"] != "hot" {
		t.Error("the node's changes were not written")
	}
}

func TestSimulateEvictions(t *testing.T) {
	f := newFixture(t)
	ctx := testContext(t)
	const ns, node = "evict-sim", "evict-sim-n"
	evictionFixture(t, f, ns, node)
	// A PDB the disruption controller has not processed yet: its refusal asks to retry
	// in 10s, which must not make the simulation wait.
	running(t, f, createPod(t, f, ns, "fresh", node, func(p *corev1.Pod) { p.Labels = map[string]string{"app": "new"} }))
	createPDB(t, f, ns, "unprocessed", map[string]string{"app": "new"}, nil)

	p := &plan.Plan{
		Summary: plan.Summary{Evictions: 4},
		Nodes: []plan.NodePlan{{Node: node, Changes: []plan.Change{
			evictChange(ns, "free", "guarded", "fresh", "absent"),
		}}},
	}
	before := fmt.Sprintf("%+v", *p)
	f.rec.reset()
	began := time.Now()
	refusals, err := f.c.SimulateEvictions(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("simulation took %s", took)
	}
	var got []string
	for _, pe := range p.Nodes[0].Changes[0].Pods {
		got = append(got, pe.Name+":"+refusals[ns+"/"+pe.Name].BlockedBy)
	}
	want := []string{"free:", "guarded:" + ns + "/guard", "fresh:" + ns + "/unprocessed", "absent:"}
	if !slices.Equal(got, want) {
		t.Errorf("pods = %q, want %q", got, want)
	}
	if len(refusals) != 3 || !strings.Contains(refusals[ns+"/absent"].Message, ns+"/absent") {
		t.Errorf("refusals = %+v, want guarded, fresh and a message about the absent pod", refusals)
	}
	if after := fmt.Sprintf("%+v", *p); after != before {
		t.Errorf("the simulation modified the plan:\n%s\n%s", before, after)
	}
	for _, name := range []string{"free", "guarded", "fresh"} {
		if !podExists(t, f, ns, name) {
			t.Errorf("pod %s is gone after a dry run", name)
		}
	}
	if dels := f.rec.matching("DELETE", ""); len(dels) > 0 {
		t.Errorf("DELETE requests: %+v", dels)
	}
	for _, r := range f.rec.matching("POST", "/eviction") {
		if r.Query != "" {
			t.Errorf("eviction %s with query %q", r.Path, r.Query)
		}
	}
}

func TestBlockingPDB(t *testing.T) {
	tooMany := func(msg string, causes ...metav1.StatusCause) error {
		err := apierrors.NewTooManyRequests(msg, 0)
		err.ErrStatus.Details.Causes = causes
		return err
	}
	budget := func(msg string) metav1.StatusCause {
		return metav1.StatusCause{Type: policyv1.DisruptionBudgetCause, Message: msg}
	}
	const refusal = "Cannot evict pod as it would violate the pod's disruption budget."
	tests := []struct {
		name    string
		err     error
		pdb     string
		blocked bool
	}{
		{"budget exhausted", tooMany(refusal, budget("The disruption budget web needs 2 healthy pods and has 2 currently")), "shop/web", true},
		{"budget not processed", tooMany(refusal, budget("The disruption budget web.v2 is still being processed by the server.")), "shop/web.v2", true},
		{"unnamed budget", tooMany(refusal), "", true},
		{"throttled", tooMany("too many requests, please try again later"), "", false},
		{"not found", apierrors.NewNotFound(schema.GroupResource{Resource: "pods"}, "x"), "", false},
		{"wrapped", errors.Join(errors.New("evict"), tooMany(refusal, budget("The disruption budget db needs 1 healthy pods and has 1 currently"))), "shop/db", true},
		{"not an API error", errors.New("connection refused"), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pdb, blocked := blockingPDB(tt.err, "shop")
			if pdb != tt.pdb || blocked != tt.blocked {
				t.Errorf("blockingPDB = %q, %v; want %q, %v", pdb, blocked, tt.pdb, tt.blocked)
			}
		})
	}
}

func TestDropRetryAfter(t *testing.T) {
	tests := []struct {
		path   string
		status int
		kept   bool
	}{
		{"/api/v1/namespaces/a/pods/p/eviction", http.StatusTooManyRequests, false},
		{"/api/v1/namespaces/a/pods/p/eviction", http.StatusServiceUnavailable, true},
		{"/api/v1/nodes", http.StatusTooManyRequests, true},
	}
	for _, tt := range tests {
		rt := dropRetryAfter{next: roundTripFunc(func(*http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: tt.status, Header: http.Header{"Retry-After": {"10"}}}, nil
		})}
		req, _ := http.NewRequest(http.MethodPost, "https://example"+tt.path, nil)
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		if kept := resp.Header.Get("Retry-After") != ""; kept != tt.kept {
			t.Errorf("%s %d: Retry-After kept %v, want %v", tt.path, tt.status, kept, tt.kept)
		}
	}
}

// An eviction change's grace period reaches the Eviction API (the evicted pod terminates
// with it), and its timeout bounds the retries of a refused pod in place of the apply's.
func TestApplyEvictionGracePeriodAndTimeout(t *testing.T) {
	f := newFixture(t)
	ctx := testContext(t)
	const ns, node = "evict-grace", "evict-grace-n"
	evictionFixture(t, f, ns, node)

	ev := evictChange(ns, "free", "guarded")
	grace := int64(7)
	ev.GracePeriodSeconds, ev.TimeoutSeconds = &grace, 1
	n := f.getNode(t, node)
	p := &plan.Plan{Nodes: []plan.NodePlan{{Node: node, ResourceVersion: n.ResourceVersion, Changes: append(firing(), ev)}}}

	began := time.Now()
	res, err := f.c.Apply(ctx, p, nil, ApplyOptions{EvictionTimeout: time.Minute, EvictionRetryDelay: 200 * time.Millisecond})
	took := time.Since(began)
	if err != nil {
		t.Fatal(err)
	}
	if res.PodsEvicted != 1 || len(res.Blocked) != 1 {
		t.Fatalf("PodsEvicted %d, blocked %q; want the free pod evicted, the guarded one blocked", res.PodsEvicted, res.Blocked)
	}
	if took > 15*time.Second {
		t.Errorf("apply took %s: the change's 1s timeout should bound the retries, not the apply's minute", took)
	}
	pod, err := f.admin.CoreV1().Pods(ns).Get(ctx, "free", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get the evicted pod: %v", err)
	}
	if pod.DeletionGracePeriodSeconds == nil || *pod.DeletionGracePeriodSeconds != grace {
		t.Errorf("evicted pod's deletion grace period = %v, want %d", pod.DeletionGracePeriodSeconds, grace)
	}
}
