package metrics

import (
	"reflect"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
)

// cond is a condition on metric for d with an optional query.
func cond(metric string, d time.Duration, query string) v1.Condition {
	return v1.Condition{Metric: metric, Operator: v1.OpGreaterThan, Value: 1, Duration: &metav1.Duration{Duration: d}, Query: query}
}

// rule builds a rule; opts adjust it.
func rule(name string, conds []v1.Condition, opts ...func(*v1.NodeGuardianRule)) *v1.NodeGuardianRule {
	r := &v1.NodeGuardianRule{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1.NodeGuardianRuleSpec{
			Conditions: conds,
			Actions:    []v1.Action{{Type: v1.ActionCordon, Cordon: &v1.CordonAction{}}},
		},
	}
	for _, o := range opts {
		o(r)
	}
	return r
}

func every(d time.Duration) func(*v1.NodeGuardianRule) {
	return func(r *v1.NodeGuardianRule) { r.Spec.Monitoring.CheckInterval = metav1.Duration{Duration: d} }
}

func recovery(conds ...v1.Condition) func(*v1.NodeGuardianRule) {
	return func(r *v1.NodeGuardianRule) { r.Spec.RecoveryConditions = conds }
}

func source(url string, ms bool) func(*v1.NodeGuardianRule) {
	return func(r *v1.NodeGuardianRule) {
		r.Spec.Monitoring.MetricsSource = &v1.MetricsSource{PrometheusURL: url, UseMetricsServer: ms}
	}
}

func disabled(r *v1.NodeGuardianRule)  { f := false; r.Spec.Metadata.Enabled = &f }
func suspended(r *v1.NodeGuardianRule) { r.Spec.Suspend = true }

// needsCase is one case of TestNeedsFor.
type needsCase struct {
	name     string
	rules    []*v1.NodeGuardianRule
	cfg      *Config
	want     []Need
	wantStep time.Duration
	wantErr  []string // substrings
}

// needsCases are the cases of TestNeedsFor.
func needsCases() []needsCase { return append(windowCases(), queryCases()...) }

// windowCases are the cases of TestNeedsFor about windows, steps and active rules.
func windowCases() []needsCase {
	cfg := DefaultConfig()
	load := cfg.Query(v1.MetricCPULoadRatio)
	mem := cfg.Query(v1.MetricMemoryUtilization)
	return []needsCase{
		{
			name: "longest duration over triggers and recoveries",
			rules: []*v1.NodeGuardianRule{
				rule("a", []v1.Condition{cond("cpuLoadRatio", 3*time.Minute, ""), cond("memoryUtilizationPercent", 2*time.Minute, "")},
					recovery(cond("cpuLoadRatio", 5*time.Minute, ""), cond("memoryUtilizationPercent", 0, ""))),
				rule("b", []v1.Condition{cond("memoryUtilizationPercent", 30*time.Second, "")}, every(30*time.Second)),
			},
			want: []Need{
				{Metric: "cpuLoadRatio", Query: load, Window: 5 * time.Minute},
				{Metric: "memoryUtilizationPercent", Query: mem, Window: 2 * time.Minute},
			},
			wantStep: 30 * time.Second,
		},
		{
			name: "inactive rules need nothing and set no step",
			rules: []*v1.NodeGuardianRule{
				rule("off", []v1.Condition{cond("cpuLoadRatio", time.Hour, "")}, disabled, every(time.Second)),
				rule("paused", []v1.Condition{cond("diskUtilizationPercent", 0, "")}, suspended),
				rule("on", []v1.Condition{cond("cpuLoadRatio", 0, "")}, every(2*time.Minute)),
			},
			want:     []Need{{Metric: "cpuLoadRatio", Query: load}},
			wantStep: 2 * time.Minute,
		},
		{name: "no rules", wantStep: v1.DefaultCheckInterval},
		{
			name:     "step at least MinStep",
			rules:    []*v1.NodeGuardianRule{rule("fast", []v1.Condition{cond("cpuLoadRatio", 0, "")}, every(time.Second))},
			want:     []Need{{Metric: "cpuLoadRatio", Query: load}},
			wantStep: MinStep,
		},
	}
}

