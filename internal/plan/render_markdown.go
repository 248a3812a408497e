package plan

import (
	"fmt"
	"html"
	"io"
	"strconv"
	"strings"
)

// RenderMarkdown writes the plan as GitHub-flavoured Markdown for a pull-request comment:
// the verdict and a summary table, each node's changes in a collapsed <details> block
// holding a diff, then what is deferred, warnings and a table of the rules.
func RenderMarkdown(w io.Writer, p *Plan) error {
	if p == nil {
		return errNoPlan("Markdown")
	}
	m := &markdownRenderer{}
	m.header(p)
	m.nodes(p.Nodes)
	m.list("Deferred", deferredMarkdown(p.Deferred))
	m.list("Warnings", warningMarkdown(p.Warnings))
	m.rules(p.Rules)
	if next := nextEvaluationText(p); next != "" {
		m.printf("\nNext evaluation: %s\n", mdText(next))
	}
	if _, err := io.WriteString(w, m.b.String()); err != nil {
		return fmt.Errorf("render plan as Markdown: %w", err)
	}
	return nil
}

// markdownRenderer builds the Markdown of a plan.
type markdownRenderer struct {
	b strings.Builder
}

// printf appends formatted text.
func (m *markdownRenderer) printf(format string, args ...any) {
	fmt.Fprintf(&m.b, format, args...)
}

// header writes the title, the verdict, the summary table and the plan's inputs.
func (m *markdownRenderer) header(p *Plan) {
	m.printf("## NodeGuardian plan\n\n**%s**\n\n", lastLine(p))
	s := p.Summary
	m.table([]string{"Nodes to change", "Adds", "Changes", "Removes", "Evictions", "Alerts", "Deferred", "Warnings", "Dry-run"},
		[][]string{{
			strconv.Itoa(s.NodesToChange), strconv.Itoa(s.Adds), strconv.Itoa(s.Changes), strconv.Itoa(s.Removes),
			strconv.Itoa(s.Evictions), strconv.Itoa(s.Alerts), strconv.Itoa(s.Deferred), strconv.Itoa(s.Warnings),
			strconv.Itoa(s.DryRun),
		}},
		func(int) bool { return true })
	var about []string
	if p.ID != "" {
		about = append(about, "Plan "+codeSpan(p.ID))
	}
	if src := p.Inputs.SourceText(); src != "" {
		about = append(about, "source "+codeSpan(src))
	}
	if t := timeText(p.CreatedAt); t != "" {
		about = append(about, "created "+t)
	}
	if t := timeText(p.ExpiresAt); t != "" {
		about = append(about, "expires "+t)
	}
	if len(about) > 0 {
		m.printf("\n%s\n", strings.Join(about, " · "))
	}
	if s.DryRun > 0 {
		m.printf("\nDry-run changes are shown but never applied.\n")
	}
}

// nodes writes one collapsed block per node, holding its changes as a diff.
func (m *markdownRenderer) nodes(nodes []NodePlan) {
	if len(nodes) == 0 {
		return
	}
	m.printf("\n### Changes\n")
	for _, n := range nodes {
		summary := nodeSummary(n)
		if dryRunOnly(n) {
			summary = plural(len(n.Changes), "dry-run change", "dry-run changes") + ", never applied"
		}
		m.printf("\n<details><summary><code>%s</code>: %s</summary>\n\n", html.EscapeString(n.Node), html.EscapeString(summary))
		var diff strings.Builder
		for i, c := range n.Changes {
			diffChange(&diff, describe(c), i == 0 || comment(c) != comment(n.Changes[i-1]))
		}
		fence := strings.Repeat("`", max(3, longestRun(diff.String(), '`')+1))
		m.printf("%sdiff\n%s%s\n\n</details>\n", fence, diff.String(), fence)
	}
}

// diffChange writes a change as diff lines, which GitHub colors: "+" green, "-" red,
// "!" (a change) orange and "#" (the comments) grey. The comment lines come first unless
// the change before has the same.
func diffChange(b *strings.Builder, v view, withComments bool) {
	if withComments {
		for _, c := range commentsOrNone(v.comments) {
			fmt.Fprintf(b, "# %s\n", c)
		}
	}
	for _, l := range v.diffLines() {
		fmt.Fprintf(b, "%s\n", l)
	}
}

