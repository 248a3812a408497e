package plan

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/evaluate"
	"github.com/nodeguardian/nodeguardian/internal/ledger"
)

// nodeWork is one node's ledger and the decisions of the rules about it.
type nodeWork struct {
	node    *corev1.Node
	led     *ledger.Ledger // nil: no ledger annotation
	raw     string         // the ledger annotation as found
	corrupt bool
	real    []decision // non-dry-run rules with a verdict on the node and something to do or remember
	dry     []decision // dry-run rules, likewise
	holders []holder   // ledger entries no rule decides about: left alone
}

// act is what a decision does to a rule's state on a node.
type act int8

const (
	actKeep    act = iota // Healthy and stays Healthy; the entry, if any, is kept as it is
	actStay               // Firing and stays Firing
	actFire               // Healthy → Firing
	actRecover            // Firing → Healthy
)

// firingAfter reports whether the rule is Firing after the decision.
func (a act) firingAfter() bool { return a == actStay || a == actFire }

// decision is one rule's state decision on one node.
type decision struct {
	r     *ruleInfo
	v     *evaluate.Verdict
	old   *ledger.Entry // the rule's ledger entry before the plan, nil if none
	act   act
	owned []ownedEffect // filled when the node is reconciled
}

// ownedEffect is an effect a rule owns after the plan, with its value.
type ownedEffect struct {
	it    effectItem
	value string
}

// holder is a ledger entry that no decision covers (rule not loaded, inactive, no longer
// selecting the node, in dry-run, ...): what it owns is left alone.
type holder struct {
	name  string
	entry *ledger.Entry
	why   string // "held by rule X, which is not loaded", used in Deferred reasons
	code  ReasonCode
}

// fireCandidate is a Healthy node whose trigger is True, waiting for the budget.
type fireCandidate struct {
	node int
	v    *evaluate.Verdict
	old  *ledger.Entry
	held time.Duration // how long the trigger has held: earliest firing first
}

func (nw *nodeWork) entry(rule string) *ledger.Entry {
	if nw.led == nil {
		return nil
	}
	return nw.led.Rules[rule]
}

func (nw *nodeWork) add(d decision) {
	if d.r.dryRun {
		nw.dry = append(nw.dry, d)
	} else {
		nw.real = append(nw.real, d)
	}
}

func (nw *nodeWork) decided(rule string) bool {
	has := func(d decision) bool { return d.r.name == rule }
	return slices.ContainsFunc(nw.real, has) || slices.ContainsFunc(nw.dry, has)
}

// readLedger parses a node's ledger once. A corrupt ledger owns nothing and the node is
// left alone; an entry with a time after Now (plus ledger.MaxClockSkew) is corrupt.
func (c *computer) readLedger(nw *nodeWork) {
	raw, ok := nw.node.Annotations[ledger.Annotation]
	if !ok || raw == "" {
		return
	}
	nw.raw = raw
	l, err := ledger.ReadAt(nw.node, c.now)
	if err != nil {
		nw.corrupt = true
		c.warn("", nw.node.Name, CodeLedgerCorrupt, fmt.Sprintf("corrupt ledger: %v; treating it as owning nothing, node left alone", err))
		return
	}
	nw.led = l
	for _, pr := range l.Problems {
		c.warn(pr.Rule, nw.node.Name, CodeLedgerCorrupt, "corrupt ledger entry: "+pr.Message+
			"; left alone (nothing it claims is changed and the rule does not act on this node) until a person fixes or deletes it")
	}
}

// corruptEntry reports whether the node's ledger holds a corrupt entry for the rule.
func (nw *nodeWork) corruptEntry(rule string) bool {
	if nw.led == nil {
		return false
	}
	_, bad := nw.led.Corrupt[rule]
	return bad
}

// decide makes every (rule, node) state decision: transitions, cooldown, flapping,
// blast-radius budgets.
func (c *computer) decide() {
	for _, r := range c.rules {
		c.decideRule(r)
	}
	c.findHolders()
	c.countHeld()
	for _, dry := range []bool{false, true} {
		for _, r := range c.rules {
			if r.dryRun == dry {
				c.admit(r)
			}
		}
	}
	byOrder := func(a, b decision) int { return cmp.Compare(a.r.order, b.r.order) }
	for i := range c.nodes {
		slices.SortStableFunc(c.nodes[i].real, byOrder)
		slices.SortStableFunc(c.nodes[i].dry, byOrder)
	}
}

