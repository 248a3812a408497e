package plan

import (
	"fmt"

	"github.com/nodeguardian/nodeguardian/internal/alert"
)

// AlertContext is the context the plan gives the alert templates of rule on node for
// event ("firing" or "recovered"), as Compute builds it, without the plan ID (set by the
// caller). The rule must have a verdict on the node: it selects it and is active.
func AlertContext(in Input, rule, node, event string) (alert.Context, error) {
	c := newComputer(&in)
	r := c.byName[rule]
	if r == nil {
		return alert.Context{}, fmt.Errorf("no rule %q", rule)
	}
	cursor := 0
	idx := c.nodeIndex(node, &cursor)
	if idx < 0 {
		return alert.Context{}, fmt.Errorf("no node %q", node)
	}
	for i := range r.res.Verdicts {
		if v := &r.res.Verdicts[i]; v.Node == node {
			d := decision{r: r, v: v, act: actFire}
			if event == "recovered" {
				d.act = actRecover
			}
			p := &reconcilePass{c: c, nw: &c.nodes[idx]}
			return p.alertContext(&d, event), nil
		}
	}
	return alert.Context{}, fmt.Errorf("rule %q has no verdict on node %q (not selected, excluded or inactive)", rule, node)
}