// diffLines are the view's lines as a diff shows them: "+", "-" or "!" (a change), the
// lines under a long value indented, a blocked eviction's PDB and the marks appended.
func (v view) diffLines() []string {
	out := make([]string, 0, len(v.lines))
	for _, l := range v.lines {
		sym := symbol(l.op)
		if l.op == OpChange {
			sym = "!"
		}
		indent := " "
		if l.sub {
			indent = "     "
		}
		text := l.text
		if l.blocked != "" {
			text += " " + l.blocked
		}
		out = append(out, sym+indent+text+l.marks)
	}
	return out
}

// list writes a titled list, nothing when there are no items.
func (m *markdownRenderer) list(title string, items []string) {
	if len(items) == 0 {
		return
	}
	m.printf("\n### %s\n\n", title)
	for _, it := range items {
		m.printf("- %s\n", it)
	}
}

// rules writes the rule table.
func (m *markdownRenderer) rules(rules []RuleStatus) {
	if len(rules) == 0 {
		return
	}
	rows := make([][]string, 0, len(rules))
	for _, r := range rules {
		row := ruleRow(r)
		row[len(row)-1] = mdText(row[len(row)-1])
		rows = append(rows, append([]string{tableCell(codeSpan(r.Name))}, row...))
	}
	m.printf("\n### Rules\n\n")
	m.table(ruleHeader(), rows, func(col int) bool { return col >= 1 && col <= 5 })
}

// table writes a table; the cells must already be Markdown, with "|" escaped.
func (m *markdownRenderer) table(header []string, rows [][]string, right func(col int) bool) {
	align := make([]string, len(header))
	for i := range header {
		align[i] = "---"
		if right(i) {
			align[i] = "---:"
		}
	}
	m.printf("| %s |\n| %s |\n", strings.Join(header, " | "), strings.Join(align, " | "))
	for _, row := range rows {
		m.printf("| %s |\n", strings.Join(row, " | "))
	}
}

// deferredMarkdown shows deferred items as Markdown list items.
func deferredMarkdown(ds []Deferred) []string {
	items := make([]string, 0, len(ds))
	for _, d := range ds {
		items = append(items, mdWhere(d.Rule, d.Node, deferredText(d)))
	}
	return items
}

// warningMarkdown shows warnings as Markdown list items.
func warningMarkdown(ws []Warning) []string {
	items := make([]string, 0, len(ws))
	for _, w := range ws {
		items = append(items, mdWhere(w.Rule, w.Node, w.Message))
	}
	return items
}

// mdWhere is "`rule` on `node`: text" in Markdown.
func mdWhere(rule, node, text string) string {
	var at string
	switch {
	case rule != "" && node != "":
		at = codeSpan(rule) + " on " + codeSpan(node)
	case node != "":
		at = "node " + codeSpan(node)
	case rule != "":
		at = codeSpan(rule)
	default:
		return mdText(text)
	}
	return at + ": " + mdText(text)
}

// mdText escapes text for a Markdown paragraph, list item or table cell, on one line.
func mdText(s string) string {
	s = oneLine(s)
	var b strings.Builder
	for i, r := range s {
		switch {
		case strings.ContainsRune("\\`*_[]<>|~&#", r):
			b.WriteByte('\\')
		case i == 0 && strings.ContainsRune("-+=", r):
			b.WriteByte('\\')
		case (r == '.' || r == ')') && isDigits(s[:i]) && (i+1 == len(s) || s[i+1] == ' '):
			b.WriteByte('\\') // "1." would start an ordered list
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// codeSpan shows s as inline code, with a fence longer than any run of backticks in s.
func codeSpan(s string) string {
	s = oneLine(s)
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// tableCell escapes "|" in Markdown (code spans included) for a table cell.
func tableCell(md string) string {
	return strings.ReplaceAll(md, "|", `\|`)
}

// longestRun is the length of the longest run of c in s.
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
