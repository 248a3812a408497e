package plan

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/evaluate"
)

// DefaultMaxDisruptive caps, over all rules together, the nodes held under disruptive
// actions when Input.MaxDisruptive is the zero value.
const DefaultMaxDisruptive = "30%"

// DefaultTTL is how long a plan stays valid when Input.TTL is not set.
const DefaultTTL = 10 * time.Minute

// Input is everything Compute plans from. See docs/semantics.md.
type Input struct {
	Now           time.Time
	Results       []evaluate.RuleResult // rules already defaulted, sorted by name
	Templates     map[string]*v1.AlertTemplate
	Nodes         []corev1.Node // current state, sorted by name
	Pods          []corev1.Pod
	PDBs          []policyv1.PodDisruptionBudget
	MaxDisruptive intstr.IntOrString // global cap over all rules; zero value means DefaultMaxDisruptive
	TTL           time.Duration      // ExpiresAt = Now + TTL; 0 means DefaultTTL
	Inputs        Inputs             // copied into the plan
	// PartialRules says only some rules were loaded: ledger entries of rules that are not
	// loaded are then not warned about.
	PartialRules bool
}

// Compute turns verdicts, the current nodes and their ownership ledgers into a Plan. It
// is pure: no I/O, and the only time it knows is in.Now, so the same input always gives
// the same plan.
func Compute(in Input) *Plan {
	c := newComputer(&in)
	c.decide()
	c.reconcileNodes()
	return c.assemble()
}

// computer holds the state of one Compute call.
type computer struct {
	in       *Input
	now      time.Time
	rules    []*ruleInfo // by priority, then name
	inOrder  []*ruleInfo // as in in.Results
	byName   map[string]*ruleInfo
	nodes    []nodeWork // parallel to in.Nodes
	nodeIdx  map[string]int
	pods     *podIndex // built on the first eviction
	global   budget
	deferred []Deferred
	warnings []Warning
	out      []NodePlan
}

func newComputer(in *Input) *computer {
	c := &computer{in: in, now: in.Now.Round(0)}
	c.byName = make(map[string]*ruleInfo, len(in.Results))
	for i := range in.Results {
		r := newRuleInfo(c, &in.Results[i])
		c.inOrder = append(c.inOrder, r)
		c.byName[r.name] = r
	}
	c.rules = slices.Clone(c.inOrder)
	slices.SortStableFunc(c.rules, func(a, b *ruleInfo) int {
		return cmp.Or(cmp.Compare(a.priority, b.priority), cmp.Compare(a.name, b.name))
	})
	for i, r := range c.rules {
		r.order = i
	}
	c.nodes = make([]nodeWork, len(in.Nodes))
	for i := range in.Nodes {
		c.nodes[i].node = &in.Nodes[i]
		c.readLedger(&c.nodes[i])
	}
	c.global = newGlobalBudget(c, in.MaxDisruptive, len(in.Nodes))
	return c
}

// nodeIndex finds a node by name. Verdicts come in node order, so a cursor walking
// in.Nodes finds them without a map; the map is built only on a miss.
func (c *computer) nodeIndex(name string, cursor *int) int {
	for i := *cursor; i < len(c.nodes); i++ {
		if c.nodes[i].node.Name == name {
			*cursor = i + 1
			return i
		}
	}
	if c.nodeIdx == nil {
		c.nodeIdx = make(map[string]int, len(c.nodes))
		for i := range c.nodes {
			c.nodeIdx[c.nodes[i].node.Name] = i
		}
	}
	if i, ok := c.nodeIdx[name]; ok {
		return i
	}
	return -1
}

func (c *computer) warn(rule, node, msg string) {
	c.warnings = append(c.warnings, Warning{Rule: rule, Node: node, Message: msg})
}

func (c *computer) postpone(rule, node, reason string) {
	c.deferred = append(c.deferred, Deferred{Rule: rule, Node: node, Reason: reason})
}

// assemble sorts what was collected, counts it and identifies the plan.
func (c *computer) assemble() *Plan {
	ttl := c.in.TTL
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	p := &Plan{
		FormatVersion: FormatVersion,
		CreatedAt:     c.now,
		ExpiresAt:     c.now.Add(ttl),
		Inputs:        c.in.Inputs,
		Nodes:         c.out,
		Deferred:      sortDeferred(c.deferred),
		Warnings:      sortWarnings(c.warnings),
		Rules:         make([]RuleStatus, 0, len(c.inOrder)),
	}
	if p.Nodes == nil {
		p.Nodes = []NodePlan{}
	}
	slices.SortStableFunc(p.Nodes, func(a, b NodePlan) int { return cmp.Compare(a.Node, b.Node) })
	for _, r := range c.inOrder {
		p.Rules = append(p.Rules, *r.status)
	}
	p.Summary = countSummary(p)
	p.ID = planID(p)
	return p
}

// planID is the hex SHA-256 of the inputs, the node changes and the deferred items.
func planID(p *Plan) string {
	b, err := json.Marshal(struct {
		Inputs   Inputs     `json:"inputs"`
		Nodes    []NodePlan `json:"nodes"`
		Deferred []Deferred `json:"deferred"`
	}{p.Inputs, p.Nodes, p.Deferred})
	if err != nil {
		panic("plan: marshal for the plan ID: " + err.Error()) // plain types only: cannot happen
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func sortDeferred(ds []Deferred) []Deferred {
	slices.SortFunc(ds, func(a, b Deferred) int {
		return cmp.Or(cmp.Compare(a.Node, b.Node), cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Reason, b.Reason))
	})
	ds = slices.Compact(ds)
	if ds == nil {
		ds = []Deferred{}
	}
	return ds
}

func sortWarnings(ws []Warning) []Warning {
	slices.SortFunc(ws, func(a, b Warning) int {
		return cmp.Or(cmp.Compare(a.Node, b.Node), cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Message, b.Message))
	})
	ws = slices.Compact(ws)
	if ws == nil {
		ws = []Warning{}
	}
	return ws
}

// changeRank is the apply order of change kinds on a node.
func changeRank(k Kind) int {
	switch k {
	case KindState:
		return 0
	case KindTaint:
		return 1
	case KindLabel:
		return 2
	case KindAnnotation:
		return 3
	case KindCordon:
		return 4
	case KindLedger:
		return 5
	case KindEvict:
		return 6
	case KindAlert:
		return 7
	}
	return 8
}

// sortChanges puts a node's changes in apply order, then by key, effect and rule; ties
// keep the order they were planned in (action order).
func sortChanges(cs []Change) {
	slices.SortStableFunc(cs, func(a, b Change) int {
		return cmp.Or(
			cmp.Compare(changeRank(a.Kind), changeRank(b.Kind)),
			cmp.Compare(a.Key, b.Key),
			cmp.Compare(a.Effect, b.Effect),
			cmp.Compare(a.Rule, b.Rule),
			cmp.Compare(boolRank(a.DryRun), boolRank(b.DryRun)),
		)
	})
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}
