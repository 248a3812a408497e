package metrics

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// checkRequest rejects requests no source can answer.
func checkRequest(req Request) error {
	if req.Now.IsZero() {
		return errors.New("metrics request: no evaluation time (Now)")
	}
	if req.Step <= 0 {
		return errors.New("metrics request: step must be positive")
	}
	return nil
}

// mergeNeeds folds the Needs of one metric into one (with the longest window) when they
// read the same source with the same query: key says which (source and query) a Need
// reads, show how to name its source. Samples are keyed by metric name, so a metric
// needed from two sources, or with two queries, cannot be told apart: it is returned in
// conflicts (metric → why) instead, and its conditions are Unknown.
func mergeNeeds(needs []Need, key, show func(Need) string) (merged []Need, conflicts map[string]string) {
	idx := map[string]int{}
	keys := map[string]string{}
	sources := map[string][]string{}
	for _, n := range needs {
		k := key(n)
		if s := show(n); !contains(sources[n.Metric], s) {
			sources[n.Metric] = append(sources[n.Metric], s)
		}
		i, seen := idx[n.Metric]
		switch {
		case !seen:
			idx[n.Metric], keys[n.Metric] = len(merged), k
			merged = append(merged, n)
		case keys[n.Metric] == k:
			merged[i].Window = max(merged[i].Window, n.Window)
		default:
			if conflicts == nil {
				conflicts = map[string]string{}
			}
			conflicts[n.Metric] = ""
		}
	}
	if len(conflicts) == 0 {
		return merged, nil
	}
	out := merged[:0]
	for _, n := range merged {
		if _, bad := conflicts[n.Metric]; !bad {
			out = append(out, n)
			continue
		}
		how := "with two different queries"
		if s := sources[n.Metric]; len(s) > 1 {
			sort.Strings(s)
			how = "from " + strings.Join(s, " and ")
		}
		conflicts[n.Metric] = fmt.Sprintf("rules read it %s; samples are keyed by metric name, so they cannot be told apart: "+
			"read it from one Prometheus, or give one rule's condition another metric name with its own query", how)
	}
	return out, conflicts
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
