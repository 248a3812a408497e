package savedplan

import (
	"fmt"
	"strings"

	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// withAlertTextOf returns a copy of saved, a live plan CheckLive passed, whose alerts
// carry the subject, body and values the rules render now (in now, the plan computed at apply
// time) for the same node and decision, with now's plan ID in them replaced by saved's:
// what is sent never comes from the file. Live, the text legitimately differs from the
// file's (it shows metric values and the time); the file's text is covered by its ID, so
// an edit of it is refused before this, but it is still not what is sent. A non-dry-run
// alert of saved that now does not send is an error (CheckLive refuses it first).
func withAlertTextOf(saved, now *plan.Plan, name string) (*plan.Plan, error) {
	text := map[string][]*plan.Alert{} // node + decision → now's alerts, in order
	for _, np := range now.Nodes {
		for _, c := range np.Changes {
			if c.Alert != nil {
				k := np.Node + "\x00" + Decision(c)
				text[k] = append(text[k], c.Alert)
			}
		}
	}
	out := *saved
	out.Nodes = make([]plan.NodePlan, len(saved.Nodes))
	for i, np := range saved.Nodes {
		np.Changes = append([]plan.Change(nil), np.Changes...)
		for j := range np.Changes {
			c := &np.Changes[j]
			if c.Alert == nil {
				continue
			}
			a := *c.Alert
			c.Alert = &a
			k := np.Node + "\x00" + Decision(*c)
			if len(text[k]) == 0 {
				if c.DryRun {
					continue // never sent
				}
				return nil, &StaleError{File: name, Why: []string{fmt.Sprintf("node %s: the plan file would %s, the rules now would not", np.Node, Decision(*c))}}
			}
			a.Subject = strings.ReplaceAll(text[k][0].Subject, now.ID, saved.ID)
			a.Body = strings.ReplaceAll(text[k][0].Body, now.ID, saved.ID)
			// The values the text shows, and the transition they belong to, as now.
			a.Values, a.Since, a.Fired = text[k][0].Values, text[k][0].Since, text[k][0].Fired
			text[k] = text[k][1:]
		}
		out.Nodes[i] = np
	}
	return &out, nil
}
