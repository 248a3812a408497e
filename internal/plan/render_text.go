package plan

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ANSI escape sequences RenderText uses when RenderOptions.Color is set.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
)

// RenderText writes the plan for people, in the spirit of `terraform plan`: a header,
// each node's changes with the rule and reason behind them, what is deferred, warnings,
// a table of the rules, and last "Plan: N nodes to change, M deferred." or "No changes.".
func RenderText(w io.Writer, p *Plan, o RenderOptions) error {
	if p == nil {
		return errNoPlan("text")
	}
	t := &textRenderer{color: o.Color}
	t.header(p)
	t.nodes(p.Nodes)
	t.list("Deferred:", deferredItems(p.Deferred))
	t.list("Warnings:", warningItems(p.Warnings))
	t.rules(p.Rules)
	if next := nextEvaluationText(p); next != "" {
		t.printf("\nNext evaluation: %s\n", next)
	}
	t.footer(p)
	if _, err := io.WriteString(w, t.b.String()); err != nil {
		return fmt.Errorf("render plan as text: %w", err)
	}
	return nil
}

// textRenderer builds the text of a plan.
type textRenderer struct {
	b     strings.Builder
	color bool
}

// paint wraps s in an ANSI style when colors are on.
func (t *textRenderer) paint(style, s string) string {
	if !t.color || s == "" {
		return s
	}
	return style + s + ansiReset
}

// symbol is an operation's sign, in green, yellow or red.
func (t *textRenderer) symbol(op Op) string {
	switch op {
	case OpAdd:
		return t.paint(ansiGreen, symbol(op))
	case OpChange:
		return t.paint(ansiYellow, symbol(op))
	case OpRemove:
		return t.paint(ansiRed, symbol(op))
	default:
		return symbol(op)
	}
}

// printf appends formatted text.
func (t *textRenderer) printf(format string, args ...any) {
	fmt.Fprintf(&t.b, format, args...)
}

// header writes what the plan is and what it was computed from.
func (t *textRenderer) header(p *Plan) {
	title := "NodeGuardian plan"
	if p.ID != "" {
		title += " " + p.ID
	}
	t.printf("%s\n", t.paint(ansiBold, safeText(title)))
	if src := p.Inputs.SourceText(); src != "" {
		t.printf("  source:  %s\n", safeText(src))
	}
	if created := timeText(p.CreatedAt); created != "" {
		if expires := timeText(p.ExpiresAt); expires != "" {
			created += ", expires " + expires
		}
		t.printf("  created: %s\n", created)
	}
	if p.Inputs.RulesHash != "" || p.Inputs.FleetHash != "" {
		t.printf("  inputs:  rules %s, fleet %s\n", orNone(p.Inputs.RulesHash), orNone(p.Inputs.FleetHash))
	}
}

// nodes writes each node's changes.
func (t *textRenderer) nodes(nodes []NodePlan) {
	if len(nodes) == 0 {
		return
	}
	t.printf("\nNodeGuardian would make these changes (%s add, %s change, %s remove):\n",
		t.symbol(OpAdd), t.symbol(OpChange), t.symbol(OpRemove))
	for _, n := range nodes {
		title := "node " + n.Node
		if n.ResourceVersion != "" {
			title += " (resourceVersion " + n.ResourceVersion + ")"
		}
		if dryRunOnly(n) {
			title += " (dry-run only)"
		}
		t.printf("\n%s %s\n", t.symbol(OpChange), t.paint(ansiBold, safeText(title)))
		for i, c := range n.Changes {
			t.change(describe(c), i == 0 || comment(c) != comment(n.Changes[i-1]))
		}
	}
}

