package plan

import (
	"fmt"
	"time"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/alert"
	"github.com/nodeguardian/nodeguardian/internal/ledger"
)

// reconcilePass computes the changes of one set of decisions on one node: the real rules,
// then the dry-run rules against what the real ones leave.
type reconcilePass struct {
	c       *computer
	nw      *nodeWork
	state   nodeState
	decs    []decision
	holders []holder
	dry     bool
	managed map[effectItem]bool // owned by some ledger entry before the pass
	claims  map[effectItem]*effectClaim
	claimed []effectItem       // claim order
	listed  map[string]bool    // pods already listed by an eviction on this node
	pdbUsed map[*pdbInfo]int32 // disruptions the dry-run pass used
	reasons map[*decision]string
	changes []Change
	// pending are, by rule, the pods of its ledger's pending evictions still on the node
	// (retryEvictions), for its new ledger entry.
	pending map[string][]ledger.PendingEviction
}

// effectClaim is the desired value of one effect: the highest-priority Firing rule that
// wants it (winner), or a holder keeping what is on the node; owners share it.
type effectClaim struct {
	value  string
	winner *decision
	why    string     // a holder's why
	code   ReasonCode // a holder's code
	owners []*decision
}

// wins says who keeps the effect: a rule of higher priority (CodeConflict) or a holder.
func (cl *effectClaim) wins() (ReasonCode, string) {
	if cl.winner == nil {
		return cl.code, cl.why
	}
	return CodeConflict, fmt.Sprintf("rule %s (priority %d) wins", cl.winner.r.name, cl.winner.r.priority)
}

func (c *computer) newPass(nw *nodeWork, decs []decision, holders []holder, overlay map[effectItem]*string, dry bool) *reconcilePass {
	return &reconcilePass{
		c: c, nw: nw, state: nodeState{node: nw.node, overlay: overlay}, decs: decs, holders: holders, dry: dry,
		managed: map[effectItem]bool{}, claims: map[effectItem]*effectClaim{},
	}
}

func (p *reconcilePass) run() {
	mark := func(it effectItem, _ string) { p.managed[it] = true }
	for _, h := range p.holders {
		forEachOwned(h.entry, mark)
	}
	for i := range p.decs {
		if p.decs[i].old != nil {
			forEachOwned(p.decs[i].old, mark)
		}
	}
	for _, h := range p.holders {
		p.claimHolder(h)
	}
	for i := range p.decs {
		if p.decs[i].act.firingAfter() {
			p.claimWants(&p.decs[i])
		}
	}
	for _, it := range p.claimed {
		p.resolve(it, p.claims[it])
	}
	p.release()
	for i := range p.decs {
		p.transition(&p.decs[i])
	}
}

func (p *reconcilePass) emit(ch Change) {
	ch.DryRun = p.dry
	p.changes = append(p.changes, ch)
}

func (p *reconcilePass) node() string { return p.nw.node.Name }

// claimHolder keeps what a holder owns as it is on the node.
func (p *reconcilePass) claimHolder(h holder) {
	forEachOwned(h.entry, func(it effectItem, _ string) {
		cur, ok := p.state.get(it)
		if !ok || p.claims[it] != nil {
			return
		}
		p.claims[it] = &effectClaim{value: cur, why: h.why, code: h.code}
		p.claimed = append(p.claimed, it)
	})
}

// claimWants registers what a Firing rule wants; decisions come in priority order, so
// the first claim on an effect wins and a different later value is deferred.
func (p *reconcilePass) claimWants(d *decision) {
	for _, w := range d.r.wants {
		val := w.value
		if w.templated {
			val = p.annotationValue(d, w)
		}
		cl := p.claims[w.it]
		switch {
		case cl == nil:
			p.claims[w.it] = &effectClaim{value: val, winner: d, owners: []*decision{d}}
			p.claimed = append(p.claimed, w.it)
		case cl.value == val:
			cl.owners = append(cl.owners, d)
		default:
			code, why := cl.wins()
			p.c.postpone(d.r.name, p.node(), code, describeEffect(w.it)+": "+why, time.Time{})
		}
	}
}

// annotationValue renders a templated annotation when the rule fires; afterwards the
// ledger's value is the desired one, so plans stay stable. Annotation values are part of
// the plan ID, so they see no plan ID. A value that does not render is kept as written,
// with a warning.
func (p *reconcilePass) annotationValue(d *decision, w ruleWant) string {
	if d.act == actStay {
		if v, ok := ownedValue(d.old, w.it); ok {
			return v
		}
	}
	ctx := p.alertContext(d, "firing")
	v, err := alert.Render("annotation "+w.it.key, w.value, &ctx)
	if err != nil {
		p.c.warn(d.r.name, p.node(), CodeRenderFailed, err.Error()+"; the value is used as written")
		return w.value
	}
	return v
}

// resolve compares a claim with the node. Only what no ledger entry owns is unmanaged:
// it is never overwritten nor recorded as owned.
func (p *reconcilePass) resolve(it effectItem, cl *effectClaim) {
	if cl.winner == nil {
		p.own(it, cl)
		return
	}
	cur, present := p.state.get(it)
	if present && !p.managed[it] {
		for _, d := range cl.owners {
			p.c.warn(d.r.name, p.node(), CodeUnmanaged, unmanagedText(it))
		}
		return
	}
	p.own(it, cl)
	if present && cur == cl.value {
		return
	}
	code, reason := p.effectReason(cl, it, present)
	ch := Change{Op: OpAdd, Kind: it.kind, Key: it.key, Effect: it.effect, Value: cl.value, Rule: cl.winner.r.name,
		Code: code, Reason: reason, Drift: code == CodeDrift}
	if present {
		ch.Op, ch.Old = OpChange, cur
	}
	p.emit(ch)
}

