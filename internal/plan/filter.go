package plan

// keepNode narrows a plan to one node (`ngctl plan --node`): other nodes' changes,
// deferred items and warnings are dropped and the summary is recounted. Budgets were
// computed over the whole fleet, so what remains is exactly what a full plan would do
// on that node.
func keepNode(p *Plan, node string) {
	nodes := []NodePlan{}
	for _, n := range p.Nodes {
		if n.Node == node {
			nodes = append(nodes, n)
		}
	}
	var deferred []Deferred
	for _, d := range p.Deferred {
		if d.Node == node {
			deferred = append(deferred, d)
		}
	}
	var warnings []Warning
	for _, w := range p.Warnings {
		if w.Node == node || w.Node == "" {
			warnings = append(warnings, w)
		}
	}
	p.Nodes, p.Deferred, p.Warnings = nodes, deferred, warnings
}

// countSummary counts a plan's changes; dry-run changes are counted apart.
func countSummary(p *Plan) Summary {
	s := Summary{Deferred: len(p.Deferred), Warnings: len(p.Warnings)}
	for _, n := range p.Nodes {
		real := false
		for _, c := range n.Changes {
			if c.DryRun {
				s.DryRun++
				continue
			}
			real = true
			switch {
			case c.Kind == KindEvict:
				for _, pod := range c.Pods {
					if pod.BlockedBy == "" {
						s.Evictions++
					}
				}
			case c.Kind == KindAlert:
				s.Alerts++
			case c.Kind == KindState || c.Kind == KindLedger:
			case c.Op == OpAdd:
				s.Adds++
			case c.Op == OpChange:
				s.Changes++
			case c.Op == OpRemove:
				s.Removes++
			}
		}
		if real {
			s.NodesToChange++
		}
	}
	return s
}
