// Package metrics fetches the metric windows the rules need from a live source —
// Prometheus or metrics-server — as series.Data for the engine. A failed or partial fetch
// never reads as 0: the affected metrics are recorded in Data.Errors and their conditions
// are Unknown.
package metrics

import (
	"context"
	"slices"
	"time"

	"github.com/nodeguardian/nodeguardian/internal/series"
)

// MinStep is the smallest query step.
const MinStep = 15 * time.Second

// Need is one metric the rules need: its query and the longest window any rule reads.
type Need struct {
	Metric string        // metric name as rules write it (built-in or custom)
	Query  string        // PromQL: the custom query, or the built-in one from Config
	Window time.Duration // the longest condition duration on this metric (0 = latest sample only)
	URL    string        // Prometheus URL override of the rules that need it ("" = the default)
	// MetricsServer says the rules that need it ask for metrics-server
	// (monitoring.metricsSource.useMetricsServer); URL is then "".
	MetricsServer bool
	// Series is the series name the rules read it under (evaluate.SeriesName): the
	// metric itself for rules without a source of their own ("" = Metric). A Router
	// stores the samples under it; Prometheus and MetricsServer alone store them under
	// Metric.
	Series string
}

// SeriesName is the series the Need's samples go under: Series, else Metric.
func (n Need) SeriesName() string {
	if n.Series != "" {
		return n.Series
	}
	return n.Metric
}

// Request is everything one fetch needs.
type Request struct {
	Needs []Need
	Now   time.Time     // end of every window
	Step  time.Duration // sample spacing: the smallest checkInterval, at least MinStep
	Nodes []string      // the nodes of the fleet (results for other nodes are dropped)
}

// Result is the fetched samples plus what went wrong, for the plan's warnings.
type Result struct {
	Data     *series.Data
	Warnings []string
	// Failed lists, sorted, the metrics whose read from the source failed — connection
	// refused, an HTTP error, a timeout, a bad or too large response — as opposed to
	// metrics the source cannot serve by design (metrics-server has no load average) or
	// rules that read one metric two ways. Each is also in Data.Errors. A plan missing
	// them is incomplete: see live.Incomplete.
	Failed []string
}

// addFailed records that metric's read failed, keeping Failed sorted and unique.
func (r *Result) addFailed(metric string) {
	i, found := slices.BinarySearch(r.Failed, metric)
	if !found {
		r.Failed = slices.Insert(r.Failed, i, metric)
	}
}

// Source fetches metric windows.
type Source interface {
	Fetch(ctx context.Context, req Request) (Result, error)
}
