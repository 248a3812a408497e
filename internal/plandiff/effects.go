package plandiff

import (
	"cmp"
	"reflect"
	"slices"
	"strings"

	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// kindOrder is the order effects of one node are listed in: as a plan applies them.
func kindOrder(k plan.Kind) int {
	switch k {
	case plan.KindState:
		return 0
	case plan.KindTaint:
		return 1
	case plan.KindLabel:
		return 2
	case plan.KindAnnotation:
		return 3
	case plan.KindCordon:
		return 4
	case plan.KindEvict:
		return 5
	case plan.KindAlert:
		return 6
	}
	return 7
}

// effectID identifies an effect on a node in both plans.
type effectID struct {
	node string
	kind plan.Kind
	op   plan.Op
	key  string // effectKey, or the pod of an eviction
	rule string // evictions only: each rule's eviction of a pod is its own
}

// effects lists a plan's effects by identity: every change but the ledger's, an
// eviction split into one change per pod.
func effects(p *plan.Plan) map[effectID]*plan.Change {
	n := 0
	for i := range p.Nodes {
		n += len(p.Nodes[i].Changes)
	}
	out := make(map[effectID]*plan.Change, n)
	for i := range p.Nodes {
		node := &p.Nodes[i]
		for j := range node.Changes {
			c := &node.Changes[j]
			switch c.Kind {
			case plan.KindLedger:
				continue
			case plan.KindEvict:
				for _, pod := range c.Pods {
					one := *c
					one.Pods = []plan.PodEviction{pod}
					out[effectID{node.Node, c.Kind, c.Op, pod.Namespace + "/" + pod.Name, c.Rule}] = &one
				}
				continue
			}
			out[effectID{node.Node, c.Kind, c.Op, effectKey(c), ""}] = c
		}
	}
	return out
}

// effectKey is what tells a node's changes of one kind apart: a taint's key and effect,
// a label's or annotation's key, an alert's rule and event, a state's rule. Taints,
// labels, annotations and cordons are the node's whatever rule wants them.
func effectKey(c *plan.Change) string {
	switch c.Kind {
	case plan.KindTaint:
		return c.Key + ":" + c.Effect
	case plan.KindAlert:
		event := ""
		if c.Alert != nil {
			event = c.Alert.Event
		}
		return c.Rule + "/" + event
	case plan.KindState:
		return c.Rule
	}
	return c.Key
}

// sameEffect reports whether two changes with one identity do the same: the reason,
// for node-level changes the rule that wants them, and in an alert the ID of the plan
// that sends it (aID, bID) do not count.
func sameEffect(a, b *plan.Change, aID, bID string) bool {
	if a.Value != b.Value || a.Old != b.Old || a.Effect != b.Effect || a.Drift != b.Drift || a.DryRun != b.DryRun ||
		a.From != b.From || a.To != b.To || !slices.Equal(a.Pods, b.Pods) {
		return false
	}
	if (a.Kind == plan.KindAlert || a.Kind == plan.KindEvict || a.Kind == plan.KindState) && a.Rule != b.Rule {
		return false
	}
	if (a.Alert == nil) != (b.Alert == nil) {
		return false
	}
	if a.Alert == nil {
		return true
	}
	x, y := a.Alert, b.Alert
	return x.Event == y.Event && x.Template == y.Template && slices.Equal(x.Channels, y.Channels) &&
		equalButID(x.Subject, y.Subject, aID, bID) && equalButID(x.Body, y.Body, aID, bID)
}

// equalButID reports whether a and b are the same text but for the plan ID each holds
// (aID in a where bID is in b).
func equalButID(a, b, aID, bID string) bool {
	if a == b || aID == "" || bID == "" {
		return a == b
	}
	for {
		i, j := strings.Index(a, aID), strings.Index(b, bID)
		if i < 0 || j < 0 {
			return i < 0 && j < 0 && a == b
		}
		if a[:i] != b[:j] {
			return false
		}
		a, b = a[i+len(aID):], b[j+len(bID):]
	}
}

// compareEffects lists the effects that differ, by node, rule, kind (in the order a
// plan applies them), key and op.
func compareEffects(base, head *plan.Plan) []Effect {
	be, he := effects(base), effects(head)
	out := []Effect{}
	for id, h := range he {
		b, ok := be[id]
		switch {
		case !ok:
			out = append(out, newEffect(EffectAdded, id, nil, h))
		case !sameEffect(b, h, base.ID, head.ID):
			out = append(out, newEffect(EffectChanged, id, b, h))
		}
	}
	for id, b := range be {
		if _, ok := he[id]; !ok {
			out = append(out, newEffect(EffectRemoved, id, b, nil))
		}
	}
	slices.SortFunc(out, func(x, y Effect) int {
		return cmp.Or(cmp.Compare(x.Node, y.Node), cmp.Compare(x.Rule, y.Rule), cmp.Compare(kindOrder(x.Kind), kindOrder(y.Kind)),
			cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.Key, y.Key), cmp.Compare(x.Op, y.Op),
			cmp.Compare(x.Type, y.Type))
	})
	return out
}