// queryCases are the cases of TestNeedsFor about queries and sources.
func queryCases() []needsCase {
	cfg := DefaultConfig()
	load := cfg.Query(v1.MetricCPULoadRatio)
	const other = "http://other:9090"
	return []needsCase{
		{
			name: "a custom metric shared by two rules with the same query",
			rules: []*v1.NodeGuardianRule{
				rule("a", []v1.Condition{cond("gpuTemp", time.Minute, "max by (node) (gpu_temp)")}),
				rule("b", []v1.Condition{cond("gpuTemp", 2*time.Minute, "  max by (node) (gpu_temp)\n")}),
			},
			want:     []Need{{Metric: "gpuTemp", Query: "max by (node) (gpu_temp)", Window: 2 * time.Minute}},
			wantStep: time.Minute,
		},
		{
			name: "a custom metric with two queries names both rules",
			rules: []*v1.NodeGuardianRule{
				rule("gpu-a", []v1.Condition{cond("gpuTemp", 0, "max by (node) (gpu_temp)")}),
				rule("gpu-b", []v1.Condition{cond("gpuTemp", 0, "avg by (node) (gpu_temp)")}),
			},
			wantErr: []string{`metric "gpuTemp" has two different queries`, `rule "gpu-a"`, `rule "gpu-b"`, "max by", "avg by"},
		},
		{
			name: "two queries in one rule",
			rules: []*v1.NodeGuardianRule{
				rule("gpu", []v1.Condition{cond("gpuTemp", 0, "a"), cond("gpuTemp", 0, "b")}),
			},
			wantErr: []string{`rule "gpu": metric "gpuTemp" has two different queries`},
		},
		{
			name:    "a rule query on a built-in metric differing from the built-in",
			rules:   []*v1.NodeGuardianRule{rule("a", []v1.Condition{cond("cpuLoadRatio", 0, "")}), rule("b", []v1.Condition{cond("cpuLoadRatio", 0, "node_load5")})},
			wantErr: []string{`metric "cpuLoadRatio" has two different queries`, "the built-in query", `rule "b"`},
		},
		{
			name:    "a custom metric without a query",
			rules:   []*v1.NodeGuardianRule{rule("a", []v1.Condition{cond("gpuTemp", 0, "")})},
			wantErr: []string{`rule "a": metric "gpuTemp" is not built in and has no query`},
		},
		{
			name:     "configured override",
			rules:    []*v1.NodeGuardianRule{rule("a", []v1.Condition{cond("cpuLoadRatio", 0, "")})},
			cfg:      &Config{NodeLabel: "instance", Queries: map[string]string{"cpuLoadRatio": "max by (instance) (node_load5)"}},
			want:     []Need{{Metric: "cpuLoadRatio", Query: "max by (instance) (node_load5)"}},
			wantStep: time.Minute,
		},
		{
			name:    "invalid config",
			cfg:     &Config{Queries: map[string]string{"nope": "x"}},
			wantErr: []string{`"nope" is not a built-in metric`},
		},
		{
			name: "one Need per metric and source, each with its own series",
			rules: []*v1.NodeGuardianRule{
				rule("default", []v1.Condition{cond("cpuLoadRatio", time.Minute, "")}),
				rule("elsewhere", []v1.Condition{cond("cpuLoadRatio", 2*time.Minute, "")}, source(other, false)),
				rule("elsewhere-too", []v1.Condition{cond("cpuLoadRatio", 3*time.Minute, "")}, source(" "+other+"/ ", false)),
				rule("ms", []v1.Condition{cond("cpuLoadRatio", 4*time.Minute, "")}, source("", true)),
				rule("ms-wins", []v1.Condition{cond("cpuLoadRatio", 5*time.Minute, "")}, source(other, true)),
				rule("secret", []v1.Condition{cond("cpuLoadRatio", 0, "")}, source("http://u:pw@p:9090", false)),
			},
			want: []Need{
				{Metric: "cpuLoadRatio", Query: load, Window: time.Minute},
				{Metric: "cpuLoadRatio", Query: load, Window: 2 * time.Minute, URL: other, Series: "cpuLoadRatio@" + other},
				{Metric: "cpuLoadRatio", Query: load, Window: 3 * time.Minute, URL: other + "/", Series: "cpuLoadRatio@" + other},
				{Metric: "cpuLoadRatio", Query: load, URL: "http://u:pw@p:9090", Series: "cpuLoadRatio@http://u:xxxxx@p:9090"},
				{Metric: "cpuLoadRatio", Query: load, Window: 5 * time.Minute, MetricsServer: true, Series: "cpuLoadRatio@metrics-server"},
			},
			wantStep: time.Minute,
		},
	}
}

func TestNeedsFor(t *testing.T) {
	cfg := DefaultConfig()
	tests := needsCases()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cfg
			if tt.cfg != nil {
				c = *tt.cfg
			}
			var before []*v1.NodeGuardianRule
			for _, r := range tt.rules {
				before = append(before, r.DeepCopy())
			}
			got, step, err := NeedsFor(tt.rules, c)
			if !reflect.DeepEqual(before, tt.rules) {
				t.Error("NeedsFor modified its rules")
			}
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("no error, want %q", tt.wantErr)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("err = %v, want it to contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i := range tt.want { // a rule without a source of its own reads the metric
				if tt.want[i].Series == "" {
					tt.want[i].Series = tt.want[i].Metric
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("needs:\n got %+v\nwant %+v", got, tt.want)
			}
			if step != tt.wantStep {
				t.Errorf("step = %s, want %s", step, tt.wantStep)
			}
		})
	}
}
