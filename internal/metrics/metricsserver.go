package metrics

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/series"
)

// Defaults of MetricsServerOptions.
const (
	// DefaultConcurrency bounds the kubelet Summary API requests in flight.
	DefaultConcurrency = 8
	// DefaultSummaryTimeout bounds each kubelet Summary API request.
	DefaultSummaryTimeout = 30 * time.Second
)

// Texts of the metrics metrics-server cannot give; they are the conditions' Unknown reasons.
const (
	msNoLoad    = "metrics-server has no load average; use Prometheus"
	msNoCustom  = "metrics-server serves no custom metrics; use Prometheus"
	msNoHistory = "metrics-server has no history: conditions with a duration are Unknown; " +
		"use --assume-sustained to treat the latest value as held for the whole window"
)

// MetricsServerOptions tune the metrics-server source.
type MetricsServerOptions struct {
	// AssumeSustained treats the latest value as held for the whole window of a
	// condition with a duration (metrics-server keeps no history).
	AssumeSustained bool
	// Concurrency bounds the kubelet Summary API requests in flight; default 8.
	Concurrency int
	// Timeout bounds each Summary API request; default 30s.
	Timeout time.Duration
}

// MetricsServer is a Source reading metrics.k8s.io (cpu and memory, as a percentage of
// the node's allocatable) and the kubelet Summary API through the API server's node
// proxy (disk: node.fs.usedBytes / capacityBytes). It has no history: one sample per
// node at metrics-server's timestamp. cpuLoadRatio and custom metrics are Unknown.
type MetricsServer struct {
	core    kubernetes.Interface
	metrics metricsclient.Interface
	opts    MetricsServerOptions
}

// Client-side rate limits used when the configuration sets none (client-go's defaults,
// 5 QPS and a burst of 10, would take minutes for the summaries of a large fleet).
const (
	defaultQPS   = 50
	defaultBurst = 100
)

// NewMetricsServer builds the metrics-server source from a client configuration. A
// configuration without rate limits (QPS, Burst) gets 50 QPS and a burst of 100.
func NewMetricsServer(cfg *rest.Config, opts MetricsServerOptions) (*MetricsServer, error) {
	cfg = rest.CopyConfig(cfg)
	if cfg.QPS == 0 {
		cfg.QPS = defaultQPS
	}
	if cfg.Burst == 0 {
		cfg.Burst = defaultBurst
	}
	core, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("metrics-server: %w", err)
	}
	mc, err := metricsclient.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("metrics-server: %w", err)
	}
	return NewMetricsServerFromClients(core, mc, opts), nil
}

// NewMetricsServerFromClients builds the metrics-server source from existing clients.
func NewMetricsServerFromClients(core kubernetes.Interface, mc metricsclient.Interface, opts MetricsServerOptions) *MetricsServer {
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultSummaryTimeout
	}
	return &MetricsServer{core: core, metrics: mc, opts: opts}
}

// msPlan sorts the Needs of one fetch by what serves them.
type msPlan struct {
	usage []Need // cpu and memory: metrics.k8s.io
	disk  *Need  // kubelet Summary API
}

// Fetch reads the latest values. Metrics it cannot serve, Needs with a window (unless
// AssumeSustained) and failed requests are recorded in Data.Errors with a warning; Fetch
// itself fails only on an invalid request or when ctx ends.
func (m *MetricsServer) Fetch(ctx context.Context, req Request) (Result, error) {
	if err := checkRequest(req); err != nil {
		return Result{}, err
	}
	// One source: Needs of one metric (rules with different Prometheus URLs) are one.
	req.Needs, _ = mergeNeeds(req.Needs, func(Need) string { return "" }, func(Need) string { return "metrics-server" })
	res := Result{Data: &series.Data{Samples: map[string]map[string][]series.Sample{}, Errors: map[string]string{}}}
	plan := m.plan(req, &res)
	var nodes []corev1.Node
	if len(plan.usage) > 0 || (plan.disk != nil && len(req.Nodes) == 0) {
		var err error
		if nodes, err = m.listNodes(ctx); err != nil {
			msg := "listing nodes: " + err.Error()
			for _, n := range plan.usage {
				m.failSource(&res, n.Metric, msg)
			}
			if plan.disk != nil && len(req.Nodes) == 0 {
				m.failSource(&res, plan.disk.Metric, msg)
				plan.disk = nil
			}
			plan.usage = nil
		}
	}
	want := wantedNodes(req.Nodes, nodes)
	if len(plan.usage) > 0 {
		m.fetchUsage(ctx, req, plan, nodes, want, &res)
	}
	if plan.disk != nil {
		m.fetchDisk(ctx, req, *plan.disk, want, &res)
	}
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("metrics-server: fetch: %w", err)
	}
	return res, nil
}

// plan records the Needs metrics-server cannot serve and sorts the others.
func (m *MetricsServer) plan(req Request, res *Result) msPlan {
	var p msPlan
	var sustained []string
	for _, n := range req.Needs {
		switch n.Metric {
		case v1.MetricCPULoadRatio:
			m.fail(res, n.Metric, msNoLoad)
			continue
		case v1.MetricCPUUtilization, v1.MetricMemoryUtilization, v1.MetricDiskUtilization:
		default:
			m.fail(res, n.Metric, msNoCustom)
			continue
		}
		if n.Window > 0 && !m.opts.AssumeSustained {
			m.fail(res, n.Metric, msNoHistory)
			continue
		}
		if n.Window > 0 {
			sustained = append(sustained, n.Metric)
		}
		if n.Metric == v1.MetricDiskUtilization {
			p.disk = &n
		} else {
			p.usage = append(p.usage, n)
		}
	}
	if len(sustained) > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf(
			"metrics-server: %s: the latest value is assumed held for the whole window (--assume-sustained)", nameList(sustained)))
	}
	return p
}

