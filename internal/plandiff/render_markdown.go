package plandiff

import (
	"fmt"
	"html"
	"io"
	"strconv"
	"strings"

	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// MaxMarkdown is the most characters RenderMarkdown writes: GitHub refuses comments of
// more than 65,536.
const MaxMarkdown = 65000

// Marker is the first line of the Markdown, an HTML comment by which CI finds the
// comment to update instead of adding one per push.
const Marker = "<!-- ngctl-diff -->"

// RenderMarkdown writes the diff as GitHub-flavoured Markdown for a pull-request
// comment: the marker, the headline, a summary table of the rules, then per rule a
// collapsed <details> section with its field changes, its effects by node and its
// deferrals, then the alert templates. When that is longer than MaxMarkdown it lists
// fewer nodes per rule ("and K more"), down to counts only.
func RenderMarkdown(w io.Writer, d *Diff) error {
	if d == nil {
		return fmt.Errorf("render diff as Markdown: no diff")
	}
	var out string
	for _, limit := range []int{-1, 200, 100, 50, 20, 5, 0} {
		out = markdown(d, limit)
		if len(out) <= MaxMarkdown {
			break
		}
	}
	if len(out) > MaxMarkdown {
		out = out[:strings.LastIndexByte(out[:MaxMarkdown-200], '\n')+1] +
			"\n</details>\n\n_The diff is too long for one comment: run `ngctl diff` locally for all of it._\n"
	}
	if _, err := io.WriteString(w, out); err != nil {
		return fmt.Errorf("render diff as Markdown: %w", err)
	}
	return nil
}

// mdRenderer builds the Markdown; nodes is the most nodes listed per rule (-1: all).
type mdRenderer struct {
	b     strings.Builder
	nodes int
}

func (m *mdRenderer) printf(format string, args ...any) { fmt.Fprintf(&m.b, format, args...) }

// markdown renders the diff listing at most limit nodes per rule (-1: all).
func markdown(d *Diff, limit int) string {
	m := &mdRenderer{nodes: limit}
	m.printf("%s\n## NodeGuardian diff\n\n**%s**\n\n", Marker, plan.MarkdownText(d.Headline()))
	m.printf("%s → %s", code(refText(d.Base)), code(refText(d.Head)))
	if d.Source != "" {
		m.printf(" · fleet %s at %s", code(d.Source), d.Time.Format("2006-01-02T15:04:05Z07:00"))
	}
	m.printf("\n")
	rules := byRule(d)
	m.table(rules)
	for _, v := range rules {
		m.rule(v)
	}
	m.templates(d.Objects)
	if limit >= 0 {
		m.printf("\n_Long diff: at most %d nodes are listed per rule; run `ngctl diff` for all of them._\n", limit)
	}
	return safeLines(m.b.String())
}

func code(s string) string { return plan.MarkdownCell(plan.MarkdownCode(s)) }

// table writes the summary table: one row per rule.
func (m *mdRenderer) table(rules []*ruleView) {
	if len(rules) == 0 {
		m.printf("\nNo rule changed and no effect differs.\n")
		return
	}
	m.printf("\n| Rule | Spec | Firing | Newly | No longer | Differently | Nodes | Deferred |\n")
	m.printf("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, v := range rules {
		added, removed, changed, nodes := v.effectCounts()
		m.printf("| %s | %s | %s | %d | %d | %d | %d | %s |\n", code(ruleName(v.name)), v.specState(), v.firing(),
			added, removed, changed, nodes, v.deferralText())
	}
}

func ruleName(name string) string {
	if name == "" {
		return "(no rule)"
	}
	return name
}

// rule writes a rule's collapsed section.
func (m *mdRenderer) rule(v *ruleView) {
	added, removed, changed, nodes := v.effectCounts()
	summary := fmt.Sprintf("<code>%s</code>: %s, %s on %s", html.EscapeString(ruleName(v.name)), v.specState(),
		effectCountText(added, removed, changed), plural(nodes, "node"))
	m.printf("\n<details><summary>%s</summary>\n\n", summary)
	if v.object != nil {
		m.object(*v.object)
	}
	if v.delta != nil {
		m.printf("**Nodes:** %s\n\n", plan.MarkdownText(countsText(*v.delta)))
	}
	m.effects(v.effects)
	if len(v.deferrals) > 0 {
		m.printf("**Deferred:**\n\n")
		for _, d := range v.deferrals {
			sym := "newly"
			if d.Type == DeferralRemoved {
				sym = "no longer"
			}
			m.printf("- %s: %s\n", sym, plan.MarkdownText(deferralText(d.Deferred)))
		}
		m.printf("\n")
	}
	m.printf("</details>\n")
}

func effectCountText(added, removed, changed int) string {
	s := fmt.Sprintf("+%d −%d", added, removed)
	if changed > 0 {
		s += " ~" + strconv.Itoa(changed)
	}
	return s + " effects"
}

// object writes an object's files and field changes.
func (m *mdRenderer) object(o ObjectChange) {
	m.printf("**Spec:** %s, %s\n\n", objectState(o), code(whereText(o)))
	if len(o.Fields) == 0 {
		return
	}
	m.printf("| Field | Base | Head |\n| --- | --- | --- |\n")
	for _, f := range o.Fields {
		m.printf("| %s | %s | %s |\n", code(f.Path), code(clip(fieldValue(f.Base))), code(clip(fieldValue(f.Head))))
	}
	m.printf("\n")
}

// effects writes a rule's effects as a diff, node by node, at most m.nodes nodes.
func (m *mdRenderer) effects(es []Effect) {
	if len(es) == 0 {
		return
	}
	var b strings.Builder
	node, comment, shown, hidden := "", "", 0, map[string]bool{}
	for _, e := range es {
		if e.Node != node && !hidden[e.Node] {
			if m.nodes >= 0 && shown >= m.nodes {
				hidden[e.Node] = true
				continue
			}
			node = e.Node
			shown++
		}
		if hidden[e.Node] {
			continue
		}
		if c := e.Node + ": " + entryLabel(e.Type) + dryRunMark(e); c != comment {
			comment = c
			fmt.Fprintf(&b, "# %s\n", c)
		}
		for _, l := range effectLines(e) {
			b.WriteString(l + "\n")
		}
	}
	if b.Len() > 0 {
		fence := strings.Repeat("`", max(3, longestRun(b.String(), '`')+1))
		m.printf("%sdiff\n%s%s\n\n", fence, b.String(), fence)
	}
	if len(hidden) > 0 {
		m.printf("and %d more %s\n\n", len(hidden), map[bool]string{true: "node", false: "nodes"}[len(hidden) == 1])
	}
}

// templates writes the alert templates that changed.
func (m *mdRenderer) templates(objs []ObjectChange) {
	first := true
	for _, o := range objs {
		if o.Kind != KindTemplate {
			continue
		}
		if first {
			m.printf("\n### Alert templates\n")
			first = false
		}
		m.printf("\n<details><summary><code>%s</code>: %s</summary>\n\n", html.EscapeString(o.Name), objectState(o))
		m.object(o)
		m.printf("</details>\n")
	}
}

func dryRunMark(e Effect) string {
	if e.DryRun {
		return " (dry-run)"
	}
	return ""
}

// clip shortens a value for a table cell.
func clip(s string) string {
	const most = 200
	if r := []rune(s); len(r) > most {
		return string(r[:most]) + "…"
	}
	return s
}

func longestRun(s string, c byte) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] != c {
			run = 0
			continue
		}
		run++
		longest = max(longest, run)
	}
	return longest
}
