package plan

import (
	"cmp"
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

// DefaultRepeatInterval is how often a firing rule's notification is repeated when
// Input.RepeatInterval is not set (Alertmanager's default repeat_interval).
const DefaultRepeatInterval = 4 * time.Hour

// podsRead reports whether the input holds the node's pods (Input.PodsRead).
func (c *computer) podsRead(node string) bool {
	return c.in.PodsRead == nil || c.in.PodsRead(node)
}

// repeatInterval is the input's repeat interval with the default applied.
func (c *computer) repeatInterval() time.Duration {
	if c.in.RepeatInterval == 0 {
		return DefaultRepeatInterval
	}
	return c.in.RepeatInterval
}

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
	MaxDisruptive *intstr.IntOrString // global cap over all rules; nil means DefaultMaxDisruptive
	TTL           time.Duration       // ExpiresAt = Now + TTL; 0 means DefaultTTL
	// Inputs are copied into the plan. Inputs.NodeVersions may list every node read; the
	// plan keeps the versions of the nodes it changes.
	Inputs Inputs
	// Refusals are what a server-side dry-run eviction said of pods, by "namespace/name":
	// a pod a PodDisruptionBudget protects is listed as blocked by it.
	Refusals map[string]Refusal
	// RepeatInterval is how often a notification is sent again while its rule keeps
	// firing; 0 means DefaultRepeatInterval, a negative value never.
	RepeatInterval time.Duration
	// Warnings about the inputs as a whole (a metric source that failed, ...) are listed
	// first among the plan's warnings, in this order. Each has a Code (CodeMetricSource
	// for a metric source's warnings).
	Warnings []Warning
	// Node, when set, keeps only this node's changes, deferrals and warnings in the plan
	// (budgets still count the whole fleet).
	Node string
	// PartialRules says only some rules were loaded: ledger entries of rules that are not
	// loaded are then not warned about.
	PartialRules bool
	// PodsRead, when not nil, says whether Pods holds the pods of a node: a live plan
	// reads pods only for the nodes NeedsPods names. nil: Pods holds every node's pods (a
	// snapshot). An eviction on a node whose pods were not read is deferred
	// (CodePodsNotRead), never planned blind.
	PodsRead func(node string) bool
}

// Refusal is the API server's answer to a dry-run eviction of one pod.
type Refusal struct {
	// BlockedBy names the PodDisruptionBudget ("namespace/name", or "PodDisruptionBudget"
	// when the refusal does not name it) that refused the eviction; "" for other refusals.
	BlockedBy string
	// Message says why the eviction was refused for other reasons (the pod is gone, ...):
	// it becomes a warning.
	Message string
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
	in           *Input
	planIDAlerts []pendingAlert // alerts to render again with the plan ID
	now          time.Time
	rules        []*ruleInfo // by priority, then name
	inOrder      []*ruleInfo // as in in.Results
	byName       map[string]*ruleInfo
	nodes        []nodeWork // parallel to in.Nodes
	nodeIdx      map[string]int
	pods         *podIndex                // built on the first eviction
	byNode       map[string][]*corev1.Pod // the input's pods by node, built on first use
	global       budget
	deferred     []Deferred
	warnings     []Warning
	timers       []timer // what ends by itself after Now, for NextEvaluation
	out          []NodePlan
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

func (c *computer) warn(rule, node string, code ReasonCode, msg string) {
	c.warnings = append(c.warnings, Warning{Rule: rule, Node: node, Code: code, Message: msg})
}

// postpone records a deferred item; until, when not zero, is when it ends by itself.
func (c *computer) postpone(rule, node string, code ReasonCode, reason string, until time.Time) {
	d := Deferred{Rule: rule, Node: node, Code: code, Reason: reason}
	if !until.IsZero() {
		u := until.UTC()
		d.Until = &u
	}
	c.deferred = append(c.deferred, d)
}

// assemble sorts what was collected, counts it and identifies the plan.
func (c *computer) assemble() *Plan {
	ttl := c.in.TTL
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	p := &Plan{
		FormatVersion: FormatVersion,
		CreatedAt:     c.now.UTC(),
		ExpiresAt:     c.now.Add(ttl).UTC(),
		Inputs:        c.in.Inputs,
		Nodes:         c.out,
		Deferred:      sortDeferred(c.deferred),
		Rules:         make([]RuleStatus, 0, len(c.inOrder)),
	}
	if p.Nodes == nil {
		p.Nodes = []NodePlan{}
	}
	slices.SortStableFunc(p.Nodes, func(a, b NodePlan) int { return cmp.Compare(a.Node, b.Node) })
	p.Warnings = c.planWarnings()
	if c.in.Node != "" {
		keepNode(p, c.in.Node)
	}
	if next, ok := c.nextEvaluation(); ok {
		at := next.at.UTC()
		p.NextEvaluation, p.NextEvaluationReason = &at, next.why
	}
	for _, r := range c.inOrder {
		p.Rules = append(p.Rules, *r.status)
	}
	if c.in.Inputs.NodeVersions != nil { // the versions of the nodes the plan changes
		p.Inputs.NodeVersions = make(map[string]string, len(p.Nodes))
		for _, n := range p.Nodes {
			p.Inputs.NodeVersions[n.Node] = c.in.Inputs.NodeVersions[n.Node]
		}
	}
	p.Summary = countSummary(p)
	c.identify(p)
	return p
}

func sortDeferred(ds []Deferred) []Deferred {
	slices.SortFunc(ds, func(a, b Deferred) int {
		return cmp.Or(cmp.Compare(a.Node, b.Node), cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Reason, b.Reason),
			cmp.Compare(a.Code, b.Code), compareUntil(a.Until, b.Until))
	})
	ds = slices.CompactFunc(ds, func(a, b Deferred) bool {
		return a.Node == b.Node && a.Rule == b.Rule && a.Code == b.Code && a.Reason == b.Reason && compareUntil(a.Until, b.Until) == 0
	})
	if ds == nil {
		ds = []Deferred{}
	}
	return ds
}

func sortWarnings(ws []Warning) []Warning {
	slices.SortFunc(ws, func(a, b Warning) int {
		return cmp.Or(cmp.Compare(a.Node, b.Node), cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Message, b.Message),
			cmp.Compare(a.Code, b.Code))
	})
	ws = slices.Compact(ws)
	if ws == nil {
		ws = []Warning{}
	}
	return ws
}

// compareUntil orders deferral ends: none first, then by time.
func compareUntil(a, b *time.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return a.Compare(*b)
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
