package plan

import (
	"cmp"
	"slices"
	"time"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/evaluate"
)

// timer is an instant after Now at which time alone may change what the rules do on a
// node: a pending duration completes, a cooldown ends, a notification repeat is due.
type timer struct {
	at         time.Time
	rule, node string
	why        string // "pending duration of rule X on node Y completes"
}

// addTimer records an instant that ends something time-bound; instants not after Now
// are ignored.
func (c *computer) addTimer(at time.Time, rule, node, why string) {
	if !at.After(c.now) {
		return
	}
	c.timers = append(c.timers, timer{at: at, rule: rule, node: node, why: why})
}

// pendingTimer records when the pending conditions of a trigger (what "pending") or of a
// recovery ("recovery") complete their durations: with AND when the last of them does,
// with OR when the first does. Conditions that are not pending are not completed by time
// alone and are not counted.
func (c *computer) pendingTimer(r *ruleInfo, node string, conds []evaluate.ConditionResult, logic v1.Logic, what string) {
	var left time.Duration
	found := false
	for i := range conds {
		d, ok := conds[i].Remaining()
		if !ok {
			continue
		}
		if !found || (logic == v1.LogicOr && d < left) || (logic != v1.LogicOr && d > left) {
			left, found = d, true
		}
	}
	if found {
		c.addTimer(c.now.Add(left), r.name, node, what+" duration of rule "+r.name+" on node "+node+" completes")
	}
}

// nextEvaluation is the earliest timer (ties: by rule, then node, then text), restricted
// to Input.Node when it is set.
func (c *computer) nextEvaluation() (timer, bool) {
	ts := c.timers
	if c.in.Node != "" {
		ts = slices.DeleteFunc(slices.Clone(ts), func(t timer) bool { return t.node != c.in.Node })
	}
	if len(ts) == 0 {
		return timer{}, false
	}
	return slices.MinFunc(ts, func(a, b timer) int {
		return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.rule, b.rule), cmp.Compare(a.node, b.node), cmp.Compare(a.why, b.why))
	}), true
}
