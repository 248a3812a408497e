package metrics

import (
	"context"
	"fmt"
	"math"
	"net"
	"strings"
	"testing"
	"time"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/promtest"
	"github.com/nodeguardian/nodeguardian/internal/series"
)

const queryRangePath = "/api/v1/query_range"

// fleetRules need the four built-in metrics and one custom metric, with windows
// cpuLoadRatio 10m, memory 2m, disk 1m, cpu 0, gpuTemp 5m, at a 15s step.
func fleetRules() []*v1.NodeGuardianRule {
	return []*v1.NodeGuardianRule{
		rule("high-load", []v1.Condition{cond(v1.MetricCPULoadRatio, 3*time.Minute, ""), cond(v1.MetricMemoryUtilization, 2*time.Minute, "")},
			recovery(cond(v1.MetricCPULoadRatio, 10*time.Minute, ""))),
		rule("disk", []v1.Condition{cond(v1.MetricDiskUtilization, time.Minute, "")}),
		rule("cpu", []v1.Condition{cond(v1.MetricCPUUtilization, 0, "")}, every(15*time.Second)),
		rule("gpu", []v1.Condition{cond("gpuTemp", 5*time.Minute, gpuQuery)}),
	}
}

func near(got, want float64) bool {
	return math.Abs(got-want) <= 1e-9*math.Max(1, math.Abs(want))
}

// checkSeries checks a node's samples: a sample every step over span, the last at now,
// each value as want gives it.
func checkSeries(t *testing.T, what string, got []series.Sample, now time.Time, span, step time.Duration, want func(time.Time) float64) {
	t.Helper()
	n := int(span/step) + 1
	if len(got) != n {
		t.Errorf("%s: %d samples, want %d", what, len(got), n)
		return
	}
	for j, s := range got {
		wantT := now.Add(-time.Duration(n-1-j) * step)
		if !s.T.Equal(wantT) {
			t.Errorf("%s: sample %d at %s, want %s", what, j, s.T, wantT)
			return
		}
		if w := want(s.T); !near(s.V, w) {
			t.Errorf("%s: sample %d (%s) = %v, want %v", what, j, s.T.Format(time.TimeOnly), s.V, w)
			return
		}
	}
}

func newProm(t *testing.T, opts PrometheusOptions, cfg Config) *Prometheus {
	t.Helper()
	p, err := NewPrometheus(opts, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPrometheusFleet(t *testing.T) {
	f := fleet{nodes: 200, now: time.Now().UTC().Truncate(time.Minute).Add(-10 * time.Minute), interval: fleetInterval, history: 15 * time.Minute}
	start := time.Now()
	srv := promtest.Start(t, promtest.Options{Samples: f.samples()})
	t.Logf("backfilled and started Prometheus in %s", time.Since(start).Round(time.Millisecond))
	needs, step, err := NeedsFor(fleetRules(), DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if len(needs) != 5 || step != 15*time.Second {
		t.Fatalf("needs %+v, step %s", needs, step)
	}
	all := make([]string, f.nodes)
	for i := range all {
		all[i] = f.name(i)
	}
	env := fleetEnv{f: f, srv: srv, req: Request{Needs: needs, Now: f.now, Step: step, Nodes: all}}
	for _, tc := range []struct {
		name string
		run  func(*testing.T, fleetEnv)
	}{
		{"one range query per metric for all nodes", testOneQueryPerMetric},
		{"exact node match: node-1 is not node-10", testExactNodeMatch},
		{"instance label with port", testInstanceLabel},
		{"bad PromQL fails only its metric", testBadPromQL},
		{"two series for a node and series without the label", testDuplicateSeries},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, env) })
	}
}

// fleetEnv is the Prometheus of TestPrometheusFleet and the request of its rules.
type fleetEnv struct {
	f   fleet
	srv *promtest.Server
	req Request
}

// testOneQueryPerMetric: one range query per metric for all nodes.
func testOneQueryPerMetric(t *testing.T, e fleetEnv) {
	f, srv, req, step := e.f, e.srv, e.req, e.req.Step
	srv.ResetCounts()
	res, err := newProm(t, PrometheusOptions{URL: srv.URL}, DefaultConfig()).Fetch(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if n := srv.QueryCount(queryRangePath); n != 5 {
		t.Errorf("%d range queries, want 5 (one per metric)", n)
	}
	if n := srv.QueryCount("/api/v1/query"); n != 0 {
		t.Errorf("%d instant queries, want 0", n)
	}
	if len(res.Warnings) != 0 || len(res.Data.Errors) != 0 {
		t.Errorf("warnings %q, errors %v", res.Warnings, res.Data.Errors)
	}
	if len(res.Data.Samples) != f.nodes {
		t.Fatalf("%d nodes with samples, want %d", len(res.Data.Samples), f.nodes)
	}
	checkFleet(t, f, res.Data, step, func(i int) string { return f.name(i) })
}

// testExactNodeMatch: exact node match: node-1 is not node-10.
func testExactNodeMatch(t *testing.T, e fleetEnv) {
	f, srv, req := e.f, e.srv, e.req
	one := req
	one.Nodes = []string{"node-1"}
	res, err := newProm(t, PrometheusOptions{URL: srv.URL}, DefaultConfig()).Fetch(context.Background(), one)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Data.Samples) != 1 || res.Data.Get("node-1", v1.MetricDiskUtilization) == nil {
		t.Fatalf("nodes %v, want node-1 only", keys(res.Data.Samples))
	}
	got := res.Data.Get("node-1", v1.MetricDiskUtilization)
	if v := got[len(got)-1].V; !near(v, f.wantDisk(1)) || near(v, f.wantDisk(10)) {
		t.Errorf("node-1 disk = %v, want %v (node-10 has %v)", v, f.wantDisk(1), f.wantDisk(10))
	}
}

