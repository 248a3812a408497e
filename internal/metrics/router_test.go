package metrics

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/evaluate"
	"github.com/nodeguardian/nodeguardian/internal/promtest"
	"github.com/nodeguardian/nodeguardian/internal/series"
)

// routerFleet is two real Prometheus servers and a metrics-server double, each giving
// nodes a and b a memory value of its own: A 10/20, B 30/40, metrics-server 50/75.
type routerFleet struct {
	a, b *promtest.Server
	now  time.Time
	cfg  Config
}

// metricsServer is the metrics-server double; down: metrics.k8s.io is not served.
func (f *routerFleet) metricsServer(down bool) *fakeCluster {
	c := &fakeCluster{nodes: []corev1.Node{node("a", "2", "4Gi"), node("b", "4", "8Gi")},
		usage: []metricsv1beta1.NodeMetrics{usage("a", "1", "2Gi", f.now), usage("b", "1", "6Gi", f.now)}}
	if down {
		c.usage = nil
	}
	return c
}

func startRouterFleet(t *testing.T) *routerFleet {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Minute).Add(-10 * time.Minute)
	history := func(a, b float64) promtest.Options {
		var out []promtest.Sample
		for k := 0; k <= 40; k++ {
			at := now.Add(-10 * time.Minute).Add(time.Duration(k) * 15 * time.Second)
			out = append(out, promtest.Sample{Metric: "test_memory", Labels: map[string]string{"node": "a"}, Value: a, T: at},
				promtest.Sample{Metric: "test_memory", Labels: map[string]string{"node": "b"}, Value: b, T: at})
		}
		return promtest.Options{Samples: out}
	}
	f := &routerFleet{a: promtest.Start(t, history(10, 20)), b: promtest.Start(t, history(30, 40)), now: now}
	f.cfg = DefaultConfig()
	f.cfg.Queries = map[string]string{v1.MetricMemoryUtilization: "test_memory"}
	return f
}

// memRule is a rule on memory (duration d) reading src ("" = the default,
// "metrics-server", or a Prometheus URL).
func memRule(name, src string, d time.Duration) *v1.NodeGuardianRule {
	r := rule(name, []v1.Condition{cond(v1.MetricMemoryUtilization, d, "")})
	switch src {
	case "":
	case series.MetricsServerSource:
		source("", true)(r)
	default:
		source(src, false)(r)
	}
	return r
}

// routerCase is one case of TestRouter.
type routerCase struct {
	name          string
	dflt          string
	noMS          bool // no metrics-server configured
	msDown        bool // metrics.k8s.io not served
	rules         func(f *routerFleet) []*v1.NodeGuardianRule
	want          map[string][2]float64 // rule → node a, b latest values it reads
	wantUnknown   map[string]string     // rule → its condition's Unknown reason contains
	wantQueries   [2]int                // range queries to A and B
	wantFailed    []string
	wantWarnings  []string
	wantNoWarning bool
}

