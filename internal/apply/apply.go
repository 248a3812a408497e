// Package apply executes plans. ToSnapshot applies a plan to a fleet snapshot in place,
// offline (demos, tests, `ngctl apply --snapshot`): what a reconciliation would do to
// the nodes and pods, with alerts collected instead of sent.
package apply

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/fleet"
	"github.com/nodeguardian/nodeguardian/internal/ledger"
	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// SentAlert is an alert a plan sends, with the node and rule it is about.
type SentAlert struct {
	Node string `json:"node"`
	Rule string `json:"rule"`
	plan.Alert
}

// Result is what applying a plan did.
type Result struct {
	// NodesChanged counts the nodes whose object changed (taints, labels, annotations,
	// the ledger, cordon); applying a plan a second time changes none.
	NodesChanged int
	// PodsEvicted counts the pods removed; pods already gone are not counted.
	PodsEvicted int
	// Alerts are the alerts the plan sends, in plan order (collected, not sent).
	Alerts []SentAlert
	// Deferred counts what the plan defers (it is not applied).
	Deferred int
	// Skipped lists the changes that could not be applied, with why, as in
	// "node-a: evict shop/web-1: blocked by PodDisruptionBudget web".
	Skipped []string
}

// ToSnapshot applies every non-dry-run change of p to s in place: taints (added or
// changed by key and effect, removed by key and effect, or by key alone when the
// change has no effect), labels, annotations, the ledger annotation (KindLedger, key
// ledger.Annotation), cordon (spec.unschedulable), evictions (the listed pods that are
// not BlockedBy are removed from s.Pods) and alerts (returned in the Result). State
// changes need nothing: the ledger change carries them.
//
// Applying the same plan again leaves the snapshot as it is. A plan for a node that is
// not in the snapshot is an error, and then nothing is applied; a change that cannot
// be applied is skipped and listed in Result.Skipped.
//
// Alerts are not sent here; each is recorded in the node's ledger as delivered to its
// channels at the plan's time (a simulation), unless delivered says otherwise: when it
// is not nil, it gives the channels that received each alert, by node and index of the
// change in the node plan (see Deliveries).
func ToSnapshot(p *plan.Plan, s *fleet.Snapshot) (Result, error) {
	return ToSnapshotDelivered(p, s, nil)
}

// Deliveries are the channels that received the alerts of a plan, by node and index of
// the alert change in the node's plan.
type Deliveries map[string]map[int][]string

// ToSnapshotDelivered is ToSnapshot with the alerts' real deliveries (nil: all of them,
// as a simulation).
func ToSnapshotDelivered(p *plan.Plan, s *fleet.Snapshot, delivered Deliveries) (Result, error) {
	if p == nil || s == nil {
		return Result{}, errors.New("apply: no plan or no snapshot")
	}
	index := make(map[string]int, len(s.Nodes))
	for i := len(s.Nodes) - 1; i >= 0; i-- {
		index[s.Nodes[i].Name] = i
	}
	if missing := missingNodes(p, index); len(missing) > 0 {
		return Result{}, fmt.Errorf("apply: plan %s changes nodes that are not in the snapshot: %s", p.ID, strings.Join(missing, ", "))
	}
	r := Result{Deferred: len(p.Deferred)}
	changed := map[string]bool{}
	for _, np := range p.Nodes {
		node := &s.Nodes[index[np.Node]]
		before := node.DeepCopy()
		for _, c := range np.Changes {
			if c.DryRun {
				continue
			}
			if why := applyChange(&r, s, node, c); why != "" {
				r.Skipped = append(r.Skipped, fmt.Sprintf("%s: %s: %s", np.Node, describe(c), why))
			}
		}
		RecordApplied(node, np, delivered, func(ns, name string) bool { return !hasPod(s, ns, name) }, p.CreatedAt)
		if !apiequality.Semantic.DeepEqual(before, node) {
			changed[np.Node] = true
		}
	}
	r.NodesChanged = len(changed)
	return r, nil
}

// RecordApplied notes in node's ledger annotation what applying np did, in one read and
// one write of the ledger: the alerts that reached their channels at t (delivered; nil:
// all of them, a simulation) and the evictions (plan.RecordEvictions; evicted tells which
// pods are gone). It reports whether the ledger changed; a node whose ledger cannot be
// read is left as it is.
func RecordApplied(node *corev1.Node, np plan.NodePlan, delivered Deliveries, evicted func(namespace, name string) bool, t time.Time) bool {
	l, err := ledger.Read(node)
	if err != nil {
		return false
	}
	changed := false
	for i, c := range np.Changes {
		if c.Kind != plan.KindAlert || c.Alert == nil || c.DryRun {
			continue
		}
		channels := c.Alert.Channels
		if delivered != nil {
			channels = delivered[np.Node][i]
		}
		if plan.RecordDelivered(l, c, channels, t) {
			changed = true
		}
	}
	if plan.RecordEvictions(l, np, evicted) {
		changed = true
	}
	if changed {
		if node.Annotations == nil {
			node.Annotations = map[string]string{}
		}
		node.Annotations[ledger.Annotation] = l.Encode()
	}
	return changed
}