// testInstanceLabel: instance label with port.
func testInstanceLabel(t *testing.T, e fleetEnv) {
	f, srv, req, step := e.f, e.srv, e.req, e.req.Step
	cfg := Config{NodeLabel: LabelInstance}
	ineeds, _, err := NeedsFor(fleetRules(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ireq := req
	ireq.Needs = ineeds
	srv.ResetCounts()
	res, err := newProm(t, PrometheusOptions{URL: srv.URL}, cfg).Fetch(context.Background(), ireq)
	if err != nil {
		t.Fatal(err)
	}
	// gpuTemp's custom query aggregates by node, not instance: no series has the label.
	if len(res.Data.Errors) != 0 || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], `gpuTemp: 200 series without the node label "instance" ignored`) {
		t.Errorf("errors %v, warnings %q", res.Data.Errors, res.Warnings)
	}
	if n := srv.QueryCount(queryRangePath); n != 5 {
		t.Errorf("%d range queries, want 5", n)
	}
	checkFleet(t, f, res.Data, step, func(i int) string {
		if i%50 == 0 {
			return f.name(i)
		}
		return ""
	}, v1.MetricCPULoadRatio, v1.MetricMemoryUtilization, v1.MetricDiskUtilization, v1.MetricCPUUtilization)
}

// testBadPromQL: bad PromQL fails only its metric.
func testBadPromQL(t *testing.T, e fleetEnv) {
	f, srv, req, step, needs := e.f, e.srv, e.req, e.req.Step, e.req.Needs
	bad := append(append([]Need(nil), needs...), Need{Metric: "broken", Query: "max by (node) ("})
	breq := req
	breq.Needs = bad
	res, err := newProm(t, PrometheusOptions{URL: srv.URL}, DefaultConfig()).Fetch(context.Background(), breq)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Data.Errors) != 1 || !strings.Contains(res.Data.Errors["broken"], "query failed: bad_data") {
		t.Errorf("errors = %v, want only broken (bad_data)", res.Data.Errors)
	}
	want := fmt.Sprintf("prometheus %s: broken: query failed: bad_data: ", srv.URL)
	if len(res.Warnings) != 1 || !strings.HasPrefix(res.Warnings[0], want) || !strings.HasSuffix(res.Warnings[0], "; its conditions are Unknown") {
		t.Errorf("warnings = %q, want one starting %q", res.Warnings, want)
	}
	if len(res.Data.Samples) != f.nodes || res.Data.Get("node-7", "broken") != nil {
		t.Errorf("the other metrics must still be there")
	}
	checkFleet(t, f, res.Data, step, func(i int) string { return map[bool]string{true: f.name(i)}[i == 7] })
}

// testDuplicateSeries: two series for a node and series without the label.
func testDuplicateSeries(t *testing.T, e fleetEnv) {
	f, srv, step := e.f, e.srv, e.req.Step
	rreq := Request{Needs: []Need{{Metric: "raw", Query: "raw_metric"}}, Now: f.now, Step: step}
	res, err := newProm(t, PrometheusOptions{URL: srv.URL}, DefaultConfig()).Fetch(context.Background(), rreq)
	if err != nil {
		t.Fatal(err)
	}
	if res.Data.Get("node-5", "raw") != nil {
		t.Errorf("node-5 has two series: it must have no samples (Unknown), got %v", res.Data.Get("node-5", "raw"))
	}
	for i := 0; i < 3; i++ {
		if s := res.Data.Get(f.name(i), "raw"); len(s) == 0 || s[len(s)-1].V != float64(i) {
			t.Errorf("%s: %v", f.name(i), s)
		}
	}
	joined := strings.Join(res.Warnings, "\n")
	for _, w := range []string{"raw: several series for node node-5", `raw: 1 series without the node label "node" ignored, e.g. raw_metric{job="orphan"}`} {
		if !strings.Contains(joined, w) {
			t.Errorf("warnings %q lack %q", res.Warnings, w)
		}
	}
}