// fail records a metric metrics-server could not give: Unknown, with a warning.
func (m *MetricsServer) fail(res *Result, metric, msg string) {
	res.Data.Errors[metric] = msg
	res.Warnings = append(res.Warnings, fmt.Sprintf("metrics-server: %s: %s; its conditions are Unknown", metric, msg))
}

// failSource records a metric whose read failed: as fail, and in Result.Failed.
func (m *MetricsServer) failSource(res *Result, metric, msg string) {
	m.fail(res, metric, msg)
	res.addFailed(metric)
}

// listNodes lists every node, page by page.
func (m *MetricsServer) listNodes(ctx context.Context) ([]corev1.Node, error) {
	var out []corev1.Node
	opts := metav1.ListOptions{Limit: 500}
	for {
		list, err := m.core.CoreV1().Nodes().List(ctx, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, list.Items...)
		if list.Continue == "" {
			return out, nil
		}
		opts.Continue = list.Continue
	}
}

// wantedNodes is the request's nodes, else every listed node, sorted.
func wantedNodes(reqNodes []string, nodes []corev1.Node) []string {
	var out []string
	if len(reqNodes) > 0 {
		out = append(out, reqNodes...)
	} else {
		for i := range nodes {
			out = append(out, nodes[i].Name)
		}
	}
	sort.Strings(out)
	return out
}

// fetchUsage turns NodeMetrics into cpu and memory percentages of allocatable.
func (m *MetricsServer) fetchUsage(ctx context.Context, req Request, p msPlan, nodes []corev1.Node, want []string, res *Result) {
	list, err := m.metrics.MetricsV1beta1().NodeMetricses().List(ctx, metav1.ListOptions{})
	if err != nil {
		for _, n := range p.usage {
			m.failSource(res, n.Metric, "metrics.k8s.io: "+err.Error())
		}
		return
	}
	alloc := make(map[string]corev1.ResourceList, len(nodes))
	for i := range nodes {
		alloc[nodes[i].Name] = nodes[i].Status.Allocatable
	}
	usage := make(map[string]int, len(list.Items))
	for i := range list.Items {
		usage[list.Items[i].Name] = i
	}
	var missing, noAlloc []string
	for _, node := range want {
		i, ok := usage[node]
		if !ok {
			missing = append(missing, node)
			continue
		}
		nm := &list.Items[i]
		for _, n := range p.usage {
			rn := corev1.ResourceCPU
			if n.Metric == v1.MetricMemoryUtilization {
				rn = corev1.ResourceMemory
			}
			v, ok := percentOf(nm.Usage, alloc[node], rn)
			if !ok {
				noAlloc = append(noAlloc, node)
				continue
			}
			s := series.Sample{T: nm.Timestamp.Time.UTC(), V: v}
			res.Data.Add(node, n.Metric, fill(s, req.Now, n.Window, req.Step)...)
		}
	}
	if len(missing) > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("metrics-server: no metrics for node %s; its cpu and memory are Unknown", nameList(missing)))
	}
	if len(noAlloc) > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("metrics-server: node %s: no allocatable cpu or memory (or usage) to compare with, or a percentage past float64; Unknown", nameList(dedupe(noAlloc))))
	}
}

// percentOf is usage[name] as a percentage of alloc[name]; false when either is missing,
// the allocatable is not positive, or the percentage is not a finite number (quantities
// past float64): such a value is Unknown, never compared.
func percentOf(usage, alloc corev1.ResourceList, name corev1.ResourceName) (float64, bool) {
	u, ok := usage[name]
	if !ok {
		return 0, false
	}
	a, ok := alloc[name]
	if !ok || a.Sign() <= 0 {
		return 0, false
	}
	p := 100 * u.AsApproximateFloat64() / a.AsApproximateFloat64()
	if math.IsNaN(p) || math.IsInf(p, 0) {
		return 0, false
	}
	return p, true
}

// fill is a metrics-server sample as samples: itself alone without a window; with a
// window (AssumeSustained), the same value at every step back from its timestamp until
// the window [now-window, now] is covered. A timestamp after now (clock skew) is taken
// as now.
func fill(s series.Sample, now time.Time, window, step time.Duration) []series.Sample {
	if s.T.After(now) {
		s.T = now
	}
	if window <= 0 {
		return []series.Sample{s}
	}
	k := int64((now.Sub(s.T) + window + step - 1) / step)
	out := make([]series.Sample, 0, k+1)
	for i := k; i >= 0; i-- {
		out = append(out, series.Sample{T: s.T.Add(-time.Duration(i) * step), V: s.V})
	}
	return out
}

// dedupe sorts names and drops repeats.
func dedupe(names []string) []string {
	sort.Strings(names)
	out := names[:0]
	for i, n := range names {
		if i == 0 || n != names[i-1] {
			out = append(out, n)
		}
	}
	return out
}
