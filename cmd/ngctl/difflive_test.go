package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/nodeguardian/nodeguardian/internal/plandiff"
	"github.com/nodeguardian/nodeguardian/internal/promtest"
	"github.com/nodeguardian/nodeguardian/internal/testenv"
)

// diffLiveHot taints nodes whose load is over 1.5.
const diffLiveHot = `apiVersion: nodeguardian.k8s.io/v1
kind: NodeGuardianRule
metadata:
  name: hot
spec:
  conditions:
    - metric: cpuLoadRatio
      operator: GreaterThan
      value: 1.5
      duration: 2m
  maxUnhealthy: "100%"
  actions:
    - type: taint
      taint:
        key: nodeguardian/hot
        value: "true"
        effect: NoSchedule
`

// diffLiveEvict taints a node whose memory is nearly exhausted and evicts its pods.
const diffLiveEvict = `apiVersion: nodeguardian.k8s.io/v1
kind: NodeGuardianRule
metadata:
  name: memory-evict
spec:
  conditions:
    - metric: memoryUtilizationPercent
      operator: GreaterThan
      value: 95
      duration: 2m
  maxUnhealthy: "100%"
  actions:
    - type: taint
      taint:
        key: nodeguardian/memory
        value: "true"
        effect: NoExecute
    - type: evict
      evict:
        maxPods: 5
`

// diffLiveLoads are the loads of worker-1 … worker-6: over 1.5 on worker-4 and
// worker-5, over 1.0 on worker-2 too. worker-5's memory is at 97 %.
var diffLiveLoads = []float64{0.4, 1.2, 0.9, 1.8, 2.0, 0.3}

