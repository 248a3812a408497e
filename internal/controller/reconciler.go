package controller

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/cluster"
	"github.com/nodeguardian/nodeguardian/internal/deliver"
	"github.com/nodeguardian/nodeguardian/internal/engine"
	"github.com/nodeguardian/nodeguardian/internal/live"
	"github.com/nodeguardian/nodeguardian/internal/notify"
	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// Reconciler plans and applies the whole fleet in one reconcile: rules and templates
// from the cache, nodes from the cache, metrics from the source, live.Plan, live.Apply,
// then each rule's status, Events and metrics. Its only state is what Events were last
// emitted for decisions that persist across plans (so that a deferral is one Event, not
// one per checkInterval); everything else is rebuilt from node ledgers and rule status.
type Reconciler struct {
	client   client.Client // reads the cache; writes rule status
	src      live.Sources
	opts     Options
	events   events.EventRecorder
	m        *collectors
	notifier *notify.Dispatcher
	channels []string
	log      logr.Logger

	mu     sync.Mutex
	seen   map[string]bool // keys of persisting decisions whose Event was emitted
	dryLog string          // the dry-run changes last logged
}

// outcome is what the apply step of a reconcile did.
type outcome struct {
	applied  bool // live.Apply ran
	res      cluster.ApplyResult
	err      error // the plan could not be applied at all
	failures []deliver.Failure
}

// Reconcile plans the fleet, applies the plan (unless Options.DryRun), reports, and
// returns when to evaluate again. Every request is the fleet's.
func (r *Reconciler) Reconcile(ctx context.Context, _ reconcile.Request) (reconcile.Result, error) {
	now := r.now()
	rules, tmpls, err := r.objects(ctx)
	if err != nil {
		r.m.reconciles.WithLabelValues("error").Inc()
		return reconcile.Result{}, err
	}
	chk := check(rules, tmpls)
	r.markReconciling(ctx, rules)
	start := time.Now()
	p, st, err := r.Plan(ctx, chk.rules, chk.templates, now)
	r.m.evalDuration.Observe(time.Since(start).Seconds())
	if err != nil {
		r.m.evaluations.WithLabelValues("error").Inc()
		r.m.reconciles.WithLabelValues("error").Inc()
		r.failAll(ctx, rules, chk, now, err)
		return reconcile.Result{}, fmt.Errorf("plan: %w", err)
	}
	r.countEvaluation(st)
	r.m.lastEval.Set(float64(now.Unix()))
	out := r.apply(ctx, p, st, chk.rules)
	r.report(ctx, report{rules: rules, chk: chk, p: p, st: st, out: out, now: now})
	if r.opts.ReturnMemory { // before the reconcile counts as done: between reconciles
		debug.FreeOSMemory()
	}
	r.m.reconciles.WithLabelValues("success").Inc()
	return reconcile.Result{RequeueAfter: requeueAfter(chk.rules, p, now)}, nil
}

// now is the evaluation instant: the clock, to the second, as `ngctl plan` takes it.
func (r *Reconciler) now() time.Time { return r.opts.Now().UTC().Truncate(time.Second) }

// objects lists the rules and templates from the cache.
func (r *Reconciler) objects(ctx context.Context) ([]*v1.NodeGuardianRule, []*v1.AlertTemplate, error) {
	var rl v1.NodeGuardianRuleList
	if err := r.client.List(ctx, &rl); err != nil {
		return nil, nil, fmt.Errorf("list rules: %w", err)
	}
	var tl v1.AlertTemplateList
	if err := r.client.List(ctx, &tl); err != nil {
		return nil, nil, fmt.Errorf("list alert templates: %w", err)
	}
	rules := make([]*v1.NodeGuardianRule, len(rl.Items))
	for i := range rl.Items {
		rules[i] = &rl.Items[i]
	}
	tmpls := make([]*v1.AlertTemplate, len(tl.Items))
	for i := range tl.Items {
		tmpls[i] = &tl.Items[i]
	}
	return rules, tmpls, nil
}

// EngineOptions are the options of the plan at now: those `ngctl plan --from-cluster`
// uses with the same flags, so that both compute the same plan.
func (r *Reconciler) EngineOptions(now time.Time) engine.Options {
	return engine.Options{
		Now: now, Staleness: r.opts.Staleness, MaxDisruptive: r.opts.MaxDisruptive,
		RepeatInterval: r.opts.RepeatInterval, Source: "cluster",
	}
}

// Plan computes the live plan of rules and templates at now, exactly as the reconcile
// does (tests compare it with `ngctl plan --from-cluster`).
func (r *Reconciler) Plan(ctx context.Context, rules []*v1.NodeGuardianRule, tmpls []*v1.AlertTemplate, now time.Time) (*plan.Plan, *live.State, error) {
	return live.Plan(ctx, r.src, rules, tmpls, r.EngineOptions(now))
}