// checkFleet checks every metric of every node that node(i) names ("" skips node i).
func checkFleet(t *testing.T, f fleet, d *series.Data, step time.Duration, node func(int) string, metrics ...string) {
	t.Helper()
	if len(metrics) == 0 {
		metrics = []string{v1.MetricCPULoadRatio, v1.MetricMemoryUtilization, v1.MetricDiskUtilization, v1.MetricCPUUtilization, "gpuTemp"}
	}
	spans := map[string]time.Duration{
		v1.MetricCPULoadRatio: 10 * time.Minute, v1.MetricMemoryUtilization: 5 * time.Minute,
		v1.MetricDiskUtilization: 5 * time.Minute, v1.MetricCPUUtilization: 5 * time.Minute, "gpuTemp": 5 * time.Minute,
	}
	for i := 0; i < f.nodes; i++ {
		name := node(i)
		if name == "" {
			continue
		}
		want := map[string]func(time.Time) float64{
			v1.MetricCPULoadRatio:      func(ts time.Time) float64 { return f.wantLoad(i, f.k(ts)) },
			v1.MetricMemoryUtilization: func(ts time.Time) float64 { return f.wantMemory(i, f.k(ts)) },
			v1.MetricDiskUtilization:   func(time.Time) float64 { return f.wantDisk(i) },
			v1.MetricCPUUtilization:    func(time.Time) float64 { return f.wantCPU(i) },
			"gpuTemp":                  func(time.Time) float64 { return f.gpuTemp(i) },
		}
		for _, m := range metrics {
			checkSeries(t, name+" "+m, d.Get(name, m), f.now, spans[m], step, want[m])
		}
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// closedURL is the URL of a 127.0.0.1 port nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func TestPrometheusDown(t *testing.T) {
	stopped := promtest.Start(t, promtest.Options{})
	stopped.Stop()
	needs, step, err := NeedsFor(fleetRules(), DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, url, why string
	}{
		{"closed port", closedURL(t), "connection refused"},
		{"stopped behind its proxy", stopped.URL, "502"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := newProm(t, PrometheusOptions{URL: tt.url}, DefaultConfig()).Fetch(context.Background(),
				Request{Needs: needs, Now: time.Now(), Step: step, Nodes: []string{"node-1"}})
			if err != nil {
				t.Fatalf("Fetch must not fail when Prometheus is down: %v", err)
			}
			if len(res.Data.Samples) != 0 {
				t.Errorf("samples %v, want none", res.Data.Samples)
			}
			if len(res.Data.Errors) != len(needs) || len(res.Warnings) != len(needs) {
				t.Fatalf("errors %v, warnings %q: want one of each per Need", res.Data.Errors, res.Warnings)
			}
			t.Logf("warning: %s", res.Warnings[0])
			for i, n := range needs {
				if e := res.Data.Errors[n.Metric]; !strings.HasPrefix(e, "prometheus "+tt.url+": query failed: ") || !strings.Contains(e, tt.why) {
					t.Errorf("Errors[%s] = %q", n.Metric, e)
				}
				want := fmt.Sprintf("prometheus %s: %s: query failed: ", tt.url, n.Metric)
				if w := res.Warnings[i]; !strings.HasPrefix(w, want) || !strings.Contains(w, tt.why) || !strings.HasSuffix(w, "; its conditions are Unknown") {
					t.Errorf("warning %q, want %q…%s…; its conditions are Unknown", w, want, tt.why)
				}
			}
		})
	}
}

func TestPrometheusLiveScrape(t *testing.T) {
	t.Parallel() // mostly waits for Prometheus' first scrape (service discovery updates every 5s)
	exp := promtest.NewExporter(t, `node_memory_MemTotal_bytes{node="live-1"} 1000
node_memory_MemAvailable_bytes{node="live-1"} 250
`)
	srv := promtest.Start(t, promtest.Options{ScrapeTargets: []string{exp.Addr()}})
	p := newProm(t, PrometheusOptions{URL: srv.URL}, DefaultConfig())
	req := Request{Needs: []Need{{Metric: v1.MetricMemoryUtilization, Query: DefaultConfig().Query(v1.MetricMemoryUtilization)}}, Step: MinStep}
	deadline := time.Now().Add(30 * time.Second)
	for {
		req.Now = time.Now()
		res, err := p.Fetch(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if s := res.Data.Get("live-1", v1.MetricMemoryUtilization); len(s) > 0 {
			last := s[len(s)-1]
			if last.V != 75 || req.Now.Sub(last.T) >= time.Millisecond {
				t.Errorf("latest sample %v at %s, want 75 at %s", last.V, last.T, req.Now)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no live sample after 30s (%d scrapes): %q", exp.Scrapes(), res.Warnings)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
