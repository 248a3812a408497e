package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/nodeguardian/nodeguardian/internal/load"
	"github.com/nodeguardian/nodeguardian/internal/plan"
	"github.com/nodeguardian/nodeguardian/internal/promtest"
	"github.com/nodeguardian/nodeguardian/internal/testenv"
)

// liveFleet is the cluster + Prometheus of the live scenarios: 200 workers; worker-1 is
// overloaded from base+0 to base+11m and calm after; worker-2's memory is exhausted the
// whole time; worker-3 carries a hand-made taint with NodeGuardian's key; the rest are calm.
type liveFleet struct {
	env    *testenv.Env
	prom   *promtest.Server
	base   time.Time
	config string
}

const liveNodes = 200

func setupLive(t *testing.T) *liveFleet {
	t.Helper()
	env := testenv.Start(t)
	base := time.Now().UTC().Truncate(time.Minute).Add(-40 * time.Minute)
	var samples []promtest.Sample
	add := func(metric, node string, v float64, at time.Time) {
		samples = append(samples, promtest.Sample{Metric: metric, Labels: map[string]string{"node": node}, Value: v, T: at})
	}
	for i := 1; i <= liveNodes; i++ {
		node := fmt.Sprintf("worker-%d", i)
		for k := 0; k <= 30*4; k++ { // 30 minutes every 15s
			at := base.Add(time.Duration(k) * 15 * time.Second)
			load, mem, disk := 0.3, 50.0, 40.0
			if i == 1 && at.Before(base.Add(11*time.Minute)) {
				load, mem = 2.0, 95
			}
			if i == 2 {
				mem = 98
			}
			add("test_load", node, load, at)
			add("test_memory", node, mem, at)
			add("test_disk", node, disk, at)
		}
	}
	prom := promtest.Start(t, promtest.Options{Samples: samples})
	cfg := writeFile(t, t.TempDir(), "metrics.yaml", `nodeLabel: node
queries:
  cpuLoadRatio: test_load
  memoryUtilizationPercent: test_memory
  diskUtilizationPercent: test_disk
`)
	ctx := context.Background()
	for i := 1; i <= liveNodes; i++ {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("worker-%d", i),
			Labels: map[string]string{"node-role.kubernetes.io/worker": "true"}}}
		if i == 3 {
			n.Spec.Taints = []corev1.Taint{{Key: "nodeguardian/high-load", Value: "manual", Effect: corev1.TaintEffectNoSchedule}}
		}
		must(t, env.Client.Create(ctx, n))
	}
	for _, p := range []struct {
		name   string
		labels map[string]string
	}{{"web-1", map[string]string{"app": "web"}}, {"batch-1", map[string]string{"app": "batch"}}} {
		must(t, env.Client.Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: p.name, Labels: p.labels},
			Spec:       corev1.PodSpec{NodeName: "worker-2", Containers: []corev1.Container{{Name: "c", Image: "registry.example/app:1"}}},
		}))
	}
	pdb := &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "guard"},
		Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: ptr(intstr.FromInt32(1)),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}}
	must(t, env.Client.Create(ctx, pdb))
	// No controller-manager runs in envtest: write the PDB's status as its controller would.
	pdb.Status = policyv1.PodDisruptionBudgetStatus{ObservedGeneration: pdb.Generation, DisruptionsAllowed: 0,
		CurrentHealthy: 1, DesiredHealthy: 1, ExpectedPods: 1}
	must(t, env.Client.Status().Update(ctx, pdb))
	return &liveFleet{env: env, prom: prom, base: base, config: cfg}
}

func ptr[T any](v T) *T { return &v }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// at runs ngctl against the live fleet as of base+offset.
func (f *liveFleet) at(t *testing.T, offset time.Duration, stdin string, args ...string) (int, string, string) {
	t.Helper()
	flags := []string{"--kubeconfig", f.env.Kubeconfig, "--prometheus-url", f.prom.URL,
		"--config", f.config, "--now", f.base.Add(offset).Format(time.RFC3339)}
	if args[0] != "snapshot" {
		flags = append(flags, "--no-color")
	}
	// Flags go right after the command: urfave/cli stops at the first argument.
	return ngctl(t, stdin, append(append([]string{args[0]}, flags...), args[1:]...)...)
}

func (f *liveFleet) node(t *testing.T, name string) *corev1.Node {
	t.Helper()
	var n corev1.Node
	must(t, f.env.Client.Get(context.Background(), client.ObjectKey{Name: name}, &n))
	return &n
}

func hasTaint(n *corev1.Node, key, value string) bool {
	for _, tn := range n.Spec.Taints {
		if tn.Key == key && tn.Value == value {
			return true
		}
	}
	return false
}