func newEffect(t Type, id effectID, base, head *plan.Change) Effect {
	e := Effect{Type: t, Node: id.node, Kind: id.kind, Op: id.op, Key: id.key, Base: clone(base), Head: clone(head)}
	c := head
	if c == nil {
		c = base
	}
	e.Rule, e.DryRun = c.Rule, c.DryRun
	for _, ch := range []*plan.Change{e.Base, e.Head} {
		if ch != nil && ch.Alert != nil && ch.Alert.Channels == nil {
			a := *ch.Alert
			a.Channels = []string{}
			ch.Alert = &a
		}
	}
	return e
}

// clone copies a change (nil stays nil), so that the diff does not share the plans'.
func clone(c *plan.Change) *plan.Change {
	if c == nil {
		return nil
	}
	cp := *c
	return &cp
}

// deferralKey identifies a deferred item in both plans: its rule, node and reason code
// (not its text, which counts nodes: "2 of 10").
func deferralKey(d plan.Deferred) string {
	return d.Rule + "\x00" + d.Node + "\x00" + string(d.Code)
}

// isBudget reports whether a deferral is by a budget: a rule's maxUnhealthy or the
// global max-disruptive limit.
func isBudget(d plan.Deferred) bool {
	return d.Code == plan.CodeRuleBudget || d.Code == plan.CodeGlobalBudget
}

// compareDeferrals lists the deferred items only one plan has, removed ones first.
func compareDeferrals(base, head []plan.Deferred) []Deferral {
	out := []Deferral{}
	add := func(t Type, from, other []plan.Deferred) {
		in := map[string]bool{}
		for _, d := range other {
			in[deferralKey(d)] = true
		}
		for _, d := range from {
			if !in[deferralKey(d)] {
				out = append(out, Deferral{Type: t, Deferred: d, Budget: isBudget(d)})
			}
		}
	}
	add(DeferralRemoved, base, head)
	add(DeferralAdded, head, base)
	slices.SortStableFunc(out, func(x, y Deferral) int {
		return cmp.Or(cmp.Compare(x.Deferred.Rule, y.Deferred.Rule), cmp.Compare(x.Deferred.Node, y.Deferred.Node))
	})
	return out
}

// compareRules lists the rules whose view of the fleet differs, by name.
func compareRules(base, head []plan.RuleStatus) []RuleDelta {
	bm := map[string]plan.RuleStatus{}
	for _, r := range base {
		bm[r.Name] = r
	}
	hm := map[string]plan.RuleStatus{}
	for _, r := range head {
		hm[r.Name] = r
	}
	var names []string
	for n := range bm {
		names = append(names, n)
	}
	for n := range hm {
		if _, ok := bm[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	out := []RuleDelta{}
	for _, n := range names {
		b, inBase := bm[n]
		h, inHead := hm[n]
		d := RuleDelta{Name: n, NewlyFiring: minus(h.Firing, b.Firing), NoLongerFiring: minus(b.Firing, h.Firing)}
		if inBase {
			d.Base = counts(b)
		}
		if inHead {
			d.Head = counts(h)
		}
		if inBase && inHead && reflect.DeepEqual(d.Base, d.Head) && len(d.NewlyFiring)+len(d.NoLongerFiring) == 0 &&
			slices.Equal(b.Pending, h.Pending) && slices.Equal(b.Unknown, h.Unknown) {
			continue
		}
		out = append(out, d)
	}
	return out
}

func counts(r plan.RuleStatus) *RuleCounts {
	status := "active"
	switch {
	case r.Inactive != "":
		status = r.Inactive
	case !r.Active:
		status = "inactive"
	case r.DryRun:
		status = "dry-run"
	}
	return &RuleCounts{Matched: r.Matched, Firing: len(r.Firing), Pending: len(r.Pending), Unknown: len(r.Unknown), Status: status}
}

// minus is the names in a that are not in b, in a's order; never nil.
func minus(a, b []string) []string {
	in := make(map[string]bool, len(b))
	for _, s := range b {
		in[s] = true
	}
	out := []string{}
	for _, s := range a {
		if !in[s] {
			out = append(out, s)
		}
	}
	return out
}
