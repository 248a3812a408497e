package cluster

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/rest"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
)

const twoContexts = `apiVersion: v1
kind: Config
current-context: a
clusters:
- name: a
  cluster: {server: "https://a.example:6443"}
- name: b
  cluster: {server: "https://b.example:6443"}
users:
- name: u
  user: {token: secret-token}
contexts:
- name: a
  context: {cluster: a, user: u}
- name: b
  context: {cluster: b, user: u}
`

func TestRESTConfig(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "config")
	if err := os.WriteFile(file, []byte(twoContexts), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		opts     Options
		env      string // $KUBECONFIG
		host     string
		qps      float32
		burst    int
		errHas   string
		errHides string // the error must not contain this
	}{
		{name: "explicit file, current context", opts: Options{Kubeconfig: file}, host: "https://a.example:6443", qps: DefaultQPS, burst: DefaultBurst},
		{name: "explicit file, --context", opts: Options{Kubeconfig: file, Context: "b"}, host: "https://b.example:6443", qps: DefaultQPS, burst: DefaultBurst},
		{name: "$KUBECONFIG", env: file, host: "https://a.example:6443", qps: DefaultQPS, burst: DefaultBurst},
		{name: "--kubeconfig wins over $KUBECONFIG", opts: Options{Kubeconfig: file, Context: "b"}, env: filepath.Join(dir, "absent"), host: "https://b.example:6443", qps: DefaultQPS, burst: DefaultBurst},
		{name: "rate limits", opts: Options{Kubeconfig: file, QPS: 7, Burst: 9}, host: "https://a.example:6443", qps: 7, burst: 9},
		{name: "missing file", opts: Options{Kubeconfig: filepath.Join(dir, "nope")}, errHas: "kubeconfig " + filepath.Join(dir, "nope")},
		{name: "unknown context", opts: Options{Kubeconfig: file, Context: "zzz"}, errHas: "context zzz", errHides: "secret-token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("HOME", dir) // no ~/.kube/config of the machine
			t.Setenv("KUBECONFIG", tt.env)
			cfg, err := RESTConfig(tt.opts)
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("err = %v, want one containing %q", err, tt.errHas)
				}
				if tt.errHides != "" && strings.Contains(err.Error(), tt.errHides) {
					t.Errorf("err = %v reveals %q", err, tt.errHides)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Host != tt.host || cfg.QPS != tt.qps || cfg.Burst != tt.burst {
				t.Errorf("host %s qps %v burst %d, want %s %v %d", cfg.Host, cfg.QPS, cfg.Burst, tt.host, tt.qps, tt.burst)
			}
		})
	}
}

// TestNewDoesNotConnect: New only builds clients; the cluster is first contacted by a
// request.
func TestNewDoesNotConnect(t *testing.T) {
	cfg := &rest.Config{Host: "https://nodeguardian.invalid:6443", Timeout: time.Second}
	if _, err := New(cfg); err != nil {
		t.Fatalf("New: %v", err)
	}
	if _, err := New(nil); err == nil {
		t.Error("New(nil) did not fail")
	}
}

func TestNodesPaginates(t *testing.T) {
	f := newFixture(t)
	ctx := testContext(t)
	const count = 1200
	began := time.Now()
	label := "nodeguardian.test/pagination"
	var wg sync.WaitGroup
	errs := make([]error, count)
	sem := make(chan struct{}, 16)
	for i := range count {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("page-%04d", i), Labels: map[string]string{label: "true"}}}
			_, errs[i] = f.admin.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
		})
	}
	wg.Wait()
	t.Cleanup(func() {
		err := f.admin.CoreV1().Nodes().DeleteCollection(context.Background(), metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: label})
		if err != nil {
			t.Errorf("delete the nodes: %v", err)
		}
	})
	for _, err := range errs {
		if err != nil {
			t.Fatalf("create nodes: %v", err)
		}
	}
	t.Logf("created %d nodes in %s", count, time.Since(began).Round(time.Millisecond))

	f.rec.reset()
	nodes, err := f.c.Nodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lists := f.rec.matching("GET", "/api/v1/nodes")
	if len(nodes) < count {
		t.Fatalf("%d nodes, want at least %d", len(nodes), count)
	}
	if want := (len(nodes) + PageSize - 1) / PageSize; len(lists) != want || (len(nodes) <= 1500 && want != 3) {
		t.Errorf("%d LIST requests for %d nodes, want %d", len(lists), len(nodes), want)
	}
	for i, l := range lists {
		q, _ := url.ParseQuery(l.Query)
		if q.Get("limit") != "500" || (i > 0) != (q.Get("continue") != "") {
			t.Errorf("request %d: query %s, want limit=500 and a continue token after the first", i, l.Query)
		}
	}
	if !slices.IsSortedFunc(nodes, func(a, b corev1.Node) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("nodes are not sorted by name")
	}
}