// TestLiveScenarios runs the live-cluster scenarios on a real kube-apiserver + etcd and a
// real Prometheus, in order (each builds on the cluster the previous one left).
func TestLiveScenarios(t *testing.T) {
	f := setupLive(t)
	configureAllChannels(t)
	rules := "../../examples/rules/yaml"
	t1, t2 := 10*time.Minute, 25*time.Minute

	t.Run("a: one range query per distinct metric for 200 nodes", func(t *testing.T) {
		f.prom.ResetCounts()
		code, out, errOut := f.at(t, t1, "", "plan", "-f", rules)
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		// The example rules read three metrics: cpuLoadRatio, memoryUtilizationPercent, diskUtilizationPercent.
		if got := f.prom.QueryCount("/api/v1/query_range"); got != 3 {
			t.Fatalf("%d range queries, want 3 (one per metric)", got)
		}
		if got := f.prom.QueryCount("/api/v1/query"); got != 0 {
			t.Fatalf("%d instant queries, want 0", got)
		}
		for _, want := range []string{"~ node worker-1 (resourceVersion", "+ taint nodeguardian/high-load = true (NoSchedule)",
			"~ node worker-2", "blocked by PDB default/guard", "Plan: 2 nodes to change"} {
			if !strings.Contains(out, want) {
				t.Errorf("plan lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "worker-10 ") || strings.Contains(out, "node worker-10\n") {
			t.Errorf("worker-10 must not match worker-1's series:\n%s", out)
		}
	})

	t.Run("g: snapshot then plan --snapshot equals the live plan", func(t *testing.T) {
		snap := filepath.Join(t.TempDir(), "snap.yaml")
		if code, out, errOut := f.at(t, t1, "", "snapshot", "-f", rules, "-o", snap); code != 0 {
			t.Fatalf("snapshot: exit %d\n%s\n%s", code, out, errOut)
		}
		_, liveJSON, _ := f.at(t, t1, "", "plan", "-o", "json", "-f", rules)
		code, offJSON, errOut := ngctl(t, "", "plan", "-o", "json", "-f", rules, "--snapshot", snap)
		if code != 0 {
			t.Fatalf("plan --snapshot: exit %d: %s", code, errOut)
		}
		a, b := changesOf(t, liveJSON), changesOf(t, offJSON)
		if a != b {
			t.Fatalf("live and snapshot plans differ:\nlive:     %s\nsnapshot: %s", a, b)
		}
	})

	t.Run("e: a saved plan is refused when a planned node changed", func(t *testing.T) {
		saved := filepath.Join(t.TempDir(), "plan.json")
		if code, _, errOut := f.at(t, t1, "", "plan", "-out", saved, "-f", rules); code != 0 {
			t.Fatal(errOut)
		}
		n := f.node(t, "worker-1")
		n.Labels["team"] = "storage"
		must(t, f.env.Client.Update(context.Background(), n))
		code, _, errOut := f.at(t, t1, "", "apply", "--auto-approve", "-f", rules, saved)
		if code != 1 || !strings.Contains(errOut, "plan is stale") || !strings.Contains(errOut, "worker-1") {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if hasTaint(f.node(t, "worker-1"), "nodeguardian/high-load", "true") {
			t.Fatal("a refused plan was applied")
		}
	})

	t.Run("h: a saved plan with a change the rules do not make is refused, edited or not", func(t *testing.T) {
		saved := filepath.Join(t.TempDir(), "plan.json")
		if code, _, errOut := f.at(t, t1, "", "plan", "-out", saved, "-f", rules); code != 0 {
			t.Fatal(errOut)
		}
		for _, tt := range []struct {
			name   string
			rehash bool
			change func(*plan.Plan)
			want   string
		}{
			{"injected taint", false, injectTaint, "plan was modified"},
			{"injected taint, rehashed", true, injectTaint, "the plan file would add taint evil/taint=x:NoExecute, the rules now would not"},
			// The ID covers alert text: an edited subject is never sent.
			{"alert subject", false, editSubject(t), "plan was modified"},
		} {
			edited := edit(t, saved, tt.rehash, tt.change)
			code, out, errOut := f.at(t, t1, "", "apply", "--auto-approve", "-f", rules, edited)
			if code != 1 || !strings.Contains(errOut, tt.want) || strings.Contains(out, "alert ") || strings.Contains(out, "Apply complete") {
				t.Fatalf("%s: exit %d\n%s\n%s", tt.name, code, out, errOut)
			}
		}
		if n := f.node(t, "worker-1"); hasTaint(n, "nodeguardian/high-load", "true") || hasTaint(n, "evil/taint", "x") {
			t.Fatalf("a refused plan was applied: %v", n.Spec.Taints)
		}
		// Past its 10 minutes, the plan is stale.
		if code, _, errOut := f.at(t, t1+11*time.Minute, "", "apply", "--auto-approve", "-f", rules, saved); code != 1 || !strings.Contains(errOut, "expired") {
			t.Fatalf("expired plan: exit %d: %s", code, errOut)
		}
	})

	t.Run("b+d: apply a saved plan a little later: taints and evicts, PDB-blocked pod reported not forced; then no changes", func(t *testing.T) {
		saved := filepath.Join(t.TempDir(), "plan.json")
		if code, _, errOut := f.at(t, t1, "", "plan", "-out", saved, "-f", rules); code != 0 {
			t.Fatal(errOut)
		}
		code, out, errOut := f.at(t, t1+30*time.Second, "", "apply", "--auto-approve", "-f", rules, saved)
		if code != 0 || !strings.Contains(out, "Apply complete: 2 nodes changed, 1 pod evicted") {
			t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
		}
		if !strings.Contains(out, "blocked by PDB default/guard") {
			t.Errorf("the blocked eviction is not reported:\n%s", out)
		}
		if n := f.node(t, "worker-1"); !hasTaint(n, "nodeguardian/high-load", "true") || n.Labels["nodeguardian.io/status"] != "high-load" || n.Annotations["nodeguardian.k8s.io/ledger"] == "" {
			t.Fatalf("worker-1 after apply: taints %v labels %v", n.Spec.Taints, n.Labels)
		}
		var web corev1.Pod
		must(t, f.env.Client.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: "web-1"}, &web))
		rv := f.node(t, "worker-1").ResourceVersion
		code, out, _ = f.at(t, t1, "", "plan", "--detailed-exitcode", "-f", rules)
		if code != 0 || !strings.Contains(out, "No changes.") {
			t.Fatalf("plan after apply: exit %d\n%s", code, out)
		}
		if code, out, _ := f.at(t, t1, "", "apply", "--auto-approve", "-f", rules); code != 0 || strings.Contains(out, "Apply complete") {
			t.Fatalf("second apply: exit %d\n%s", code, out)
		}
		if f.node(t, "worker-1").ResourceVersion != rv {
			t.Fatal("the second apply wrote to worker-1")
		}
	})

	t.Run("i: the PDB-blocked pod is pending, then evicted once its budget allows it", func(t *testing.T) {
		code, out, _ := f.at(t, t1+2*time.Minute, "", "plan", "--detailed-exitcode", "-f", rules)
		if code != 0 || !strings.Contains(out, "eviction of default/web-1 pending: blocked by PodDisruptionBudget default/guard") {
			t.Fatalf("blocked: exit %d\n%s", code, out)
		}
		var pdb policyv1.PodDisruptionBudget
		must(t, f.env.Client.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: "guard"}, &pdb))
		pdb.Status.DisruptionsAllowed = 1 // as the disruption controller would once a replica is ready
		must(t, f.env.Client.Status().Update(context.Background(), &pdb))
		code, out, errOut := f.at(t, t1+3*time.Minute, "", "apply", "--auto-approve", "-f", rules)
		if code != 0 || !strings.Contains(out, "retry: 1 pod not evicted yet") || !strings.Contains(out, "1 pod evicted") {
			t.Fatalf("retry: exit %d\n%s\n%s", code, out, errOut)
		}
		var web corev1.Pod
		err := f.env.Client.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: "web-1"}, &web)
		if err == nil && web.DeletionTimestamp == nil {
			t.Fatal("web-1 was not evicted")
		}
		if code, out, _ := f.at(t, t1+4*time.Minute, "", "plan", "--detailed-exitcode", "-f", rules); code != 0 || strings.Contains(out, "web-1") {
			t.Fatalf("after the eviction: exit %d\n%s", code, out)
		}
	})

	t.Run("c: metrics recover, the taint goes, a manual taint elsewhere stays", func(t *testing.T) {
		code, out, errOut := f.at(t, t2, "", "apply", "--auto-approve", "-f", rules)
		if code != 0 || !strings.Contains(out, "Firing → Healthy") {
			t.Fatalf("apply at t2: exit %d\n%s\n%s", code, out, errOut)
		}
		if n := f.node(t, "worker-1"); hasTaint(n, "nodeguardian/high-load", "true") {
			t.Fatalf("worker-1 still tainted: %v", n.Spec.Taints)
		}
		if n := f.node(t, "worker-3"); !hasTaint(n, "nodeguardian/high-load", "manual") {
			t.Fatalf("the manual taint on worker-3 was touched: %v", n.Spec.Taints)
		}
	})

	t.Run("rules from the cluster plan like rules from files", func(t *testing.T) {
		set, diags := load.Paths([]string{rules}, nil)
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		for _, r := range set.Rules {
			must(t, f.env.Client.Create(context.Background(), r.DeepCopy()))
		}
		for _, tm := range set.Templates {
			must(t, f.env.Client.Create(context.Background(), tm.DeepCopy()))
		}
		_, fromFiles, _ := f.at(t, t2, "", "plan", "-o", "json", "-f", rules)
		code, fromCluster, errOut := f.at(t, t2, "", "plan", "-o", "json", "--from-cluster")
		if code != 0 {
			t.Fatalf("--from-cluster: exit %d: %s", code, errOut)
		}
		if a, b := changesOf(t, fromFiles), changesOf(t, fromCluster); a != b || !strings.Contains(a, "high-load-isolation") {
			t.Fatalf("plans differ:\nfiles:   %s\ncluster: %s", a, b)
		}
		if code, _, errOut := f.at(t, t2, "", "plan", "--from-cluster", "-f", rules); code != 1 || !strings.Contains(errOut, "both in the files and in the cluster") {
			t.Fatalf("a rule in both places: exit %d: %s", code, errOut)
		}
	})

	t.Run("f: Prometheus down: every condition Unknown, no change, a clear warning, exit 1", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			extra []string
			code  int
		}{
			{"plan", []string{"plan", "--detailed-exitcode"}, 1},
			{"plan --allow-metric-errors", []string{"plan", "--detailed-exitcode", "--allow-metric-errors"}, 0},
			{"apply", []string{"apply", "--auto-approve"}, 1},
			{"apply --allow-metric-errors", []string{"apply", "--auto-approve", "--allow-metric-errors"}, 0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				args := append(tc.extra, "-f", rules, "--kubeconfig", f.env.Kubeconfig,
					"--prometheus-url", "http://127.0.0.1:1", "--config", f.config, "--now", f.base.Add(t1).Format(time.RFC3339), "--no-color")
				code, out, errOut := ngctl(t, "", args...)
				if code != tc.code || !strings.Contains(out, "No changes.") {
					t.Fatalf("exit %d, want %d\n%s\n%s", code, tc.code, out, errOut)
				}
				if !strings.Contains(out, "query failed") || !strings.Contains(out, "Unknown") {
					t.Fatalf("no clear warning:\n%s", out)
				}
				const incomplete = "Plan incomplete: 3 metric queries failed (cpuLoadRatio, diskUtilizationPercent, memoryUtilizationPercent); " +
					"rerun when the metric source is back, or pass --allow-metric-errors"
				if got := strings.Contains(errOut, incomplete); got != (tc.code == 1) {
					t.Fatalf("incomplete line shown: %v, want %v\n%s", got, tc.code == 1, errOut)
				}
			})
		}
	})

	t.Run("f: a response over --prometheus-max-response-size fails its query: Unknown, exit 1", func(t *testing.T) {
		code, out, errOut := f.at(t, t1, "", "plan", "-f", rules, "--prometheus-max-response-size", "1Ki")
		if code != 1 || !strings.Contains(out, "response larger than 1Ki (1024 bytes): raise --prometheus-max-response-size") ||
			!strings.Contains(errOut, "Plan incomplete: 3 metric queries failed") {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		code, out, errOut = f.at(t, t1, "", "plan", "-f", rules, "--prometheus-max-response-size", "12x")
		if code != 1 || out != "" || !strings.Contains(errOut, `invalid value for --prometheus-max-response-size: invalid size "12x"`) {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
	})

	t.Run("h: --node naming no node of the live fleet is an error", func(t *testing.T) {
		code, out, errOut := f.at(t, t1, "", "plan", "-f", rules, "--node", "worker-9999")
		if code != 1 || out != "" || !strings.Contains(errOut, `no node named "worker-9999" in the fleet (cluster)`) {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
	})
}

// changesOf is the part of a plan that must not depend on where the fleet was read:
// per node changes (without resourceVersions), deferred items and the rules' status.
func changesOf(t *testing.T, planJSON string) string {
	t.Helper()
	p, err := plan.ReadJSON(strings.NewReader(planJSON))
	if err != nil {
		t.Fatalf("%v\n%s", err, planJSON)
	}
	for i := range p.Nodes {
		p.Nodes[i].ResourceVersion = ""
		for j, c := range p.Nodes[i].Changes {
			if c.Alert != nil { // templates may name the plan's ID, which covers the node versions
				a := *c.Alert
				a.Subject, a.Body = strings.ReplaceAll(a.Subject, p.ID, "PLAN-ID"), strings.ReplaceAll(a.Body, p.ID, "PLAN-ID")
				p.Nodes[i].Changes[j].Alert = &a
			}
		}
	}
	b, err := json.Marshal(struct {
		Nodes    []plan.NodePlan
		Deferred []plan.Deferred
		Rules    []plan.RuleStatus
	}{p.Nodes, p.Deferred, p.Rules})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
