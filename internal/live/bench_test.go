package live

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/nodeguardian/nodeguardian/internal/cluster"
	"github.com/nodeguardian/nodeguardian/internal/engine"
	"github.com/nodeguardian/nodeguardian/internal/load"
	"github.com/nodeguardian/nodeguardian/internal/metrics"
	"github.com/nodeguardian/nodeguardian/internal/promtest"
	"github.com/nodeguardian/nodeguardian/internal/testenv"
)

// benchMetrics maps the example rules' metrics to the bench series.
func benchMetrics() metrics.Config {
	return metrics.Config{NodeLabel: "node", Queries: map[string]string{
		"cpuLoadRatio": "bench_load", "memoryUtilizationPercent": "bench_memory", "diskUtilizationPercent": "bench_disk",
	}}
}

// exampleRules loads examples/rules/yaml.
func exampleRules(b *testing.B) *load.Set {
	set, diags := load.Paths([]string{filepath.Join("..", "..", "examples", "rules", "yaml")}, nil)
	if diags.HasErrors() {
		b.Fatal(diags.Error())
	}
	return set
}

// BenchmarkLivePlan compares a whole live plan (nodes LIST + metric range queries +
// engine) with its read floor, measured in the same run: the same paginated LIST and the
// same range queries (same ranges and step, computed as metrics.NeedsFor and the
// Prometheus source compute them), concurrently as Read does them, with the responses
// read but not decoded: what is left is the server's work and the transfer. bench/live-plan.sh runs it; LIVE_PLAN_NODES sets the fleet size
// (default 2000).
//
// The nodes are realistic (see benchNode and benchNodeStatus: about 9.5 KB each as JSON,
// managedFields included) and written through the API server; the client has ngctl's
// settings (cluster.RESTConfig). Reported: floor-ms/op, plan-ms/op, plan/floor,
// node-bytes (mean stored node as JSON), peak-rss-MB (the process's VmHWM during the
// plan, reset before it through /proc/self/clear_refs; it includes the benchmark's own
// heap) and throttled (requests that waited over 50ms for the client-side rate limiter).
func BenchmarkLivePlan(b *testing.B) {
	n := benchNodes(b, "LIVE_PLAN_NODES", 2000)
	env := testenv.Start(b)
	now := time.Now().UTC().Truncate(time.Minute).Add(-15 * time.Minute)
	prom := promtest.Start(b, promtest.Options{Samples: benchSamples(n, now, func(i int) bool { return i%50 == 0 })})
	nodeBytes := createBenchNodes(b, env, n)
	set := exampleRules(b)
	cfg := benchMetrics()
	restCfg, limiter := cliConfig(b, env, "ngctl-bench-plan")
	cl, err := cluster.New(restCfg)
	if err != nil {
		b.Fatal(err)
	}
	src, err := metrics.NewPrometheus(metrics.PrometheusOptions{URL: prom.URL}, cfg)
	if err != nil {
		b.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		b.Fatal(err)
	}
	queries := floorQueries(b, set, cfg, now)
	sources := Sources{Cluster: cl, Metrics: src, Config: cfg}
	ctx := context.Background()
	var floor, planned time.Duration
	var rss int64
	rssReset := true
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		pages := readFloor(b, ctx, cs, prom.URL, queries)
		floor += time.Since(start)
		if want := (n + cluster.PageSize - 1) / cluster.PageSize; pages != want {
			b.Fatalf("read floor: %d LIST pages, want %d", pages, want)
		}
		rssReset = resetPeakRSS() && rssReset
		start = time.Now()
		p, _, err := Plan(ctx, sources, set.Rules, set.Templates, engine.Options{Now: now})
		if err != nil {
			b.Fatal(err)
		}
		planned += time.Since(start)
		rss = max(rss, peakRSS())
		if len(p.Rules) == 0 {
			b.Fatal("empty plan")
		}
	}
	runs := float64(b.N)
	b.ReportMetric(float64(floor.Milliseconds())/runs, "floor-ms/op")
	b.ReportMetric(float64(planned.Milliseconds())/runs, "plan-ms/op")
	b.ReportMetric(float64(planned)/float64(floor), "plan/floor")
	b.ReportMetric(float64(nodeBytes), "node-bytes")
	if rss > 0 {
		b.ReportMetric(float64(rss)/(1<<20), "peak-rss-MB")
	}
	if !rssReset {
		b.Log("peak-rss-MB is the process's peak since it started: /proc/self/clear_refs could not reset it")
	}
	throttled, longest := limiter.stats()
	b.ReportMetric(float64(throttled), "throttled")
	if throttled > 0 {
		b.Errorf("%d requests waited over %s for the client-side rate limiter (longest %s)", throttled, throttleThreshold, longest)
	}
}

