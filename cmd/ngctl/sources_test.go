package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"

	"github.com/nodeguardian/nodeguardian/internal/promtest"
)

// fakeMetricsCluster is an API server double serving nodes and metrics.k8s.io (envtest
// runs no aggregation layer): a plan that evicts nothing reads nothing else.
func fakeMetricsCluster(t *testing.T, nodes []corev1.Node, usage []metricsv1beta1.NodeMetrics) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/nodes":
			_ = json.NewEncoder(w).Encode(corev1.NodeList{TypeMeta: metav1.TypeMeta{Kind: "NodeList", APIVersion: "v1"}, Items: nodes})
		case "/apis/metrics.k8s.io/v1beta1/nodes":
			_ = json.NewEncoder(w).Encode(metricsv1beta1.NodeMetricsList{
				TypeMeta: metav1.TypeMeta{Kind: "NodeMetricsList", APIVersion: "metrics.k8s.io/v1beta1"}, Items: usage})
		default:
			t.Errorf("unexpected request %s %s", r.Method, r.URL)
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return writeFile(t, t.TempDir(), "kubeconfig", fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: fake, cluster: {server: %q}}]
users: [{name: fake, user: {}}]
contexts: [{name: fake, context: {cluster: fake, user: fake}}]
current-context: fake
`, srv.URL))
}

// sourceRule is a rule tainting a node whose memory is over 90%, reading source
// (a monitoring.metricsSource YAML mapping, or "" for the run's).
func sourceRule(name, source string) string {
	s := fmt.Sprintf(`apiVersion: nodeguardian.k8s.io/v1
kind: NodeGuardianRule
metadata:
  name: %s
spec:
  conditions:
    - metric: memoryUtilizationPercent
      operator: GreaterThan
      value: 90
      duration: 0s
  actions:
    - type: taint
      taint: {key: nodeguardian/%s, value: "true", effect: NoSchedule}
  monitoring:
    checkInterval: 30s
`, name, name)
	if source != "" {
		s += "    metricsSource: " + source + "\n"
	}
	return s
}

// One rule reads memory from metrics-server, one from Prometheus, in one plan: each
// reads its own source (they disagree about every node), and nothing warns.
func TestPlanReadsEachRulesSource(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Minute).Add(-10 * time.Minute)
	var samples []promtest.Sample
	for k := 0; k <= 20; k++ {
		at := now.Add(-5 * time.Minute).Add(time.Duration(k) * 15 * time.Second)
		samples = append(samples, promtest.Sample{Metric: "test_memory", Labels: map[string]string{"node": "worker-1"}, Value: 20, T: at},
			promtest.Sample{Metric: "test_memory", Labels: map[string]string{"node": "worker-2"}, Value: 96, T: at})
	}
	prom := promtest.Start(t, promtest.Options{Samples: samples})
	node := func(name string) corev1.Node {
		return corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, ResourceVersion: "1"},
			Status: corev1.NodeStatus{Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("4Gi")}}}
	}
	use := func(name, mem string) metricsv1beta1.NodeMetrics {
		return metricsv1beta1.NodeMetrics{ObjectMeta: metav1.ObjectMeta{Name: name}, Timestamp: metav1.NewTime(now),
			Usage: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse(mem)}}
	}
	kubeconfig := fakeMetricsCluster(t, []corev1.Node{node("worker-1"), node("worker-2")},
		[]metricsv1beta1.NodeMetrics{use("worker-1", "3900Mi"), use("worker-2", "1Gi")}) // 95%, 25%
	dir := t.TempDir()
	writeFile(t, dir, "ms.yaml", sourceRule("from-ms", "{useMetricsServer: true}"))
	writeFile(t, dir, "prom.yaml", sourceRule("from-prom", ""))
	cfg := writeFile(t, t.TempDir(), "metrics.yaml", "queries:\n  memoryUtilizationPercent: test_memory\n")
	code, out, errOut := ngctl(t, "", "plan", "--no-color", "--kubeconfig", kubeconfig, "--prometheus-url", prom.URL, "--config", cfg,
		"--now", now.Format(time.RFC3339), "--max-disruptive", "100%", "-f", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"~ node worker-1", "+ taint nodeguardian/from-ms = true (NoSchedule)", "memoryUtilizationPercent 95.2148 > 90",
		"~ node worker-2", "+ taint nodeguardian/from-prom = true (NoSchedule)", "memoryUtilizationPercent 96 > 90"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	for _, not := range []string{"from-prom = true (NoSchedule)\n    + label", "Warnings", "useMetricsServer"} {
		if strings.Contains(out, not) {
			t.Errorf("plan has %q:\n%s", not, out)
		}
	}
	w1, w2 := section(out, "~ node worker-1"), section(out, "~ node worker-2")
	if strings.Contains(w1, "from-prom") || strings.Contains(w2, "from-ms") {
		t.Errorf("a rule read the other rule's source:\n%s", out)
	}
	if got := prom.QueryCount("/api/v1/query_range"); got != 1 {
		t.Errorf("%d range queries, want 1 (the Prometheus rule's only)", got)
	}
	// The snapshot keeps each source's series apart (memoryUtilizationPercent@metrics-server):
	// the offline plan of it is the live plan.
	snap := filepath.Join(t.TempDir(), "snap.yaml")
	if code, _, errOut := ngctl(t, "", "snapshot", "--kubeconfig", kubeconfig, "--prometheus-url", prom.URL, "--config", cfg,
		"--now", now.Format(time.RFC3339), "-f", dir, "-o", snap); code != 0 {
		t.Fatalf("snapshot: exit %d: %s", code, errOut)
	}
	if b, err := os.ReadFile(snap); err != nil || !strings.Contains(string(b), "memoryUtilizationPercent@metrics-server") {
		t.Fatalf("snapshot (%v):\n%s", err, b)
	}
	code, offline, errOut := ngctl(t, "", "plan", "--no-color", "--snapshot", snap, "--max-disruptive", "100%", "-f", dir)
	if code != 0 {
		t.Fatalf("plan --snapshot: exit %d: %s", code, errOut)
	}
	if a, b := section(out, "~ node worker-1"), section(offline, "~ node worker-1"); a != b {
		t.Errorf("worker-1 live:\n%s\nsnapshot:\n%s", a, b)
	}
	if a, b := section(out, "~ node worker-2"), section(offline, "~ node worker-2"); a != b {
		t.Errorf("worker-2 live:\n%s\nsnapshot:\n%s", a, b)
	}
}

// section is the part of a text plan from the line starting with head to the next
// blank line.
func section(out, head string) string {
	_, after, ok := strings.Cut(out, head)
	if !ok {
		return ""
	}
	s, _, _ := strings.Cut(after, "\n\n")
	return s
}
