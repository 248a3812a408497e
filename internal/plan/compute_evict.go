package plan

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/nodeguardian/nodeguardian/internal/ledger"
)

// Pod annotations that keep a pod from being evicted.
const (
	AnnotationDoNotEvict = "nodeguardian.k8s.io/do-not-evict"
	annotationMirror     = corev1.MirrorPodAnnotationKey // kubernetes.io/config.mirror
)

// podIndex holds the pods by node and the PodDisruptionBudgets by namespace, built once
// on the first eviction of a plan.
type podIndex struct {
	byNode map[string][]*corev1.Pod
	pdbs   map[string][]*pdbInfo
}

// pdbInfo is a PodDisruptionBudget with its selector parsed and the disruptions it still
// allows in this plan.
type pdbInfo struct {
	ns, name  string
	sel       labels.Selector
	remaining int32
}

// podsByNode are the input's pods by the node they are bound to, built once.
func (c *computer) podsByNode() map[string][]*corev1.Pod {
	if c.byNode != nil {
		return c.byNode
	}
	c.byNode = map[string][]*corev1.Pod{}
	for i := range c.in.Pods {
		pod := &c.in.Pods[i]
		if pod.Spec.NodeName != "" {
			c.byNode[pod.Spec.NodeName] = append(c.byNode[pod.Spec.NodeName], pod)
		}
	}
	return c.byNode
}

func (c *computer) podIndex() *podIndex {
	if c.pods != nil {
		return c.pods
	}
	idx := &podIndex{byNode: c.podsByNode(), pdbs: map[string][]*pdbInfo{}}
	for i := range c.in.PDBs {
		b := &c.in.PDBs[i]
		sel, err := metav1.LabelSelectorAsSelector(b.Spec.Selector) // nil selects no pod
		remaining := b.Status.DisruptionsAllowed
		if err != nil {
			// Fail closed: a budget that cannot be evaluated might cover any pod of its
			// namespace, so it covers them all and allows no disruption.
			c.warn("", "", CodeInvalidSelector, fmt.Sprintf("PodDisruptionBudget %s/%s: selector cannot be evaluated (%v): "+
				"no pod in namespace %s is evicted until it is fixed", b.Namespace, b.Name, err, b.Namespace))
			sel, remaining = labels.Everything(), 0
		}
		idx.pdbs[b.Namespace] = append(idx.pdbs[b.Namespace], &pdbInfo{ns: b.Namespace, name: b.Name, sel: sel, remaining: remaining})
	}
	for _, bs := range idx.pdbs {
		slices.SortFunc(bs, func(a, b *pdbInfo) int { return cmp.Compare(a.name, b.name) })
	}
	c.pods = idx
	return idx
}