// floorQuery is one query_range request's form.
type floorQuery = url.Values

// floorQueries are the range queries a live plan of set sends at now, with the same
// query, start, end and step: metrics.NeedsFor's needs and step, one query per metric
// (the longest window), each reaching back max(window, 2×step, DefaultMinRange) rounded
// up to whole steps, ending at now truncated to the millisecond (as
// metrics.Prometheus.Fetch does).
func floorQueries(b *testing.B, set *load.Set, cfg metrics.Config, now time.Time) []floorQuery {
	needs, step, err := metrics.NeedsFor(set.Rules, cfg)
	if err != nil {
		b.Fatal(err)
	}
	windows := map[string]time.Duration{}
	var order []metrics.Need
	for _, n := range needs {
		if _, seen := windows[n.Metric]; !seen {
			order = append(order, n)
		}
		windows[n.Metric] = max(windows[n.Metric], n.Window)
	}
	end := now.Truncate(time.Millisecond)
	secs := func(t time.Time) string {
		return strconv.FormatFloat(float64(t.Unix())+float64(t.Nanosecond())/1e9, 'f', -1, 64)
	}
	var out []floorQuery
	for _, n := range order {
		span := max(windows[n.Metric], 2*step, metrics.DefaultMinRange)
		k := (span + step - 1) / step
		out = append(out, url.Values{"query": {n.Query}, "start": {secs(end.Add(-k * step))}, "end": {secs(end)},
			"step": {strconv.FormatFloat(step.Seconds(), 'f', -1, 64)}})
	}
	return out
}

// readFloor does the reads a live plan cannot avoid, as Read does them: one paginated
// node LIST while the range queries run (at most 4 at once, as the Prometheus source),
// each response read in full but not decoded (only the LIST's continue token is).
func readFloor(b *testing.B, ctx context.Context, cs *kubernetes.Clientset, promURL string, queries []floorQuery) (pages int) {
	var wg sync.WaitGroup
	errs := make([]error, len(queries))
	sem := make(chan struct{}, 4)
	for i, q := range queries {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = floorQueryRange(ctx, promURL, q)
		})
	}
	cont := ""
	for {
		pages++
		raw, err := cs.CoreV1().RESTClient().Get().Resource("nodes").
			Param("limit", strconv.Itoa(cluster.PageSize)).Param("continue", cont).DoRaw(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if cont, err = listContinue(raw); err != nil {
			b.Fatal(err)
		}
		if cont == "" {
			break
		}
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	return pages
}

// floorQueryRange POSTs one range query and reads its response, without decoding it.
func floorQueryRange(ctx context.Context, promURL string, q floorQuery) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, promURL+"/api/v1/query_range", strings.NewReader(q.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("query_range %s: %s", q.Get("query"), resp.Status)
	}
	return nil
}

// listContinue is the continue token of a LIST response (JSON), read from its metadata,
// which the API server writes before the items: the items are not decoded.
func listContinue(raw []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // {
		return "", err
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return "", err
		}
		if key != "metadata" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return "", err
			}
			continue
		}
		var meta struct {
			Continue string `json:"continue"`
		}
		err = dec.Decode(&meta)
		return meta.Continue, err
	}
	return "", errors.New("LIST response without metadata")
}