func TestPodsOn(t *testing.T) {
	f := newFixture(t)
	ctx := testContext(t)
	f.createNamespace(t, "podson")
	for _, n := range []string{"podson-a", "podson-b", "podson-c"} {
		f.createNode(t, n)
	}
	for _, p := range [][2]string{{"a-2", "podson-a"}, {"a-1", "podson-a"}, {"b-1", "podson-b"}, {"c-1", "podson-c"}, {"unbound", ""}} {
		createPod(t, f, "podson", p[0], p[1], nil)
	}
	f.rec.reset()
	pods, err := f.c.PodsOn(ctx, []string{"podson-b", "podson-a", "podson-a"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pods {
		got = append(got, p.Namespace+"/"+p.Name+"@"+p.Spec.NodeName)
	}
	want := []string{"podson/a-1@podson-a", "podson/a-2@podson-a", "podson/b-1@podson-b"}
	if !slices.Equal(got, want) {
		t.Errorf("pods = %q, want %q", got, want)
	}
	var selectors []string
	for _, r := range f.rec.matching("GET", "/api/v1/pods") {
		q, _ := url.ParseQuery(r.Query)
		selectors = append(selectors, q.Get("fieldSelector"))
	}
	slices.Sort(selectors)
	if want := []string{"spec.nodeName=podson-a", "spec.nodeName=podson-b"}; !slices.Equal(selectors, want) {
		t.Errorf("pod LISTs with field selectors %q, want %q", selectors, want)
	}
}

// For many nodes, one paginated LIST of all pods replaces a LIST per node.
func TestPodsOnManyNodes(t *testing.T) {
	f := newFixture(t)
	ctx := testContext(t)
	f.createNamespace(t, "podsmany")
	var names []string
	for i := range PodsPerNodeListMax + 4 {
		names = append(names, fmt.Sprintf("podsmany-%02d", i))
	}
	for i, p := range []string{"x", "y", "z"} {
		createPod(t, f, "podsmany", p, names[i*5], nil)
	}
	createPod(t, f, "podsmany", "elsewhere", "podsmany-other", nil)
	f.rec.reset()
	pods, err := f.c.PodsOn(ctx, names)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pods {
		got = append(got, p.Name+"@"+p.Spec.NodeName)
	}
	if want := []string{"x@podsmany-00", "y@podsmany-05", "z@podsmany-10"}; !slices.Equal(got, want) {
		t.Errorf("pods = %q, want %q", got, want)
	}
	lists := f.rec.matching("GET", "/api/v1/pods")
	if len(lists) != 1 || strings.Contains(lists[0].Query, "fieldSelector") {
		t.Errorf("pod LISTs %+v, want one without a field selector", lists)
	}
}

func TestPDBs(t *testing.T) {
	f := newFixture(t)
	ctx := testContext(t)
	for _, ns := range []string{"pdbs-b", "pdbs-a"} {
		f.createNamespace(t, ns)
		createPDB(t, f, ns, "budget", map[string]string{"app": "x"}, nil)
	}
	pdbs, err := f.c.PDBs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pdbs {
		if strings.HasPrefix(p.Namespace, "pdbs-") {
			got = append(got, p.Namespace+"/"+p.Name)
		}
	}
	if want := []string{"pdbs-a/budget", "pdbs-b/budget"}; !slices.Equal(got, want) {
		t.Errorf("PDBs = %q, want %q", got, want)
	}
}

func TestRules(t *testing.T) {
	f := newFixture(t)
	ctx := testContext(t)
	rule := &v1.NodeGuardianRule{
		ObjectMeta: metav1.ObjectMeta{Name: "cluster-test-hot"},
		Spec: v1.NodeGuardianRuleSpec{
			Conditions: []v1.Condition{{Metric: v1.MetricCPULoadRatio, Operator: v1.OpGreaterThan, Value: 1.5, Duration: &metav1.Duration{Duration: time.Minute}}},
			Actions:    []v1.Action{{Type: v1.ActionTaint, Taint: &v1.TaintSpec{Key: "nodeguardian/hot", Effect: "NoSchedule"}}},
		},
	}
	tmpl := &v1.AlertTemplate{ObjectMeta: metav1.ObjectMeta{Name: "cluster-test-tmpl"}, Spec: v1.AlertTemplateSpec{Subject: "hot {{ node_name }}"}}
	if err := f.env.Client.Create(ctx, rule); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.env.Client.Delete(context.Background(), rule) })
	if err := f.env.Client.Create(ctx, tmpl); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.env.Client.Delete(context.Background(), tmpl) })

	rules, tmpls, err := f.c.Rules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(rules, func(r *v1.NodeGuardianRule) bool { return r.Name == rule.Name })
	if i < 0 {
		t.Fatalf("rule %s not read; got %d rules", rule.Name, len(rules))
	}
	r := rules[i]
	if r.Kind != v1.KindRule || r.APIVersion != v1.APIVersion {
		t.Errorf("rule kind %q apiVersion %q", r.Kind, r.APIVersion)
	}
	if len(r.Spec.Actions) != 1 || r.Spec.Actions[0].Taint.Key != "nodeguardian/hot" || r.Spec.Conditions[0].Duration.Duration != time.Minute {
		t.Errorf("rule spec = %+v", r.Spec)
	}
	j := slices.IndexFunc(tmpls, func(x *v1.AlertTemplate) bool { return x.Name == tmpl.Name })
	if j < 0 || tmpls[j].Spec.Subject != "hot {{ node_name }}" || tmpls[j].Kind != v1.KindAlertTemplate {
		t.Errorf("template %s not read as written: %+v", tmpl.Name, tmpls)
	}
}

