package controller

import (
	"strings"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/evaluate"
	"github.com/nodeguardian/nodeguardian/internal/load"
)

// checked is the rules and templates of the cluster after the semantic checks that
// `ngctl validate` and `--from-cluster` run (internal/load): the valid ones are planned;
// an invalid rule is not (what it owns on nodes is left alone by the plan) and is
// reported Stalled.
type checked struct {
	rules     []*v1.NodeGuardianRule
	templates []*v1.AlertTemplate
	invalid   map[string]string // rule name → what is wrong with it (or with a template it uses)
}

// check runs the semantic checks. Templates with errors are left out first, then the
// rules are checked against the templates that remain (a rule naming a missing or
// invalid template is invalid).
func check(rules []*v1.NodeGuardianRule, tmpls []*v1.AlertTemplate) checked {
	out := checked{invalid: map[string]string{}}
	bad := map[string]string{}
	for _, d := range load.Objects("cluster", nil, tmpls).Errors() {
		if kind, name := objectOf(d); kind == v1.KindAlertTemplate {
			bad[name] = appendMsg(bad[name], d)
		}
	}
	for _, t := range tmpls {
		if _, ok := bad[t.Name]; !ok {
			out.templates = append(out.templates, t)
		}
	}
	for _, d := range load.Objects("cluster", rules, out.templates).Errors() {
		if kind, name := objectOf(d); kind == v1.KindRule {
			out.invalid[name] = appendMsg(out.invalid[name], d)
		}
	}
	for _, r := range rules {
		if _, ok := out.invalid[r.Name]; !ok {
			out.rules = append(out.rules, r)
		}
	}
	return out
}

// objectOf is the kind and name a diagnostic of load.Objects is about: its File is
// "cluster <Kind>/<name>".
func objectOf(d load.Diagnostic) (kind, name string) {
	obj, _ := strings.CutPrefix(d.File, "cluster ")
	kind, name, _ = strings.Cut(obj, "/")
	return kind, name
}

func appendMsg(prev string, d load.Diagnostic) string {
	msg := d.Message
	if d.Field != "" {
		msg = d.Field + ": " + msg
	}
	if prev == "" {
		return msg
	}
	return prev + "; " + msg
}

// invalidQuery is the error of a custom query of r that Prometheus refused as invalid
// (bad_data: a PromQL parse or evaluation error), or "": the one semantic check no
// local validator makes. Errors are keyed by series name, as in metricErrors.
func invalidQuery(r *v1.NodeGuardianRule, errs map[string]string) string {
	for _, c := range append(append([]v1.Condition(nil), r.Spec.Conditions...), r.Spec.RecoveryConditions...) {
		if c.Query == "" {
			continue
		}
		if e := errs[evaluate.SeriesName(r, c.Metric)]; strings.Contains(e, "bad_data") {
			return "query of " + c.Metric + " is invalid: " + e
		}
	}
	return ""
}

// metricErrors is the source errors of the metrics r reads, or "". Errors are keyed
// by series name: a metric of a rule with a source of its own (metricsSource) is
// "metric@source" (evaluate.SeriesName).
func metricErrors(r *v1.NodeGuardianRule, errs map[string]string) string {
	var out []string
	seen := map[string]bool{}
	for _, c := range append(append([]v1.Condition(nil), r.Spec.Conditions...), r.Spec.RecoveryConditions...) {
		if e := errs[evaluate.SeriesName(r, c.Metric)]; e != "" && !seen[c.Metric] {
			seen[c.Metric] = true
			out = append(out, c.Metric+": "+e)
		}
	}
	return strings.Join(out, "; ")
}
