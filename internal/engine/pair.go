package engine

import (
	"fmt"
	"reflect"
	"sort"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/evaluate"
)

// EvaluatePair evaluates two versions of the rules over one fleet (`ngctl diff`): a
// rule that is the same in both (name, labels, annotations and defaulted spec) is
// evaluated once, its results shared by both evaluations, so that a change to a few
// rules costs little more than one evaluation. Each evaluation is the one Evaluate
// returns for its rules.
func EvaluatePair(base, head []*v1.NodeGuardianRule, baseTmpls, headTmpls []*v1.AlertTemplate, f *Fleet, opts Options) (*Evaluation, *Evaluation, error) {
	if opts.Now.IsZero() {
		return nil, nil, fmt.Errorf("engine: no evaluation time")
	}
	brs, err := prepareRules(base, opts.Rule, opts.RuleMayBeAbsent)
	if err != nil {
		return nil, nil, err
	}
	hrs, err := prepareRules(head, opts.Rule, opts.RuleMayBeAbsent)
	if err != nil {
		return nil, nil, err
	}
	byName := make(map[string]int, len(brs))
	for i, r := range brs {
		byName[r.Name] = i
	}
	union := append([]*v1.NodeGuardianRule(nil), brs...)
	at := make([]int, len(hrs)) // head rule i's results are union's at[i]
	for i, r := range hrs {
		if j, found := byName[r.Name]; found && sameRule(brs[j], r) {
			at[i] = j
			continue
		}
		at[i] = len(union)
		union = append(union, r)
	}
	nodes := append([]corev1.Node(nil), f.Nodes...)
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	results := evaluate.Evaluate(union, nodes, f.Data, evaluate.Options{
		Now: opts.Now, Interval: opts.Interval, Staleness: opts.Staleness,
	})
	headResults := make([]evaluate.RuleResult, len(hrs))
	for i, j := range at {
		headResults[i] = results[j]
		headResults[i].Rule = hrs[i]
	}
	return newEvaluation(brs, baseTmpls, nodes, results[:len(brs):len(brs)], opts),
		newEvaluation(hrs, headTmpls, nodes, headResults, opts), nil
}

// sameRule reports whether two defaulted rules evaluate alike: the same name, labels,
// annotations and spec.
func sameRule(a, b *v1.NodeGuardianRule) bool {
	return a.Name == b.Name && reflect.DeepEqual(a.Labels, b.Labels) &&
		reflect.DeepEqual(a.Annotations, b.Annotations) && reflect.DeepEqual(a.Spec, b.Spec)
}