// apply applies p unless the controller runs with --dry-run or p changes nothing
// (spec.dryRun rules' changes are marked DryRun by the plan and never applied).
func (r *Reconciler) apply(ctx context.Context, p *plan.Plan, st *live.State, rules []*v1.NodeGuardianRule) outcome {
	if p.Summary.DryRun > 0 || (r.opts.DryRun && p.HasChanges()) {
		r.logDryRun(p)
	}
	if r.opts.DryRun || !p.HasChanges() {
		return outcome{}
	}
	sender := deliver.New(r.notifier, rules, p.ID, r.opts.Now)
	start := time.Now()
	// An apply is not cut short by a shutdown (SIGTERM, a lost lease): what it sent is
	// recorded in the node ledgers before the reconcile returns, so that the next
	// controller neither repeats an alert nor forgets an eviction. ApplyTimeout bounds it.
	res, err := live.Apply(context.WithoutCancel(ctx), r.src, st, p, live.ApplyOptions{Deliver: sender.Deliver, Timeout: r.opts.ApplyTimeout})
	r.m.applyDuration.Observe(time.Since(start).Seconds())
	out := outcome{applied: true, res: res, err: err, failures: sender.Failures()}
	r.log.Info("applied", "plan", p.ID, "nodesChanged", res.NodesChanged, "podsEvicted", res.PodsEvicted,
		"failed", len(res.Failed), "alertsFailed", len(out.failures), "deferred", len(p.Deferred))
	if err != nil {
		r.log.Error(err, "apply", "plan", p.ID)
	}
	return out
}

// countEvaluation records a computed plan's evaluation and its failed metric reads.
func (r *Reconciler) countEvaluation(st *live.State) {
	if n := len(st.Failed); n > 0 {
		r.m.sourceErrors.Add(float64(n))
		r.m.evaluations.WithLabelValues("incomplete").Inc()
		return
	}
	r.m.evaluations.WithLabelValues("success").Inc()
}

// requeueAfter is when to evaluate again: the shortest checkInterval of the rules
// planned (all were evaluated now), or earlier when the plan says so.
func requeueAfter(rules []*v1.NodeGuardianRule, p *plan.Plan, now time.Time) time.Duration {
	var next time.Duration
	for _, r := range rules {
		c := r.DeepCopy()
		c.Default()
		if !c.Spec.Suspend && (c.Spec.Metadata.Enabled == nil || *c.Spec.Metadata.Enabled) {
			if d := c.Spec.Monitoring.CheckInterval.Duration; d > 0 && (next == 0 || d < next) {
				next = d
			}
		}
	}
	if at := nextEvaluation(p); !at.IsZero() {
		if d := at.Sub(now); next == 0 || d < next {
			next = d
		}
	}
	if next == 0 {
		return 0 // nothing to evaluate: wait for a rule
	}
	return max(next, MinRequeue)
}

// nextEvaluation is the instant at which the plan changes by itself (a pending duration
// completing, a cooldown ending, a notification repeat due), or the zero time.
func nextEvaluation(p *plan.Plan) time.Time {
	if p == nil || p.NextEvaluation == nil {
		return time.Time{}
	}
	return *p.NextEvaluation
}

// logDryRun logs a plan whose changes are not applied (spec.dryRun rules, or
// --dry-run): its ID, its summary and the changes not applied, one compact line each
// (dryRunChanges), when they differ from those logged last: dry-run changes stay in
// every plan, and one line per checkInterval would say nothing new.
func (r *Reconciler) logDryRun(p *plan.Plan) {
	changes := dryRunChanges(p, r.opts.DryRun)
	key := strings.Join(changes, "\n")
	r.mu.Lock()
	same := key == r.dryLog
	r.dryLog = key
	r.mu.Unlock()
	if same {
		return
	}
	s := p.Summary
	r.log.Info("dry run: changes computed, not applied", "plan", p.ID, "global", r.opts.DryRun,
		"nodes", s.NodesToChange, "adds", s.Adds, "changes", s.Changes, "removes", s.Removes,
		"evictions", s.Evictions, "alerts", s.Alerts, "dryRunChanges", s.DryRun, "deferred", s.Deferred,
		"planned", changes)
}

// maxLoggedChanges bounds the changes a dry-run log line lists.
const maxLoggedChanges = 100

// dryRunChanges lists the changes of p that are not applied (all with global), as
// "node: + taint key = value (NoSchedule) [rule]" (plan.ChangeLines, the ledger
// annotation left out), at most maxLoggedChanges and then how many more.
func dryRunChanges(p *plan.Plan, global bool) []string {
	var out []string
	more := 0
	for _, np := range p.Nodes {
		for _, c := range np.Changes {
			if c.Kind == plan.KindLedger || !(c.DryRun || global) {
				continue
			}
			if len(out) == maxLoggedChanges {
				more++
				continue
			}
			line := np.Node + ": " + strings.Join(plan.ChangeLines(c), "; ")
			if c.Rule != "" && c.Kind != plan.KindState {
				line += " [" + c.Rule + "]"
			}
			out = append(out, line)
		}
	}
	if more > 0 {
		out = append(out, fmt.Sprintf("... and %d more", more))
	}
	return out
}
