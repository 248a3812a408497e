package load

import (
	"slices"
	"strings"

	"maps"

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
	if err != nil {
		c.errorf(ptr, false, "%s", err)
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
