package live

import (
	"context"
	"slices"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/engine"
	"github.com/nodeguardian/nodeguardian/internal/fleet"
	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// RuleSet is one version of the rules and templates.
type RuleSet struct {
	Rules []*v1.NodeGuardianRule
	Tmpls []*v1.AlertTemplate
}

// PlanPair computes the plans of two versions of the rules on one read of the live
// fleet (`ngctl diff`): the nodes and the metric windows both versions need are read
// once, the pods and PodDisruptionBudgets once for the nodes where either may evict,
// and each version is evaluated on that same state at the same instant. The state
// returned holds the union of the rules.
func PlanPair(ctx context.Context, src Sources, base, head RuleSet, opts engine.Options) (*plan.Plan, *plan.Plan, *State, error) {
	union := slices.Concat(base.Rules, head.Rules)
	nodes, res, step, err := read(ctx, src, union, opts.Now)
	if err != nil {
		return nil, nil, nil, err
	}
	st := newState(nodes, res, step, union, slices.Concat(base.Tmpls, head.Tmpls), opts)
	bev, hev, err := engine.EvaluatePair(base.Rules, head.Rules, base.Tmpls, head.Tmpls, st.Fleet, st.Opts)
	if err != nil {
		return nil, nil, nil, err
	}
	evs := []*engine.Evaluation{bev, hev}
	evicting := slices.Concat(bev.NeedPods(), hev.NeedPods())
	if err := st.readPods(ctx, src, evicting); err != nil {
		return nil, nil, nil, err
	}
	st.Fleet.Hash = st.hash()
	plans := make([]*plan.Plan, 2)
	for i := range evs {
		if plans[i], _, err = planWithRefusals(ctx, src, evs[i], st); err != nil {
			return nil, nil, nil, err
		}
	}
	return plans[0], plans[1], st, nil
}

// readPods reads the pods of the nodes where an eviction or an alert naming the top pods
// may be planned (engine.Evaluation.NeedPods), and the PodDisruptionBudgets, when there
// are such nodes; the fleet records which nodes' pods it holds (engine.Fleet.PodsOf), so
// that the plan defers an eviction anywhere else rather than planning it blind.
func (st *State) readPods(ctx context.Context, src Sources, evicting []string) error {
	slices.Sort(evicting)
	evicting = slices.Compact(evicting)
	st.Fleet.PodsOf = append([]string{}, evicting...) // not nil: only these
	if len(evicting) == 0 {
		return nil
	}
	var err error
	if st.Fleet.Pods, err = src.reader().PodsOn(ctx, evicting); err != nil {
		return err
	}
	for i := range st.Fleet.Pods {
		fleet.LeanPod(&st.Fleet.Pods[i])
	}
	st.Fleet.PDBs, err = src.reader().PDBs(ctx)
	return err
}

// planWithRefusals computes an evaluation's plan and, when it evicts, computes it again
// with the API server's answers to dry-run evictions (returned too), so that the plan
// names the PodDisruptionBudget that blocks and is complete when the engine returns it.
func planWithRefusals(ctx context.Context, src Sources, ev *engine.Evaluation, st *State) (*plan.Plan, map[string]plan.Refusal, error) {
	p := ev.Plan(st.Fleet, nil)
	if !hasEvictions(p) {
		return p, nil, nil
	}
	refusals, err := src.Cluster.SimulateEvictions(ctx, p)
	if err != nil || len(refusals) == 0 {
		return p, nil, err
	}
	return ev.Plan(st.Fleet, refusals), refusals, nil
}
