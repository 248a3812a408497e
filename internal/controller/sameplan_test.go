package controller

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fluxcd/pkg/apis/meta"
	"github.com/fluxcd/pkg/runtime/conditions"

	"github.com/nodeguardian/nodeguardian/internal/cluster"
	"github.com/nodeguardian/nodeguardian/internal/engine"
	"github.com/nodeguardian/nodeguardian/internal/live"
	"github.com/nodeguardian/nodeguardian/internal/load"
	"github.com/nodeguardian/nodeguardian/internal/metrics"
	"github.com/nodeguardian/nodeguardian/internal/plan"
	"github.com/nodeguardian/nodeguardian/internal/source"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
)

// The plan the reconcile computes is the plan `ngctl plan --from-cluster` computes for the
// same cluster, Prometheus and instant: rules from the cluster (cl.Rules, checked by
// load.Objects), nodes from a paginated LIST, the metric source of internal/source, the
// CLI's default options.
func TestSamePlanAsCLI(t *testing.T) {
	w := newWorld(t, "ng_hot{node=\"same-a\"} 1\nng_hot{node=\"same-b\"} 0\nng_hot{node=\"same-c\"} 1\n")
	for _, n := range []string{"same-a", "same-b", "same-c"} {
		w.node(n, map[string]string{"group": "same"})
	}
	w.rule("same", hotRule("same", "ng_hot", ""))
	w.rule("same-dry", hotRule("same", "ng_hot", "dryRun: true\nmetadata: {priority: 5}"))
	run := w.start(Options{DryRun: true})
	eventually(t, 20*time.Second, "metrics scraped and evaluated", func() (bool, string) {
		r := w.getRule("same")
		return r.Status.FiringCount == 1 && conditions.GetReason(r, meta.ReadyCondition) == ReasonBudgetExhausted, describe(r)
	})
	ctx := context.Background()
	plans := func() (got, want *plan.Plan) {
		// Samples 5s old are all stored; the Prometheus source queries a grid aligned to
		// its step, whose last point must have samples for the plan to change anything.
		now := time.Now().UTC().Truncate(time.Second).Add(-5 * time.Second)
		rules, tmpls, err := run.r.objects(ctx)
		if err != nil {
			t.Fatal(err)
		}
		chk := check(rules, tmpls)
		if got, _, err = run.r.Plan(ctx, chk.rules, chk.templates, now); err != nil {
			t.Fatal(err)
		}
		return got, cliPlan(t, w, now)
	}
	var got, want *plan.Plan
	eventually(t, 40*time.Second, "the same plan, with changes", func() (bool, string) {
		got, want = plans()
		return got.ID == want.ID && got.Summary.Adds > 0 && got.Summary.DryRun > 0, fmt.Sprintf("%s %s %+v", got.ID, want.ID, got.Summary)
	})
	if got.ID != want.ID {
		var a, b bytes.Buffer
		_ = plan.RenderJSON(&a, got)
		_ = plan.RenderJSON(&b, want)
		t.Fatalf("controller plan %s != CLI plan %s\ncontroller:\n%s\nCLI:\n%s", got.ID, want.ID, a.String(), b.String())
	}
}

// cliPlan computes the plan as `ngctl plan --from-cluster --now NOW` does with its
// default flags (cmd/ngctl readPlanInputs, liveSources, loadRules).
func cliPlan(t *testing.T, w *world, now time.Time) *plan.Plan {
	t.Helper()
	ctx := context.Background()
	cl, err := cluster.New(w.env.Config)
	if err != nil {
		t.Fatal(err)
	}
	rules, tmpls, err := cl.Rules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ds := load.Objects("cluster", rules, tmpls); ds.HasErrors() {
		t.Fatal(ds.Errors())
	}
	cfg := metrics.DefaultConfig()
	prom, err := source.New(source.Options{Default: metrics.SourcePrometheus, MetricsServer: w.env.Config, Config: cfg,
		Prometheus: metrics.PrometheusOptions{URL: w.prom.URL, Timeout: 30 * time.Second, MinRange: 5 * time.Minute, MaxResponseSize: metrics.DefaultMaxResponseSize}})
	if err != nil {
		t.Fatal(err)
	}
	budget, err := v1.ParseBudget("30%")
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := live.Plan(ctx, live.Sources{Cluster: cl, Metrics: prom, Config: cfg}, rules, tmpls, engine.Options{
		Now: now, Staleness: 5 * time.Minute, RepeatInterval: plan.DefaultRepeatInterval, MaxDisruptive: &budget, Source: "cluster",
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}
