package plan

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/evaluate"
	"github.com/nodeguardian/nodeguardian/internal/ledger"
)

// ruleInfo is one rule prepared for planning: its effects are worked out once, not per node.
type ruleInfo struct {
	res        *evaluate.RuleResult
	spec       *v1.NodeGuardianRuleSpec
	name       string
	priority   int32
	order      int // position in priority order
	dryRun     bool
	disruptive bool
	cooldown   time.Duration
	limit      int    // maxUnhealthy as a node count (disruptive rules)
	limitText  string // maxUnhealthy as written
	firing     int    // nodes the rule holds Firing after the plan, for maxUnhealthy
	candidates []fireCandidate
	wants      []ruleWant  // the declarative effects, the desired state while Firing
	evicts     []evictSpec // one-shot evictions on the transition to Firing
	status     *RuleStatus
}

// effectItem identifies one declarative effect on a node: a taint (key and effect), a
// label or annotation (key), or the cordon.
type effectItem struct {
	kind   Kind
	key    string
	effect string
}

// ruleWant is one declarative effect of a rule, with the value it wants. A templated
// annotation value is rendered when the rule fires.
type ruleWant struct {
	it        effectItem
	value     string
	templated bool
}

// evictSpec is one evict or drain action.
type evictSpec struct {
	drain   bool
	maxPods int
	exclude []string
	sel     labels.Selector // nil: every pod
	grace   *int64          // the action's gracePeriodSeconds; nil: each pod's own
	timeout int64           // a drain's timeout in seconds; 0: the apply's default
}

func newRuleInfo(c *computer, res *evaluate.RuleResult) *ruleInfo {
	s := &res.Rule.Spec
	r := &ruleInfo{
		res:      res,
		spec:     s,
		name:     res.Rule.Name,
		priority: s.PriorityValue(),
		dryRun:   s.DryRun,
		cooldown: s.Cooldown(),
	}
	r.status = &RuleStatus{
		Name: r.name, Active: res.Active, Inactive: res.Inactive, DryRun: s.DryRun, Priority: r.priority,
		Matched: len(res.Verdicts), Firing: []string{}, Pending: []string{}, Unknown: []string{},
	}
	for _, e := range res.Excluded {
		r.status.Excluded = append(r.status.Excluded, e.Node)
	}
	if !res.Active || res.Err != "" {
		return r
	}
	r.collectActions(c)
	if r.disruptive {
		mu := intstr.FromString(v1.DefaultMaxUnhealthy)
		if s.MaxUnhealthy != nil {
			mu = *s.MaxUnhealthy
		}
		n, err := scaledLimit(mu, len(res.Verdicts))
		if err != nil {
			c.warn(r.name, "", CodeInvalidBudget, fmt.Sprintf("maxUnhealthy: %v; no node may fire", err))
		}
		r.limit, r.limitText = n, mu.String()
	}
	return r
}

// collectActions works out the rule's declarative effects and evictions.
func (r *ruleInfo) collectActions(c *computer) {
	seen := map[effectItem]bool{}
	add := func(w ruleWant) {
		if !seen[w.it] {
			seen[w.it] = true
			r.wants = append(r.wants, w)
		}
	}
	for i := range r.spec.Actions {
		a := &r.spec.Actions[i]
		switch a.Type {
		case v1.ActionTaint:
			if a.Taint != nil && !c.reserved(r, v1.TaintKey, a.Taint.Key) {
				eff := corev1.TaintEffect(a.Taint.Effect)
				add(ruleWant{it: effectItem{kind: KindTaint, key: a.Taint.Key, effect: string(eff)}, value: a.Taint.TaintValue()})
				r.disruptive = r.disruptive || eff == corev1.TaintEffectNoSchedule || eff == corev1.TaintEffectNoExecute
			}
		case v1.ActionLabel:
			if a.Label != nil {
				for _, k := range sortedKeys(a.Label.Labels) {
					if c.reserved(r, v1.LabelKey, k) {
						continue
					}
					add(ruleWant{it: effectItem{kind: KindLabel, key: k}, value: a.Label.Labels[k]})
				}
			}
		case v1.ActionAnnotation:
			if a.Annotation != nil {
				r.addAnnotations(c, a.Annotation.Annotations, add)
			}
		case v1.ActionCordon:
			add(ruleWant{it: effectItem{kind: KindCordon}})
			r.disruptive = true
		case v1.ActionDrain:
			add(ruleWant{it: effectItem{kind: KindCordon}})
			r.evicts = append(r.evicts, drainOf(a.Drain))
			r.disruptive = true
		case v1.ActionEvict:
			r.evicts = append(r.evicts, r.evictOf(c, a.Evict))
			r.disruptive = true
		}
	}
}

