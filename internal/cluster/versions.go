package cluster

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// CheckVersions compares the resourceVersions a saved plan was made at
// (p.Inputs.NodeVersions, and NodePlan.ResourceVersion for a node it does not list) with
// the live nodes, read in one paginated LIST. The error names every node whose
// resourceVersion changed, or that is gone; nil means the plan is current. A plan with
// changes but no versions (one made from a snapshot) cannot be checked and is an error.
func (c *Client) CheckVersions(ctx context.Context, p *plan.Plan) error {
	if p == nil {
		return fmt.Errorf("check node versions: no plan")
	}
	want := map[string]string{}
	for name, rv := range p.Inputs.NodeVersions {
		want[name] = rv
	}
	var unversioned []string
	for _, np := range p.Nodes {
		if _, ok := want[np.Node]; ok {
			continue
		}
		if np.ResourceVersion == "" {
			unversioned = append(unversioned, np.Node)
			continue
		}
		want[np.Node] = np.ResourceVersion
	}
	if len(unversioned) > 0 {
		slices.Sort(unversioned)
		return fmt.Errorf("the plan does not record the resourceVersion of node %s (it was not made against a live cluster)",
			strings.Join(unversioned, ", "))
	}
	if len(want) == 0 {
		return nil
	}
	nodes, err := c.Nodes(ctx)
	if err != nil {
		return fmt.Errorf("check node versions: %w", err)
	}
	live := make(map[string]string, len(nodes))
	for _, n := range nodes {
		live[n.Name] = n.ResourceVersion
	}
	var changed []string
	for name, rv := range want {
		now, ok := live[name]
		switch {
		case !ok:
			changed = append(changed, name+" (gone)")
		case now != rv:
			changed = append(changed, fmt.Sprintf("%s (resourceVersion %s, now %s)", name, rv, now))
		}
	}
	if len(changed) == 0 {
		return nil
	}
	slices.Sort(changed)
	noun := "node"
	if len(changed) > 1 {
		noun = "nodes"
	}
	return fmt.Errorf("%d %s changed since the plan was made: %s", len(changed), noun, strings.Join(changed, ", "))
}