func (c *computer) decideRule(r *ruleInfo) {
	res := r.res
	if !res.Active {
		return
	}
	if res.Err != "" {
		c.warn(r.name, "", CodeInvalidSelector, "rule skipped: "+res.Err)
		return
	}
	cursor := 0
	for i := range res.Verdicts {
		v := &res.Verdicts[i]
		ni := c.nodeIndex(v.Node, &cursor)
		if ni < 0 || c.nodes[ni].corrupt || c.nodes[ni].corruptEntry(r.name) {
			continue
		}
		nw := &c.nodes[ni]
		old := nw.entry(r.name)
		if old != nil && old.State == ledger.Firing {
			c.decideFiring(r, nw, v, old)
		} else {
			c.decideHealthy(r, ni, v, old)
		}
	}
}

// decideFiring: Firing → Healthy when Recovery is True, except at the instant it fired.
func (c *computer) decideFiring(r *ruleInfo, nw *nodeWork, v *evaluate.Verdict, old *ledger.Entry) {
	a := actStay
	switch v.Recovery {
	case evaluate.True:
		if old.Since.Equal(c.now) {
			c.postpone(r.name, v.Node, CodeSameInstant, "recovery waits for the next evaluation: fired at this instant ("+stamp(c.now)+")", time.Time{})
		} else {
			a = actRecover
		}
	case evaluate.Unknown:
		conds := v.RecoveryConditions
		if len(conds) == 0 {
			conds = v.Conditions
		}
		c.unknown(r, v.Node, conds)
	case evaluate.False:
		if len(v.RecoveryConditions) > 0 {
			c.pendingTimer(r, v.Node, v.RecoveryConditions, r.spec.RecoveryConditionLogic, "recovery")
		}
	}
	if a == actStay {
		r.firing++
	}
	nw.add(decision{r: r, v: v, old: old, act: a})
}

// decideHealthy: Healthy → Firing when the trigger is True, outside the cooldown and not
// at the instant the rule recovered; the budget is checked later, in admit.
func (c *computer) decideHealthy(r *ruleInfo, ni int, v *evaluate.Verdict, old *ledger.Entry) {
	switch v.Trigger {
	case evaluate.True:
		code, why, until := c.fireBlocked(r, v.Node, old)
		if why == "" {
			r.candidates = append(r.candidates, fireCandidate{node: ni, v: v, old: old, held: triggerHeld(r, v)})
			return
		}
		c.postpone(r.name, v.Node, code, why, until)
		if !until.IsZero() {
			c.addTimer(until, r.name, v.Node, "cooldown of rule "+r.name+" on node "+v.Node+" ends")
		}
	case evaluate.Unknown:
		c.unknown(r, v.Node, v.Conditions)
	}
	if v.Trigger != evaluate.True && v.Pending() {
		r.status.Pending = append(r.status.Pending, v.Node)
		c.pendingTimer(r, v.Node, v.Conditions, r.spec.ConditionLogic, "pending")
	}
	if old != nil {
		c.nodes[ni].add(decision{r: r, v: v, old: old, act: actKeep})
	}
}

// fireBlocked says why a rule whose trigger holds may not fire on the node now (a
// cooldown, with when it ends, a recovery at this instant, or evictions on a node whose
// pods the plan was not given), or "".
func (c *computer) fireBlocked(r *ruleInfo, node string, old *ledger.Entry) (ReasonCode, string, time.Time) {
	if len(r.evicts) > 0 && !c.podsRead(node) {
		return CodePodsNotRead, "firing waits for the next evaluation: the rule evicts and the node's pods were not read", time.Time{}
	}
	if old == nil {
		return "", "", time.Time{}
	}
	if old.LastFired != nil && r.cooldown > 0 {
		if until := old.LastFired.Add(r.cooldown); c.now.Before(until) {
			return CodeCooldownActive, "cooldown until " + stamp(until), until
		}
	}
	if old.Since.Equal(c.now) {
		return CodeSameInstant, "firing waits for the next evaluation: recovered at this instant (" + stamp(c.now) + ")", time.Time{}
	}
	return "", "", time.Time{}
}

