// Package engine is the one engine the CLI, `ngctl test` and the controller share: it
// defaults and filters rules, evaluates them over a fleet and computes the plan. It does
// no I/O; the fleet, the metric samples and the clock are handed to it.
package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/evaluate"
	"github.com/nodeguardian/nodeguardian/internal/fleet"
	"github.com/nodeguardian/nodeguardian/internal/ledger"
	"github.com/nodeguardian/nodeguardian/internal/plan"
	"github.com/nodeguardian/nodeguardian/internal/series"
)

// Options tune one planning run.
type Options struct {
	Now           time.Time           // evaluation instant (required)
	Interval      time.Duration       // sample spacing (snapshot interval or query step)
	Staleness     time.Duration       // default evaluate.DefaultStaleness
	MaxDisruptive *intstr.IntOrString // global disruptive cap; nil = plan.DefaultMaxDisruptive
	TTL           time.Duration       // how long a saved plan stays valid; default 10m
	// RepeatInterval is how often a firing rule's notification is repeated (templates
	// may set their own); 0 means plan.DefaultRepeatInterval, negative never.
	RepeatInterval time.Duration
	Rule           string // plan only this rule ("" = all)
	Node           string // show only this node's changes ("" = all)
	Source         string // what the fleet was read from, for the plan's inputs: "snapshot" or "cluster"
	SourcePath     string // where a snapshot was read, as given: shown in text, not in the plan's JSON form
	// RuleMayBeAbsent, with Rule, plans no rule instead of failing when none has that
	// name: the plan of a version of the rules without it (`ngctl diff --rule NAME` of a
	// rule the change adds or removes). Other rules' ledger entries are left alone, as
	// with any Rule.
	RuleMayBeAbsent bool
	// NodeVersions are the nodes' resourceVersions (live clusters), so that a saved plan
	// can be refused when a node it changes changed.
	NodeVersions map[string]string
	// Refusals are the answers of server-side dry-run evictions (live clusters), by pod.
	Refusals map[string]plan.Refusal
	// Warnings about the inputs as a whole (a metric source that failed, ...), listed
	// first among the plan's warnings; each has a code (plan.CodeMetricSource, ...).
	Warnings []plan.Warning
}

// Fleet is the state the engine plans against.
type Fleet struct {
	Nodes []corev1.Node
	Pods  []corev1.Pod
	PDBs  []policyv1.PodDisruptionBudget
	Data  *series.Data
	Hash  string // identifies nodes, pods, PDBs and samples
	// PodsOf, when not nil, are the only nodes (sorted) whose pods Pods holds: a live
	// plan reads pods only where Evaluation.NeedPods says. nil: every node's pods.
	PodsOf []string
}

// FromSnapshot turns a snapshot into a Fleet.
func FromSnapshot(s *fleet.Snapshot) (*Fleet, error) {
	data, err := s.Data()
	if err != nil {
		return nil, err
	}
	return &Fleet{Nodes: s.Nodes, Pods: s.Pods, PDBs: s.PodDisruptionBudgets, Data: data, Hash: s.Hash()}, nil
}

// Plan evaluates rules over the fleet and computes the plan.
func Plan(rules []*v1.NodeGuardianRule, templates []*v1.AlertTemplate, f *Fleet, opts Options) (*plan.Plan, error) {
	ev, err := Evaluate(rules, templates, f, opts)
	if err != nil {
		return nil, err
	}
	return ev.Plan(f, opts.Refusals), nil
}

// Evaluation is a fleet's nodes and metrics evaluated by the rules: everything a plan is
// computed from but the pods, the PodDisruptionBudgets and the answers of dry-run
// evictions, which a live plan reads only for the nodes that need them (MayEvict).
type Evaluation struct {
	rules     []*v1.NodeGuardianRule // defaulted, sorted
	templates []*v1.AlertTemplate
	tmpl      map[string]*v1.AlertTemplate
	nodes     []corev1.Node // sorted by name
	results   []evaluate.RuleResult
	opts      Options
}

// Evaluate evaluates the rules over the fleet's nodes and metrics (its pods are not
// read).
func Evaluate(rules []*v1.NodeGuardianRule, templates []*v1.AlertTemplate, f *Fleet, opts Options) (*Evaluation, error) {
	if opts.Now.IsZero() {
		return nil, fmt.Errorf("engine: no evaluation time")
	}
	rs, err := prepareRules(rules, opts.Rule, opts.RuleMayBeAbsent)
	if err != nil {
		return nil, err
	}
	nodes := append([]corev1.Node(nil), f.Nodes...)
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	results := evaluate.Evaluate(rs, nodes, f.Data, evaluate.Options{
		Now: opts.Now, Interval: opts.Interval, Staleness: opts.Staleness,
	})
	return newEvaluation(rs, templates, nodes, results, opts), nil
}

// newEvaluation is the evaluation of the prepared rules rs over nodes (sorted).
func newEvaluation(rs []*v1.NodeGuardianRule, templates []*v1.AlertTemplate, nodes []corev1.Node, results []evaluate.RuleResult, opts Options) *Evaluation {
	tmpl := make(map[string]*v1.AlertTemplate, len(templates))
	for _, t := range templates {
		tmpl[t.Name] = t
	}
	return &Evaluation{rules: rs, templates: templates, tmpl: tmpl, nodes: nodes, results: results, opts: opts}
}

