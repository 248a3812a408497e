package apply

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/nodeguardian/nodeguardian/internal/fleet"
	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// applyTaint adds, changes or removes a taint. Taints are identified by key and effect;
// a removal without an effect removes every taint with the key. A new NoExecute taint is
// stamped with the snapshot's time, as the API server stamps it with the current time.
func applyTaint(s *fleet.Snapshot, node *corev1.Node, c plan.Change) string {
	if c.Key == "" {
		return "no taint key"
	}
	effect := corev1.TaintEffect(c.Effect)
	switch c.Op {
	case plan.OpAdd, plan.OpChange:
		if !validEffect(effect) {
			return fmt.Sprintf("taint effect %q is not %s, %s or %s", c.Effect,
				corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute)
		}
		for i := range node.Spec.Taints {
			if t := &node.Spec.Taints[i]; t.Key == c.Key && t.Effect == effect {
				t.Value = c.Value
				return ""
			}
		}
		t := corev1.Taint{Key: c.Key, Value: c.Value, Effect: effect}
		if effect == corev1.TaintEffectNoExecute {
			added := s.Time
			t.TimeAdded = &added
		}
		node.Spec.Taints = append(node.Spec.Taints, t)
	case plan.OpRemove:
		node.Spec.Taints = slices.DeleteFunc(node.Spec.Taints, func(t corev1.Taint) bool {
			return t.Key == c.Key && (effect == "" || t.Effect == effect)
		})
	default:
		return fmt.Sprintf("unknown op %q", c.Op)
	}
	return ""
}

func validEffect(e corev1.TaintEffect) bool {
	switch e {
	case corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute:
		return true
	}
	return false
}

// evict removes the listed pods that no PodDisruptionBudget blocks from the snapshot.
// A pod that is already gone is not an error (the plan was applied before); a blocked
// pod, or one that runs on another node, is skipped. It returns the reasons of the
// skipped pods, joined.
func evict(r *Result, s *fleet.Snapshot, node string, pods []plan.PodEviction) string {
	if len(pods) == 0 {
		return "no pods to evict"
	}
	var skipped []string
	for _, pe := range pods {
		id := podID(pe.Namespace, pe.Name)
		if pe.BlockedBy != "" {
			skipped = append(skipped, fmt.Sprintf("%s blocked by PodDisruptionBudget %s", id, pe.BlockedBy))
			continue
		}
		i := slices.IndexFunc(s.Pods, func(p corev1.Pod) bool { return podID(p.Namespace, p.Name) == id })
		if i < 0 {
			continue
		}
		if on := s.Pods[i].Spec.NodeName; on != "" && on != node {
			skipped = append(skipped, fmt.Sprintf("%s runs on node %s", id, on))
			continue
		}
		s.Pods = slices.Delete(s.Pods, i, i+1)
		r.PodsEvicted++
	}
	return strings.Join(skipped, "; ")
}

// podID is "namespace/name", an empty namespace being "default".
func podID(namespace, name string) string {
	if namespace == "" {
		namespace = "default"
	}
	return namespace + "/" + name
}
