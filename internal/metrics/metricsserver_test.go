package metrics

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/evaluate"
)

// fakeCluster is an API server double serving nodes, metrics.k8s.io NodeMetrics and the
// kubelet Summary API through the node proxy.
type fakeCluster struct {
	nodes     []corev1.Node
	usage     []metricsv1beta1.NodeMetrics // nil: metrics.k8s.io is not served
	fs        map[string][2]uint64         // node → used, capacity; missing: the proxy fails
	fsTime    time.Time
	delay     time.Duration // per summary request
	mu        sync.Mutex
	inFlight  int
	maxFlight int
	paths     []string
}

func (c *fakeCluster) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.paths = append(c.paths, r.URL.Path)
	usage := c.usage // tests may change it between requests
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch p := r.URL.Path; {
	case p == "/api/v1/nodes":
		_ = json.NewEncoder(w).Encode(corev1.NodeList{TypeMeta: metav1.TypeMeta{Kind: "NodeList", APIVersion: "v1"}, Items: c.nodes})
	case p == "/apis/metrics.k8s.io/v1beta1/nodes" && usage != nil:
		_ = json.NewEncoder(w).Encode(metricsv1beta1.NodeMetricsList{
			TypeMeta: metav1.TypeMeta{Kind: "NodeMetricsList", APIVersion: "metrics.k8s.io/v1beta1"}, Items: usage})
	case strings.HasPrefix(p, "/api/v1/nodes/") && strings.HasSuffix(p, "/proxy/stats/summary"):
		c.summary(w, strings.TrimSuffix(strings.TrimPrefix(p, "/api/v1/nodes/"), "/proxy/stats/summary"))
	default:
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404,"message":"the server could not find the requested resource"}`))
	}
}

func (c *fakeCluster) summary(w http.ResponseWriter, node string) {
	c.mu.Lock()
	c.inFlight++
	c.maxFlight = max(c.maxFlight, c.inFlight)
	c.mu.Unlock()
	time.Sleep(c.delay)
	defer func() {
		c.mu.Lock()
		c.inFlight--
		c.mu.Unlock()
	}()
	fs, ok := c.fs[node]
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"ServiceUnavailable","code":503,"message":"error trying to reach service: dial tcp 10.0.0.9:10250: connect: connection refused"}`))
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"node": map[string]any{"nodeName": node, "fs": map[string]any{
		"time": c.fsTime.Format(time.RFC3339), "usedBytes": fs[0], "capacityBytes": fs[1], "availableBytes": fs[1] - fs[0]}}})
}

func node(name, cpu, mem string) corev1.Node {
	return corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{Allocatable: corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)}}}
}

func usage(name, cpu, mem string, ts time.Time) metricsv1beta1.NodeMetrics {
	return metricsv1beta1.NodeMetrics{ObjectMeta: metav1.ObjectMeta{Name: name}, Timestamp: metav1.NewTime(ts),
		Window: metav1.Duration{Duration: 15 * time.Second},
		Usage:  corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)}}
}

