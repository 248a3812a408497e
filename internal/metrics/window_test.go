package metrics

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/evaluate"
	"github.com/nodeguardian/nodeguardian/internal/series"
)

// sourceFunc is a Source for tests of pure logic.
type sourceFunc func(context.Context, Request) (Result, error)

func (f sourceFunc) Fetch(ctx context.Context, req Request) (Result, error) { return f(ctx, req) }

// latestSource is a metrics-server stand-in: every node's latest value of each
// requested metric, at the request's time; it fails the metrics in down.
type latestSource struct {
	mu    sync.Mutex
	value map[string]float64 // node → value
	down  map[string]bool
	saw   []Request
}

func (s *latestSource) Fetch(_ context.Context, req Request) (Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saw = append(s.saw, req)
	res := Result{Data: newData()}
	for _, n := range req.Needs {
		if s.down[n.Metric] {
			res.Data.Errors[n.Metric] = "metrics.k8s.io: unavailable"
			res.addFailed(n.Metric)
			continue
		}
		for node, v := range s.value {
			res.Data.Add(node, n.Metric, series.Sample{T: req.Now, V: v})
		}
	}
	return res, nil
}

var (
	winStart = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	winNeeds = []Need{{Metric: v1.MetricMemoryUtilization, Window: 5 * time.Minute}, {Metric: v1.MetricCPUUtilization}}
)

const winStep = 30 * time.Second

