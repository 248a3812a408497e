package engine

import (
	"sort"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/alert"
	"github.com/nodeguardian/nodeguardian/internal/evaluate"
	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// AlertContext is the context the plan of these rules on f gives the alert templates of
// rule on node for event ("firing" or "recovered"), with the ID of that plan: what
// `ngctl alert render --snapshot` renders with.
func AlertContext(rules []*v1.NodeGuardianRule, templates []*v1.AlertTemplate, f *Fleet, opts Options, rule, node, event string) (alert.Context, error) {
	p, err := Plan(rules, templates, f, opts)
	if err != nil {
		return alert.Context{}, err
	}
	rs, err := prepareRules(rules, rule, false)
	if err != nil {
		return alert.Context{}, err
	}
	nodes := append([]corev1.Node(nil), f.Nodes...)
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	results := evaluate.Evaluate(rs, nodes, f.Data, evaluate.Options{Now: opts.Now, Interval: opts.Interval, Staleness: opts.Staleness})
	ctx, err := plan.AlertContext(plan.Input{Now: opts.Now, Results: results, Nodes: nodes, Pods: f.Pods, PDBs: f.PDBs}, rule, node, event)
	if err != nil {
		return alert.Context{}, err
	}
	ctx.PlanID = p.ID
	return ctx, nil
}