func hasPod(s *fleet.Snapshot, namespace, name string) bool {
	return slices.ContainsFunc(s.Pods, func(p corev1.Pod) bool { return p.Namespace == namespace && p.Name == name })
}

// missingNodes returns the sorted names of the plan's nodes that are not in the index.
func missingNodes(p *plan.Plan, index map[string]int) []string {
	seen := map[string]bool{}
	var out []string
	for _, np := range p.Nodes {
		if _, ok := index[np.Node]; !ok && !seen[np.Node] {
			seen[np.Node] = true
			out = append(out, fmt.Sprintf("%q", np.Node))
		}
	}
	sort.Strings(out)
	return out
}

// applyChange applies one change to a node of s; it returns why the change was skipped
// ("" when it was applied or had nothing to do).
func applyChange(r *Result, s *fleet.Snapshot, node *corev1.Node, c plan.Change) string {
	switch c.Kind {
	case plan.KindTaint, plan.KindLabel, plan.KindAnnotation:
		// The last line of defence: the planner never plans these. plan.KindTaint, KindLabel
		// and KindAnnotation are the v1.KeyKind names.
		if v1.IsReservedKey(v1.KeyKind(c.Kind), c.Key) {
			return fmt.Sprintf("%s is a reserved key NodeGuardian never sets, changes or removes", c.Key)
		}
	}
	switch c.Kind {
	case plan.KindTaint:
		return applyTaint(s, node, c)
	case plan.KindLabel:
		return applyMap(&node.Labels, c.Op, c.Key, c.Value)
	case plan.KindAnnotation:
		return applyMap(&node.Annotations, c.Op, c.Key, c.Value)
	case plan.KindLedger:
		if c.Key != "" && c.Key != ledger.Annotation {
			return fmt.Sprintf("the ledger is annotation %s, not %s", ledger.Annotation, c.Key)
		}
		return applyMap(&node.Annotations, c.Op, ledger.Annotation, c.Value)
	case plan.KindCordon:
		return applyCordon(node, c.Op)
	case plan.KindEvict:
		return evict(r, s, node.Name, c.Pods)
	case plan.KindAlert:
		if c.Alert == nil {
			return "no alert to send"
		}
		a := SentAlert{Node: node.Name, Rule: c.Rule, Alert: *c.Alert}
		a.Channels = append([]string(nil), c.Alert.Channels...)
		r.Alerts = append(r.Alerts, a)
		return ""
	case plan.KindState:
		return "" // recorded by the ledger change
	}
	return fmt.Sprintf("unknown kind %q", c.Kind)
}

// applyMap sets or removes one key of a label or annotation map.
func applyMap(m *map[string]string, op plan.Op, key, value string) string {
	if key == "" {
		return "no key"
	}
	switch op {
	case plan.OpAdd, plan.OpChange:
		if *m == nil {
			*m = map[string]string{}
		}
		(*m)[key] = value
	case plan.OpRemove:
		delete(*m, key)
	default:
		return fmt.Sprintf("unknown op %q", op)
	}
	return ""
}

// applyCordon sets spec.unschedulable: add (or change) cordons, remove uncordons.
func applyCordon(node *corev1.Node, op plan.Op) string {
	switch op {
	case plan.OpAdd, plan.OpChange:
		node.Spec.Unschedulable = true
	case plan.OpRemove:
		node.Spec.Unschedulable = false
	default:
		return fmt.Sprintf("unknown op %q", op)
	}
	return ""
}

// describe names a change for Result.Skipped: "add taint gpu:NoSchedule (rule hot)",
// "evict (rule hot)", "uncordon".
func describe(c plan.Change) string {
	var parts []string
	switch {
	case c.Kind == plan.KindCordon && c.Op == plan.OpAdd:
		parts = []string{"cordon"}
	case c.Kind == plan.KindCordon && c.Op == plan.OpRemove:
		parts = []string{"uncordon"}
	case c.Kind == plan.KindEvict || c.Kind == plan.KindAlert || c.Kind == plan.KindState:
		parts = []string{string(c.Kind)}
	default:
		parts = []string{string(c.Op), string(c.Kind)}
	}
	if c.Key != "" {
		key := c.Key
		if c.Effect != "" {
			key += ":" + c.Effect
		}
		parts = append(parts, key)
	}
	if c.Rule != "" {
		parts = append(parts, "(rule "+c.Rule+")")
	}
	return strings.Join(parts, " ")
}
