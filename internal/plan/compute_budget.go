package plan

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// admit lets a rule's firing candidates fire within the blast-radius budgets: the rule's
// maxUnhealthy of its selected nodes, and max-disruptive of the fleet for all rules
// together. Candidates go earliest-firing first (longest held trigger), then by node name.
// Dry-run rules are admitted after all real rules and never use up the real budget.
func (c *computer) admit(r *ruleInfo) {
	slices.SortFunc(r.candidates, func(a, b fireCandidate) int {
		return cmp.Or(cmp.Compare(b.held, a.held), cmp.Compare(a.v.Node, b.v.Node))
	})
	for _, cd := range r.candidates {
		nw := &c.nodes[cd.node]
		if code, why := c.overBudget(r, cd.node); why != "" {
			c.postpone(r.name, cd.v.Node, code, why, time.Time{})
			if cd.old != nil {
				nw.add(decision{r: r, v: cd.v, old: cd.old, act: actKeep})
			}
			continue
		}
		if r.disruptive {
			r.firing++
			c.global.take(cd.node, r.dryRun)
		}
		nw.add(decision{r: r, v: cd.v, old: cd.old, act: actFire})
	}
	r.candidates = nil
}

// overBudget says why a disruptive rule may not fire on one more node (CodeRuleBudget or
// CodeGlobalBudget), or "".
func (c *computer) overBudget(r *ruleInfo, node int) (ReasonCode, string) {
	if !r.disruptive {
		return "", ""
	}
	if r.firing >= r.limit {
		return CodeRuleBudget, fmt.Sprintf("maxUnhealthy %s (%d of %d nodes) reached", r.limitText, r.limit, len(r.res.Verdicts))
	}
	g := &c.global
	if !g.isHeld(node, r.dryRun) && g.used(r.dryRun) >= g.limit {
		return CodeGlobalBudget, fmt.Sprintf("max-disruptive %s (%d of %d nodes) reached", g.text, g.limit, g.total)
	}
	return "", ""
}

func (g *budget) isHeld(node int, dry bool) bool {
	return g.held[node] || (dry && g.dryHeld[node])
}

func (g *budget) used(dry bool) int {
	if dry {
		return g.count + g.dryCount
	}
	return g.count
}

// take marks a node held; dry-run rules take from their own overlay.
func (g *budget) take(node int, dry bool) {
	if g.isHeld(node, dry) {
		return
	}
	if !dry {
		g.held[node] = true
		g.count++
		return
	}
	if g.dryHeld == nil {
		g.dryHeld = map[int]bool{}
	}
	g.dryHeld[node] = true
	g.dryCount++
}
