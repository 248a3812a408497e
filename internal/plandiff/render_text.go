package plandiff

import (
	"fmt"
	"io"
	"strings"

	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// RenderText writes the diff for people: the headline, what the two sides are, the
// rules and templates that changed (field by field), each node's effects that differ,
// the deferrals that differ and the rules whose firing nodes differ.
func RenderText(w io.Writer, d *Diff) error {
	if d == nil {
		return fmt.Errorf("render diff as text: no diff")
	}
	var b strings.Builder
	t := &textRenderer{b: &b}
	t.header(d)
	t.objects(d.Objects)
	t.effects(d.Effects)
	t.deferrals(d.Deferrals)
	t.rules(d.Rules)
	if len(d.Effects)+len(d.Deferrals) > 0 {
		t.printf("\n%s\n", d.Headline())
	}
	if _, err := io.WriteString(w, safeLines(b.String())); err != nil {
		return fmt.Errorf("render diff as text: %w", err)
	}
	return nil
}

type textRenderer struct{ b *strings.Builder }

func (t *textRenderer) printf(format string, args ...any) { fmt.Fprintf(t.b, format, args...) }

func (t *textRenderer) header(d *Diff) {
	t.printf("NodeGuardian diff: %s → %s\n", refText(d.Base), refText(d.Head))
	if d.Source != "" {
		t.printf("  fleet:  %s at %s\n", d.Source, d.Time.Format("2006-01-02T15:04:05Z07:00"))
	}
	t.printf("  plans:  base %s, head %s\n", orNone(d.Base.PlanID), orNone(d.Head.PlanID))
	t.printf("\n%s\n", d.Headline())
}

func (t *textRenderer) objects(objs []ObjectChange) {
	if len(objs) == 0 {
		return
	}
	t.printf("\nRules and templates:\n")
	for _, o := range objs {
		sym := map[Type]string{RuleAdded: "+", RuleRemoved: "-", RuleChanged: "~", RuleMoved: "→"}[o.Type]
		t.printf("  %s %s %s: %s (%s)\n", sym, kindWord(o.Kind), o.Name, objectState(o), whereText(o))
		for _, f := range o.Fields {
			t.printf("      %s: %s → %s\n", f.Path, fieldValue(f.Base), fieldValue(f.Head))
		}
	}
}

func (t *textRenderer) effects(es []Effect) {
	if len(es) == 0 {
		return
	}
	t.printf("\nEffects (+ the change newly makes, - it no longer makes):\n")
	node, comment := "", ""
	for _, e := range es {
		if e.Node != node {
			node, comment = e.Node, ""
			t.printf("\n  node %s\n", node)
		}
		if c := effectComment(e); c != comment {
			comment = c
			t.printf("    # %s\n", c)
		}
		for _, l := range effectLines(e) {
			t.printf("    %s\n", l)
		}
	}
}

func (t *textRenderer) deferrals(ds []Deferral) {
	if len(ds) == 0 {
		return
	}
	t.printf("\nDeferred:\n")
	for _, d := range ds {
		sym := "+"
		if d.Type == DeferralRemoved {
			sym = "-"
		}
		t.printf("  %s %s\n", sym, oneLine(deferralText(d.Deferred)))
	}
}

func (t *textRenderer) rules(rs []RuleDelta) {
	if len(rs) == 0 {
		return
	}
	t.printf("\nRules whose nodes change (firing base → head):\n")
	for _, r := range rs {
		t.printf("  %s: %s\n", r.Name, countsText(r))
	}
}

// countsText shows a rule's counts in both plans: "firing 1 → 4 (+worker-2, -worker-3), pending 0 → 1".
func countsText(r RuleDelta) string {
	var b, h RuleCounts
	if r.Base != nil {
		b = *r.Base
	}
	if r.Head != nil {
		h = *r.Head
	}
	parts := []string{fmt.Sprintf("firing %d → %d", b.Firing, h.Firing)}
	var names []string
	for _, n := range firstN(r.NewlyFiring, 5) {
		names = append(names, "+"+n)
	}
	for _, n := range firstN(r.NoLongerFiring, 5) {
		names = append(names, "-"+n)
	}
	if more := len(r.NewlyFiring) + len(r.NoLongerFiring) - len(names); more > 0 {
		names = append(names, fmt.Sprintf("and %d more", more))
	}
	if len(names) > 0 {
		parts[0] += " (" + strings.Join(names, ", ") + ")"
	}
	for _, c := range []struct {
		name string
		b, h int
	}{{"matched", b.Matched, h.Matched}, {"pending", b.Pending, h.Pending}, {"unknown", b.Unknown, h.Unknown}} {
		if c.b != c.h {
			parts = append(parts, fmt.Sprintf("%s %d → %d", c.name, c.b, c.h))
		}
	}
	if r.Base == nil {
		parts = append(parts, "new rule")
	} else if r.Head == nil {
		parts = append(parts, "rule removed")
	} else if b.Status != h.Status {
		parts = append(parts, b.Status+" → "+h.Status)
	}
	return strings.Join(parts, ", ")
}

func firstN(s []string, n int) []string { return s[:min(n, len(s))] }

// kindWord is "rule" or "template".
func kindWord(kind string) string {
	if kind == KindTemplate {
		return "template"
	}
	return "rule"
}

// whereText says where an object is written: "a.hcl:3", "a.hcl:3 → b.yaml:1".
func whereText(o ObjectChange) string {
	switch {
	case o.BaseFile == "":
		return o.HeadFile
	case o.HeadFile == "":
		return o.BaseFile
	case fileOnly(o.BaseFile) != fileOnly(o.HeadFile):
		return o.BaseFile + " → " + o.HeadFile
	}
	return o.HeadFile
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// safeLines escapes, line by line, the control and format characters (ESC, a bidi
// override) of a rendered diff as the plan renderer does (plan.SafeText): names, field
// values, reasons and messages come from input and must not reach the terminal or a
// pull request comment raw.
func safeLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = plan.SafeText(l)
	}
	return strings.Join(lines, "\n")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