func routerCases() []routerCase {
	ms := series.MetricsServerSource
	mem := v1.MetricMemoryUtilization
	return []routerCase{
		{name: "Prometheus only", rules: func(*routerFleet) []*v1.NodeGuardianRule { return []*v1.NodeGuardianRule{memRule("plain", "", 0)} },
			want: map[string][2]float64{"plain": {10, 20}}, wantQueries: [2]int{1, 0}, wantNoWarning: true},
		{name: "metrics-server only", rules: func(*routerFleet) []*v1.NodeGuardianRule { return []*v1.NodeGuardianRule{memRule("ms", ms, 0)} },
			want: map[string][2]float64{"ms": {50, 75}}, wantNoWarning: true},
		{name: "both, and a rule's own Prometheus: one metric, three sources",
			rules: func(f *routerFleet) []*v1.NodeGuardianRule {
				return []*v1.NodeGuardianRule{memRule("plain", "", time.Minute), memRule("ms", ms, 0), memRule("other", f.b.URL, 2*time.Minute),
					memRule("default-by-url", f.a.URL+"/", 0)}
			},
			want:        map[string][2]float64{"plain": {10, 20}, "ms": {50, 75}, "other": {30, 40}, "default-by-url": {10, 20}},
			wantQueries: [2]int{1, 1}, wantNoWarning: true},
		{name: "metrics-server as the default, a rule's own Prometheus", dflt: SourceMetricsServer,
			rules: func(f *routerFleet) []*v1.NodeGuardianRule {
				return []*v1.NodeGuardianRule{memRule("plain", "", 0), memRule("ms", ms, 0), memRule("other", f.b.URL, 0)}
			},
			want: map[string][2]float64{"plain": {50, 75}, "ms": {50, 75}, "other": {30, 40}}, wantQueries: [2]int{0, 1}, wantNoWarning: true},
		{name: "no metrics-server configured: Unknown, never read from Prometheus", noMS: true,
			rules: func(*routerFleet) []*v1.NodeGuardianRule {
				return []*v1.NodeGuardianRule{memRule("plain", "", 0), memRule("ms", ms, 0)}
			},
			want: map[string][2]float64{"plain": {10, 20}}, wantUnknown: map[string]string{"ms": "no metrics-server configured"},
			wantQueries:  [2]int{1, 0},
			wantWarnings: []string{"metrics-server: " + mem + "@metrics-server: no metrics-server configured; its conditions are Unknown"}},
		{name: "metrics-server down: Unknown and failed, Prometheus unaffected", msDown: true,
			rules: func(*routerFleet) []*v1.NodeGuardianRule {
				return []*v1.NodeGuardianRule{memRule("plain", "", 0), memRule("ms", ms, 0)}
			},
			want: map[string][2]float64{"plain": {10, 20}}, wantUnknown: map[string]string{"ms": "metrics.k8s.io"},
			wantQueries: [2]int{1, 0}, wantFailed: []string{mem + "@metrics-server"},
			wantWarnings: []string{"metrics-server: " + mem + ": metrics.k8s.io"}},
		{name: "metrics-server has no history", rules: func(*routerFleet) []*v1.NodeGuardianRule {
			return []*v1.NodeGuardianRule{memRule("ms", ms, 2*time.Minute)}
		}, wantUnknown: map[string]string{"ms": "metrics-server has no history"}, wantWarnings: []string{msNoHistory}},
	}
}