// createPod creates a bare pod bound to node ("" = unbound) that terminates at once when
// deleted (no kubelet runs here).
func createPod(t *testing.T, f *fixture, ns, name, node string, mutate func(*corev1.Pod)) *corev1.Pod {
	t.Helper()
	zero := int64(0)
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.PodSpec{
			NodeName:                      node,
			TerminationGracePeriodSeconds: &zero,
			Containers:                    []corev1.Container{{Name: "c", Image: "registry.k8s.io/pause:3.10"}},
		},
	}
	if mutate != nil {
		mutate(p)
	}
	got, err := f.admin.CoreV1().Pods(ns).Create(context.Background(), p, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create pod %s/%s: %v", ns, name, err)
	}
	return got
}

// createPDB creates a PodDisruptionBudget (minAvailable 1) and, when status is given,
// writes its status as the disruption controller would (there is none here).
func createPDB(t *testing.T, f *fixture, ns, name string, selector map[string]string, status *policyv1.PodDisruptionBudgetStatus) *policyv1.PodDisruptionBudget {
	t.Helper()
	one := intstr.FromInt32(1)
	pdb := &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       policyv1.PodDisruptionBudgetSpec{MinAvailable: &one, Selector: &metav1.LabelSelector{MatchLabels: selector}},
	}
	got, err := f.admin.PolicyV1().PodDisruptionBudgets(ns).Create(context.Background(), pdb, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create PDB %s/%s: %v", ns, name, err)
	}
	if status == nil {
		return got
	}
	got.Status = *status
	got.Status.ObservedGeneration = got.Generation
	got, err = f.admin.PolicyV1().PodDisruptionBudgets(ns).UpdateStatus(context.Background(), got, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("write the status of PDB %s/%s: %v", ns, name, err)
	}
	return got
}