// MayEvict lists, sorted, the nodes where the plan may evict (plan.MayEvict): where a
// rule that evicts or drains may fire now (its trigger holds and it is not Firing
// there), and where a rule's ledger entry lists pods an eviction has not evicted yet. It
// is a superset of where the plan evicts (budgets and cooldowns may hold it back); a
// node where an evicting rule already fired and nothing is pending is not among them.
func (e *Evaluation) MayEvict() []string {
	return e.podNodes(func(r *v1.NodeGuardianRule, v *evaluate.Verdict, old *ledger.Entry) bool {
		return plan.MayEvict(r, v, old)
	})
}

// NeedPods lists, sorted, the nodes whose pods a plan reads (plan.NeedsPods): MayEvict's,
// and those where an alert whose template names the top pods (topPods, top_pods) may be
// planned now — a firing or recovery transition, a notification owed to a channel, a
// repeat that is due — so that the alert can name them. A live plan reads pods only for
// these nodes; the plan defers an eviction anywhere else (plan.CodePodsNotRead).
func (e *Evaluation) NeedPods() []string {
	pc := plan.PodsContext{Now: e.opts.Now, Templates: e.tmpl, RepeatInterval: e.opts.RepeatInterval}
	return e.podNodes(func(r *v1.NodeGuardianRule, v *evaluate.Verdict, old *ledger.Entry) bool {
		return plan.NeedsPods(r, v, old, pc)
	})
}

// podNodes lists, sorted, the nodes where need holds for a rule's verdict and its ledger
// entry there (nil when the node has none, or its ledger does not parse: the plan then
// leaves the node alone, and the nil entry errs towards reading).
func (e *Evaluation) podNodes(need func(*v1.NodeGuardianRule, *evaluate.Verdict, *ledger.Entry) bool) []string {
	ledgers := map[string]*ledger.Ledger{}
	entry := func(node, rule string) *ledger.Entry {
		l, ok := ledgers[node]
		if !ok {
			if i, found := slices.BinarySearchFunc(e.nodes, node, func(n corev1.Node, name string) int { return strings.Compare(n.Name, name) }); found {
				l, _ = ledger.ReadAt(&e.nodes[i], e.opts.Now) // nil on error
			}
			ledgers[node] = l
		}
		if l == nil {
			return nil
		}
		return l.Rules[rule]
	}
	var out []string
	for _, r := range e.results {
		if !r.Active || r.Err != "" {
			continue
		}
		for i := range r.Verdicts {
			v := &r.Verdicts[i]
			if need(r.Rule, v, entry(v.Node, r.Rule.Name)) {
				out = append(out, v.Node)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Plan computes the plan of the evaluation with f's pods and PodDisruptionBudgets (f's
// nodes and metrics must be those evaluated; its hash identifies all of it) and the
// answers of dry-run evictions. It can be called again, e.g. with refusals.
func (e *Evaluation) Plan(f *Fleet, refusals map[string]plan.Refusal) *plan.Plan {
	opts := e.opts
	var read func(string) bool
	if f.PodsOf != nil {
		read = func(node string) bool { _, found := slices.BinarySearch(f.PodsOf, node); return found }
	}
	return plan.Compute(plan.Input{
		Now: opts.Now, Results: e.results, Templates: e.tmpl,
		Nodes: e.nodes, Pods: f.Pods, PDBs: f.PDBs, PodsRead: read,
		MaxDisruptive: opts.MaxDisruptive, TTL: opts.TTL,
		Inputs: plan.Inputs{RulesHash: RulesHash(e.rules, e.templates), FleetHash: f.Hash, Source: opts.Source,
			SourcePath: opts.SourcePath, NodeVersions: opts.NodeVersions},
		PartialRules:   opts.Rule != "",
		Refusals:       refusals,
		RepeatInterval: opts.RepeatInterval,
		Warnings:       opts.Warnings,
		Node:           opts.Node,
	})
}

// prepareRules returns defaulted copies of the rules, sorted by name, filtered to one rule
// (which must be there unless mayBeAbsent).
func prepareRules(rules []*v1.NodeGuardianRule, only string, mayBeAbsent bool) ([]*v1.NodeGuardianRule, error) {
	out := make([]*v1.NodeGuardianRule, 0, len(rules))
	for _, r := range rules {
		if only != "" && r.Name != only {
			continue
		}
		c := r.DeepCopy()
		c.Default()
		out = append(out, c)
	}
	if only != "" && len(out) == 0 && !mayBeAbsent {
		return nil, fmt.Errorf("engine: no rule named %q", only)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// RulesHash identifies a set of rules and templates (their specs, by name).
func RulesHash(rules []*v1.NodeGuardianRule, templates []*v1.AlertTemplate) string {
	type named struct {
		Kind, Name string
		Spec       any
	}
	var all []named
	for _, r := range rules {
		all = append(all, named{v1.KindRule, r.Name, r.Spec})
	}
	for _, t := range templates {
		all = append(all, named{v1.KindAlertTemplate, t.Name, t.Spec})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].Kind != all[j].Kind {
			return all[i].Kind < all[j].Kind
		}
		return all[i].Name < all[j].Name
	})
	b, err := json.Marshal(all)
	if err != nil {
		panic(fmt.Sprintf("engine: hash rules: %v", err)) // plain API types: cannot happen
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