// evictPods lists the pods an evict or drain of the rule would evict from the node,
// lowest priority first, then by namespace and name; evict stops at maxPods, drain takes
// every evictable pod. A pod a dry-run eviction found protected (Input.Refusals) is
// listed as blocked. A pod already listed by an earlier eviction on the node is not listed again.
func (p *reconcilePass) evictPods(rule string, es evictSpec) []PodEviction {
	idx := p.c.podIndex()
	var pods []*corev1.Pod
	for _, pod := range idx.byNode[p.node()] {
		if p.evictable(pod, es) {
			pods = append(pods, pod)
		}
	}
	slices.SortFunc(pods, func(a, b *corev1.Pod) int {
		return cmp.Or(cmp.Compare(podPriority(a), podPriority(b)), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	if !es.drain && len(pods) > es.maxPods {
		pods = pods[:es.maxPods]
	}
	out := make([]PodEviction, 0, len(pods))
	for _, pod := range pods {
		if p.listed == nil {
			p.listed = map[string]bool{}
		}
		p.listed[pod.Namespace+"/"+pod.Name] = true
		blocked := ""
		if rf, ok := p.c.in.Refusals[pod.Namespace+"/"+pod.Name]; ok {
			blocked = rf.BlockedBy
			if rf.Message != "" {
				p.c.warn(rule, p.node(), CodeEvictionRefused, rf.Message)
			}
		}
		if blocked == "" {
			blocked = p.blockedBy(idx, pod)
		}
		out = append(out, PodEviction{Namespace: pod.Namespace, Name: pod.Name, Priority: podPriority(pod), BlockedBy: blocked})
	}
	return out
}

func (p *reconcilePass) evictable(pod *corev1.Pod, es evictSpec) bool {
	switch {
	case NeverEvicted(pod), pod.Annotations[AnnotationDoNotEvict] == "true", p.listed[pod.Namespace+"/"+pod.Name]:
		return false
	case es.drain:
		return true
	}
	if slices.Contains(es.exclude, pod.Namespace) {
		return false
	}
	return es.sel == nil || es.sel.Matches(labels.Set(pod.Labels))
}

// NeverEvicted reports whether a pod is never evicted, whatever a rule says: it has
// finished, it is a mirror pod (the kubelet owns it), or a DaemonSet's (it would come back
// on the same node). The planner and the apply both hold to it.
func NeverEvicted(pod *corev1.Pod) bool {
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return true
	}
	if _, mirror := pod.Annotations[annotationMirror]; mirror {
		return true
	}
	return slices.ContainsFunc(pod.OwnerReferences, func(o metav1.OwnerReference) bool { return o.Kind == "DaemonSet" })
}

// blockedBy names the first PodDisruptionBudget of the pod that allows no more
// disruption, counting the pods this plan already evicts; otherwise the pod uses one
// disruption of each of its budgets.
func (p *reconcilePass) blockedBy(idx *podIndex, pod *corev1.Pod) string {
	var match []*pdbInfo
	for _, b := range idx.pdbs[pod.Namespace] {
		if b.sel.Matches(labels.Set(pod.Labels)) {
			match = append(match, b)
		}
	}
	for _, b := range match {
		if b.remaining-p.pdbUsed[b] <= 0 {
			return b.ns + "/" + b.name
		}
	}
	for _, b := range match {
		if p.dry {
			if p.pdbUsed == nil {
				p.pdbUsed = map[*pdbInfo]int32{}
			}
			p.pdbUsed[b]++
		} else {
			b.remaining--
		}
	}
	return ""
}

func podPriority(pod *corev1.Pod) int32 {
	if pod.Spec.Priority == nil {
		return 0
	}
	return *pod.Spec.Priority
}

// retryEvictions plans again, for a rule that stays Firing, the evictions its ledger
// entry says are not done: the pods still on the node (others are gone, as eviction
// wants), each blocked or not as a first eviction would be. See docs/semantics.md
// "Evictions".
func (p *reconcilePass) retryEvictions(d *decision) {
	if d.old == nil || len(d.old.Evictions) == 0 {
		return
	}
	if !p.c.podsRead(p.node()) { // nothing known of the pods: all stay pending, none is tried
		if p.pending == nil {
			p.pending = map[string][]ledger.PendingEviction{}
		}
		p.pending[d.r.name] = append(p.pending[d.r.name], d.old.Evictions...)
		p.c.postpone(d.r.name, p.node(), CodePodsNotRead, fmt.Sprintf("%s pending: the node's pods were not read; tried at the next evaluation",
			plural(len(d.old.Evictions), "eviction", "evictions")), time.Time{})
		return
	}
	idx := p.c.podIndex()
	onNode := map[string]*corev1.Pod{}
	for _, pod := range idx.byNode[p.node()] {
		onNode[pod.Namespace+"/"+pod.Name] = pod
	}
	var pods []PodEviction
	attempt := 0
	for _, pe := range d.old.Evictions {
		id := pe.Namespace + "/" + pe.Name
		pod := onNode[id]
		if pod == nil || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed || p.listed[id] {
			continue
		}
		if p.listed == nil {
			p.listed = map[string]bool{}
		}
		p.listed[id] = true
		if p.pending == nil {
			p.pending = map[string][]ledger.PendingEviction{}
		}
		p.pending[d.r.name] = append(p.pending[d.r.name], pe)
		blocked := ""
		if rf, ok := p.c.in.Refusals[id]; ok {
			blocked = rf.BlockedBy
		}
		if blocked == "" {
			blocked = p.blockedBy(idx, pod)
		}
		if blocked != "" { // nothing to do now: shown as deferred, tried again later
			p.c.postpone(d.r.name, p.node(), CodePDBBlocked, fmt.Sprintf("eviction of %s pending: blocked by PodDisruptionBudget %s (%s so far)",
				id, blocked, plural(pe.Attempts, "attempt", "attempts")), time.Time{})
			continue
		}
		pods = append(pods, PodEviction{Namespace: pe.Namespace, Name: pe.Name, Priority: podPriority(pod)})
		attempt = max(attempt, pe.Attempts+1)
	}
	if len(pods) == 0 {
		return
	}
	ch := Change{Op: OpAdd, Kind: KindEvict, Rule: d.r.name, Pods: pods, Code: CodeEvictionPending,
		Reason: fmt.Sprintf("retry: %s not evicted yet (attempt %d)", plural(len(pods), "pod", "pods"), attempt)}
	if len(d.r.evicts) > 0 { // as the rule evicts now
		ch.GracePeriodSeconds, ch.TimeoutSeconds = d.r.evicts[0].grace, d.r.evicts[0].timeout
	}
	p.emit(ch)
}

// pendingEvictions is what a rule's new ledger entry records of its evictions: on the
// transition to Firing, the pods of its eviction changes in this plan; while it stays
// Firing, its pending pods still on the node (pending, from retryEvictions), with the
// attempts so far. Apply removes those it evicts (RecordEvictions).
func pendingEvictions(rule string, old *ledger.Entry, changes []Change, pending map[string][]ledger.PendingEviction) []ledger.PendingEviction {
	if old != nil && old.State == ledger.Firing {
		return slices.Clone(pending[rule])
	}
	var out []ledger.PendingEviction
	for _, c := range changes {
		if c.Kind != KindEvict || c.Rule != rule || c.DryRun {
			continue
		}
		for _, pe := range c.Pods {
			rec := ledger.PendingEviction{Namespace: pe.Namespace, Name: pe.Name, BlockedBy: pe.BlockedBy}
			if old != nil { // attempts and the last refusal are Apply's to record
				if i := slices.IndexFunc(old.Evictions, func(o ledger.PendingEviction) bool { return o.Namespace == pe.Namespace && o.Name == pe.Name }); i >= 0 {
					rec = old.Evictions[i]
				}
			}
			out = append(out, rec)
		}
	}
	return out
}

// RecordEvictions notes in a node's ledger what applying np's evictions did: the pods
// evicted (or gone) leave their rule's pending list, the others stay with one more
// attempt. It reports whether the ledger changed.
func RecordEvictions(l *ledger.Ledger, np NodePlan, evicted func(namespace, name string) bool) bool {
	changed := false
	for _, c := range np.Changes {
		if c.Kind != KindEvict || c.DryRun {
			continue
		}
		e := l.Rules[c.Rule]
		if e == nil || e.State != ledger.Firing {
			continue
		}
		var pending []ledger.PendingEviction
		for _, pe := range e.Evictions {
			i := slices.IndexFunc(c.Pods, func(p PodEviction) bool { return p.Namespace == pe.Namespace && p.Name == pe.Name })
			switch {
			case i < 0:
				pending = append(pending, pe) // not in this change
			case evicted(pe.Namespace, pe.Name):
				changed = true
			default:
				pe.Attempts++
				pe.BlockedBy = c.Pods[i].BlockedBy
				pending = append(pending, pe)
				changed = true
			}
		}
		e.Evictions = pending
	}
	return changed
}
