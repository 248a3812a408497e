package fleet

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// compactObject, which follows the Go types, leaves out exactly what the verified
// pruning (decode again, compare) leaves out: on the demo fleet, the bench fleet and
// objects made of the zero values that must be kept (pointers to zeros, empty label
// values, empty but non-nil lists, IntOrString 0).
func TestCompactObjectMatchesVerifiedPruning(t *testing.T) {
	demo, err := Load("../../examples/fleet/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	zero := int32(0)
	no := false
	objs := []any{
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "cp", Labels: map[string]string{"node-role.kubernetes.io/control-plane": ""},
			Annotations: map[string]string{"empty": ""}},
			Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: "k", Effect: corev1.TaintEffectNoSchedule, TimeAdded: &metav1.Time{}}}},
			Status: corev1.NodeStatus{Capacity: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("0")},
				Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionUnknown}}}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "d", OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Controller: &no}}},
			Spec: corev1.PodSpec{NodeName: "n", Priority: &zero, Containers: []corev1.Container{}}},
		&policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "pdb", Namespace: "d"},
			Spec:   policyv1.PodDisruptionBudgetSpec{MinAvailable: &intstr.IntOrString{}, Selector: &metav1.LabelSelector{}},
			Status: policyv1.PodDisruptionBudgetStatus{DisruptedPods: map[string]metav1.Time{}}},
	}
	for _, s := range []*Snapshot{demo, benchSnapshot(20)} {
		objs = append(objs, asAny(ptrs(s.Nodes))...)
		objs = append(objs, asAny(ptrs(s.Pods))...)
		objs = append(objs, asAny(ptrs(s.PodDisruptionBudgets))...)
	}
	for i, obj := range objs {
		got, err := compactObject(obj)
		if err != nil {
			t.Fatal(err)
		}
		want, err := compactVerified(obj)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("object %d (%T):\n got %v\nwant %v", i, obj, got, want)
		}
	}
}