// unknown records a (rule, node) whose decision is Unknown, with the Unknown conditions.
func (c *computer) unknown(r *ruleInfo, node string, conds []evaluate.ConditionResult) {
	r.status.Unknown = append(r.status.Unknown, node)
	var parts []string
	var code ReasonCode
	for i := range conds {
		if conds[i].Result == evaluate.Unknown {
			parts = append(parts, conds[i].Reason())
			if code == "" {
				code = unknownCode(conds[i].Why)
			}
		}
	}
	c.warn(r.name, node, code, strings.Join(parts, "; "))
}

// unknownCode is the warning code of a condition that is Unknown.
func unknownCode(why evaluate.Why) ReasonCode {
	switch why {
	case evaluate.WhyNoData:
		return CodeMetricMissing
	case evaluate.WhyStale:
		return CodeMetricStale
	case evaluate.WhySourceError:
		return CodeMetricError
	}
	return CodeMetricIncomplete
}

// triggerHeld is how long the trigger has held: with AND since the last condition became
// true (the shortest HeldFor), with OR since the first (the longest of the true ones).
func triggerHeld(r *ruleInfo, v *evaluate.Verdict) time.Duration {
	or := r.spec.ConditionLogic == v1.LogicOr
	held, first := time.Duration(0), true
	for i := range v.Conditions {
		cr := &v.Conditions[i]
		if cr.Result != evaluate.True {
			continue
		}
		if first || (or && cr.HeldFor > held) || (!or && cr.HeldFor < held) {
			held, first = cr.HeldFor, false
		}
	}
	return held
}

// findHolders collects the ledger entries no decision covers and warns about them.
func (c *computer) findHolders() {
	for i := range c.nodes {
		nw := &c.nodes[i]
		if nw.led == nil {
			continue
		}
		for _, name := range sortedKeys(nw.led.Rules) {
			e := nw.led.Rules[name]
			if e == nil || nw.decided(name) {
				continue
			}
			h := holder{name: name, entry: e, why: c.holderWhy(name, e, nw.node.Name), code: CodeEffectHeld}
			nw.holders = append(nw.holders, h)
			if r := c.byName[name]; r != nil && e.State == ledger.Firing {
				r.firing++
			}
		}
	}
}

func (c *computer) holderWhy(name string, e *ledger.Entry, node string) string {
	r := c.byName[name]
	switch {
	case r == nil:
		if !c.in.PartialRules && (e.State == ledger.Firing || ownsAnything(e)) {
			c.warn(name, node, CodeRuleNotLoaded, "rule "+name+" is not loaded; its effects are left alone")
		}
		return "held by rule " + name + ", which is not loaded"
	case !r.res.Active:
		return "held by rule " + name + ", which is " + r.res.Inactive
	case r.res.Err != "":
		return "held by rule " + name + ", whose selector is invalid"
	}
	if e.State == ledger.Firing {
		c.warn(name, node, CodeNotSelected, "node is no longer selected by the rule while it is Firing; its effects are left alone")
	}
	return "held by rule " + name + ", which no longer selects the node"
}

func ownsAnything(e *ledger.Entry) bool {
	return len(e.Taints) > 0 || len(e.Labels) > 0 || len(e.Annotations) > 0 || e.Cordon
}

// countHeld counts the nodes held under disruptive effects after recoveries, before any
// new firing.
func (c *computer) countHeld() {
	g := &c.global
	for i := range c.nodes {
		nw := &c.nodes[i]
		held := false
		for _, d := range nw.real {
			held = held || (d.act == actStay && d.r.disruptive)
		}
		for _, d := range nw.dry { // dry-run rules never change what is on the node
			held = held || (d.old != nil && d.old.State == ledger.Firing && c.entryDisruptive(d.r.name, d.old))
		}
		for _, h := range nw.holders {
			held = held || (h.entry.State == ledger.Firing && c.entryDisruptive(h.name, h.entry))
		}
		// A corrupt entry might hold the node under anything: count it, so that budgets
		// err towards less disruption.
		held = held || (nw.led != nil && len(nw.led.Corrupt) > 0)
		if held {
			g.held[i] = true
			g.count++
		}
	}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