// fetchAt fetches the window at start+at.
func fetchAt(t *testing.T, w *Window, at time.Duration, nodes ...string) Result {
	t.Helper()
	res, err := w.Fetch(context.Background(), Request{Needs: winNeeds, Now: winStart.Add(at), Step: winStep, Nodes: nodes})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// memory evaluates "memory > 90 for 5m" on node a at start+at.
func memory(res Result, at time.Duration) evaluate.ConditionResult {
	c := v1.Condition{Metric: v1.MetricMemoryUtilization, Operator: v1.OpGreaterThan, Value: 90, Duration: &metav1.Duration{Duration: 5 * time.Minute}}
	return evaluate.Condition(&c, res.Data.Get("a", c.Metric), evaluate.Clock{Now: winStart.Add(at), Interval: winStep, Staleness: 5 * time.Minute})
}

func filling(res Result) string {
	for _, w := range res.Warnings {
		if strings.Contains(w, "window filling") {
			return w
		}
	}
	return ""
}

// A duration is Unknown until the window has filled since the start, then decided; the
// source is asked for the latest sample only.
func TestWindowFills(t *testing.T) {
	src := &latestSource{value: map[string]float64{"a": 95}}
	w := NewWindow(src)
	for at := time.Duration(0); at <= 6*time.Minute; at += winStep {
		res := fetchAt(t, w, at, "a")
		got := memory(res, at)
		switch {
		case at < 5*time.Minute:
			if got.Result != evaluate.Unknown || got.Why != evaluate.WhyNotCovered {
				t.Fatalf("at %s: %s (%v), want Unknown: not covered", at, got.Reason(), got.Result)
			}
			want := fmt.Sprintf("metric memoryUtilizationPercent: metrics-server window filling (have %s of 5m since start)", evaluate.Dur(at))
			if !strings.HasPrefix(filling(res), want) {
				t.Fatalf("at %s: warnings %q, want %q", at, res.Warnings, want)
			}
		default:
			if got.Result != evaluate.True || filling(res) != "" {
				t.Fatalf("at %s: %s (%v), warnings %q; want True", at, got.Reason(), got.Result, res.Warnings)
			}
		}
		if cpu := res.Data.Get("a", v1.MetricCPUUtilization); len(cpu) == 0 || !cpu[len(cpu)-1].T.Equal(winStart.Add(at)) {
			t.Fatalf("at %s: cpu (no window) %v, want the latest sample", at, cpu)
		}
	}
	for _, req := range src.saw {
		for _, n := range req.Needs {
			if n.Window != 0 {
				t.Fatalf("the source was asked for a window: %+v", n)
			}
		}
	}
	// A restart is a new Window: Unknown again until it has filled, never guessed.
	w = NewWindow(src)
	if got := memory(fetchAt(t, w, 10*time.Minute, "a"), 10*time.Minute); got.Result != evaluate.Unknown {
		t.Fatalf("after a restart: %s (%v), want Unknown", got.Reason(), got.Result)
	}
	// A value that was not held is False at once: that is known, not guessed.
	src.value["a"] = 50
	if got := memory(fetchAt(t, w, 10*time.Minute+winStep, "a"), 10*time.Minute+winStep); got.Result != evaluate.False {
		t.Fatalf("not held: %s (%v), want False", got.Reason(), got.Result)
	}
}

// Windows are bounded: by time, by samples per step, and nodes and metrics that went
// are dropped.
func TestWindowBounded(t *testing.T) {
	src := &latestSource{value: map[string]float64{"a": 1, "b": 2}}
	w := NewWindow(src)
	limit := 2*int(5*time.Minute/winStep) + 4
	for at := time.Duration(0); at <= 20*time.Minute; at += time.Second { // far more often than the step
		res := fetchAt(t, w, at, "a", "b")
		if n := len(res.Data.Get("a", v1.MetricMemoryUtilization)); n > limit {
			t.Fatalf("at %s: %d samples, want at most %d", at, n, limit)
		}
	}
	mem := w.metrics[v1.MetricMemoryUtilization].nodes["a"]
	if first := mem[0].T; first.Before(winStart.Add(20*time.Minute - 5*time.Minute - winStep)) {
		t.Fatalf("oldest sample %s is older than the window and a step", first)
	}
	// The same sample again is not added twice.
	n := len(mem)
	fetchAt(t, w, 20*time.Minute, "a", "b")
	if got := len(w.metrics[v1.MetricMemoryUtilization].nodes["a"]); got != n {
		t.Fatalf("a repeated sample was added: %d, want %d", got, n)
	}
	// Node b left the fleet; cpu is no longer needed.
	_, err := w.Fetch(context.Background(), Request{Needs: winNeeds[:1], Now: winStart.Add(21 * time.Minute), Step: winStep, Nodes: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, kept := w.metrics[v1.MetricMemoryUtilization].nodes["b"]; kept || w.metrics[v1.MetricCPUUtilization] != nil {
		t.Fatalf("windows kept: %v", w.metrics)
	}
}

// A failed read is Unknown and failed, and keeps the window.
func TestWindowSourceError(t *testing.T) {
	src := &latestSource{value: map[string]float64{"a": 95}, down: map[string]bool{}}
	w := NewWindow(src)
	for at := time.Duration(0); at <= 5*time.Minute; at += winStep {
		fetchAt(t, w, at, "a")
	}
	src.down[v1.MetricMemoryUtilization] = true
	res := fetchAt(t, w, 5*time.Minute+winStep, "a")
	if res.Data.Errors[v1.MetricMemoryUtilization] == "" || len(res.Failed) != 1 || res.Data.Get("a", v1.MetricMemoryUtilization) != nil {
		t.Fatalf("errors %q failed %q", res.Data.Errors, res.Failed)
	}
	delete(src.down, v1.MetricMemoryUtilization)
	if got := memory(fetchAt(t, w, 5*time.Minute+2*winStep, "a"), 5*time.Minute+2*winStep); got.Result != evaluate.True {
		t.Fatalf("after the source is back: %s (%v), want True (one missed sample is no gap)", got.Reason(), got.Result)
	}
	w = NewWindow(sourceFunc(func(context.Context, Request) (Result, error) { return Result{}, errors.New("boom") }))
	if _, err := w.Fetch(context.Background(), Request{Needs: winNeeds, Now: winStart, Step: winStep}); err == nil {
		t.Fatal("the source's error was not returned")
	}
}

// Fetches at the same time are safe (go test -race) and lose no sample.
func TestWindowConcurrent(t *testing.T) {
	src := &latestSource{value: map[string]float64{"a": 95, "b": 1}}
	w := NewWindow(src)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				at := time.Duration(i*8+g) * time.Second
				if _, err := w.Fetch(context.Background(), Request{Needs: winNeeds, Now: winStart.Add(at), Step: winStep, Nodes: []string{"a", "b"}}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	res := fetchAt(t, w, 160*time.Second, "a", "b")
	s := res.Data.Get("a", v1.MetricMemoryUtilization)
	if len(s) == 0 || !s[len(s)-1].T.Equal(winStart.Add(160*time.Second)) {
		t.Fatalf("samples %v", s)
	}
	for i := 1; i < len(s); i++ {
		if !s[i].T.After(s[i-1].T) {
			t.Fatalf("samples out of order: %v", s)
		}
	}
}

// With a real metrics-server source (the API server double), the window turns its
// single samples into a history.
func TestWindowMetricsServer(t *testing.T) {
	c := &fakeCluster{nodes: []corev1.Node{node("a", "2", "4Gi")}}
	ms := c.start(t, MetricsServerOptions{})
	w := NewWindow(ms)
	for at := time.Duration(0); at <= 5*time.Minute; at += winStep {
		c.mu.Lock()
		c.usage = []metricsv1beta1.NodeMetrics{usage("a", "1", "3900Mi", winStart.Add(at))}
		c.mu.Unlock()
		res := fetchAt(t, w, at, "a")
		if got := memory(res, at); (at < 5*time.Minute) != (got.Result == evaluate.Unknown) {
			t.Fatalf("at %s: %s (%v)", at, got.Reason(), got.Result)
		}
	}
}
