package live

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/cluster"
	"github.com/nodeguardian/nodeguardian/internal/engine"
	"github.com/nodeguardian/nodeguardian/internal/load"
	"github.com/nodeguardian/nodeguardian/internal/metrics"
	"github.com/nodeguardian/nodeguardian/internal/plan"
	"github.com/nodeguardian/nodeguardian/internal/promtest"
	"github.com/nodeguardian/nodeguardian/internal/testenv"
)

// BenchmarkLiveApply applies a live plan that changes 100 of N realistic nodes
// (LIVE_APPLY_NODES, default 5000; LIVE_APPLY_CHANGED, default 100) as `ngctl apply`
// does (cmd/ngctl/apply.go applyLive: ApplyOptions.Planned from the live State, Replan),
// with ngctl's client settings, and counts the requests the API server received during
// the apply from its audit log (testenv.Options.AuditLogPath). Each apply runs with a
// User-Agent of its own, so its requests are told apart from the benchmark's own.
//
// Sub-benchmarks:
//   - rules=taint-label: high-load-isolation without its alerts (a taint, a label and the
//     ledger annotation): one PATCH per changed node is the whole apply;
//   - rules=examples: every example rule; the changed nodes also send alerts (recorded
//     in the ledger by a second PATCH) and have an eviction planned (a pod LIST, no pods).
//
// Reported: apply-ms/op, changed (nodes the plan changes), patches/op and gets/op (on
// nodes), requests/op (all requests), requests/changed-node, and throttled (requests
// that waited over 50ms for the client-side rate limiter, where client-go logs its
// "client-side throttling" message; the benchmark fails if any did). Between runs the
// changed nodes are put back as they were (not timed, not counted).
func BenchmarkLiveApply(b *testing.B) {
	n := benchNodes(b, "LIVE_APPLY_NODES", 5000)
	changed := benchNodes(b, "LIVE_APPLY_CHANGED", 100)
	every := max(n/changed, 1)
	hot := func(i int) bool { return i%every == 0 && i/every < changed }
	auditLog := filepath.Join(b.TempDir(), "audit.log")
	env := testenv.StartWith(b, testenv.Options{AuditLogPath: auditLog})
	now := time.Now().UTC().Truncate(time.Minute).Add(-15 * time.Minute)
	prom := promtest.Start(b, promtest.Options{Samples: benchSamples(n, now, hot)})
	createBenchNodes(b, env, n)
	examples := exampleRules(b)
	fx := &applyFixture{env: env, promURL: prom.URL, now: now, auditLog: auditLog, hot: hot, n: n}
	b.Run("rules=taint-label", func(b *testing.B) {
		fx.run(b, withoutAlerts(examples, "high-load-isolation"), examples.Templates)
	})
	b.Run("rules=examples", func(b *testing.B) {
		fx.run(b, examples.Rules, examples.Templates)
	})
}

// withoutAlerts is the rule of set named name without the alerts it sends on firing.
func withoutAlerts(set *load.Set, name string) []*v1.NodeGuardianRule {
	for _, r := range set.Rules {
		if r.Name != name {
			continue
		}
		c := r.DeepCopy()
		var actions []v1.Action
		for _, a := range c.Spec.Actions {
			if a.Type != v1.ActionAlert {
				actions = append(actions, a)
			}
		}
		c.Spec.Actions = actions // the recovery actions never run here: hot nodes stay hot
		return []*v1.NodeGuardianRule{c}
	}
	panic("no example rule " + name)
}

// applyFixture is the fleet BenchmarkLiveApply's sub-benchmarks apply plans to.
type applyFixture struct {
	env      *testenv.Env
	promURL  string
	now      time.Time
	auditLog string
	hot      func(i int) bool
	n        int
	runs     int // applies so far, for unique User-Agents
}

