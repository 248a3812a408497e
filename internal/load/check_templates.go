package load

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/alert"
)

// templateText compiles a text that holds placeholders (an AlertTemplate's subject or
// body, an annotation value) as the planner renders it: a syntax error is an error, a
// variable no alert context has is a warning naming it. Annotation values are part of
// the plan ID, so they cannot name it (planID, plan_id): an error.
func (c *checker) templateText(ptr, what, text string, annotation bool) {
	if !alert.HasPlaceholders(text) {
		return
	}
	t, err := alert.Compile(what, text)
	if err != nil { // at the template's line when the text is a block of its own lines
		c.ds = append(c.ds, c.d.src.diagAt(Error, c.d.textLine(ptr, alert.ErrorLine(err, text)), c.d.fieldPath(ptr), err.Error()))
		return
	}
	if annotation && alert.UsesPlanID(text) {
		c.errorf(ptr, false, "%s: annotation values are part of the plan ID and cannot use planID / plan_id", what)
	}
	for _, name := range t.Unknown() {
		hint := "; the alert context has " + strings.Join(alert.Variables(), ", ")
		if strings.Contains(name, ".") {
			hint = ""
		}
		c.warnf(ptr, "%s (%s syntax): unknown variable %q%s", what, t.Syntax(), name, hint)
	}
}

// annotationTemplates checks the annotation values of an action that hold placeholders.
func (c *checker) annotationTemplates(ptr string, m map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		c.templateText(ptrJoin(ptr, k), "annotation "+k, m[k], true)
	}
}

// checkTemplateMetrics warns about a template that names a metric's value or threshold
// (metrics.X, thresholds.X) that a rule using it has no condition on, when rendering it
// for that rule fails (sampleRenders): its alerts then get the default message. A
// reference the template guards ({{ metrics.X | default('n/a') }}, "is defined") renders
// and is not warned about. The warning is at the template's subject or body and names
// the variable and the rule.
func (l *loader) checkTemplateMetrics() {
	users := map[string][]*v1.NodeGuardianRule{} // template name → rules that use it
	for _, o := range l.objs {
		if o.rule == nil {
			continue
		}
		for _, name := range alertTemplates(o.rule) {
			if !slices.Contains(users[name], o.rule) {
				users[name] = append(users[name], o.rule)
			}
		}
	}
	for _, o := range l.objs {
		if o.tmpl == nil || len(users[o.tmpl.Name]) == 0 {
			continue
		}
		for _, f := range []struct{ ptr, what, text string }{
			{"/spec/subject", "subject", o.tmpl.Spec.Subject}, {"/spec/body", "body", o.tmpl.Spec.Body},
		} {
			t, err := alert.Compile(f.what, f.text)
			if !alert.HasPlaceholders(f.text) || err != nil {
				continue // syntax errors are reported by templateText
			}
			for _, ref := range t.MetricRefs() {
				for _, r := range users[o.tmpl.Name] {
					if have := ruleMetrics(r); !slices.Contains(have, refMetric(ref)) && !sampleRenders(t, r, refMetric(ref)) {
						l.diags = append(l.diags, o.doc.diag(Warning, f.ptr, false, f.ptr, fmt.Sprintf(
							"%s: %s is not a metric of rule %q, which uses template %q (its conditions have %s): its alerts get the default message",
							f.what, ref, r.Name, o.tmpl.Name, strings.Join(conditionMetrics(r), ", "))))
					}
				}
			}
		}
	}
}

// alertTemplates are the templates a rule's alert actions and recovery alerts name.
func alertTemplates(r *v1.NodeGuardianRule) []string {
	var out []string
	for _, a := range r.Spec.Actions {
		if a.Alert != nil && a.Alert.Template != "" {
			out = append(out, a.Alert.Template)
		}
	}
	for _, a := range r.Spec.RecoveryActions {
		if a.Alert != nil && a.Alert.Template != "" {
			out = append(out, a.Alert.Template)
		}
	}
	return out
}

// conditionMetrics are the metrics of a rule's conditions and recovery conditions, in
// order, each once.
func conditionMetrics(r *v1.NodeGuardianRule) []string {
	var out []string
	for _, c := range slices.Concat(r.Spec.Conditions, r.Spec.RecoveryConditions) {
		if !slices.Contains(out, c.Metric) {
			out = append(out, c.Metric)
		}
	}
	return out
}

// ruleMetrics are the names templates may use for a rule's metrics: its conditions'
// metrics and their snake_case aliases.
func ruleMetrics(r *v1.NodeGuardianRule) []string {
	var out []string
	for _, m := range conditionMetrics(r) {
		out = append(append(out, m), alert.MetricAliases(m)...)
	}
	return out
}

// refMetric is the metric a MetricRefs entry names: "cpuLoadRatio" of "metrics.cpuLoadRatio".
func refMetric(ref string) string { return ref[strings.Index(ref, ".")+1:] }

// sameMetric reports whether a and b name the same metric, one perhaps by its alias
// (cpu_load_ratio for cpuLoadRatio).
func sameMetric(a, b string) bool {
	return a == b || slices.Contains(alert.MetricAliases(a), b) || slices.Contains(alert.MetricAliases(b), a)
}

// sampleRenders reports whether t renders, firing and resolved, for an alert of r with
// sample values and without metric missing: every condition's metric, and every other
// metric t names, at 1 against a threshold of 1; r's actions; no top pods. It fails when
// t uses missing as it is, and renders when t guards the reference (default, "is
// defined", if).
func sampleRenders(t *alert.Template, r *v1.NodeGuardianRule, missing string) bool {
	c := &alert.Context{Node: "node", NodeLabels: map[string]string{}, Rule: r.Name, Description: r.Spec.Metadata.Description,
		Time: time.Unix(0, 0).UTC(), PlanID: "plan"}
	names := conditionMetrics(r)
	for _, ref := range t.MetricRefs() {
		if m := refMetric(ref); !sameMetric(m, missing) && !slices.Contains(names, m) {
			names = append(names, m)
		}
	}
	for _, m := range names {
		c.Metrics = append(c.Metrics, alert.Metric{Name: m, Value: 1, Operator: "GreaterThan", Threshold: 1})
	}
	for _, a := range r.Spec.Actions {
		c.Actions = append(c.Actions, alert.Action{Type: string(a.Type), Description: string(a.Type)})
	}
	for _, state := range []string{alert.StateFiring, alert.StateResolved} {
		c.State = state
		if _, err := t.Render(c); err != nil {
			return false
		}
	}
	return true
}
