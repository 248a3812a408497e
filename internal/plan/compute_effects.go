package plan

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/nodeguardian/nodeguardian/internal/ledger"
)

// nodeState answers what is on a node, optionally with planned changes laid over it
// (the dry-run pass sees the node as the real changes leave it).
type nodeState struct {
	node    *corev1.Node
	overlay map[effectItem]*string // nil value: removed
}

func (s *nodeState) get(it effectItem) (string, bool) {
	if v, ok := s.overlay[it]; ok {
		if v == nil {
			return "", false
		}
		return *v, true
	}
	n := s.node
	switch it.kind {
	case KindTaint:
		for i := range n.Spec.Taints {
			if t := &n.Spec.Taints[i]; t.Key == it.key && string(t.Effect) == it.effect {
				return t.Value, true
			}
		}
	case KindLabel:
		v, ok := n.Labels[it.key]
		return v, ok
	case KindAnnotation:
		v, ok := n.Annotations[it.key]
		return v, ok
	case KindCordon:
		return "", n.Spec.Unschedulable
	}
	return "", false
}

// taintItems lists the taints on the node with key, and with effect when it is not "".
func (s *nodeState) taintItems(key, effect string) []effectItem {
	var out []effectItem
	seen := map[effectItem]bool{}
	try := func(it effectItem) {
		if it.kind != KindTaint || it.key != key || (effect != "" && it.effect != effect) || seen[it] {
			return
		}
		seen[it] = true
		if _, ok := s.get(it); ok {
			out = append(out, it)
		}
	}
	for _, t := range s.node.Spec.Taints {
		try(effectItem{kind: KindTaint, key: t.Key, effect: string(t.Effect)})
	}
	for it := range s.overlay {
		try(it)
	}
	return out
}

// overlayOf is what changes leave on a node, as an overlay.
func overlayOf(changes []Change) map[effectItem]*string {
	m := map[effectItem]*string{}
	for i := range changes {
		ch := &changes[i]
		switch ch.Kind {
		case KindTaint, KindLabel, KindAnnotation, KindCordon:
		default:
			continue
		}
		it := effectItem{kind: ch.Kind, key: ch.Key, effect: ch.Effect}
		if ch.Op == OpRemove {
			m[it] = nil
		} else {
			v := ch.Value
			m[it] = &v
		}
	}
	return m
}

// forEachOwned calls f for every effect a ledger entry says its rule applied.
func forEachOwned(e *ledger.Entry, f func(it effectItem, value string)) {
	for _, t := range e.Taints {
		f(effectItem{kind: KindTaint, key: t.Key, effect: string(t.Effect)}, t.Value)
	}
	for k, v := range e.Labels {
		f(effectItem{kind: KindLabel, key: k}, v)
	}
	for k, v := range e.Annotations {
		f(effectItem{kind: KindAnnotation, key: k}, v)
	}
	if e.Cordon {
		f(effectItem{kind: KindCordon}, "")
	}
}

// ownedValue is the value a ledger entry says its rule applied for it.
func ownedValue(e *ledger.Entry, it effectItem) (string, bool) {
	if e == nil {
		return "", false
	}
	switch it.kind {
	case KindTaint:
		for _, t := range e.Taints {
			if t.Key == it.key && string(t.Effect) == it.effect {
				return t.Value, true
			}
		}
	case KindLabel:
		v, ok := e.Labels[it.key]
		return v, ok
	case KindAnnotation:
		v, ok := e.Annotations[it.key]
		return v, ok
	case KindCordon:
		return "", e.Cordon
	}
	return "", false
}

// describeEffect names an effect the way reasons and warnings do:
// "taint nodeguardian/x:NoSchedule", "label k", "annotation k", "cordon".
func describeEffect(it effectItem) string {
	switch it.kind {
	case KindTaint:
		return "taint " + it.key + ":" + it.effect
	case KindCordon:
		return "cordon"
	}
	return string(it.kind) + " " + it.key
}

func unmanagedText(it effectItem) string {
	if it.kind == KindCordon {
		return "node already cordoned outside NodeGuardian, left alone"
	}
	return "unmanaged " + describeEffect(it) + " already on the node, left alone"
}

// newEntry is a rule's ledger entry after the plan.
func (c *computer) newEntry(d *decision) *ledger.Entry {
	switch d.act {
	case actKeep:
		return cloneEntry(d.old)
	case actRecover:
		return &ledger.Entry{State: ledger.Healthy, Since: c.now, LastFired: cloneTime(d.old.LastFired),
			Notified: c.notifiedFor(d.r, ledger.EventResolved)}
	}
	e := &ledger.Entry{State: ledger.Firing, Since: c.now, LastFired: cloneTime(&c.now), Notified: c.notifiedFor(d.r, ledger.EventFiring)}
	if d.act == actStay {
		e.Since, e.LastFired, e.Notified = d.old.Since, cloneTime(d.old.LastFired), d.old.Notified.Clone()
	}
	for _, o := range d.owned {
		switch o.it.kind {
		case KindTaint:
			e.Taints = append(e.Taints, corev1.Taint{Key: o.it.key, Value: o.value, Effect: corev1.TaintEffect(o.it.effect)})
		case KindLabel:
			if e.Labels == nil {
				e.Labels = map[string]string{}
			}
			e.Labels[o.it.key] = o.value
		case KindAnnotation:
			if e.Annotations == nil {
				e.Annotations = map[string]string{}
			}
			e.Annotations[o.it.key] = o.value
		case KindCordon:
			e.Cordon = true
		}
	}
	return e
}

