package plandiff

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// Summary counts what differs. Effects of dry-run rules are counted only in DryRun.
type Summary struct {
	EffectsAdded   int `json:"effectsAdded"`
	EffectsRemoved int `json:"effectsRemoved"`
	EffectsChanged int `json:"effectsChanged"`
	// DryRun counts the effect entries of dry-run rules, shown but never applied.
	DryRun int `json:"dryRun"`
	// NodesAffected counts the nodes with an effect entry (dry-run ones aside).
	NodesAffected int `json:"nodesAffected"`
	// Groups count the effect entries by kind, op and key (a taint's, label's or
	// annotation's key; "" for cordons, evictions, alerts and rule states).
	Groups           []Group `json:"groups"`
	DeferralsAdded   int     `json:"deferralsAdded"`
	DeferralsRemoved int     `json:"deferralsRemoved"`
	// Deferred and BudgetDeferred count each plan's deferred items, all of them and those
	// deferred by a budget: the budget use of each version.
	Deferred       Pair `json:"deferred"`
	BudgetDeferred Pair `json:"budgetDeferred"`
	// Rules (NodeGuardianRule) and templates (AlertTemplate) added, removed, changed and
	// moved.
	ObjectsAdded   int `json:"objectsAdded"`
	ObjectsRemoved int `json:"objectsRemoved"`
	ObjectsChanged int `json:"objectsChanged"`
	ObjectsMoved   int `json:"objectsMoved"`
}

// Pair is a count in the base and in the head plan.
type Pair struct {
	Base int `json:"base"`
	Head int `json:"head"`
}

// Group counts the effect entries of one kind, op and key.
type Group struct {
	Kind    plan.Kind `json:"kind"`
	Op      plan.Op   `json:"op"`
	Key     string    `json:"key"`
	Added   int       `json:"added"`
	Removed int       `json:"removed"`
	Changed int       `json:"changed"`
}

// summarize counts d's entries.
func summarize(d *Diff, base, head *plan.Plan) Summary {
	s := Summary{Groups: []Group{}}
	nodes := map[string]bool{}
	groups := map[Group]*Group{}
	for _, e := range d.Effects {
		if e.DryRun {
			s.DryRun++
			continue
		}
		nodes[e.Node] = true
		gk := Group{Kind: e.Kind, Op: e.Op, Key: groupKey(e)}
		g := groups[gk]
		if g == nil {
			g = &Group{Kind: gk.Kind, Op: gk.Op, Key: gk.Key}
			groups[gk] = g
		}
		switch e.Type {
		case EffectAdded:
			s.EffectsAdded++
			g.Added++
		case EffectRemoved:
			s.EffectsRemoved++
			g.Removed++
		default:
			s.EffectsChanged++
			g.Changed++
		}
	}
	s.NodesAffected = len(nodes)
	for _, g := range groups {
		s.Groups = append(s.Groups, *g)
	}
	slices.SortFunc(s.Groups, func(x, y Group) int {
		return cmp.Or(cmp.Compare(kindOrder(x.Kind), kindOrder(y.Kind)), cmp.Compare(x.Kind, y.Kind),
			cmp.Compare(x.Key, y.Key), cmp.Compare(x.Op, y.Op))
	})
	for _, df := range d.Deferrals {
		if df.Type == DeferralAdded {
			s.DeferralsAdded++
		} else {
			s.DeferralsRemoved++
		}
	}
	s.Deferred = Pair{len(base.Deferred), len(head.Deferred)}
	s.BudgetDeferred = Pair{countBudget(base.Deferred), countBudget(head.Deferred)}
	for _, o := range d.Objects {
		switch o.Type {
		case RuleAdded:
			s.ObjectsAdded++
		case RuleRemoved:
			s.ObjectsRemoved++
		case RuleChanged:
			s.ObjectsChanged++
		case RuleMoved:
			s.ObjectsMoved++
		}
	}
	return s
}

// groupKey is the key effects are grouped by: a taint's, label's or annotation's key.
func groupKey(e Effect) string {
	c := e.Head
	if c == nil {
		c = e.Base
	}
	switch e.Kind {
	case plan.KindTaint, plan.KindLabel, plan.KindAnnotation:
		return c.Key
	}
	return ""
}

func countBudget(ds []plan.Deferred) int {
	n := 0
	for _, d := range ds {
		if isBudget(d) {
			n++
		}
	}
	return n
}

// Headline says what the change does to the fleet in one sentence: "This change: +12
// nodes tainted nodeguardian/high-load, -3 alerts, 0 evictions, 2 more deferred by
// budget."
func (d *Diff) Headline() string {
	if !d.HasEffectChanges() {
		return "This change: no effect on the fleet."
	}
	var parts []string
	evictions := false
	for _, g := range d.Summary.Groups {
		if g.Kind == plan.KindState {
			continue // the effects say it
		}
		evictions = evictions || g.Kind == plan.KindEvict
		parts = append(parts, groupPhrases(g)...)
	}
	if !evictions {
		parts = append(parts, "0 evictions")
	}
	s := d.Summary
	budget := s.BudgetDeferred.Head - s.BudgetDeferred.Base
	other := (s.Deferred.Head - s.BudgetDeferred.Head) - (s.Deferred.Base - s.BudgetDeferred.Base)
	if budget != 0 {
		parts = append(parts, moreOrFewer(budget)+" deferred by budget")
	}
	if other != 0 {
		parts = append(parts, moreOrFewer(other)+" deferred otherwise")
	}
	if n := s.DeferralsAdded + s.DeferralsRemoved; n > 0 && budget == 0 && other == 0 {
		parts = append(parts, plural(n, "deferral")+" changed")
	}
	return "This change: " + strings.Join(parts, ", ") + "."
}

// moreOrFewer is "2 more" or "3 fewer".
func moreOrFewer(n int) string {
	if n > 0 {
		return strconv.Itoa(n) + " more"
	}
	return strconv.Itoa(-n) + " fewer"
}

// groupPhrases says what a group's entries do: "+12 nodes tainted k", "-1 eviction".
func groupPhrases(g Group) []string {
	var out []string
	noun, verb := groupWords(g)
	add := func(sign string, n int, how string) {
		if n == 0 {
			return
		}
		if verb == "" {
			out = append(out, sign+plural(n, noun))
			return
		}
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s%s %s%s %s", sign, plural(n, noun), how, verb, g.Key)))
	}
	add("+", g.Added, "")
	add("-", g.Removed, "")
	add("~", g.Changed, "differently ")
	return out
}

// groupWords are the noun counted and the verb of a group: ("node", "tainted"),
// ("eviction", "").
func groupWords(g Group) (noun, verb string) {
	switch g.Kind {
	case plan.KindEvict:
		return "eviction", ""
	case plan.KindAlert:
		return "alert", ""
	case plan.KindState:
		return "rule state change", ""
	}
	past := map[plan.Kind][3]string{ // add, change, remove
		plan.KindTaint:      {"tainted", "retainted", "untainted"},
		plan.KindLabel:      {"labelled", "relabelled", "unlabelled"},
		plan.KindAnnotation: {"annotated", "reannotated", "unannotated"},
		plan.KindCordon:     {"cordoned", "cordoned", "uncordoned"},
	}[g.Kind]
	switch g.Op {
	case plan.OpAdd:
		verb = past[0]
	case plan.OpChange:
		verb = past[1]
	case plan.OpRemove:
		verb = past[2]
	}
	if verb == "" {
		verb = string(g.Kind) + " " + string(g.Op)
	}
	return "node", verb
}

// plural is "1 node" or "2 nodes".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
