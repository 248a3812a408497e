package metrics

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/nodeguardian/nodeguardian/internal/evaluate"
	"github.com/nodeguardian/nodeguardian/internal/series"
)

// Window is a Source around a source without history (metrics-server) for a process
// that fetches again and again, such as the controller: each Fetch reads the latest
// sample of every node and metric and appends it to an in-memory window per node and
// metric, and returns the windows. A condition with a duration therefore works once
// its window has filled; until then — after a start or a restart — its samples do not
// cover its duration and it is Unknown (evaluate's "only 2m of data for a 5m window"),
// with the warning "metric X: metrics-server window filling (have 2m of 5m since
// start)": never guessed.
//
// Memory is bounded: a window keeps the samples of the longest duration its metric
// needs (plus one step), at most about two per step (a sample less than a step after
// the one before the previous replaces the previous), and at most MaxWindowSamples;
// metrics no longer needed and nodes no longer in the fleet (Request.Nodes) are
// dropped. Time is the request's Now, never the clock. It is safe for concurrent use.
type Window struct {
	src     Source
	mu      sync.Mutex
	metrics map[string]*metricWindow
}

// MaxWindowSamples bounds the samples one node's window of one metric keeps.
const MaxWindowSamples = 10000

// metricWindow is one metric's windows.
type metricWindow struct {
	start time.Time                  // Now of the first Fetch that needed the metric
	nodes map[string][]series.Sample // node → samples in time order
}

// NewWindow returns a Window around src, whose Fetch must give the latest sample of
// each node for a Need without a window (as MetricsServer does).
func NewWindow(src Source) *Window {
	return &Window{src: src, metrics: map[string]*metricWindow{}}
}

// NeedsNodes is true: the fleet's node names bound the windows kept.
func (w *Window) NeedsNodes(Request) bool { return true }

// Fetch reads the latest samples from the wrapped source, adds them to the windows and
// returns, for each Need, its metric's window on every node. A metric the source
// failed to read is Unknown (its error is passed on) and its window is kept.
func (w *Window) Fetch(ctx context.Context, req Request) (Result, error) {
	if err := checkRequest(req); err != nil {
		return Result{}, err
	}
	spans := map[string]time.Duration{} // metric → longest window
	latest := req
	latest.Needs = nil
	for _, n := range req.Needs {
		if d, seen := spans[n.Metric]; !seen || n.Window > d {
			spans[n.Metric] = n.Window
		}
		n.Window = 0
		latest.Needs = append(latest.Needs, n)
	}
	got, err := w.src.Fetch(ctx, latest)
	if err != nil {
		return Result{}, err
	}
	if got.Data == nil {
		got.Data = newData()
	}
	res := Result{Data: newData(), Warnings: got.Warnings, Failed: got.Failed}
	w.mu.Lock()
	defer w.mu.Unlock()
	fleet := nodeSet(req.Nodes)
	w.forget(fleet, spans)
	for _, metric := range sortedSpans(spans) {
		w.record(req, fleet, metric, spans[metric], got, &res)
	}
	return res, nil
}

// nodeSet is the fleet's nodes as a set; nil when the request names none.
func nodeSet(nodes []string) map[string]bool {
	if len(nodes) == 0 {
		return nil
	}
	fleet := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		fleet[n] = true
	}
	return fleet
}

// forget drops the windows of metrics not in spans and of nodes not in fleet (unless nil).
func (w *Window) forget(fleet map[string]bool, spans map[string]time.Duration) {
	for metric, mw := range w.metrics {
		if _, needed := spans[metric]; !needed {
			delete(w.metrics, metric)
			continue
		}
		if fleet == nil {
			continue
		}
		for node := range mw.nodes {
			if !fleet[node] {
				delete(mw.nodes, node)
			}
		}
	}
}

// record adds what the source gave for one metric on the fleet's nodes (all when fleet
// is nil) to its windows and puts the windows (or the source's error) into res.
func (w *Window) record(req Request, fleet map[string]bool, metric string, span time.Duration, got Result, res *Result) {
	mw := w.metrics[metric]
	if mw == nil {
		mw = &metricWindow{start: req.Now, nodes: map[string][]series.Sample{}}
		w.metrics[metric] = mw
	}
	limit := min(2*int(span/req.Step)+4, MaxWindowSamples)
	oldest := req.Now.Add(-span - req.Step)
	for node, byMetric := range got.Data.Samples {
		if fleet != nil && !fleet[node] {
			continue
		}
		for _, s := range byMetric[metric] {
			mw.nodes[node] = appendSample(mw.nodes[node], s, req.Step)
		}
	}
	for node, buf := range mw.nodes {
		buf = trim(buf, oldest, limit)
		if len(buf) == 0 {
			delete(mw.nodes, node)
			continue
		}
		mw.nodes[node] = buf
	}
	if msg, failed := got.Data.Errors[metric]; failed {
		res.Data.Errors[metric] = msg
		return
	}
	for node, buf := range mw.nodes {
		put(res.Data, node, metric, slices.Clone(buf))
	}
	if have := req.Now.Sub(mw.start); span > 0 && have < span {
		res.Warnings = append(res.Warnings, fmt.Sprintf(
			"metric %s: metrics-server window filling (have %s of %s since start); conditions with a longer duration are Unknown until then",
			metric, evaluate.Dur(have), evaluate.Dur(span)))
	}
}

// appendSample adds s to buf unless it is not newer than buf's latest sample (the
// source gave the same sample again); a sample less than a step after the one before
// buf's latest replaces the latest, so that buf holds at most about two samples per step.
func appendSample(buf []series.Sample, s series.Sample, step time.Duration) []series.Sample {
	if n := len(buf); n > 0 && !s.T.After(buf[n-1].T) {
		return buf
	}
	if n := len(buf); n >= 2 && s.T.Sub(buf[n-2].T) < step {
		buf[n-1] = s
		return buf
	}
	return append(buf, s)
}

// trim drops the samples before oldest and all but the limit latest ones.
func trim(buf []series.Sample, oldest time.Time, limit int) []series.Sample {
	i, _ := slices.BinarySearchFunc(buf, oldest, func(s series.Sample, t time.Time) int { return s.T.Compare(t) })
	i = max(i, len(buf)-limit)
	if i == 0 {
		return buf
	}
	return append(buf[:0], buf[i:]...)
}

// sortedSpans are the metrics of spans, sorted.
func sortedSpans(spans map[string]time.Duration) []string {
	out := make([]string, 0, len(spans))
	for m := range spans {
		out = append(out, m)
	}
	slices.Sort(out)
	return out
}
