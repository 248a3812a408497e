package fleet

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A snapshot keeps what plans read and drops the bulk of real objects.
func TestLeanObjects(t *testing.T) {
	prio := int32(7)
	n := corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "n", Labels: map[string]string{"a": "b"}, Annotations: map[string]string{"c": "d", corev1.LastAppliedConfigAnnotation: "{}"},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubelet"}}},
		Spec: corev1.NodeSpec{Unschedulable: true, Taints: []corev1.Taint{{Key: "k", Effect: corev1.TaintEffectNoSchedule}}},
		Status: corev1.NodeStatus{Images: []corev1.ContainerImage{{Names: []string{"img"}, SizeBytes: 1}}, NodeInfo: corev1.NodeSystemInfo{KernelVersion: "6"},
			Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4")}, Capacity: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4")},
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Message: "kubelet is posting ready status"}}},
	}
	LeanNode(&n)
	if n.ManagedFields != nil || len(n.Status.Images) != 0 || n.Status.NodeInfo.KernelVersion != "" || n.Annotations[corev1.LastAppliedConfigAnnotation] != "" ||
		n.Labels["a"] != "b" || n.Annotations["c"] != "d" || !n.Spec.Unschedulable || len(n.Spec.Taints) != 1 ||
		n.Status.Allocatable.Cpu().String() != "4" || len(n.Status.Conditions) != 0 || n.Status.Capacity != nil {
		t.Errorf("lean node %+v", n)
	}
	p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", Labels: map[string]string{"app": "x"}, OwnerReferences: []metav1.OwnerReference{{Kind: "DaemonSet"}}},
		Spec:   corev1.PodSpec{NodeName: "n", Priority: &prio, Containers: []corev1.Container{{Name: "c", Image: "i"}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.0.1"}}
	LeanPod(&p)
	if len(p.Spec.Containers) != 0 || p.Status.PodIP != "" || p.Spec.NodeName != "n" || *p.Spec.Priority != 7 || p.Status.Phase != corev1.PodRunning ||
		p.Labels["app"] != "x" || p.OwnerReferences[0].Kind != "DaemonSet" {
		t.Errorf("lean pod %+v", p)
	}
}
