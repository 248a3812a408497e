package load

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/intstr"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/redact"
)

// checker collects the diagnostics of the checks of one document.
type checker struct {
	d  *document
	ds Diagnostics
}

// errorf reports an error about the field at ptr, at its name when onKey.
func (c *checker) errorf(ptr string, onKey bool, format string, args ...any) {
	c.ds = append(c.ds, c.d.diag(Error, ptr, onKey, ptr, fmt.Sprintf(format, args...)))
}

// warnf reports a warning about the field at ptr, at its value.
func (c *checker) warnf(ptr string, format string, args ...any) {
	c.ds = append(c.ds, c.d.diag(Warning, ptr, false, ptr, fmt.Sprintf(format, args...)))
}

// checkBeforeDecode checks the values of a schema-valid rule that would make decoding
// fail: durations time.ParseDuration rejects and maxUnhealthy.
func checkBeforeDecode(d *document) Diagnostics {
	c := &checker{d: d}
	spec, _ := d.root["spec"].(map[string]any)
	if d.kind == kindTemplate {
		c.duration("/spec/repeatInterval", spec["repeatInterval"])
		return c.ds
	}
	if d.kind != kindRule {
		return nil
	}
	for _, list := range []string{"conditions", "recoveryConditions"} {
		items, _ := spec[list].([]any)
		for i, it := range items {
			m, _ := it.(map[string]any)
			c.duration(ptrJoin(ptrIndex("/spec/"+list, i), "duration"), m["duration"])
		}
	}
	mon, _ := spec["monitoring"].(map[string]any)
	c.duration("/spec/monitoring/checkInterval", mon["checkInterval"])
	c.minDuration("/spec/monitoring/checkInterval", mon["checkInterval"], time.Second)
	c.duration("/spec/monitoring/cooldownPeriod", mon["cooldownPeriod"])
	actions, _ := spec["actions"].([]any)
	for i, it := range actions {
		m, _ := it.(map[string]any)
		drain, _ := m["drain"].(map[string]any)
		c.duration(ptrIndex("/spec/actions", i)+"/drain/timeout", drain["timeout"])
	}
	if v, ok := spec["maxUnhealthy"]; ok {
		c.maxUnhealthy(v)
	}
	return c.ds
}

// duration checks a duration the schema's pattern accepted; "" means the default.
func (c *checker) duration(ptr string, v any) {
	s, ok := v.(string)
	if !ok || s == "" {
		return
	}
	if _, err := time.ParseDuration(s); err != nil {
		c.errorf(ptr, false, "%s: out of range (at most 2562047h)", strings.TrimPrefix(err.Error(), "time: "))
	}
}

// minDuration applies a CRD CEL rule "duration(self) >= min".
func (c *checker) minDuration(ptr string, v any, min time.Duration) {
	s, _ := v.(string)
	if d, err := time.ParseDuration(s); err == nil && d < min {
		c.errorf(ptr, false, "must be at least %s (got %q)", min, s)
	}
}

// maxUnhealthy applies the CRD's CEL rule, as v1.ValidateBudget: a non-negative integer
// or a percentage from 0% to 100% — not a count in a string ("3"), which --max-disruptive
// takes but the API server refuses.
func (c *checker) maxUnhealthy(v any) {
	ok := false
	switch x := v.(type) {
	case float64:
		if x > math.MaxInt32 && x == math.Trunc(x) {
			// Not the number: 99999999999999999999 is read as 1e20 (a float64).
			c.errorf("/spec/maxUnhealthy", false, `is too large: at most %d nodes (or a percentage from 0%% to 100%% such as "20%%")`, math.MaxInt32)
			return
		}
		ok = x >= 0 && x == math.Trunc(x)
	case string:
		ok = v1.ValidateBudget(intstr.FromString(x)) == nil
		if _, err := v1.ParseBudget(x); err == nil && !ok {
			c.errorf("/spec/maxUnhealthy", false, `must be a non-negative integer or a percentage from 0%% to 100%% such as "20%%" (got %s: write a count as a number, without quotes)`, jsonText(v))
			return
		}
	}
	if !ok {
		c.errorf("/spec/maxUnhealthy", false, `must be a non-negative integer or a percentage from 0%% to 100%% such as "20%%" (got %s)`, jsonText(v))
	}
}