// change writes one change, after its comment lines ("# rule: reason") unless the
// change before it has the same.
func (t *textRenderer) change(v view, withComments bool) {
	if withComments {
		for _, c := range commentsOrNone(v.comments) {
			t.printf("    # %s\n", safeText(c))
		}
	}
	for _, l := range v.lines {
		indent := "    "
		if l.sub {
			indent = "        "
		}
		text := safeText(l.text)
		if l.blocked != "" {
			text += " " + t.paint(ansiRed, safeText(l.blocked))
		}
		t.printf("%s%s %s%s\n", indent, t.symbol(l.op), text, l.marks)
	}
}

// list writes a titled list of items, nothing when there are none.
func (t *textRenderer) list(title string, items []string) {
	if len(items) == 0 {
		return
	}
	t.printf("\n%s\n", t.paint(ansiYellow, title))
	for _, it := range items {
		t.printf("  - %s\n", safeText(it))
	}
}

// rules writes the rule table.
func (t *textRenderer) rules(rules []RuleStatus) {
	if len(rules) == 0 {
		return
	}
	header := ruleHeader()
	for i := range header {
		header[i] = strings.ToUpper(header[i])
	}
	rows := [][]string{header}
	for _, r := range rules {
		row := append([]string{r.Name}, ruleRow(r)...)
		for i := range row {
			row[i] = safeText(row[i])
		}
		rows = append(rows, row)
	}
	t.printf("\nRules:\n")
	t.table(rows, func(col int) bool { return col >= 1 && col <= 5 })
}

// table writes rows in aligned columns; right says which columns align right.
func (t *textRenderer) table(rows [][]string, right func(col int) bool) {
	var widths []int
	for _, row := range rows {
		for i, cell := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	for _, row := range rows {
		cells := make([]string, len(row))
		for i, cell := range row {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell))
			if right(i) {
				cells[i] = pad + cell
			} else {
				cells[i] = cell + pad
			}
		}
		t.printf("%s\n", strings.TrimRight("  "+strings.Join(cells, "  "), " "))
	}
}

// footer writes the counts and the verdict, which is the last line.
func (t *textRenderer) footer(p *Plan) {
	t.printf("\n")
	if parts := countParts(p.Summary); len(parts) > 0 {
		t.printf("Changes: %s.\n", strings.Join(parts, ", "))
	}
	if !p.HasChanges() {
		t.printf("%s\n", t.paint(ansiGreen+ansiBold, lastLine(p)))
		return
	}
	t.printf("%s\n", t.paint(ansiBold, lastLine(p)))
}

// deferredItems shows deferred items: "rule on node: reason".
func deferredItems(ds []Deferred) []string {
	items := make([]string, 0, len(ds))
	for _, d := range ds {
		items = append(items, withWhere(where(d.Rule, d.Node), deferredText(d)))
	}
	return items
}

// warningItems shows warnings: "rule on node: message".
func warningItems(ws []Warning) []string {
	items := make([]string, 0, len(ws))
	for _, w := range ws {
		items = append(items, withWhere(where(w.Rule, w.Node), w.Message))
	}
	return items
}

// withWhere prefixes text with what it is about, on one line.
func withWhere(where, text string) string {
	text = oneLine(text)
	if where == "" {
		return text
	}
	return where + ": " + text
}

// SafeText is safeText, for the other renderers of text taken from input (ngctl diff):
// control and format characters (ESC, a bidi override) escaped Go-style.
func SafeText(s string) string { return safeText(s) }

// safeText escapes, Go-style (\x1b, \n, \u202e), the control and format characters of
// text taken from input (names, reasons, messages, values): an escape sequence, a
// carriage return or a bidi override would otherwise reach the terminal and could
// rewrite or hide what the plan says. The renderer's own colors are added around it.
func safeText(s string) string {
	if !strings.ContainsFunc(s, unsafeRune) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if !unsafeRune(r) {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRune(r)
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}

// unsafeRune reports a control (Cc) or format (Cf: bidi overrides, zero-width) character.
func unsafeRune(r rune) bool {
	return unicode.In(r, unicode.Cc, unicode.Cf)
}