func (p *reconcilePass) own(it effectItem, cl *effectClaim) {
	for _, d := range cl.owners {
		d.owned = append(d.owned, ownedEffect{it: it, value: cl.value})
	}
}

// effectReason: a new firing gives its trigger; an effect the ledger says the rule put
// on the node and that is gone or changed is drift.
func (p *reconcilePass) effectReason(cl *effectClaim, it effectItem, present bool) (ReasonCode, string) {
	w := cl.winner
	if w.act == actFire {
		return CodeFired, p.reason(w)
	}
	for _, d := range cl.owners {
		if d.act != actStay {
			continue
		}
		if was, ok := ownedValue(d.old, it); ok {
			if !present {
				return CodeDrift, "drift: removed outside NodeGuardian"
			}
			if was == cl.value {
				return CodeDrift, "drift: changed outside NodeGuardian"
			}
		}
	}
	return CodeFiring, "firing since " + stamp(w.old.Since)
}

// release removes what decided rules owned and no claim keeps: what a recovering rule
// put on the node, or what a Firing rule no longer wants.
func (p *reconcilePass) release() {
	var removed map[effectItem]bool
	for i := range p.decs {
		d := &p.decs[i]
		if d.old == nil {
			continue
		}
		forEachOwned(d.old, func(it effectItem, _ string) {
			if p.claims[it] != nil || removed[it] {
				return
			}
			cur, ok := p.state.get(it)
			if !ok {
				return
			}
			if removed == nil {
				removed = map[effectItem]bool{}
			}
			removed[it] = true
			code, reason := p.releaseReason(d)
			p.emit(Change{Op: OpRemove, Kind: it.kind, Key: it.key, Effect: it.effect, Old: cur, Rule: d.r.name, Code: code, Reason: reason})
		})
	}
}

func (p *reconcilePass) releaseReason(d *decision) (ReasonCode, string) {
	switch d.act {
	case actRecover:
		return CodeRecovered, p.reason(d)
	case actStay:
		return CodeActionRemoved, "no longer among the rule's actions"
	}
	return CodeNotFiring, "the rule is not firing"
}

// reason is the firing or recovery reason of a transition, formatted once.
func (p *reconcilePass) reason(d *decision) string {
	if s, ok := p.reasons[d]; ok {
		return s
	}
	s := firingReason(d.r, d.v)
	if d.act == actRecover {
		s = recoveryReason(d.r, d.v)
	}
	if p.reasons == nil {
		p.reasons = map[*decision]string{}
	}
	p.reasons[d] = s
	return s
}

// transition emits the state change and the one-shot effects of a transition.
func (p *reconcilePass) transition(d *decision) {
	switch d.act {
	case actFire:
		p.emit(Change{Op: OpChange, Kind: KindState, Rule: d.r.name, From: string(ledger.Healthy), To: string(ledger.Firing), Code: CodeFired, Reason: p.reason(d)})
		for _, es := range d.r.evicts {
			p.emit(Change{Op: OpAdd, Kind: KindEvict, Rule: d.r.name, Code: CodeFired, Reason: p.reason(d), Pods: p.evictPods(d.r.name, es),
				GracePeriodSeconds: es.grace, TimeoutSeconds: es.timeout})
		}
		for _, a := range d.r.alerts(ledger.EventFiring) {
			p.alert(d, a, "firing", nil, "", CodeFired)
		}
	case actRecover:
		p.emit(Change{Op: OpChange, Kind: KindState, Rule: d.r.name, From: string(ledger.Firing), To: string(ledger.Healthy), Code: CodeRecovered, Reason: p.reason(d)})
		for i := range d.r.spec.RecoveryActions {
			p.recoveryAction(d, &d.r.spec.RecoveryActions[i])
		}
	case actStay:
		p.retryEvictions(d)
		p.pendingAlerts(d, ledger.EventFiring)
	case actKeep:
		p.pendingAlerts(d, ledger.EventResolved)
	}
}

// recoveryAction: removals happen only for what the ledger says NodeGuardian applied
// (release did that); anything else it names is left alone with a Warning.
func (p *reconcilePass) recoveryAction(d *decision, a *v1.RecoveryAction) {
	var items []effectItem
	switch a.Type {
	case v1.RecoveryAlert:
		p.alert(d, a.Alert, "recovered", nil, "", CodeRecovered)
		return
	case v1.RecoveryRemoveTaint:
		if a.Taint != nil {
			items = p.state.taintItems(a.Taint.Key, string(a.Taint.Effect))
		}
	case v1.RecoveryRemoveLabel, v1.RecoveryRemoveAnnotation:
		kind, ref := KindLabel, a.Label
		if a.Type == v1.RecoveryRemoveAnnotation {
			kind, ref = KindAnnotation, a.Annotation
		}
		if ref != nil {
			for _, k := range ref.Keys {
				items = append(items, effectItem{kind: kind, key: k})
			}
		}
	case v1.RecoveryUncordon:
		items = []effectItem{{kind: KindCordon}}
	}
	for _, it := range items {
		if _, present := p.state.get(it); !present {
			continue
		}
		switch cl := p.claims[it]; {
		case !p.managed[it]:
			p.c.warn(d.r.name, p.node(), CodeUnmanaged, fmt.Sprintf("%s %s: not applied by NodeGuardian, left alone", a.Type, targetText(it)))
		case cl != nil && cl.winner == nil:
			p.c.warn(d.r.name, p.node(), cl.code, fmt.Sprintf("%s %s: %s; left alone", a.Type, targetText(it), cl.why))
		}
	}
}

func targetText(it effectItem) string {
	switch it.kind {
	case KindTaint:
		return it.key + ":" + it.effect
	case KindCordon:
		return "(node cordoned)"
	}
	return it.key
}