// TestDiffLive runs ngctl diff against a live cluster (kube-apiserver + etcd) and a real
// Prometheus, with the rules of a Git repository: the base commit's and the working
// tree's.
func TestDiffLive(t *testing.T) {
	env := testenv.Start(t)
	now := time.Now().UTC().Truncate(time.Minute).Add(-15 * time.Minute)
	var samples []promtest.Sample
	for i, load := range diffLiveLoads {
		node := fmt.Sprintf("worker-%d", i+1)
		mem := 50.0
		if node == "worker-5" {
			mem = 97
		}
		for k := 0; k <= 60; k++ {
			at := now.Add(-time.Duration(60-k) * 15 * time.Second)
			samples = append(samples,
				promtest.Sample{Metric: "dl_load", Labels: map[string]string{"node": node}, Value: load, T: at},
				promtest.Sample{Metric: "dl_memory", Labels: map[string]string{"node": node}, Value: mem, T: at})
		}
	}
	prom := promtest.Start(t, promtest.Options{Samples: samples})
	config := writeFile(t, t.TempDir(), "metrics.yaml", "nodeLabel: node\nqueries:\n  cpuLoadRatio: dl_load\n  memoryUtilizationPercent: dl_memory\n")
	ctx := context.Background()
	for i := range diffLiveLoads {
		must(t, env.Client.Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("worker-%d", i+1)}}))
	}
	for _, p := range []struct{ name, app string }{{"web-1", "web"}, {"batch-1", "batch"}} {
		must(t, env.Client.Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: p.name, Labels: map[string]string{"app": p.app}},
			Spec:       corev1.PodSpec{NodeName: "worker-5", Containers: []corev1.Container{{Name: "c", Image: "registry.example/app:1"}}},
		}))
	}
	pdb := &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "guard"},
		Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: ptr(intstr.FromInt32(1)),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}}
	must(t, env.Client.Create(ctx, pdb))
	pdb.Status = policyv1.PodDisruptionBudgetStatus{ObservedGeneration: pdb.Generation, DisruptionsAllowed: 0,
		CurrentHealthy: 1, DesiredHealthy: 1, ExpectedPods: 1}
	must(t, env.Client.Status().Update(ctx, pdb))

	g := newGitRepo(t)
	g.write("rules/hot.yaml", diffLiveHot)
	g.write("rules/memory-evict.yaml", diffLiveEvict)
	mainCommit := g.commit("rules")
	g.ref("refs/heads/main", mainCommit)
	t.Chdir(g.dir)
	short := mainCommit.String()[:7]

	diff := func(t *testing.T, args ...string) (int, string, string) {
		t.Helper()
		return ngctl(t, "", append([]string{"diff", "--base", "main", "-f", "rules",
			"--kubeconfig", env.Kubeconfig, "--prometheus-url", prom.URL, "--config", config,
			"--now", now.Format(time.RFC3339), "--max-disruptive", "100%"}, args...)...)
	}
	decode := func(t *testing.T, out string) *plandiff.Diff {
		t.Helper()
		var d plandiff.Diff
		if err := json.Unmarshal([]byte(out), &d); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return &d
	}

	t.Run("identical rules: no effect, exit 0", func(t *testing.T) {
		code, out, errOut := diff(t, "-o", "json", "--detailed-exitcode")
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		d := decode(t, out)
		if d.Headline() != "This change: no effect on the fleet." || len(d.Effects)+len(d.Deferrals)+len(d.Rules)+len(d.Objects) != 0 {
			t.Fatalf("headline %q, entries %+v", d.Headline(), d)
		}
		if d.Base.PlanID != d.Head.PlanID || d.Base.RulesHash != d.Head.RulesHash {
			t.Errorf("the same rules on the same fleet: plans %s and %s, rules %s and %s", d.Base.PlanID, d.Head.PlanID, d.Base.RulesHash, d.Head.RulesHash)
		}
	})

	g.edit("rules/hot.yaml", "value: 1.5", "value: 1.0")

	t.Run("a lower threshold: -o json", func(t *testing.T) {
		code, out, errOut := diff(t, "-o", "json", "--detailed-exitcode")
		if code != exitChanges {
			t.Fatalf("exit %d, want %d\n%s\n%s", code, exitChanges, out, errOut)
		}
		d := decode(t, out)
		if d.Base.Ref != "main" || d.Base.Commit != mainCommit.String() || d.Head.Ref != "working tree" || d.Head.Commit != "" {
			t.Errorf("sides %+v → %+v", d.Base, d.Head)
		}
		if d.Source != "cluster" || !d.Time.Equal(now) || d.FleetHash == "" {
			t.Errorf("source %q, time %s, fleet %q; want cluster at %s", d.Source, d.Time, d.FleetHash, now)
		}
		if d.Base.Rules != 2 || d.Head.Rules != 2 || d.Base.PlanID == d.Head.PlanID || d.Base.RulesHash == d.Head.RulesHash {
			t.Errorf("sides %+v → %+v", d.Base, d.Head)
		}
		const headline = "This change: +1 node tainted nodeguardian/hot, 0 evictions."
		if d.Headline() != headline {
			t.Errorf("headline %q, want %q", d.Headline(), headline)
		}
		var effects []string
		for _, e := range d.Effects {
			effects = append(effects, fmt.Sprintf("%s %s %s %s %s %s", e.Type, e.Node, e.Kind, e.Op, e.Key, e.Rule))
		}
		want := []string{
			"effectAdded worker-2 state change hot hot",
			"effectAdded worker-2 taint add nodeguardian/hot:NoSchedule hot",
		}
		if !slices.Equal(effects, want) {
			t.Errorf("effects\n%s\nwant\n%s", strings.Join(effects, "\n"), strings.Join(want, "\n"))
		}
		if len(d.Deferrals) != 0 {
			t.Errorf("deferrals %+v", d.Deferrals)
		}
		if len(d.Rules) != 1 || d.Rules[0].Name != "hot" || !slices.Equal(d.Rules[0].NewlyFiring, []string{"worker-2"}) ||
			d.Rules[0].Base.Firing != 2 || d.Rules[0].Head.Firing != 3 {
			t.Errorf("rules %+v", d.Rules)
		}
		if len(d.Objects) != 1 || d.Objects[0].Type != plandiff.RuleChanged || d.Objects[0].Name != "hot" ||
			len(d.Objects[0].Fields) != 1 || d.Objects[0].Fields[0] != (plandiff.FieldChange{Path: "spec.conditions[0].value", Base: "1.5", Head: "1"}) {
			t.Errorf("objects %+v", d.Objects)
		}
		if d.Summary.EffectsAdded != 2 || d.Summary.EffectsRemoved+d.Summary.EffectsChanged != 0 || d.Summary.NodesAffected != 1 {
			t.Errorf("summary %+v", d.Summary)
		}
	})

	t.Run("a lower threshold: -o markdown", func(t *testing.T) {
		code, out, errOut := diff(t, "-o", "markdown", "--detailed-exitcode")
		if code != exitChanges {
			t.Fatalf("exit %d, want %d\n%s\n%s", code, exitChanges, out, errOut)
		}
		for _, want := range []string{
			plandiff.Marker + "\n## NodeGuardian diff\n\n**This change: +1 node tainted nodeguardian/hot, 0 evictions.**\n",
			"`main (" + short + ")` → `working tree` · fleet `cluster` at " + now.Format(time.RFC3339) + "\n",
			"worker-2", "nodeguardian/hot", "spec.conditions[0].value",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("markdown lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "memory-evict") || strings.Contains(out, "web-1") || strings.Contains(out, "batch-1") {
			t.Errorf("markdown shows the unchanged evicting rule:\n%s", out)
		}
	})

	t.Run("text, without --detailed-exitcode: exit 0", func(t *testing.T) {
		code, out, errOut := diff(t)
		if code != 0 || !strings.Contains(out, "main ("+short+") → working tree") || !strings.Contains(out, "This change: +1 node tainted nodeguardian/hot, 0 evictions.") {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
	})

	t.Run("--head main: the committed rules on both sides, exit 0", func(t *testing.T) {
		code, out, errOut := diff(t, "--head", "main", "-o", "json", "--detailed-exitcode")
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		if d := decode(t, out); d.Headline() != "This change: no effect on the fleet." || d.Head.Ref != "main" {
			t.Fatalf("headline %q, head %+v", d.Headline(), d.Head)
		}
	})

	t.Run("--rule NAME of a rule only the head has", func(t *testing.T) {
		g.write("rules/cordon-hot.yaml", cordonHotRule)
		defer g.remove("rules/cordon-hot.yaml")
		code, out, errOut := diff(t, "--rule", "cordon-hot", "-o", "json", "--detailed-exitcode")
		if code != exitChanges {
			t.Fatalf("exit %d, want %d\n%s\n%s", code, exitChanges, out, errOut)
		}
		d := decode(t, out)
		if got, want := d.Headline(), "This change: +1 node cordoned, 0 evictions."; got != want {
			t.Errorf("headline %q, want %q", got, want)
		}
		for _, e := range d.Effects {
			if e.Node != "worker-5" || e.Rule != "cordon-hot" || e.Type != plandiff.EffectAdded {
				t.Errorf("effect %+v: want only cordon-hot's on worker-5", e)
			}
		}
		// The threshold change of hot is not part of a diff of memory-evict.
		if code, out, errOut := diff(t, "--rule", "memory-evict", "--detailed-exitcode"); code != 0 || !strings.Contains(out, "This change: no effect on the fleet.") {
			t.Errorf("--rule memory-evict: exit %d\n%s\n%s", code, out, errOut)
		}
	})
}
