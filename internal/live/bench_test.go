package live

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/nodeguardian/nodeguardian/internal/cluster"
	"github.com/nodeguardian/nodeguardian/internal/engine"
	"github.com/nodeguardian/nodeguardian/internal/load"
	"github.com/nodeguardian/nodeguardian/internal/metrics"
	"github.com/nodeguardian/nodeguardian/internal/promtest"
	"github.com/nodeguardian/nodeguardian/internal/testenv"
)

// BenchmarkLivePlan compares a whole live plan (nodes LIST + metric range queries +
// engine) with its read floor: the same paginated LIST and the same range queries done
// bare, decoding nothing but JSON. bench/live-plan.sh runs it; LIVE_PLAN_NODES sets the
// fleet size (default 2000). Reported: floor-ms/op, plan-ms/op and plan/floor.
func BenchmarkLivePlan(b *testing.B) {
	n := 2000
	if s := os.Getenv("LIVE_PLAN_NODES"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatalf("LIVE_PLAN_NODES=%q: %v", s, err)
		}
	}
	env := testenv.Start(b)
	now := time.Now().UTC().Truncate(time.Minute).Add(-15 * time.Minute)
	prom := promtest.Start(b, promtest.Options{Samples: benchSamples(n, now)})
	createNodes(b, env, n)
	set, diags := load.Paths([]string{filepath.Join("..", "..", "examples", "rules", "yaml")}, nil)
	if diags.HasErrors() {
		b.Fatal(diags.Error())
	}
	cfg := metrics.Config{NodeLabel: "node", Queries: map[string]string{
		"cpuLoadRatio": "bench_load", "memoryUtilizationPercent": "bench_memory", "diskUtilizationPercent": "bench_disk",
	}}
	cl, err := cluster.New(env.Config)
	if err != nil {
		b.Fatal(err)
	}
	src, err := metrics.NewPrometheus(metrics.PrometheusOptions{URL: prom.URL}, cfg)
	if err != nil {
		b.Fatal(err)
	}
	sources := Sources{Cluster: cl, Metrics: src, Config: cfg}
	ctx := context.Background()
	var floor, planned time.Duration
	for b.Loop() {
		start := time.Now()
		readFloor(b, ctx, env, prom.URL, cfg, set, now)
		floor += time.Since(start)
		start = time.Now()
		p, _, err := Plan(ctx, sources, set.Rules, set.Templates, engine.Options{Now: now})
		if err != nil {
			b.Fatal(err)
		}
		planned += time.Since(start)
		if len(p.Rules) == 0 {
			b.Fatal("empty plan")
		}
	}
	runs := float64(b.N)
	b.ReportMetric(float64(floor.Milliseconds())/runs, "floor-ms/op")
	b.ReportMetric(float64(planned.Milliseconds())/runs, "plan-ms/op")
	b.ReportMetric(float64(planned)/float64(floor), "plan/floor")
}

// benchSamples: 15 minutes of three metrics per node every 15s; 2 % of the nodes are hot.
func benchSamples(n int, now time.Time) []promtest.Sample {
	var out []promtest.Sample
	for i := range n {
		node := fmt.Sprintf("node-%05d", i)
		hot := i%50 == 0
		for k := 0; k <= 60; k++ {
			at := now.Add(-time.Duration(60-k) * 15 * time.Second)
			load, mem := 0.4, 50.0
			if hot {
				load, mem = 2, 96
			}
			for metric, v := range map[string]float64{"bench_load": load, "bench_memory": mem, "bench_disk": 40} {
				out = append(out, promtest.Sample{Metric: metric, Labels: map[string]string{"node": node}, Value: v, T: at})
			}
		}
	}
	return out
}

func createNodes(b *testing.B, env *testenv.Env, n int) {
	cs, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 16)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("node-%05d", i),
				Labels: map[string]string{"node-role.kubernetes.io/worker": "true"}}}
			if _, err := cs.CoreV1().Nodes().Create(context.Background(), node, metav1.CreateOptions{}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// readFloor does the reads a live plan cannot avoid: one paginated node LIST and one
// range query per metric, decoded as plain JSON.
func readFloor(b *testing.B, ctx context.Context, env *testenv.Env, promURL string, cfg metrics.Config, set *load.Set, now time.Time) {
	cs, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		b.Fatal(err)
	}
	opts := metav1.ListOptions{Limit: cluster.PageSize}
	for {
		list, err := cs.CoreV1().Nodes().List(ctx, opts)
		if err != nil {
			b.Fatal(err)
		}
		if opts.Continue = list.Continue; opts.Continue == "" {
			break
		}
	}
	rules := set.Rules
	for _, r := range rules {
		r.Default()
	}
	needs, step, err := metrics.NeedsFor(rules, cfg)
	if err != nil {
		b.Fatal(err)
	}
	for _, need := range needs {
		span := max(need.Window, 2*step)
		q := url.Values{"query": {need.Query}, "start": {strconv.FormatInt(now.Add(-span).Unix(), 10)},
			"end": {strconv.FormatInt(now.Unix(), 10)}, "step": {strconv.Itoa(int(step.Seconds()))}}
		resp, err := http.Get(promURL + "/api/v1/query_range?" + q.Encode())
		if err != nil {
			b.Fatal(err)
		}
		var body map[string]any
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
}
