package evaluate

import (
	"strings"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/redact"
	"github.com/nodeguardian/nodeguardian/internal/series"
)

// Source is the metric source a rule asks for, as its series names carry it (series.Name):
// "" for the run's default source; series.MetricsServerSource for
// monitoring.metricsSource.useMetricsServer (it wins over prometheusURL); else its
// prometheusURL without trailing slashes, credentials masked (redact.URL).
func Source(r *v1.NodeGuardianRule) string {
	ms := r.Spec.Monitoring.MetricsSource
	switch {
	case ms == nil:
		return ""
	case ms.UseMetricsServer:
		return series.MetricsServerSource
	}
	u := strings.TrimRight(strings.TrimSpace(ms.PrometheusURL), "/")
	if u == "" {
		return ""
	}
	return redact.URL(u)
}

// SeriesName is the name of the series rule r's conditions on metric read:
// series.Name(metric, Source(r)). Rules without a source of their own read the metric
// itself, as snapshots and rule tests name it.
func SeriesName(r *v1.NodeGuardianRule, metric string) string {
	return series.Name(metric, Source(r))
}

// seriesNames are the series names of a rule's conditions and recovery conditions, in
// that order; nil when the rule reads the default source (each reads its metric).
func seriesNames(r *v1.NodeGuardianRule) []string {
	src := Source(r)
	if src == "" {
		return nil
	}
	s := &r.Spec
	out := make([]string, 0, len(s.Conditions)+len(s.RecoveryConditions))
	for i := range s.Conditions {
		out = append(out, series.Name(s.Conditions[i].Metric, src))
	}
	for i := range s.RecoveryConditions {
		out = append(out, series.Name(s.RecoveryConditions[i].Metric, src))
	}
	return out
}
