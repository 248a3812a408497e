package fleet

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// LeanNode keeps of a node what plans read or show — metadata (without managedFields
// and the last-applied annotation), spec (taints, unschedulable) and allocatable — and
// drops the rest of its status (conditions, capacity, images, node info, addresses,
// volumes, daemon endpoints): no rule, plan or alert reads it, and it is most of a real
// node's size and of what changes on every kubelet heartbeat. Live plans, snapshots and
// the controller's node cache keep nodes this way (docs/live.md).
func LeanNode(n *corev1.Node) {
	clean(&n.ObjectMeta)
	n.Status = corev1.NodeStatus{Allocatable: n.Status.Allocatable}
}

// LeanPod keeps of a pod what eviction filters read: metadata (without managedFields),
// its node, priority and phase.
func LeanPod(p *corev1.Pod) {
	clean(&p.ObjectMeta)
	p.Spec = corev1.PodSpec{NodeName: p.Spec.NodeName, Priority: p.Spec.Priority}
	p.Status = corev1.PodStatus{Phase: p.Status.Phase}
}

// clean drops what makes an object large and says nothing to the engine.
func clean(m *metav1.ObjectMeta) {
	m.ManagedFields = nil
	delete(m.Annotations, corev1.LastAppliedConfigAnnotation)
}