// start serves c and returns a metrics-server source talking to it.
func (c *fakeCluster) start(t *testing.T, opts MetricsServerOptions) *MetricsServer {
	t.Helper()
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	ms, err := NewMetricsServer(&rest.Config{Host: srv.URL}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// msWant is a node's metric and its one expected value.
type msWant struct {
	node, metric string
	v            float64
}

// msCase is one case of TestMetricsServer.
type msCase struct {
	name         string
	opts         MetricsServerOptions
	cluster      func(*fakeCluster)
	needs        []Need
	nodes        []string
	want         []msWant
	wantNone     []msWant // node/metric with no samples
	wantErrors   map[string]string
	wantWarnings []string
}

func msNeed(metric string, window time.Duration) Need {
	return Need{Metric: metric, Window: window}
}

// msCases are the cases of TestMetricsServer, on a cluster of nodes a (2 cpu, 4Gi), b
// (4, 8Gi) and c (1, 1Gi); metrics for a and b; disk for a and c (b's kubelet is
// unreachable through the proxy).
func msCases() []msCase {
	return []msCase{
		{
			name:  "cpu and memory of allocatable, disk through the node proxy",
			needs: []Need{msNeed(v1.MetricCPUUtilization, 0), msNeed(v1.MetricMemoryUtilization, 0), msNeed(v1.MetricDiskUtilization, 0)},
			want: []msWant{{"a", v1.MetricCPUUtilization, 25}, {"a", v1.MetricMemoryUtilization, 25}, {"b", v1.MetricCPUUtilization, 75},
				{"b", v1.MetricMemoryUtilization, 25}, {"a", v1.MetricDiskUtilization, 25}, {"c", v1.MetricDiskUtilization, 90}},
			wantNone: []msWant{{"c", v1.MetricCPUUtilization, 0}, {"b", v1.MetricDiskUtilization, 0}},
			wantWarnings: []string{
				"metrics-server: no metrics for node c; its cpu and memory are Unknown",
				"metrics-server: diskUtilizationPercent: kubelet summary failed for node b (e.g. b: error trying to reach service",
			},
		},
		{
			name:  "load average and custom metrics are Unknown",
			needs: []Need{msNeed(v1.MetricCPULoadRatio, 0), msNeed("gpuTemp", 0)},
			wantErrors: map[string]string{
				v1.MetricCPULoadRatio: "metrics-server has no load average; use Prometheus",
				"gpuTemp":             "metrics-server serves no custom metrics; use Prometheus",
			},
			wantWarnings: []string{"metrics-server: cpuLoadRatio: metrics-server has no load average; use Prometheus; its conditions are Unknown",
				"metrics-server: gpuTemp: metrics-server serves no custom metrics; use Prometheus; its conditions are Unknown"},
		},
		{
			name:       "a window without history is Unknown",
			needs:      []Need{msNeed(v1.MetricCPUUtilization, 3*time.Minute), msNeed(v1.MetricMemoryUtilization, 0)},
			want:       []msWant{{"a", v1.MetricMemoryUtilization, 25}},
			wantNone:   []msWant{{"a", v1.MetricCPUUtilization, 0}},
			wantErrors: map[string]string{v1.MetricCPUUtilization: msNoHistory},
			wantWarnings: []string{"metrics-server: cpuUtilizationPercent: metrics-server has no history: conditions with a duration are Unknown; " +
				"use --assume-sustained to treat the latest value as held for the whole window; its conditions are Unknown",
				"no metrics for node c"},
		},
		{
			name:         "metrics.k8s.io not served",
			cluster:      func(c *fakeCluster) { c.usage = nil },
			needs:        []Need{msNeed(v1.MetricCPUUtilization, 0)},
			wantErrors:   map[string]string{v1.MetricCPUUtilization: "metrics.k8s.io: the server could not find the requested resource"},
			wantWarnings: []string{"metrics-server: cpuUtilizationPercent: metrics.k8s.io: the server could not find the requested resource"},
		},
		{
			name:         "every summary fails",
			cluster:      func(c *fakeCluster) { c.fs = nil },
			needs:        []Need{msNeed(v1.MetricDiskUtilization, 0)},
			nodes:        []string{"a", "b"},
			wantErrors:   map[string]string{v1.MetricDiskUtilization: "kubelet summary API failed on every node: a: error trying to reach service"},
			wantWarnings: []string{"metrics-server: diskUtilizationPercent: kubelet summary API failed on every node"},
		},
		{
			// Quantities too large for a float64 give no infinite or NaN percentage:
			// the node's cpu/memory is Unknown with a warning (issue 7).
			name: "a usage or allocatable past float64 is Unknown",
			cluster: func(c *fakeCluster) {
				c.nodes[1] = node("b", "1e400", "8Gi")
				c.usage = append(c.usage, usage("c", "1e400", "1e400", c.fsTime))
				c.usage[1] = usage("b", "1e400", "2Gi", c.fsTime)
			},
			needs:        []Need{msNeed(v1.MetricCPUUtilization, 0), msNeed(v1.MetricMemoryUtilization, 0)},
			want:         []msWant{{"a", v1.MetricCPUUtilization, 25}, {"b", v1.MetricMemoryUtilization, 25}},
			wantNone:     []msWant{{"b", v1.MetricCPUUtilization, 0}, {"c", v1.MetricCPUUtilization, 0}, {"c", v1.MetricMemoryUtilization, 0}},
			wantWarnings: []string{"metrics-server: node b, c: no allocatable cpu or memory (or usage) to compare with, or a percentage past float64; Unknown"},
		},
		{
			name:     "only the request's nodes",
			needs:    []Need{msNeed(v1.MetricCPUUtilization, 0), msNeed(v1.MetricDiskUtilization, 0)},
			nodes:    []string{"a"},
			want:     []msWant{{"a", v1.MetricCPUUtilization, 25}, {"a", v1.MetricDiskUtilization, 25}},
			wantNone: []msWant{{"b", v1.MetricCPUUtilization, 0}, {"c", v1.MetricDiskUtilization, 0}},
		},
	}
}

func TestMetricsServer(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	ts := now.Add(-20 * time.Second)
	for _, tt := range msCases() {
		t.Run(tt.name, func(t *testing.T) {
			c := &fakeCluster{
				nodes:  []corev1.Node{node("a", "2", "4Gi"), node("b", "4", "8Gi"), node("c", "1", "1Gi")},
				usage:  []metricsv1beta1.NodeMetrics{usage("a", "500m", "1Gi", ts), usage("b", "3", "2Gi", ts)},
				fs:     map[string][2]uint64{"a": {30, 120}, "c": {90, 100}},
				fsTime: ts,
			}
			if tt.cluster != nil {
				tt.cluster(c)
			}
			res, err := c.start(t, tt.opts).Fetch(context.Background(), Request{Needs: tt.needs, Now: now, Step: MinStep, Nodes: tt.nodes})
			if err != nil {
				t.Fatal(err)
			}
			checkMSResult(t, tt, res, ts)
		})
	}
}

// checkMSResult compares a metrics-server result with a case's expectations.
func checkMSResult(t *testing.T, tt msCase, res Result, ts time.Time) {
	t.Helper()
	for _, w := range tt.want {
		s := res.Data.Get(w.node, w.metric)
		if len(s) != 1 || !near(s[0].V, w.v) || !s[0].T.Equal(ts) {
			t.Errorf("%s %s = %v, want one sample %v at %s", w.node, w.metric, s, w.v, ts)
		}
	}
	for _, w := range tt.wantNone {
		if s := res.Data.Get(w.node, w.metric); s != nil {
			t.Errorf("%s %s = %v, want no samples", w.node, w.metric, s)
		}
	}
	if len(res.Data.Errors) != len(tt.wantErrors) {
		t.Errorf("errors %v, want %v", res.Data.Errors, tt.wantErrors)
	}
	for m, e := range tt.wantErrors {
		if !strings.Contains(res.Data.Errors[m], e) {
			t.Errorf("Errors[%s] = %q, want %q", m, res.Data.Errors[m], e)
		}
		byDesign := e == msNoLoad || e == msNoCustom || e == msNoHistory
		if failed := slices.Contains(res.Failed, m); failed == byDesign {
			t.Errorf("%s in Failed: %v; its error %q is a failed read: %v", m, failed, e, !byDesign)
		}
	}
	if len(res.Warnings) != len(tt.wantWarnings) {
		t.Fatalf("warnings %q, want %q", res.Warnings, tt.wantWarnings)
	}
	for i, w := range tt.wantWarnings {
		if !strings.Contains(res.Warnings[i], w) {
			t.Errorf("warning %q, want %q", res.Warnings[i], w)
		}
	}
}

func TestMetricsServerAssumeSustained(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	ts := now.Add(-20 * time.Second)
	c := &fakeCluster{
		nodes:  []corev1.Node{node("a", "2", "4Gi")},
		usage:  []metricsv1beta1.NodeMetrics{usage("a", "1900m", "1Gi", ts)},
		fs:     map[string][2]uint64{"a": {95, 100}},
		fsTime: ts,
	}
	ms := c.start(t, MetricsServerOptions{AssumeSustained: true})
	needs := []Need{{Metric: v1.MetricCPUUtilization, Window: 3 * time.Minute}, {Metric: v1.MetricDiskUtilization, Window: 45 * time.Second}}
	res, err := ms.Fetch(context.Background(), Request{Needs: needs, Now: now, Step: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Data.Errors) != 0 || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "assumed held for the whole window (--assume-sustained)") {
		t.Errorf("errors %v, warnings %q", res.Data.Errors, res.Warnings)
	}
	clk := evaluate.Clock{Now: now, Interval: 30 * time.Second, Staleness: 5 * time.Minute}
	for _, n := range needs {
		s := res.Data.Get("a", n.Metric)
		if len(s) < 2 || !s[len(s)-1].T.Equal(ts) || s[0].T.After(now.Add(-n.Window)) {
			t.Fatalf("%s: %v, want samples from before %s to %s", n.Metric, s, now.Add(-n.Window), ts)
		}
		for i := 1; i < len(s); i++ {
			if s[i].T.Sub(s[i-1].T) != 30*time.Second || s[i].V != s[0].V {
				t.Fatalf("%s: %v, want the latest value every step", n.Metric, s)
			}
		}
		c := v1.Condition{Metric: n.Metric, Operator: v1.OpGreaterThan, Value: 90, Duration: &metav1.Duration{Duration: n.Window}}
		if r := evaluate.Condition(&c, s, clk); r.Result != evaluate.True {
			t.Errorf("%s > 90 for %s: %v (%s), want True", n.Metric, n.Window, r.Result, r.Reason())
		}
	}
}

func TestMetricsServerConcurrency(t *testing.T) {
	c := &fakeCluster{fs: map[string][2]uint64{}, fsTime: time.Now(), delay: 20 * time.Millisecond}
	var names []string
	for i := 0; i < 20; i++ {
		name := "n" + string(rune('a'+i))
		names = append(names, name)
		c.fs[name] = [2]uint64{1, 2}
	}
	ms := c.start(t, MetricsServerOptions{Concurrency: 3})
	res, err := ms.Fetch(context.Background(), Request{Needs: []Need{{Metric: v1.MetricDiskUtilization}}, Now: time.Now(), Step: MinStep, Nodes: names})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Data.Samples) != 20 || len(res.Warnings) != 0 {
		t.Errorf("%d nodes, warnings %q", len(res.Data.Samples), res.Warnings)
	}
	if c.maxFlight > 3 || c.maxFlight < 2 {
		t.Errorf("%d summary requests at once, want 2..3", c.maxFlight)
	}
	for _, p := range c.paths {
		if p == "/api/v1/nodes" {
			t.Error("nodes were listed although the request named them and only disk was needed")
		}
	}
}
