package evaluate

import (
	"time"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/series"
)

// DefaultStaleness is how old the latest sample may be before a condition is Unknown.
const DefaultStaleness = 5 * time.Minute

// Verdict is the evaluation of one rule on one node it selects.
type Verdict struct {
	Rule     string
	Node     string
	Trigger  Tri
	Recovery Tri
	// Conditions and RecoveryConditions hold one result per condition, in rule order.
	// A rule without recovery conditions recovers when its trigger is False: Recovery is
	// then Not(Trigger) and RecoveryConditions is empty.
	Conditions         []ConditionResult
	RecoveryConditions []ConditionResult
}

// Pending reports whether the trigger is not yet true but some trigger condition is
// satisfied by the latest samples, waiting for its duration.
func (v *Verdict) Pending() bool {
	if v.Trigger == True {
		return false
	}
	for _, c := range v.Conditions {
		if c.Why == WhyPending || (c.Why == WhyNotCovered && c.HeldFor > 0) {
			return true
		}
	}
	return false
}

// Exclusion is a node a rule's selector matched but that was excluded, with why.
type Exclusion struct {
	Node   string
	Reason string
}

// RuleResult is the evaluation of one rule over the fleet.
type RuleResult struct {
	Rule     *v1.NodeGuardianRule
	Active   bool   // enabled and not suspended
	Inactive string // why not active: "disabled" or "suspended"
	Err      string // the selector could not be compiled
	Excluded []Exclusion
	Verdicts []Verdict // one per selected node, in node order
}

// Options carry the clock and limits of one evaluation.
type Options struct {
	Now       time.Time
	Interval  time.Duration // expected sample spacing; coverage allows gaps up to 2×Interval
	Staleness time.Duration // default DefaultStaleness
}

// Evaluate evaluates every rule on every node it selects. rules must be defaulted.
func Evaluate(rules []*v1.NodeGuardianRule, nodes []corev1.Node, data *series.Data, opts Options) []RuleResult {
	clk := Clock(opts)
	if clk.Staleness <= 0 {
		clk.Staleness = DefaultStaleness
	}
	if clk.Interval <= 0 {
		clk.Interval = 30 * time.Second
	}
	out := make([]RuleResult, len(rules))
	picks := make([][]int, len(rules))    // per rule: the indices of its selected nodes
	names := make([][]string, len(rules)) // per rule: its conditions' series (nil: their metrics)
	sel := selections{}
	for i, r := range rules {
		out[i], picks[i] = prepareRule(r, nodes, sel)
		names[i] = seriesNames(r)
	}
	// Evaluate node by node, every rule that selects the node in turn, so that the node's
	// samples are read while they are in cache: on large fleets this keeps time linear.
	type slot struct{ rule, verdict int }
	byNode := make([][]slot, len(nodes))
	for ri, idx := range picks {
		for k, ni := range idx {
			byNode[ni] = append(byNode[ni], slot{ri, k})
		}
	}
	for ni, slots := range byNode {
		if len(slots) == 0 {
			continue
		}
		name := nodes[ni].Name
		samples := nodeData(data, name)
		for _, sl := range slots {
			res := &out[sl.rule]
			v := &res.Verdicts[sl.verdict]
			*v = verdict(res.Rule, names[sl.rule], name, samples, data, clk, v.Conditions)
		}
	}
	return out
}

// prepareRule selects the rule's nodes and allocates its verdicts: one allocation for all
// verdicts and one for all their condition results (each verdict's Conditions is, until
// evaluated, the buffer its results go into).
func prepareRule(r *v1.NodeGuardianRule, nodes []corev1.Node, cache selections) (RuleResult, []int) {
	res := RuleResult{Rule: r, Active: r.Spec.Active()}
	if !res.Active {
		res.Inactive = "disabled"
		if r.Spec.Suspend {
			res.Inactive = "suspended"
		}
		return res, nil
	}
	sel, err := NewSelector(r.Spec.NodeSelector)
	if err != nil {
		res.Err = err.Error()
		return res, nil
	}
	picked := cache.of(sel, nodes)
	res.Excluded = append([]Exclusion(nil), picked.excluded...)
	per := len(r.Spec.Conditions) + len(r.Spec.RecoveryConditions)
	slab := make([]ConditionResult, len(picked.selected)*per)
	res.Verdicts = make([]Verdict, len(picked.selected))
	for k := range res.Verdicts {
		res.Verdicts[k].Conditions = slab[k*per : (k+1)*per : (k+1)*per]
	}
	return res, picked.selected
}

// nodeSet is which nodes one node selector selects and which it excludes.
type nodeSet struct {
	selected []int
	excluded []Exclusion
}

// selections caches selections by selector: rules often share one, and matching every
// node once per selector instead of once per rule keeps large fleets linear.
type selections map[string]*nodeSet

func (ss selections) of(s *Selector, nodes []corev1.Node) *nodeSet {
	key := s.Key()
	if got, ok := ss[key]; ok {
		return got
	}
	out := &nodeSet{}
	for i := range nodes {
		ok, why := s.Match(&nodes[i])
		switch {
		case ok:
			out.selected = append(out.selected, i)
		case why != "":
			out.excluded = append(out.excluded, Exclusion{Node: nodes[i].Name, Reason: why})
		}
	}
	ss[key] = out
	return out
}

// nodeData returns one node's samples by metric (nil when there are none).
func nodeData(data *series.Data, node string) map[string][]series.Sample {
	if data == nil {
		return nil
	}
	return data.Samples[node]
}

// verdict evaluates one rule on one node, writing condition results into buf
// (len(conditions)+len(recoveryConditions) long). names are the series its conditions
// and recovery conditions read (seriesNames; nil: their metrics).
func verdict(r *v1.NodeGuardianRule, names []string, node string, samples map[string][]series.Sample, data *series.Data, clk Clock, buf []ConditionResult) Verdict {
	s := &r.Spec
	v := Verdict{Rule: r.Name, Node: node}
	nc := len(s.Conditions)
	var condNames, recNames []string
	if names != nil {
		condNames, recNames = names[:nc], names[nc:]
	}
	v.Conditions, v.Trigger = conditions(s.Conditions, condNames, s.ConditionLogic, samples, data, clk, buf[:nc:nc])
	if len(s.RecoveryConditions) == 0 {
		v.Recovery = Not(v.Trigger)
		return v
	}
	v.RecoveryConditions, v.Recovery = conditions(s.RecoveryConditions, recNames, s.RecoveryConditionLogic, samples, data, clk, buf[nc:])
	return v
}

// conditions evaluates conditions combined by logic; names are the series they read
// (nil: their metrics).
func conditions(cs []v1.Condition, names []string, logic v1.Logic, samples map[string][]series.Sample, data *series.Data, clk Clock, results []ConditionResult) ([]ConditionResult, Tri) {
	out := True
	if logic == v1.LogicOr {
		out = False
	}
	for i := range cs {
		c := &cs[i]
		name := c.Metric
		if names != nil {
			name = names[i]
		}
		if msg, failed := sourceError(data, name); failed {
			results[i] = ConditionResult{Condition: c, Why: WhySourceError, Err: msg}
		} else {
			results[i] = Condition(c, samples[name], clk)
		}
		if logic == v1.LogicOr {
			out = Or(out, results[i].Result)
		} else {
			out = And(out, results[i].Result)
		}
	}
	return results, out
}

func sourceError(data *series.Data, metric string) (string, bool) {
	if data == nil {
		return "", false
	}
	msg, ok := data.Errors[metric]
	return msg, ok
}
