package metrics

import (
	"fmt"
	"sort"
	"strings"
	"time"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/evaluate"
)

// queryDef is where a metric's query came from, to name both sides of a conflict.
type queryDef struct {
	query string
	rule  string // "" for the built-in (or configured) query
}

func (d queryDef) origin() string {
	if d.rule == "" {
		return "the built-in query"
	}
	return fmt.Sprintf("rule %q", d.rule)
}

// needKey identifies one Need: a metric from one Prometheus or from metrics-server.
type needKey struct {
	metric, url   string
	metricsServer bool
}

// NeedsFor lists what the rules need from the metric sources: one Need per distinct
// (metric, monitoring.metricsSource.prometheusURL or useMetricsServer) among the conditions
// and recovery conditions of the active rules (rules are defaulted on a copy; disabled and suspended rules need
// nothing). A Need's Window is the longest duration any of those conditions has; its
// Query is the rule's query, else the built-in one from cfg. A metric given two
// different queries (by two rules, or a rule and the built-in) is an error naming both.
// step is the smallest checkInterval of the active rules, at least MinStep
// (v1.DefaultCheckInterval when no rule is active). A Need's Series is the series name
// its rules read (evaluate.SeriesName). Needs are sorted by metric, then series, then URL.
func NeedsFor(rules []*v1.NodeGuardianRule, cfg Config) (needs []Need, step time.Duration, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, 0, fmt.Errorf("metrics config: %w", err)
	}
	idx := map[needKey]int{}
	defs := map[string]queryDef{}
	for _, in := range rules {
		if in == nil {
			continue
		}
		r := in.DeepCopy()
		r.Default()
		if !r.Spec.Active() {
			continue
		}
		if ci := r.Spec.Monitoring.CheckInterval.Duration; step == 0 || ci < step {
			step = ci
		}
		url, ms := ruleURL(r), useMetricsServer(r)
		if ms {
			url = ""
		}
		conds := append(append([]v1.Condition(nil), r.Spec.Conditions...), r.Spec.RecoveryConditions...)
		for i := range conds {
			c := &conds[i]
			q, err := conditionQuery(r.Name, c, cfg, defs)
			if err != nil {
				return nil, 0, err
			}
			k := needKey{metric: c.Metric, url: url, metricsServer: ms}
			j, ok := idx[k]
			if !ok {
				j = len(needs)
				idx[k] = j
				needs = append(needs, Need{Metric: c.Metric, Query: q, URL: url, MetricsServer: ms, Series: evaluate.SeriesName(r, c.Metric)})
			}
			if d := c.DurationValue(); d > needs[j].Window {
				needs[j].Window = d
			}
		}
	}
	if step == 0 {
		step = v1.DefaultCheckInterval
	}
	step = max(step, MinStep)
	sort.SliceStable(needs, func(i, j int) bool {
		a, b := needs[i], needs[j]
		if a.Metric != b.Metric {
			return a.Metric < b.Metric
		}
		if a.Series != b.Series {
			return a.Series < b.Series
		}
		return a.URL < b.URL
	})
	return needs, step, nil
}

// ruleURL is the rule's Prometheus URL override ("" = the default).
func ruleURL(r *v1.NodeGuardianRule) string {
	if s := r.Spec.Monitoring.MetricsSource; s != nil {
		return strings.TrimSpace(s.PrometheusURL)
	}
	return ""
}

// useMetricsServer reports whether the rule asks for metrics-server.
func useMetricsServer(r *v1.NodeGuardianRule) bool {
	s := r.Spec.Monitoring.MetricsSource
	return s != nil && s.UseMetricsServer
}

// conditionQuery is the PromQL of a condition's metric, checked against the query other
// conditions gave the same metric.
func conditionQuery(rule string, c *v1.Condition, cfg Config, defs map[string]queryDef) (string, error) {
	def := queryDef{query: strings.TrimSpace(c.Query), rule: rule}
	if def.query == "" {
		if !v1.IsBuiltinMetric(c.Metric) {
			return "", fmt.Errorf("rule %q: metric %q is not built in and has no query", rule, c.Metric)
		}
		def = queryDef{query: strings.TrimSpace(cfg.Query(c.Metric))}
	}
	prev, ok := defs[c.Metric]
	if !ok {
		defs[c.Metric] = def
		return def.query, nil
	}
	if prev.query == def.query {
		if prev.rule == "" && def.rule != "" {
			defs[c.Metric] = def // name a rule rather than the built-in in later conflicts
		}
		return prev.query, nil
	}
	if prev.rule == def.rule {
		return "", fmt.Errorf("rule %q: metric %q has two different queries: %q and %q", rule, c.Metric, prev.query, def.query)
	}
	return "", fmt.Errorf("metric %q has two different queries: %s has %q, %s has %q; give one of them another metric name",
		c.Metric, prev.origin(), prev.query, def.origin(), def.query)
}
