package render

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
)

// TestFixturesSetEveryField makes sure the every-field fixtures, whose rendering the
// golden files pin down, set every field of every API struct reachable from a spec:
// a field added to the API fails here until the fixtures (and so the goldens) show it.
func TestFixturesSetEveryField(t *testing.T) {
	seen := map[string]bool{}
	all := map[string]bool{}
	markSet(reflect.ValueOf(everyFieldRule().Spec), seen, all)
	markSet(reflect.ValueOf(everyFieldTemplate().Spec), seen, all)
	var missing []string
	for f := range all {
		if !seen[f] {
			missing = append(missing, f)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("the every-field fixtures leave these fields unset:\n%s", strings.Join(missing, "\n"))
	}
	// Both forms of max_unhealthy are covered between the fixtures.
	if everyFieldRule().Spec.MaxUnhealthy.Type != intstr.String || minimalRule().Spec.MaxUnhealthy.Type != intstr.Int {
		t.Error("the fixtures should cover max_unhealthy as a string and as an integer")
	}
	for _, f := range []string{"Labels", "Annotations"} {
		if reflect.ValueOf(everyFieldRule().ObjectMeta).FieldByName(f).Len() == 0 {
			t.Errorf("everyFieldRule should set metadata.%s", strings.ToLower(f))
		}
	}
}

// markSet records, for every field of the structs reachable from v, whether some
// instance sets it (all lists every field met).
func markSet(v reflect.Value, seen, all map[string]bool) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			markSet(v.Elem(), seen, all)
		}
	case reflect.Slice:
		for i := range v.Len() {
			markSet(v.Index(i), seen, all)
		}
	case reflect.Struct:
		t := v.Type()
		if t.PkgPath() != reflect.TypeFor[v1.NodeGuardianRule]().PkgPath() && t.Name() != "LabelSelector" && t.Name() != "LabelSelectorRequirement" {
			return // Duration, IntOrString, JSON: leaves
		}
		for i := range t.NumField() {
			name := t.Name() + "." + t.Field(i).Name
			all[name] = true
			if !v.Field(i).IsZero() {
				seen[name] = true
			}
			markSet(v.Field(i), seen, all)
		}
	}
}
