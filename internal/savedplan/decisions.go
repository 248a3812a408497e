package savedplan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// differences lists the decisions of saved that now does not make (and, when both, the
// decisions of now that saved does not make), node by node. Dry-run changes are never
// applied: they count only when both (the plans must then be the same).
func differences(saved, now *plan.Plan, both bool) []string {
	have := decisionsByNode(now, both)
	want := decisionsByNode(saved, both)
	var why []string
	for _, node := range sortedNodes(want, have, both) {
		for _, d := range want[node] {
			if !slices.Contains(have[node], d) {
				why = append(why, fmt.Sprintf("node %s: the plan file would %s, the rules now would not", node, d))
			}
		}
		if !both {
			continue
		}
		for _, d := range have[node] {
			if !slices.Contains(want[node], d) {
				why = append(why, fmt.Sprintf("node %s: the rules now would %s, the plan file would not", node, d))
			}
		}
	}
	return why
}

// alertTextDifferences compares the subject and body of the alerts both plans send, by
// node and decision (Decision leaves the text out: live, it moves with metric values;
// offline it is derived from the same input and must be the same). The plans' ids count
// as the same: a template may show the plan ID, which differs whenever anything else
// does, so the file's id in its text is read as now's (withNowID).
func alertTextDifferences(saved, now *plan.Plan) []string {
	text := func(p *plan.Plan) map[string][]*plan.Alert {
		out := map[string][]*plan.Alert{}
		for _, np := range p.Nodes {
			for _, c := range np.Changes {
				if c.Kind == plan.KindAlert && c.Alert != nil {
					k := np.Node + "\x00" + Decision(c)
					out[k] = append(out[k], c.Alert)
				}
			}
		}
		return out
	}
	have, want := text(now), text(saved)
	var why []string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		node, decision, _ := strings.Cut(k, "\x00")
		for i, w := range want[k] {
			if i >= len(have[k]) {
				break
			}
			h := have[k][i]
			if withNowID(w.Subject, saved, now) != h.Subject {
				why = append(why, fmt.Sprintf("node %s: %s: the plan file has subject %q, the rules now give %q", node, decision, w.Subject, h.Subject))
			}
			if withNowID(w.Body, saved, now) != h.Body {
				why = append(why, fmt.Sprintf("node %s: %s: the plan file has a different body", node, decision))
			}
		}
	}
	return why
}

// withNowID is s, text of saved, with saved's plan ID in it replaced by now's.
func withNowID(s string, saved, now *plan.Plan) string {
	if saved.ID == "" {
		return s
	}
	return strings.ReplaceAll(s, saved.ID, now.ID)
}

func sortedNodes(a, b map[string][]string, both bool) []string {
	var nodes []string
	for n := range a {
		nodes = append(nodes, n)
	}
	if both {
		for n := range b {
			nodes = append(nodes, n)
		}
	}
	slices.Sort(nodes)
	return slices.Compact(nodes)
}

func decisionsByNode(p *plan.Plan, dryRun bool) map[string][]string {
	out := make(map[string][]string, len(p.Nodes))
	for _, np := range p.Nodes {
		for _, c := range np.Changes {
			if c.DryRun && !dryRun {
				continue
			}
			out[np.Node] = append(out[np.Node], Decision(c))
		}
	}
	return out
}

// Decision describes what a change does, without its reason text or the metric values
// in it: two changes with the same decision do the same thing to a node.
func Decision(c plan.Change) string {
	var b strings.Builder
	b.WriteString(string(c.Op) + " " + string(c.Kind))
	if c.DryRun {
		b.WriteString(" (dry run)")
	}
	switch c.Kind {
	case plan.KindState:
		fmt.Fprintf(&b, " of rule %s: %s → %s", c.Rule, c.From, c.To)
	case plan.KindTaint:
		fmt.Fprintf(&b, " %s=%s:%s", c.Key, c.Value, c.Effect)
	case plan.KindLabel, plan.KindAnnotation:
		fmt.Fprintf(&b, " %s=%s", c.Key, c.Value)
	case plan.KindLedger:
		fmt.Fprintf(&b, " %s", ledgerDecision(c.Value))
	case plan.KindEvict:
		pods := make([]string, 0, len(c.Pods))
		for _, pe := range c.Pods {
			s := pe.Namespace + "/" + pe.Name
			if pe.BlockedBy != "" {
				s += " (blocked by " + pe.BlockedBy + ")"
			}
			pods = append(pods, s)
		}
		fmt.Fprintf(&b, " by rule %s: %s", c.Rule, strings.Join(pods, ", "))
	case plan.KindAlert:
		if a := c.Alert; a != nil {
			fmt.Fprintf(&b, " %s of rule %s (template %q) via %s", a.Event, c.Rule, a.Template, strings.Join(a.Channels, ", "))
		}
	default: // cordon
		if c.Rule != "" {
			fmt.Fprintf(&b, " by rule %s", c.Rule)
		}
	}
	return b.String()
}

// ledgerDecision is the ledger's content without its times (since, lastFired), which are
// the instant of the plan: what each rule's state is and what it owns.
func ledgerDecision(raw string) string {
	if raw == "" {
		return "(none)"
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return raw
	}
	dropTimes(v)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return raw
	}
	return strings.TrimSpace(b.String())
}

func dropTimes(v any) {
	switch x := v.(type) {
	case map[string]any:
		delete(x, "since")
		delete(x, "lastFired")
		for _, e := range x {
			dropTimes(e)
		}
	case []any:
		for _, e := range x {
			dropTimes(e)
		}
	}
}
