package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
)

// idPlaceholder stands for the plan ID in alert text when the ID is computed (see ID).
// It cannot come from a template's data: no node name, label or metric holds NUL bytes.
const idPlaceholder = "\x00planID\x00"

// ID is the hex SHA-256 of the plan's JSON form as RenderJSON writes it, without the ID
// itself and with every occurrence of the ID in an alert's subject and body replaced by
// a placeholder: alert templates may show the plan ID (planID), which cannot be known
// before the plan is hashed. Everything else in the JSON form is covered — inputs,
// times, changes, alert text, deferrals, warnings, rule status — so any edit of a saved
// plan changes its ID. Where a snapshot was read (Inputs.SourcePath) is not part of the
// JSON form.
func ID(p *Plan) string {
	c := canonical(p)
	if id := c.ID; id != "" {
		for i := range c.Nodes {
			for j := range c.Nodes[i].Changes {
				if a := c.Nodes[i].Changes[j].Alert; a != nil { // canonical copied it
					a.Subject = strings.ReplaceAll(a.Subject, id, idPlaceholder)
					a.Body = strings.ReplaceAll(a.Body, id, idPlaceholder)
				}
			}
		}
	}
	c.ID = ""
	h := sha256.New()
	if err := json.NewEncoder(h).Encode(c); err != nil {
		panic("plan: marshal for the plan ID: " + err.Error()) // plain types only: cannot happen
	}
	return hex.EncodeToString(h.Sum(nil))
}

// identify sets p's ID and renders with it the alerts whose templates name the plan ID:
// each is rendered with the placeholder, the plan hashed, and each rendered again with
// the ID. The ID covers the text only when the two renderings differ by the ID alone (a
// template that shows the ID as it is, not cut, cased or compared); an alert whose
// template does otherwise, or fails with the ID, keeps the text it rendered without the
// ID and gets a warning, and the plan is identified again.
func (c *computer) identify(p *Plan) {
	pending := c.planIDAlertsIn(p)
	for {
		p.ID = ""
		var failed []*pendingAlert
		for _, pa := range pending {
			pa.ctx.PlanID = idPlaceholder
			if err := pa.render(); err != nil {
				failed = append(failed, pa)
			}
		}
		if len(failed) == 0 {
			p.ID = ID(p)
			for _, pa := range pending {
				if !pa.renderWithID(p.ID) {
					failed = append(failed, pa)
				}
			}
		}
		if len(failed) == 0 {
			return
		}
		for _, pa := range failed {
			pa.al.Subject, pa.al.Body = pa.subject, pa.body
			c.warn(pa.ctx.Rule, pa.ctx.Node, CodeRenderFailed, "alert template "+pa.tmpl.Name+
				" changes the plan ID (cuts, cases or compares it) or fails with it; the alert is rendered without the plan ID")
		}
		pending = slices.DeleteFunc(pending, func(pa *pendingAlert) bool { return slices.Contains(failed, pa) })
		p.Warnings = c.planWarnings()
		p.Summary = countSummary(p)
	}
}

// renderWithID renders the alert, rendered with the placeholder, with the plan ID, and
// reports whether the text then differs from the placeholder's by the ID alone.
func (pa *pendingAlert) renderWithID(id string) bool {
	subject, body := pa.al.Subject, pa.al.Body
	pa.ctx.PlanID = id
	s, b, err := pa.text()
	if err != nil || strings.ReplaceAll(s, id, idPlaceholder) != subject || strings.ReplaceAll(b, id, idPlaceholder) != body {
		return false
	}
	pa.al.Subject, pa.al.Body = s, b
	return true
}

// planIDAlertsIn are the alerts rendered with the plan ID that p holds (--node leaves
// out other nodes' alerts).
func (c *computer) planIDAlertsIn(p *Plan) []*pendingAlert {
	in := map[*Alert]bool{}
	for _, n := range p.Nodes {
		for _, ch := range n.Changes {
			if ch.Alert != nil {
				in[ch.Alert] = true
			}
		}
	}
	var out []*pendingAlert
	for i := range c.planIDAlerts {
		if in[c.planIDAlerts[i].al] {
			out = append(out, &c.planIDAlerts[i])
		}
	}
	return out
}

// planWarnings are the plan's warnings: the run-wide ones first, as given, then the
// computed ones, sorted; with --node, only the node's and the rule-wide ones.
func (c *computer) planWarnings() []Warning {
	ws := make([]Warning, 0, len(c.in.Warnings)+len(c.warnings))
	ws = append(append(ws, c.in.Warnings...), sortWarnings(slices.Clone(c.warnings))...)
	if c.in.Node != "" {
		ws = slices.DeleteFunc(ws, func(w Warning) bool { return w.Node != c.in.Node && w.Node != "" })
	}
	return ws
}