// checkObject runs the per-object checks of a decoded object.
func checkObject(o object) Diagnostics {
	c := &checker{d: o.doc}
	if o.tmpl != nil {
		c.objectMeta(o.tmpl.Name, o.tmpl.Labels, o.tmpl.Annotations)
		c.templateText("/spec/subject", "subject", o.tmpl.Spec.Subject, false)
		c.templateText("/spec/body", "body", o.tmpl.Spec.Body, false)
		return c.ds
	}
	r := o.rule
	c.objectMeta(r.Name, r.Labels, r.Annotations)
	interval, dflt := r.Spec.Monitoring.CheckInterval.Duration, false
	if interval == 0 {
		interval, dflt = v1.DefaultCheckInterval, true
	}
	c.metricsSource(r.Spec.Monitoring.MetricsSource)
	c.conditions("/spec/conditions", r.Spec.Conditions, interval, dflt)
	c.conditions("/spec/recoveryConditions", r.Spec.RecoveryConditions, interval, dflt)
	if sel := r.Spec.NodeSelector; sel != nil {
		c.labels("/spec/nodeSelector/matchLabels", sel.MatchLabels)
		for i, e := range sel.MatchExpressions {
			c.requirement(ptrIndex("/spec/nodeSelector/matchExpressions", i), e.Key, e.Operator, e.Values, false)
		}
		for i, n := range sel.NodeNames {
			c.dnsSubdomain(ptrIndex("/spec/nodeSelector/nodeNames", i), "node name", n)
		}
	}
	for i := range r.Spec.Actions {
		c.action(ptrIndex("/spec/actions", i), &r.Spec.Actions[i])
	}
	set := settings(r.Spec.Actions)
	for i := range r.Spec.RecoveryActions {
		c.recoveryAction(ptrIndex("/spec/recoveryActions", i), &r.Spec.RecoveryActions[i], set)
	}
	return c.ds
}

func (c *checker) objectMeta(name string, labels, annotations map[string]string) {
	c.dnsSubdomain("/metadata/name", "name", name)
	c.labels("/metadata/labels", labels)
	c.annotationKeys("/metadata/annotations", annotations)
}

func (c *checker) conditions(ptr string, conds []v1.Condition, interval time.Duration, dflt bool) {
	for i, cond := range conds {
		p := ptrIndex(ptr, i)
		if !v1.IsBuiltinMetric(cond.Metric) && cond.Query == "" {
			msg := fmt.Sprintf("a custom metric needs a query (%q is not one of the built-in metrics %s)",
				cond.Metric, strings.Join(v1.BuiltinMetrics(), ", "))
			if s := suggest(cond.Metric, v1.BuiltinMetrics()); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			c.errorf(p+"/query", false, "%s", msg)
		}
		if d := cond.DurationValue(); d > 0 && d < interval {
			note := ""
			if dflt {
				note = " (the default)"
			}
			c.warnf(p+"/duration", "duration %s is shorter than the check interval %s%s; the condition is only checked every %s",
				d, interval, note, interval)
		}
	}
}

// member is one sub-object of an action: its name, whether it is set, and the type
// it belongs to.
type member struct {
	name, owner string
	set         bool
}

// oneOf applies the CRD's CEL rules that tie an action's sub-object to its type.
func (c *checker) oneOf(ptr, typ string, members []member, needs map[string]bool) {
	for _, m := range members {
		if m.owner == typ && needs[typ] && !m.set {
			c.errorf(ptr+"/"+m.name, false, "type %s needs %s %s object", typ, article(m.name), m.name)
		}
		if m.set && m.owner != typ {
			c.errorf(ptr+"/"+m.name, true, "%s is set but type is not %s", m.name, m.owner)
		}
	}
}

