package fleet

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
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

// LeanPod keeps of a pod what eviction filters and alerts read: metadata (without
// managedFields), its node, priority and phase, and its containers' summed CPU and
// memory requests (PodRequests), kept as one container named LeanContainer that has only
// those requests (none when the pod requests nothing).
func LeanPod(p *corev1.Pod) {
	clean(&p.ObjectMeta)
	cpu, mem := PodRequests(p)
	p.Spec = corev1.PodSpec{NodeName: p.Spec.NodeName, Priority: p.Spec.Priority}
	p.Status = corev1.PodStatus{Phase: p.Status.Phase}
	if cpu.IsZero() && mem.IsZero() {
		return
	}
	req := corev1.ResourceList{}
	if !cpu.IsZero() {
		req[corev1.ResourceCPU] = cpu
	}
	if !mem.IsZero() {
		req[corev1.ResourceMemory] = mem
	}
	p.Spec.Containers = []corev1.Container{{Name: LeanContainer, Resources: corev1.ResourceRequirements{Requests: req}}}
}

// LeanContainer names the one container LeanPod keeps, which carries the pod's summed
// requests.
const LeanContainer = "requests"

// PodRequests are the sums of the CPU and memory requests of a pod's containers (init
// containers left out); LeanPod keeps them.
func PodRequests(p *corev1.Pod) (cpu, mem resource.Quantity) {
	for i := range p.Spec.Containers {
		r := p.Spec.Containers[i].Resources.Requests
		if q, ok := r[corev1.ResourceCPU]; ok {
			cpu.Add(q)
		}
		if q, ok := r[corev1.ResourceMemory]; ok {
			mem.Add(q)
		}
	}
	return cpu, mem
}

// clean drops what makes an object large and says nothing to the engine.
func clean(m *metav1.ObjectMeta) {
	m.ManagedFields = nil
	delete(m.Annotations, corev1.LastAppliedConfigAnnotation)
}
