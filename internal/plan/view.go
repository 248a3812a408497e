package plan

// The exported views below let other renderers (the diff of two plans, internal/plandiff)
// show changes exactly as the plan's own renderers do.

// ChangeLines shows a change as the lines of a diff, as the plan's Markdown shows them:
// "+ taint nodeguardian/high-load = true (NoSchedule)", "- evict default/web-1 (priority
// 0) blocked by PDB default/web-pdb", "! rule r: Healthy → Firing"; the lines under a long
// value are indented. The rule and reason are not included: see Comment.
func ChangeLines(c Change) []string { return describe(c).diffLines() }

// Comment is the "rule: reason" the renderers show above a change.
func Comment(c Change) string { return comment(c) }

// MarkdownText escapes text for a Markdown paragraph, list item or table cell, on one line.
func MarkdownText(s string) string { return mdText(s) }

// MarkdownCode shows s as inline Markdown code.
func MarkdownCode(s string) string { return codeSpan(s) }

// MarkdownCell escapes "|" in Markdown for a table cell.
func MarkdownCell(md string) string { return tableCell(md) }