func cloneEntry(e *ledger.Entry) *ledger.Entry {
	c := *e
	c.Taints = append([]corev1.Taint(nil), e.Taints...)
	c.LastFired = cloneTime(e.LastFired)
	c.Notified = e.Notified.Clone()
	return &c
}

func cloneTime[T any](t *T) *T {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

// reconcileNodes turns the decisions into each node's changes and new ledger.
func (c *computer) reconcileNodes() {
	for i := range c.nodes {
		nw := &c.nodes[i]
		if nw.corrupt || (nw.led == nil && len(nw.real) == 0 && len(nw.dry) == 0) {
			continue
		}
		c.reconcileNode(nw)
	}
}

func (c *computer) reconcileNode(nw *nodeWork) {
	holders := nw.holders
	if len(nw.dry) > 0 { // a dry-run rule never changes its ledger entry: real rules leave it alone
		holders = slices.Clone(holders)
		for _, d := range nw.dry {
			if d.old != nil {
				holders = append(holders, holder{name: d.r.name, entry: d.old, why: "held by rule " + d.r.name + ", which is in dry-run mode", code: CodeEffectHeld})
			}
		}
	}
	rp := c.newPass(nw, nw.real, holders, nil, false)
	rp.run()
	l1 := &ledger.Ledger{Version: ledger.Version, Rules: make(map[string]*ledger.Entry, len(holders)+len(nw.real))}
	for _, h := range holders {
		l1.Rules[h.name] = cloneEntry(h.entry)
	}
	for i := range nw.real {
		e := c.newEntry(&nw.real[i])
		if e.State == ledger.Firing {
			e.Evictions = pendingEvictions(nw.real[i].r.name, nw.real[i].old, rp.changes, rp.pending)
		}
		l1.Rules[nw.real[i].r.name] = e
	}
	if nw.led != nil {
		l1.Corrupt = nw.led.Corrupt // kept verbatim until a person fixes them
	}
	changes := rp.changes
	if ch, ok := ledgerChange(nw, l1); ok {
		changes = append(changes, ch)
	}
	if len(nw.dry) > 0 {
		dp := c.newPass(nw, nw.dry, c.dryHolders(nw, l1), overlayOf(rp.changes), true)
		dp.run()
		changes = append(changes, dp.changes...)
	}
	c.recordFiring(nw, l1)
	if len(changes) > 0 {
		sortChanges(changes)
		c.out = append(c.out, NodePlan{Node: nw.node.Name, ResourceVersion: nw.node.ResourceVersion, Changes: changes})
	}
}

// dryHolders are the entries of the new ledger the dry-run rules do not decide about;
// real rules that fire there win every conflict with dry-run rules.
func (c *computer) dryHolders(nw *nodeWork, l1 *ledger.Ledger) []holder {
	var hs []holder
	for _, name := range sortedKeys(l1.Rules) {
		if containsRule(nw.dry, name) {
			continue
		}
		h := holder{name: name, entry: l1.Rules[name]}
		if r := c.byName[name]; r != nil && containsRule(nw.real, name) {
			h.why, h.code = fmt.Sprintf("rule %s (priority %d) wins", name, r.priority), CodeConflict
		}
		for _, o := range nw.holders {
			if o.name == name {
				h.why, h.code = o.why, o.code
			}
		}
		hs = append(hs, h)
	}
	return hs
}

func containsRule(ds []decision, name string) bool {
	for i := range ds {
		if ds[i].r.name == name {
			return true
		}
	}
	return false
}

// ledgerChange is the KindLedger change when the new canonical ledger differs from the
// node's annotation.
func ledgerChange(nw *nodeWork, l1 *ledger.Ledger) (Change, bool) {
	enc := l1.Encode()
	if enc == nw.raw {
		return Change{}, false
	}
	ch := Change{Op: OpChange, Kind: KindLedger, Key: ledger.Annotation, Value: enc, Old: nw.raw, Code: CodeLedger, Reason: "ownership ledger"}
	switch {
	case nw.raw == "":
		ch.Op = OpAdd
	case enc == "":
		ch.Op = OpRemove
	}
	return ch, true
}

// recordFiring lists the node under every rule Firing there after the plan.
func (c *computer) recordFiring(nw *nodeWork, l1 *ledger.Ledger) {
	for name, e := range l1.Rules {
		r := c.byName[name]
		if r == nil || e.State != ledger.Firing || containsRule(nw.dry, name) {
			continue
		}
		r.status.Firing = append(r.status.Firing, nw.node.Name)
	}
	for i := range nw.dry {
		if nw.dry[i].act.firingAfter() {
			nw.dry[i].r.status.Firing = append(nw.dry[i].r.status.Firing, nw.node.Name)
		}
	}
}