// reserved reports (and warns) when a rule names a reserved key: the loader rejects such
// rules, so this only guards rules that reach the engine some other way.
func (c *computer) reserved(r *ruleInfo, kind v1.KeyKind, key string) bool {
	if !v1.IsReservedKey(kind, key) {
		return false
	}
	c.warn(r.name, "", CodeReservedKey, fmt.Sprintf("%s %s is a reserved key NodeGuardian never sets, changes or removes; the action is ignored", kind, key))
	return true
}

func (r *ruleInfo) addAnnotations(c *computer, m map[string]string, add func(ruleWant)) {
	for _, k := range sortedKeys(m) {
		if c.reserved(r, v1.AnnotationKey, k) {
			continue
		}
		v := m[k]
		add(ruleWant{it: effectItem{kind: KindAnnotation, key: k}, value: v, templated: strings.Contains(v, "{{")})
	}
}

// drainOf is what a drain action evicts and how: every evictable pod, with its grace
// period and timeout.
func drainOf(d *v1.DrainAction) evictSpec {
	s := evictSpec{drain: true}
	if d == nil {
		return s
	}
	s.grace = d.GracePeriodSeconds
	if d.Timeout != nil && d.Timeout.Duration > 0 {
		s.timeout = max(1, int64(math.Ceil(d.Timeout.Seconds())))
	}
	return s
}

func (r *ruleInfo) evictOf(c *computer, e *v1.EvictAction) evictSpec {
	s := evictSpec{maxPods: int(v1.DefaultMaxPods), exclude: e.ExcludedNamespaces()}
	if e == nil {
		return s
	}
	s.grace = e.GracePeriodSeconds
	if e.MaxPods > 0 {
		s.maxPods = int(e.MaxPods)
	}
	if e.PodSelector != nil {
		sel, err := metav1.LabelSelectorAsSelector(e.PodSelector)
		if err != nil {
			c.warn(r.name, "", CodeInvalidSelector, fmt.Sprintf("evict.podSelector: %v; no pod is evicted", err))
			sel = labels.Nothing()
		}
		s.sel = sel
	}
	return s
}

// scaledLimit turns a count or a percentage of total into a node count. Percentages round
// down but never below 1 while total > 0; 0 and "0%" allow none.
func scaledLimit(v intstr.IntOrString, total int) (int, error) {
	if v.Type == intstr.Int {
		return max(int(v.IntVal), 0), nil
	}
	num, pct := strings.CutSuffix(strings.TrimSpace(v.StrVal), "%")
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a non-negative count or percentage", v.StrVal)
	}
	if !pct {
		return n, nil
	}
	limit := n * total / 100
	if limit == 0 && n > 0 && total > 0 {
		limit = 1
	}
	return limit, nil
}

// budget is the global cap on nodes held under disruptive actions (max-disruptive).
type budget struct {
	limit, total int
	text         string
	held         []bool // node index → held by a disruptive Firing entry after the plan
	count        int
	dryHeld      map[int]bool // what dry-run rules would add, never taken from real rules
	dryCount     int
}

func newGlobalBudget(c *computer, cap *intstr.IntOrString, total int) budget {
	v := intstr.FromString(DefaultMaxDisruptive)
	if cap != nil {
		v = *cap
	}
	n, err := scaledLimit(v, total)
	if err != nil {
		c.warn("", "", CodeInvalidBudget, fmt.Sprintf("max-disruptive: %v; no node may fire a disruptive rule", err))
	}
	return budget{limit: n, total: total, text: v.String(), held: make([]bool, total)}
}

// entryDisruptive reports whether a ledger entry holds its node under disruptive
// effects: by the rule's actions when it is loaded, else by what the entry owns.
func (c *computer) entryDisruptive(name string, e *ledger.Entry) bool {
	if r := c.byName[name]; r != nil && r.res.Active && r.res.Err == "" {
		return r.disruptive
	}
	if e.Cordon {
		return true
	}
	return slices.ContainsFunc(e.Taints, func(t corev1.Taint) bool {
		return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
	})
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
