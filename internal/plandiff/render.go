package plandiff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// RenderJSON writes the diff's JSON form (schemas/diff.schema.json): indented by two
// spaces, with a trailing newline and "<", ">" and "&" unescaped.
func RenderJSON(w io.Writer, d *Diff) error {
	if d == nil {
		return fmt.Errorf("render diff as JSON: no diff")
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return fmt.Errorf("render diff as JSON: %w", err)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("render diff as JSON: %w", err)
	}
	return nil
}

// ruleView is everything the diff says about one rule, for the per-rule views.
type ruleView struct {
	name      string
	object    *ObjectChange
	delta     *RuleDelta
	effects   []Effect
	deferrals []Deferral
}

// byRule groups the diff's entries by rule, in name order; entries without a rule come
// last under "".
func byRule(d *Diff) []*ruleView {
	m := map[string]*ruleView{}
	get := func(name string) *ruleView {
		if m[name] == nil {
			m[name] = &ruleView{name: name}
		}
		return m[name]
	}
	for i := range d.Objects {
		if o := &d.Objects[i]; o.Kind == KindRule {
			get(o.Name).object = o
		}
	}
	for i := range d.Rules {
		get(d.Rules[i].Name).delta = &d.Rules[i]
	}
	for _, e := range d.Effects {
		v := get(e.Rule)
		v.effects = append(v.effects, e)
	}
	for _, df := range d.Deferrals {
		v := get(df.Deferred.Rule)
		v.deferrals = append(v.deferrals, df)
	}
	out := make([]*ruleView, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b *ruleView) int {
		if (a.name == "") != (b.name == "") {
			if a.name == "" {
				return 1
			}
			return -1
		}
		return strings.Compare(a.name, b.name)
	})
	return out
}

// specState says what happened to a rule's object: "changed (2 fields)", "added", ...
func (v *ruleView) specState() string {
	if v.object == nil {
		return "unchanged"
	}
	return objectState(*v.object)
}

// objectState says what happened to an object: "changed (2 fields)", "added", ...
func objectState(o ObjectChange) string {
	switch o.Type {
	case RuleAdded:
		return "added"
	case RuleRemoved:
		return "removed"
	case RuleMoved:
		return "moved"
	}
	return "changed (" + plural(len(o.Fields), "field") + ")"
}

// effectCounts counts a rule's effect entries by type, dry-run ones included.
func (v *ruleView) effectCounts() (added, removed, changed, nodes int) {
	seen := map[string]bool{}
	for _, e := range v.effects {
		seen[e.Node] = true
		switch e.Type {
		case EffectAdded:
			added++
		case EffectRemoved:
			removed++
		default:
			changed++
		}
	}
	return added, removed, changed, len(seen)
}

// firing shows a rule's firing count in both plans: "1 → 4", "– → 2".
func (v *ruleView) firing() string {
	if v.delta == nil {
		return "="
	}
	show := func(c *RuleCounts) string {
		if c == nil {
			return "–"
		}
		return fmt.Sprint(c.Firing)
	}
	return show(v.delta.Base) + " → " + show(v.delta.Head)
}

// deferralText counts a rule's deferrals added and removed: "+2 −1".
func (v *ruleView) deferralText() string {
	var added, removed int
	for _, d := range v.deferrals {
		if d.Type == DeferralAdded {
			added++
		} else {
			removed++
		}
	}
	return fmt.Sprintf("+%d −%d", added, removed)
}

// entryLabel is how an effect entry is introduced: newly, no longer, differently.
func entryLabel(t Type) string {
	switch t {
	case EffectAdded:
		return "newly"
	case EffectRemoved:
		return "no longer"
	}
	return "differently"
}

// effectComment says whose an effect entry is and what it is: "rule, newly (dry-run)".
func effectComment(e Effect) string {
	mark := ""
	if e.DryRun {
		mark = " (dry-run)"
	}
	return orNone(e.Rule) + ", " + entryLabel(e.Type) + mark
}

// effectLines shows an effect entry as diff lines: "+" for what the head plan newly
// does, "-" for what it no longer does, both for a change done differently. The
// change's own operation is named when it is not an addition ("remove taint ...").
func effectLines(e Effect) []string {
	var out []string
	if e.Base != nil {
		for _, l := range changeText(*e.Base) {
			out = append(out, "- "+l)
		}
	}
	if e.Head != nil {
		for _, l := range changeText(*e.Head) {
			out = append(out, "+ "+l)
		}
	}
	return out
}

// changeText is a change as the plan shows it, with its operation in words instead of
// its sign.
func changeText(c plan.Change) []string {
	lines := plan.ChangeLines(c)
	out := make([]string, 0, len(lines))
	for i, l := range lines {
		sym, text, _ := strings.Cut(l, " ")
		text = strings.TrimLeft(text, " ")
		switch {
		case i > 0 && strings.HasPrefix(l, sym+"     "):
			out = append(out, "    "+sym+" "+text) // a value under the change
		case sym == "-" && c.Kind != plan.KindCordon:
			out = append(out, "remove "+text)
		case sym == "!" && c.Kind != plan.KindState:
			out = append(out, "change "+text)
		default:
			out = append(out, text)
		}
	}
	return out
}

// deferralText shows a deferral: "high-load-isolation on worker-11: reason".
func deferralText(d plan.Deferred) string {
	switch {
	case d.Rule != "" && d.Node != "":
		return d.Rule + " on " + d.Node + ": " + d.Reason
	case d.Node != "":
		return "node " + d.Node + ": " + d.Reason
	case d.Rule != "":
		return d.Rule + ": " + d.Reason
	}
	return d.Reason
}

// fieldValue shows a field's JSON value, "(none)" where absent.
func fieldValue(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// refText names a side: "origin/main (1a2b3c4)", "working tree".
func refText(s Side) string {
	ref := s.Ref
	if ref == "" {
		ref = "(unnamed)"
	}
	if len(s.Commit) >= 7 {
		ref += " (" + s.Commit[:7] + ")"
	}
	return ref
}
