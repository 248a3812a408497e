package load

import (
	"fmt"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
)

// Merge adds the cluster's rules and templates (already checked, e.g. with Objects) to
// set, the rules loaded from files: a rule defined in both is an error (the files and
// the cluster would disagree about what it does), a template defined in both is the
// file's (the cluster's is left out). Rules and templates are appended in the order
// given. On error set is left as it was.
func Merge(set *Set, rules []*v1.NodeGuardianRule, tmpls []*v1.AlertTemplate) error {
	seen := make(map[string]bool, len(set.Rules)+len(set.Templates))
	for _, r := range set.Rules {
		seen["rule/"+r.Name] = true
	}
	for _, t := range set.Templates {
		seen["template/"+t.Name] = true
	}
	for _, r := range rules {
		if seen["rule/"+r.Name] {
			return fmt.Errorf("rule %q is both in the files and in the cluster", r.Name)
		}
	}
	set.Rules = append(set.Rules, rules...)
	for _, t := range tmpls {
		if seen["template/"+t.Name] {
			continue // a file's template overrides the cluster's
		}
		set.Templates = append(set.Templates, t)
	}
	return nil
}