func TestRouter(t *testing.T) {
	f := startRouterFleet(t)
	for _, tt := range routerCases() {
		t.Run(tt.name, func(t *testing.T) {
			f.a.ResetCounts()
			f.b.ResetCounts()
			opts := RouterOptions{Default: tt.dflt, Prometheus: PrometheusOptions{URL: f.a.URL}, Config: f.cfg}
			if !tt.noMS {
				opts.MetricsServer = f.metricsServer(tt.msDown).start(t, MetricsServerOptions{})
			}
			r, err := NewRouter(opts)
			if err != nil {
				t.Fatal(err)
			}
			rules := tt.rules(f)
			needs, step, err := NeedsFor(rules, f.cfg)
			if err != nil {
				t.Fatal(err)
			}
			req := Request{Needs: needs, Now: f.now, Step: step, Nodes: []string{"a", "b"}}
			res, err := r.Fetch(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			checkRouted(t, tt, rules, res, f.now)
			if got := [2]int{f.a.QueryCount(queryRangePath), f.b.QueryCount(queryRangePath)}; got != tt.wantQueries {
				t.Errorf("range queries to A, B: %v, want %v", got, tt.wantQueries)
			}
			if !slices.Equal(res.Failed, tt.wantFailed) {
				t.Errorf("failed %q, want %q", res.Failed, tt.wantFailed)
			}
			if tt.wantNoWarning && len(res.Warnings) > 0 {
				t.Errorf("warnings %q", res.Warnings)
			}
			for _, w := range tt.wantWarnings {
				if !slices.ContainsFunc(res.Warnings, func(s string) bool { return strings.Contains(s, w) }) {
					t.Errorf("no warning %q in %q", w, res.Warnings)
				}
			}
		})
	}
}

// checkRouted evaluates the rules on what the router read: each reads its own source.
func checkRouted(t *testing.T, tt routerCase, rules []*v1.NodeGuardianRule, res Result, now time.Time) {
	t.Helper()
	for _, r := range rules {
		r.Default()
	}
	nodes := []corev1.Node{node("a", "2", "4Gi"), node("b", "4", "8Gi")}
	out := evaluate.Evaluate(rules, nodes, res.Data, evaluate.Options{Now: now, Interval: 15 * time.Second})
	for _, rr := range out {
		for i, v := range rr.Verdicts {
			c := v.Conditions[0]
			if want, ok := tt.want[rr.Rule.Name]; ok {
				if c.Why == evaluate.WhyNoData || c.Why == evaluate.WhySourceError || c.Last != want[i] {
					t.Errorf("rule %s on %s reads %v (%s), want %v", rr.Rule.Name, v.Node, c.Last, c.Reason(), want[i])
				}
				continue
			}
			if want := tt.wantUnknown[rr.Rule.Name]; c.Result != evaluate.Unknown || !strings.Contains(c.Reason(), want) {
				t.Errorf("rule %s on %s: %s (%v), want Unknown with %q", rr.Rule.Name, v.Node, c.Reason(), c.Result, want)
			}
		}
	}
}

// Two rule URLs that differ only in their credentials have one series name: neither
// is read, rather than one read as the other.
func TestRouterCredentialConflict(t *testing.T) {
	r, err := NewRouter(RouterOptions{Config: DefaultConfig()})
	if err != nil {
		t.Fatal(err)
	}
	rules := []*v1.NodeGuardianRule{memRule("x", "http://u:sekret1@127.0.0.1:1", 0), memRule("y", "http://u:sekret2@127.0.0.1:1", 0)}
	needs, step, err := NeedsFor(rules, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Fetch(context.Background(), Request{Needs: needs, Now: time.Unix(1e9, 0), Step: step})
	if err != nil {
		t.Fatal(err)
	}
	name := v1.MetricMemoryUtilization + "@http://u:xxxxx@127.0.0.1:1"
	if !strings.Contains(res.Data.Errors[name], "differ only in their credentials") || len(res.Warnings) != 1 ||
		strings.Contains(res.Warnings[0], "sekret") {
		t.Fatalf("errors %q, warnings %q", res.Data.Errors, res.Warnings)
	}
}

func TestRouterNoDefaultPrometheus(t *testing.T) {
	r, err := NewRouter(RouterOptions{Config: DefaultConfig()})
	if err != nil {
		t.Fatal(err)
	}
	needs := []Need{{Metric: "m", Query: "q"}}
	res, err := r.Fetch(context.Background(), Request{Needs: needs, Now: time.Unix(1e9, 0), Step: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if res.Data.Errors["m"] != "prometheus: no Prometheus URL configured" || len(res.Failed) != 0 {
		t.Fatalf("errors %q failed %q", res.Data.Errors, res.Failed)
	}
	if _, err := NewRouter(RouterOptions{Default: "graphite"}); err == nil || !strings.Contains(err.Error(), `unknown default source "graphite"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestNeedsNodes(t *testing.T) {
	r, err := NewRouter(RouterOptions{Prometheus: PrometheusOptions{URL: "http://127.0.0.1:1"}, Config: DefaultConfig()})
	if err != nil {
		t.Fatal(err)
	}
	prom := Request{Needs: []Need{{Metric: "m"}, {Metric: "m", URL: "http://other:9090"}}}
	ms := Request{Needs: []Need{{Metric: "m"}, {Metric: "m", MetricsServer: true}}}
	p := newProm(t, PrometheusOptions{URL: "http://127.0.0.1:1"}, DefaultConfig())
	for _, tt := range []struct {
		name string
		src  Source
		req  Request
		want bool
	}{
		{"router, Prometheus only", r, prom, false},
		{"router with a metrics-server need", r, ms, true},
		{"Prometheus", p, ms, false},
		{"metrics-server", &MetricsServer{}, prom, true},
		{"window", NewWindow(&MetricsServer{}), prom, true},
		{"a source that does not say", sourceFunc(nil), prom, true},
	} {
		if got := NeedsNodes(tt.src, tt.req); got != tt.want {
			t.Errorf("%s: NeedsNodes = %v, want %v", tt.name, got, tt.want)
		}
	}
}
