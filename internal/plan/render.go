package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// RenderOptions tune RenderText.
type RenderOptions struct {
	// Color turns on ANSI colors. Callers set it only when writing to a terminal and
	// without --no-color.
	Color bool
}

// FormatVersionError is returned by ReadJSON for a plan written in a format this
// version of NodeGuardian does not read: an older one ("plan file formatVersion 1 was
// written by an older ngctl; run ngctl plan again") or one it does not know.
type FormatVersionError struct {
	Got string // the plan's formatVersion
}

// Error implements error.
func (e *FormatVersionError) Error() string {
	cur, _ := strconv.Atoi(FormatVersion)
	if v, err := strconv.Atoi(e.Got); err == nil && v >= 1 && v < cur && strconv.Itoa(v) == e.Got {
		return fmt.Sprintf("plan file formatVersion %s was written by an older ngctl; run ngctl plan again", e.Got)
	}
	return fmt.Sprintf("plan format version %q is not supported: this version of NodeGuardian reads version %q; "+
		"compute the plan again with this version", e.Got, FormatVersion)
}

// errNoPlan is returned by the renderers for a nil plan.
func errNoPlan(format string) error {
	return fmt.Errorf("render plan as %s: no plan", format)
}

// RenderJSON writes the plan's stable JSON form: indented by two spaces, with a trailing
// newline, "<", ">" and "&" unescaped, times in UTC, and lists that are always present
// (nodes, changes, firing, ...) written as [] rather than null when empty.
func RenderJSON(w io.Writer, p *Plan) error {
	if p == nil {
		return errNoPlan("JSON")
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(canonical(p)); err != nil {
		return fmt.Errorf("render plan as JSON: %w", err)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("render plan as JSON: %w", err)
	}
	return nil
}

// MaxJSONSize bounds what ReadJSON reads: 64 MiB, several times the plan of a
// ten-thousand-node fleet in which every node changes.
const MaxJSONSize = 64 << 20

// ReadJSON reads a plan in the JSON form RenderJSON writes (a saved plan, `ngctl show
// plan.json`), of at most MaxJSONSize bytes. It is as strict as schemas/plan.schema.json:
// unknown fields, a field name in another case ("Id" for "id"), a field given twice in
// one object, data after the plan and any formatVersion other than FormatVersion are
// errors; the last is a *FormatVersionError.
func ReadJSON(r io.Reader) (*Plan, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxJSONSize+1))
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	if len(data) > MaxJSONSize {
		return nil, fmt.Errorf("read plan: larger than %d MiB", MaxJSONSize>>20)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("read plan: empty input")
	}
	if err := checkFormatVersion(data); err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	// Keys and enums first, when the JSON is well-formed: their errors name the line.
	if json.Valid(data) {
		if err := checkKeys(data); err != nil {
			return nil, fmt.Errorf("read plan: %w", err)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Plan
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("read plan: %w", withLine(data, err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("read plan: unexpected data after the plan")
	}
	return &p, nil
}

// checkFormatVersion looks only at formatVersion, so that a plan of another version is
// reported as such rather than by the first field this version does not know.
func checkFormatVersion(data []byte) error {
	var head struct {
		FormatVersion *string `json:"formatVersion"`
	}
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&head); err != nil {
		return fmt.Errorf("not a plan: %w", err)
	}
	if head.FormatVersion == nil {
		return errors.New("not a plan: no formatVersion (write plans with `ngctl plan -o json`)")
	}
	if *head.FormatVersion != FormatVersion {
		return &FormatVersionError{Got: *head.FormatVersion}
	}
	return nil
}

// canonical returns a copy of p as RenderJSON writes it: times in UTC and the lists
// that are always present non-nil. p is not modified.
func canonical(p *Plan) *Plan {
	c := *p
	c.CreatedAt, c.ExpiresAt = p.CreatedAt.UTC(), p.ExpiresAt.UTC()
	c.Nodes = make([]NodePlan, len(p.Nodes))
	for i, n := range p.Nodes {
		changes := make([]Change, len(n.Changes))
		for j, ch := range n.Changes {
			if ch.Alert != nil {
				a := *ch.Alert
				a.Channels = orEmpty(a.Channels)
				a.Since, a.Fired = a.Since.UTC(), a.Fired.UTC()
				ch.Alert = &a
			}
			changes[j] = ch
		}
		n.Changes = changes
		c.Nodes[i] = n
	}
	c.Deferred = orEmpty(p.Deferred)
	if p.NextEvaluation != nil {
		c.NextEvaluation = utcTime(*p.NextEvaluation)
	}
	if slices.ContainsFunc(c.Deferred, func(d Deferred) bool { return d.Until != nil && d.Until.Location() != time.UTC }) {
		c.Deferred = slices.Clone(c.Deferred)
		for i := range c.Deferred {
			if u := c.Deferred[i].Until; u != nil {
				c.Deferred[i].Until = utcTime(*u)
			}
		}
	}
	c.Warnings = orEmpty(p.Warnings)
	c.Rules = make([]RuleStatus, len(p.Rules))
	for i, r := range p.Rules {
		r.Firing, r.Pending, r.Unknown = orEmpty(r.Firing), orEmpty(r.Pending), orEmpty(r.Unknown)
		c.Rules[i] = r
	}
	return &c
}

// utcTime is a copy of t in UTC.
func utcTime(t time.Time) *time.Time {
	u := t.UTC()
	return &u
}

// orEmpty returns s, or an empty slice when s is nil.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// longValue is the length above which a value is shown on lines of its own.
const longValue = 60

// line is one line that shows (part of) a change: "+ taint key = value (NoSchedule)".
type line struct {
	op      Op     // its symbol
	text    string // what changes
	blocked string // what keeps it from happening ("blocked by PDB default/web-pdb")
	marks   string // " (drift)", " (dry-run)"
	sub     bool   // a value under the change's first line
}

// view is how a change is shown, whatever the format: its lines and the comment lines
// ("rule: reason") under them.
type view struct {
	lines    []line
	comments []string
}

// describe returns how a change is shown.
func describe(c Change) view {
	marks := ""
	if c.Drift {
		marks += " (drift)"
	}
	if c.DryRun {
		marks += " (dry-run)"
	}
	var v view
	switch c.Kind {
	case KindEvict:
		v.lines = evictLines(c, marks)
	case KindCordon:
		text := "cordon"
		if c.Op == OpRemove {
			text = "cordon (uncordon)"
		}
		v.lines = []line{{op: c.Op, text: text, marks: marks}}
	case KindState:
		text := fmt.Sprintf("rule %s: %s → %s", c.Rule, orNone(c.From), orNone(c.To))
		v.lines = []line{{op: c.Op, text: text, marks: marks}}
	case KindAlert:
		v.lines = []line{{op: c.Op, text: alertText(c), marks: marks}}
	default: // taint, label, annotation, ledger, and kinds added later
		v.lines = keyValueLines(c, marks)
	}
	if s := comment(c); s != "" {
		v.comments = strings.Split(s, "\n")
	}
	return v
}

// keyValueLines shows a change of a taint, label or annotation. Long values (the
// ledger) get lines of their own: "- old" and "+ new" under the key.
func keyValueLines(c Change, marks string) []line {
	head := string(c.Kind)
	if c.Key != "" {
		head += " " + c.Key
	}
	effect := ""
	if c.Effect != "" {
		effect = " (" + c.Effect + ")"
	}
	if len(c.Old) > longValue || len(c.Value) > longValue {
		ls := []line{{op: c.Op, text: head + effect, marks: marks}}
		if c.Op != OpAdd {
			ls = append(ls, line{op: OpRemove, text: showValue(c.Old), sub: true})
		}
		if c.Op != OpRemove {
			ls = append(ls, line{op: OpAdd, text: showValue(c.Value), sub: true})
		}
		return ls
	}
	var value string
	switch c.Op {
	case OpAdd:
		value = showValue(c.Value)
	case OpRemove:
		value = showValue(c.Old)
	default:
		value = showValue(c.Old) + " → " + showValue(c.Value)
	}
	return []line{{op: c.Op, text: head + " = " + value + effect, marks: marks}}
}

// evictLines shows an eviction: one line per pod, in order.
func evictLines(c Change, marks string) []line {
	if len(c.Pods) == 0 {
		return []line{{op: c.Op, text: "evict (no pods)", marks: marks}}
	}
	ls := make([]line, 0, len(c.Pods))
	how := ""
	if c.GracePeriodSeconds != nil {
		how += fmt.Sprintf(", grace period %ds", *c.GracePeriodSeconds)
	}
	if c.TimeoutSeconds > 0 {
		how += fmt.Sprintf(", timeout %ds", c.TimeoutSeconds)
	}
	for _, pod := range c.Pods {
		l := line{op: c.Op, text: fmt.Sprintf("evict %s/%s (priority %d%s)", pod.Namespace, pod.Name, pod.Priority, how), marks: marks}
		if pod.BlockedBy != "" {
			pdb := pod.BlockedBy
			if !strings.Contains(pdb, "/") {
				pdb = pod.Namespace + "/" + pdb
			}
			l.blocked = "blocked by PDB " + pdb
		}
		ls = append(ls, l)
	}
	return ls
}

// alertText shows an alert: "alert high-load-alert via email, slack: subject". The name
// is the template's, or the rule's without one; events other than firing are named.
func alertText(c Change) string {
	a := c.Alert
	if a == nil {
		return strings.TrimSpace("alert " + c.Rule)
	}
	name := a.Template
	if name == "" {
		name = c.Rule
	}
	s := strings.TrimSpace("alert " + name)
	if a.Event != "" && a.Event != "firing" {
		s += " (" + a.Event + ")"
	}
	if len(a.Channels) > 0 {
		s += " via " + strings.Join(a.Channels, ", ")
	}
	if a.Subject != "" {
		s += ": " + oneLine(a.Subject)
	}
	return s
}

// comment is the "rule: reason" shown under a change.
func comment(c Change) string {
	switch {
	case c.Rule == "":
		return c.Reason
	case c.Reason == "":
		return c.Rule
	default:
		return c.Rule + ": " + c.Reason
	}
}

// commentsOrNone returns a change's comment lines, or one saying there are none, so that
// the change is not taken for one of those above it.
func commentsOrNone(comments []string) []string {
	if len(comments) == 0 {
		return []string{"(no reason given)"}
	}
	return comments
}

// symbol is the sign of an operation.
func symbol(op Op) string {
	switch op {
	case OpAdd:
		return "+"
	case OpChange:
		return "~"
	case OpRemove:
		return "-"
	default:
		return "?"
	}
}

// showValue shows a value as is, or quoted when it is empty, has spaces around it or
// has characters that do not print.
func showValue(v string) string {
	if v == "" || strings.TrimSpace(v) != v || strings.ContainsFunc(v, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return strconv.Quote(v)
	}
	return v
}

// orNone shows an empty rule state.
func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// oneLine joins the lines of s with spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// plural is "1 node" or "2 nodes".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// lastLine is the verdict both text and Markdown end or start with.
func lastLine(p *Plan) string {
	if !p.HasChanges() {
		return "No changes."
	}
	return fmt.Sprintf("Plan: %s to change, %d deferred.", plural(p.Summary.NodesToChange, "node", "nodes"), p.Summary.Deferred)
}

// countParts lists the non-zero counts of s: "2 to add, 1 eviction, 3 dry-run".
func countParts(s Summary) []string {
	var parts []string
	add := func(n int, text string) {
		if n > 0 {
			parts = append(parts, text)
		}
	}
	add(s.Adds, fmt.Sprintf("%d to add", s.Adds))
	add(s.Changes, fmt.Sprintf("%d to change", s.Changes))
	add(s.Removes, fmt.Sprintf("%d to remove", s.Removes))
	add(s.Evictions, plural(s.Evictions, "eviction", "evictions"))
	add(s.Alerts, plural(s.Alerts, "alert", "alerts"))
	add(s.DryRun, fmt.Sprintf("%d dry-run (not applied)", s.DryRun))
	return parts
}

// nodeSummary says what a plan does to one node: "2 to add, 1 eviction".
func nodeSummary(n NodePlan) string {
	parts := countParts(countSummary(&Plan{Nodes: []NodePlan{n}}))
	if len(parts) == 0 {
		return plural(len(n.Changes), "change", "changes")
	}
	return strings.Join(parts, ", ")
}

// dryRunOnly reports whether all of a node's changes are dry-run.
func dryRunOnly(n NodePlan) bool {
	for _, c := range n.Changes {
		if !c.DryRun {
			return false
		}
	}
	return len(n.Changes) > 0
}

// ruleStatus is a rule's last column: active, dry-run, disabled, suspended.
func ruleStatus(r RuleStatus) string {
	var parts []string
	switch {
	case r.Inactive != "":
		parts = append(parts, r.Inactive)
	case !r.Active:
		parts = append(parts, "inactive")
	}
	if r.DryRun {
		parts = append(parts, "dry-run")
	}
	if len(parts) == 0 {
		return "active"
	}
	return strings.Join(parts, ", ")
}

// ruleRow is a rule's cells in the rule tables, after its name.
func ruleRow(r RuleStatus) []string {
	return []string{
		strconv.Itoa(int(r.Priority)), strconv.Itoa(r.Matched), strconv.Itoa(len(r.Firing)),
		strconv.Itoa(len(r.Pending)), strconv.Itoa(len(r.Unknown)), ruleStatus(r),
	}
}

// ruleHeader is the rule tables' header.
func ruleHeader() []string {
	return []string{"Rule", "Priority", "Matched", "Firing", "Pending", "Unknown", "Status"}
}

// where says which rule and node a deferred item or warning is about:
// "rule on node", "rule", "node worker-3" or "".
func where(rule, node string) string {
	switch {
	case rule != "" && node != "":
		return rule + " on " + node
	case node != "":
		return "node " + node
	default:
		return rule
	}
}

// timeText shows a plan time in UTC ("" for the zero time).
// deferredText is a deferral's reason, with when it ends unless the reason says it
// ("cooldown until ...").
func deferredText(d Deferred) string {
	if d.Until == nil {
		return d.Reason
	}
	until := timeText(*d.Until)
	if until == "" || strings.Contains(d.Reason, until) {
		return d.Reason
	}
	return d.Reason + " (until " + until + ")"
}

// nextEvaluationText is "2026-11-29T12:01:00Z (pending duration of rule r on node n
// completes)", or "" when the plan has no next evaluation.
func nextEvaluationText(p *Plan) string {
	if p.NextEvaluation == nil {
		return ""
	}
	s := timeText(*p.NextEvaluation)
	if s != "" && p.NextEvaluationReason != "" {
		s += " (" + oneLine(p.NextEvaluationReason) + ")"
	}
	return s
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
