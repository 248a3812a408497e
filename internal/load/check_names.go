package load

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// sortedKeys returns the keys of m in order, so that diagnostics are stable.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// labels checks label keys (qualified names) and values.
func (c *checker) labels(ptr string, m map[string]string) {
	for _, k := range sortedKeys(m) {
		p := ptrJoin(ptr, k)
		c.qualifiedName(p, "label key", k, true)
		c.value(p, "label", m[k])
	}
}

// annotationKeys checks that annotation keys are qualified names.
func (c *checker) annotationKeys(ptr string, m map[string]string) {
	for _, k := range sortedKeys(m) {
		c.qualifiedName(ptrJoin(ptr, k), "annotation key", k, true)
	}
}

func (c *checker) qualifiedName(ptr, what, s string, onKey bool) {
	if errs := validation.IsQualifiedName(s); len(errs) > 0 {
		c.errorf(ptr, onKey, "invalid %s %q: %s", what, s, strings.Join(errs, "; "))
	}
}

// value checks a label or taint value, which may not hold templates.
func (c *checker) value(ptr, what, s string) {
	if strings.Contains(s, "{{") {
		c.errorf(ptr, false, "%s values cannot hold templates (%q can never be a valid %s value); use an annotation instead", what, s, what)
		return
	}
	if errs := validation.IsValidLabelValue(s); len(errs) > 0 {
		c.errorf(ptr, false, "invalid %s value %q: %s", what, s, strings.Join(errs, "; "))
	}
}

func (c *checker) dnsSubdomain(ptr, what, s string) {
	if errs := validation.IsDNS1123Subdomain(s); len(errs) > 0 {
		c.errorf(ptr, false, "invalid %s %q: %s", what, s, strings.Join(errs, "; "))
	}
}

func (c *checker) dnsLabel(ptr, what, s string) {
	if errs := validation.IsDNS1123Label(s); len(errs) > 0 {
		c.errorf(ptr, false, "invalid %s %q: %s", what, s, strings.Join(errs, "; "))
	}
}

// requirement checks one label requirement of a node selector (operators In, NotIn,
// Exists, DoesNotExist, Gt, Lt) or of a pod selector (no Gt and Lt).
func (c *checker) requirement(ptr, key, op string, values []string, podSelector bool) {
	c.qualifiedName(ptr+"/key", "label key", key, false)
	vptr := ptr + "/values"
	switch op {
	case "In", "NotIn":
		if len(values) == 0 {
			c.errorf(vptr, false, "operator %s needs at least one value", op)
		}
		for i, v := range values {
			c.value(ptrIndex(vptr, i), "label", v)
		}
	case "Exists", "DoesNotExist":
		if len(values) > 0 {
			c.errorf(vptr, false, "operator %s takes no values (got %d)", op, len(values))
		}
	case "Gt", "Lt":
		if podSelector {
			c.errorf(ptr+"/operator", false, "must be one of In, NotIn, Exists, DoesNotExist (got %q)", op)
			return
		}
		if len(values) != 1 || !isInteger(values[0]) {
			c.errorf(vptr, false, "operator %s needs exactly one integer value (got %s)", op, quoteList(values))
		}
	default:
		c.errorf(ptr+"/operator", false, "must be one of In, NotIn, Exists, DoesNotExist (got %q)", op)
	}
}

func isInteger(s string) bool {
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

func quoteList(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = strconv.Quote(v)
	}
	return fmt.Sprintf("[%s]", strings.Join(q, ", "))
}