// run plans rules and applies the plan b.N times, putting the changed nodes back before
// each run.
func (fx *applyFixture) run(b *testing.B, rules []*v1.NodeGuardianRule, tmpls []*v1.AlertTemplate) {
	ctx := context.Background()
	cfg := benchMetrics()
	src, err := metrics.NewPrometheus(metrics.PrometheusOptions{URL: fx.promURL}, cfg)
	if err != nil {
		b.Fatal(err)
	}
	planCfg, _ := cliConfig(b, fx.env, "ngctl-bench-plan")
	planClient, err := cluster.New(planCfg)
	if err != nil {
		b.Fatal(err)
	}
	setup, err := kubernetes.NewForConfig(fx.env.Config)
	if err != nil {
		b.Fatal(err)
	}
	var elapsed time.Duration
	var changedNodes, patches, gets, requests, throttled int
	b.StopTimer()
	for range b.N {
		fx.reset(b, ctx, setup)
		p, st, err := Plan(ctx, Sources{Cluster: planClient, Metrics: src, Config: cfg}, rules, tmpls, engine.Options{Now: fx.now})
		if err != nil {
			b.Fatal(err)
		}
		want := changes(p)
		fx.runs++
		agent := fmt.Sprintf("ngctl-bench-apply-%d", fx.runs)
		applyCfg, limiter := cliConfig(b, fx.env, agent)
		cl, err := cluster.New(applyCfg)
		if err != nil {
			b.Fatal(err)
		}
		opts := cluster.ApplyOptions{Planned: st.Planned(p)}
		b.StartTimer()
		start := time.Now()
		res, err := cl.Apply(ctx, p, st.Replan, opts)
		elapsed += time.Since(start)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Failed) > 0 || res.NodesChanged != want {
			b.Fatalf("apply: %d nodes changed (want %d), failed: %v", res.NodesChanged, want, res.Failed)
		}
		events := fx.audit(b, agent)
		for _, ev := range events {
			requests++
			if ev.ObjectRef == nil || ev.ObjectRef.Resource != "nodes" || ev.ObjectRef.Subresource != "" {
				continue
			}
			switch ev.Verb {
			case "patch":
				patches++
			case "get":
				gets++
			}
		}
		changedNodes += want
		t, longest := limiter.stats()
		throttled += t
		if t > 0 {
			b.Errorf("%d requests waited over %s for the client-side rate limiter (longest %s)", t, throttleThreshold, longest)
		}
	}
	runs := float64(b.N)
	b.ReportMetric(float64(elapsed.Milliseconds())/runs, "apply-ms/op")
	b.ReportMetric(float64(changedNodes)/runs, "changed")
	b.ReportMetric(float64(patches)/runs, "patches/op")
	b.ReportMetric(float64(gets)/runs, "gets/op")
	b.ReportMetric(float64(requests)/runs, "requests/op")
	b.ReportMetric(float64(requests)/float64(changedNodes), "requests/changed-node")
	b.ReportMetric(float64(throttled), "throttled")
}

// changes counts the nodes p changes (a change that is not dry-run).
func changes(p *plan.Plan) int {
	k := 0
	for _, np := range p.Nodes {
		for _, ch := range np.Changes {
			if !ch.DryRun {
				k++
				break
			}
		}
	}
	return k
}

// reset puts the hot nodes' labels, annotations, taints and unschedulable back as
// benchNode made them, so that each run plans and applies the same changes.
func (fx *applyFixture) reset(b *testing.B, ctx context.Context, cs kubernetes.Interface) {
	for i := range fx.n {
		if !fx.hot(i) {
			continue
		}
		orig := benchNode(i)
		node, err := cs.CoreV1().Nodes().Get(ctx, orig.Name, metav1.GetOptions{})
		if err != nil {
			b.Fatal(err)
		}
		node.Labels, node.Annotations = orig.Labels, orig.Annotations
		node.Spec.Taints, node.Spec.Unschedulable = nil, false
		if _, err := cs.CoreV1().Nodes().Update(ctx, node, metav1.UpdateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// audit returns the audit events of the requests sent with User-Agent agent, once the
// log holds them (auditEvents: a marker request with User-Agent agent+"-marker").
func (fx *applyFixture) audit(b *testing.B, agent string) []testenv.AuditEvent {
	return auditEvents(b, fx.env, fx.auditLog, agent+"-marker", func(ev testenv.AuditEvent) bool { return ev.UserAgent == agent })
}