func article(word string) string {
	if strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

func (c *checker) action(p string, a *v1.Action) {
	c.oneOf(p, string(a.Type), []member{
		{"taint", "taint", a.Taint != nil}, {"label", "label", a.Label != nil},
		{"annotation", "annotation", a.Annotation != nil}, {"evict", "evict", a.Evict != nil},
		{"drain", "drain", a.Drain != nil}, {"cordon", "cordon", a.Cordon != nil},
		{"alert", "alert", a.Alert != nil},
	}, map[string]bool{"taint": true, "label": true, "annotation": true, "alert": true})
	if t := a.Taint; t != nil {
		if t.Key != "" { // absent: the default key
			c.qualifiedName(p+"/taint/key", "taint key", t.Key, false)
			c.reserved(p+"/taint/key", false, "taint", t.Key)
		}
		if t.Value != nil {
			c.value(p+"/taint/value", "taint", *t.Value)
		}
	}
	if a.Label != nil {
		c.labels(p+"/label/labels", a.Label.Labels)
		c.reservedKeys(p+"/label/labels", "label", slices.Sorted(maps.Keys(a.Label.Labels)), true)
	}
	if a.Annotation != nil {
		c.annotationKeys(p+"/annotation/annotations", a.Annotation.Annotations)
		c.reservedKeys(p+"/annotation/annotations", "annotation", slices.Sorted(maps.Keys(a.Annotation.Annotations)), true)
		c.annotationTemplates(p+"/annotation/annotations", a.Annotation.Annotations)
	}
	if e := a.Evict; e != nil {
		for i, ns := range e.ExcludeNamespaces {
			c.dnsLabel(ptrIndex(p+"/evict/excludeNamespaces", i), "namespace", ns)
		}
		if ps := e.PodSelector; ps != nil {
			c.labels(p+"/evict/podSelector/matchLabels", ps.MatchLabels)
			for i, r := range ps.MatchExpressions {
				c.requirement(ptrIndex(p+"/evict/podSelector/matchExpressions", i), r.Key, string(r.Operator), r.Values, true)
			}
		}
	}
	c.alert(p+"/alert", a.Alert)
}

func (c *checker) alert(p string, a *v1.AlertAction) {
	if a != nil && a.Template != "" {
		c.dnsSubdomain(p+"/template", "template name", a.Template)
	}
}

// keysSet are the taint, label and annotation keys a rule's actions set.
type keysSet struct{ taints, labels, annotations map[string]bool }

func settings(actions []v1.Action) keysSet {
	s := keysSet{taints: map[string]bool{}, labels: map[string]bool{}, annotations: map[string]bool{}}
	for _, a := range actions {
		if a.Taint != nil {
			key := a.Taint.Key
			if key == "" {
				key = v1.DefaultTaintKey
			}
			s.taints[key] = true
		}
		if a.Label != nil {
			for k := range a.Label.Labels {
				s.labels[k] = true
			}
		}
		if a.Annotation != nil {
			for k := range a.Annotation.Annotations {
				s.annotations[k] = true
			}
		}
	}
	return s
}

func (c *checker) recoveryAction(p string, a *v1.RecoveryAction, set keysSet) {
	c.oneOf(p, string(a.Type), []member{
		{"taint", "removeTaint", a.Taint != nil}, {"label", "removeLabel", a.Label != nil},
		{"annotation", "removeAnnotation", a.Annotation != nil}, {"uncordon", "uncordon", a.Uncordon != nil},
		{"alert", "alert", a.Alert != nil},
	}, map[string]bool{"removeTaint": true, "removeLabel": true, "removeAnnotation": true, "alert": true})
	if t := a.Taint; t != nil {
		c.qualifiedName(p+"/taint/key", "taint key", t.Key, false)
		c.reserved(p+"/taint/key", false, "taint", t.Key)
		if !set.taints[t.Key] && t.Key != "" {
			c.warnf(p+"/taint/key", "removes taint %q, which none of this rule's actions sets", t.Key)
		}
	}
	c.removedKeys(p+"/label/keys", "label", a.Label, set.labels)
	c.removedKeys(p+"/annotation/keys", "annotation", a.Annotation, set.annotations)
	c.alert(p+"/alert", a.Alert)
}

func (c *checker) removedKeys(ptr, what string, ref *v1.KeysRef, set map[string]bool) {
	if ref == nil {
		return
	}
	c.reservedKeys(ptr, what, ref.Keys, false)
	for i, k := range ref.Keys {
		p := ptrIndex(ptr, i)
		c.qualifiedName(p, what+" key", k, false)
		if !set[k] {
			c.warnf(p, "removes %s %q, which none of this rule's actions sets", what, k)
		}
	}
}

// reservedDomains names the reserved key domains in messages.
const reservedDomains = "kubernetes.io/ and k8s.io/ and their subdomains (node.kubernetes.io/, node-role.kubernetes.io/, nodeguardian.k8s.io/, ...)"

// reserved rejects a taint, label or annotation (what: a v1.KeyKind) key that
// NodeGuardian must never set, change or remove (v1.IsReservedKey).
func (c *checker) reserved(ptr string, onKey bool, what, key string) {
	if !v1.IsReservedKey(v1.KeyKind(what), key) {
		return
	}
	if v1.KeyKind(what) == v1.TaintKey {
		c.errorf(ptr, onKey, "%s key %q is reserved: NodeGuardian never sets, changes or removes keys under %s; of those only the taint %s may be used",
			what, key, reservedDomains, strings.Join(v1.AllowedReservedTaintKeys, ", "))
		return
	}
	c.errorf(ptr, onKey, "%s key %q is reserved: NodeGuardian never sets, changes or removes keys under %s (%s is allowed only as a taint)",
		what, key, reservedDomains, strings.Join(v1.AllowedReservedTaintKeys, ", "))
}

// reservedKeys applies reserved to the keys of a map (at each key, when inMap) or of a
// list (at each item).
func (c *checker) reservedKeys(ptr, what string, keys []string, inMap bool) {
	for i, k := range keys {
		p := ptrIndex(ptr, i)
		if inMap {
			p = ptrJoin(ptr, k)
		}
		c.reserved(p, inMap, what, k)
	}
}

// metricsSource rejects a Prometheus URL that is not an http(s) URL with a host and no
// "@" after it (redact.ParseBaseURL). The
// message shows the URL redacted: never the credentials it may hold.
func (c *checker) metricsSource(ms *v1.MetricsSource) {
	if ms == nil || ms.PrometheusURL == "" {
		return
	}
	if _, err := redact.ParseBaseURL(ms.PrometheusURL); err != nil {
		c.errorf(prometheusURLPtr, false, "%v", err)
	}
}
