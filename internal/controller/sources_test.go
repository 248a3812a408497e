package controller

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fluxcd/pkg/apis/meta"
	"github.com/fluxcd/pkg/runtime/conditions"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/rest"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/promtest"
)

// fakeMetricsServer serves metrics.k8s.io NodeMetrics and the node list metrics-server's
// percentages divide by (envtest runs no aggregation layer): memory is the percentage
// of each node's 4Gi, the usage timestamped at the request.
func fakeMetricsServer(t *testing.T, memPercent map[string]int) *rest.Config {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		var nodes []corev1.Node
		var usage []metricsv1beta1.NodeMetrics
		for name, pct := range memPercent {
			nodes = append(nodes, corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name},
				Status: corev1.NodeStatus{Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("4Gi")}}})
			usage = append(usage, metricsv1beta1.NodeMetrics{ObjectMeta: metav1.ObjectMeta{Name: name}, Timestamp: metav1.Now(), Window: metav1.Duration{Duration: 30 * time.Second},
				Usage: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: *resource.NewQuantity(int64(pct)*(4<<30)/100, resource.BinarySI)}})
		}
		switch r.URL.Path {
		case "/api/v1/nodes":
			_ = json.NewEncoder(w).Encode(corev1.NodeList{TypeMeta: metav1.TypeMeta{Kind: "NodeList", APIVersion: "v1"}, Items: nodes})
		case "/apis/metrics.k8s.io/v1beta1/nodes":
			_ = json.NewEncoder(w).Encode(metricsv1beta1.NodeMetricsList{
				TypeMeta: metav1.TypeMeta{Kind: "NodeMetricsList", APIVersion: "metrics.k8s.io/v1beta1"}, Items: usage})
		default:
			t.Errorf("metrics-server double: unexpected request %s %s", r.Method, r.URL)
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return &rest.Config{Host: srv.URL}
}

// sourceRuleSpec is a rule on group=src tainting src/<name> when metric (query; "" for
// a built-in metric) is over threshold, reading source (a monitoring.metricsSource flow
// mapping, "" for the controller's default).
func sourceRuleSpec(name, metric, query string, threshold float64, source string) string {
	q := ""
	if query != "" {
		q = fmt.Sprintf(", query: %q", query)
	}
	ms := ""
	if source != "" {
		ms = ", metricsSource: " + source
	}
	return fmt.Sprintf(`
nodeSelector: {matchLabels: {group: src}}
conditions:
- {metric: %s%s, operator: GreaterThan, value: %v, duration: 0s}
actions:
- type: taint
  taint: {key: src/%s, value: "true", effect: NoSchedule}
monitoring: {checkInterval: 1s, cooldownPeriod: 0s%s}
maxUnhealthy: "100%%"
`, metric, q, threshold, name, ms)
}

// srcTaints are the src/* taints of a node, sorted.
func srcTaints(n *corev1.Node) []string {
	var out []string
	for _, t := range n.Spec.Taints {
		if strings.HasPrefix(t.Key, "src/") {
			out = append(out, t.Key)
		}
	}
	slices.Sort(out)
	return out
}

// Each rule reads the metric source it names, in one controller run: the default
// Prometheus, a second Prometheus (monitoring.metricsSource.prometheusURL) and
// metrics-server (useMetricsServer) disagree about every node, and each rule fires on
// exactly the node its own source says. A rule whose Prometheus is down is
// MetricsUnavailable (a source error counted), and the others are not held back.
func TestPerRuleMetricSources(t *testing.T) {
	w := newWorld(t, "ng_hot{node=\"src-a\"} 1\nng_hot{node=\"src-b\"} 0\nng_hot{node=\"src-c\"} 0\n")
	exp2 := promtest.NewExporter(t, "ng_hot{node=\"src-a\"} 0\nng_hot{node=\"src-b\"} 1\nng_hot{node=\"src-c\"} 0\n")
	prom2 := promtest.Start(t, promtest.Options{ScrapeTargets: []string{exp2.Addr()}})
	for _, n := range []string{"src-a", "src-b", "src-c"} {
		w.node(n, map[string]string{"group": "src"})
	}
	ms := fakeMetricsServer(t, map[string]int{"src-a": 10, "src-b": 20, "src-c": 95})
	all := intstr.FromString("100%")
	run := w.start(Options{metricsServer: ms, MaxDisruptive: &all})
	w.rule("src-default", sourceRuleSpec("default", "ng_hot", "ng_hot", 0.5, ""))
	w.rule("src-url", sourceRuleSpec("url", "ng_hot", "ng_hot", 0.5, fmt.Sprintf("{prometheusURL: %q}", prom2.URL)))
	w.rule("src-ms", sourceRuleSpec("ms", "memoryUtilizationPercent", "", 90, "{useMetricsServer: true}"))
	w.rule("src-down", sourceRuleSpec("down", "ng_down", "ng_hot", 0.5, `{prometheusURL: "http://127.0.0.1:1"}`))
	want := map[string][]string{"src-a": {"src/default"}, "src-b": {"src/url"}, "src-c": {"src/ms"}}
	eventually(t, 60*time.Second, "each rule fired on its own source's node", func() (bool, string) {
		got := map[string][]string{}
		for n := range want {
			got[n] = srcTaints(w.getNode(n))
		}
		return fmt.Sprint(got) == fmt.Sprint(want), fmt.Sprint(got)
	})
	eventually(t, 20*time.Second, "status of each rule", func() (bool, string) {
		def, url, msr, down := w.getRule("src-default"), w.getRule("src-url"), w.getRule("src-ms"), w.getRule("src-down")
		ok := conditions.IsReady(def) && conditions.IsReady(url) && conditions.IsReady(msr) &&
			firingNames(def) == "src-a" && firingNames(url) == "src-b" && firingNames(msr) == "src-c" &&
			conditions.GetReason(down, meta.ReadyCondition) == ReasonMetricsUnavailable
		return ok, describe(def) + " / " + describe(url) + " / " + describe(msr) + " / " + describe(down)
	})
	if got := testutilValue(run.r.m.sourceErrors); got == 0 {
		t.Error("nodeguardian_metric_source_errors_total did not move for the rule whose Prometheus is down")
	}
	if got := testutilValue(run.r.m.evaluations.WithLabelValues("incomplete")); got == 0 {
		t.Error(`nodeguardian_evaluations_total{result="incomplete"} did not move`)
	}
	// Three more reconciles: still exactly those taints.
	base := run.reconciles()
	eventually(t, 20*time.Second, "three more reconciles", func() (bool, string) { return run.reconciles() >= base+3, "" })
	for n, taints := range want {
		if got := srcTaints(w.getNode(n)); !slices.Equal(got, taints) {
			t.Errorf("node %s: taints %v, want %v", n, got, taints)
		}
	}
}

// firingNames lists a rule's firing nodes from its status, comma-separated.
func firingNames(r *v1.NodeGuardianRule) string {
	var out []string
	for _, f := range r.Status.FiringNodes {
		out = append(out, f.Name)
	}
	return strings.Join(out, ",")
}
