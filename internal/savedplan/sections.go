package savedplan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// sectionNames say in words what a top-level field of the plan's JSON form holds.
var sectionNames = map[string]string{
	"inputs": "inputs", "summary": "summary", "deferred": "deferrals", "warnings": "warnings",
	"rules": "rule status", "nextEvaluation": "next evaluation", "nextEvaluationReason": "next evaluation reason",
	"createdAt": "creation time", "expiresAt": "expiry",
}

// pluralSections are the section and change field names that take "differ".
var pluralSections = []string{"inputs", "deferrals", "warnings", "pods"}

// sectionDifferences names what differs between two plans whose decisions are the same:
// a change's details (its reason text, code, rule) by node and change, and the other
// parts of the JSON form (summary, inputs, deferrals, ...) by name. The file's plan ID
// in its text is read as now's (withNowID). alertText says alertTextDifferences named a
// difference in alert text: a change's alert is then not named again.
func sectionDifferences(saved, now *plan.Plan, alertText bool) []string {
	a, b := sections(saved), sections(now)
	var why, other []string
	for _, k := range slices.Sorted(maps.Keys(mergeKeys(a, b))) {
		if k == "id" || bytes.Equal(a[k], b[k]) {
			continue
		}
		if k == "nodes" {
			why = append(why, changeDifferences(saved, now, alertText)...)
			continue
		}
		name := sectionNames[k]
		if name == "" {
			name = k
		}
		other = append(other, name)
	}
	if len(other) > 0 {
		why = append(why, "the plan file's "+strings.Join(other, ", ")+differ(other)+" from the plan computed now")
	}
	return why
}

// differ is the verb for names: " differs" after one singular name, " differ" after
// several or a plural one ("inputs").
func differ(names []string) string {
	if len(names) == 1 && !slices.Contains(pluralSections, names[0]) {
		return " differs"
	}
	return " differ"
}

// changeDifferences names, for each change at the same place in both plans, the fields
// (of the JSON form) in which it differs: "reason", "code", ... (not "alert" when
// skipAlert). saved's plan ID in its fields is read as now's.
func changeDifferences(saved, now *plan.Plan, skipAlert bool) []string {
	var why []string
	for i, np := range saved.Nodes {
		if i >= len(now.Nodes) || now.Nodes[i].Node != np.Node {
			return append(why, "the plan file's nodes differ from the plan computed now")
		}
		other := now.Nodes[i]
		if len(other.Changes) != len(np.Changes) || other.ResourceVersion != np.ResourceVersion {
			why = append(why, fmt.Sprintf("node %s: the plan file's changes differ from the plan computed now", np.Node))
			continue
		}
		for j, c := range np.Changes {
			a, b := sections(c), sections(other.Changes[j])
			var fields []string
			for _, k := range slices.Sorted(maps.Keys(mergeKeys(a, b))) {
				if skipAlert && k == "alert" {
					continue
				}
				if saved.ID != "" && a != nil {
					a[k] = bytes.ReplaceAll(a[k], []byte(saved.ID), []byte(now.ID))
				}
				if !bytes.Equal(a[k], b[k]) {
					fields = append(fields, k)
				}
			}
			if len(fields) > 0 {
				why = append(why, fmt.Sprintf("node %s: %s: the plan file's %s%s from the plan computed now", np.Node, Decision(c), strings.Join(fields, ", "), differ(fields)))
			}
		}
	}
	if len(why) == 0 && len(saved.Nodes) != len(now.Nodes) {
		why = append(why, "the plan file's nodes differ from the plan computed now")
	}
	return why
}

// sections is v's JSON form as its top-level fields (none when it does not encode).
func sections(v any) map[string]json.RawMessage {
	var out map[string]json.RawMessage
	if data, err := json.Marshal(v); err == nil {
		_ = json.Unmarshal(data, &out)
	}
	return out
}

func mergeKeys(a, b map[string]json.RawMessage) map[string]json.RawMessage {
	m := maps.Clone(a)
	if m == nil {
		m = map[string]json.RawMessage{}
	}
	maps.Copy(m, b)
	return m
}
