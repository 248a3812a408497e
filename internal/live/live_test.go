package live

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/fleet"
	"github.com/nodeguardian/nodeguardian/internal/metrics"
	"github.com/nodeguardian/nodeguardian/internal/plan"
)

func TestHasEvictions(t *testing.T) {
	evict := func(blocked string) *plan.Plan {
		return &plan.Plan{Nodes: []plan.NodePlan{{Node: "a", Changes: []plan.Change{
			{Kind: plan.KindEvict, Pods: []plan.PodEviction{{Namespace: "ns", Name: "p", BlockedBy: blocked}}}}}}}
	}
	if !hasEvictions(evict("")) || hasEvictions(evict("ns/pdb")) || hasEvictions(&plan.Plan{}) {
		t.Fatal("hasEvictions: want true only for a pod not already blocked")
	}
}

func TestHashFollowsResourceVersionsAndSeries(t *testing.T) {
	base := func() *fleet.Snapshot {
		return &fleet.Snapshot{
			Time: metav1.NewTime(time.Unix(1e9, 0)), Interval: metav1.Duration{Duration: 30 * time.Second},
			Nodes:  []corev1.Node{{ObjectMeta: metav1.ObjectMeta{Name: "n", ResourceVersion: "1"}}},
			Series: map[string]map[string]string{"n": {"m": "1x3"}},
		}
	}
	a := hash(base())
	if a != hash(base()) {
		t.Fatal("hash is not stable")
	}
	s := base()
	s.Nodes[0].ResourceVersion = "2"
	if hash(s) == a {
		t.Fatal("hash ignores a node's resourceVersion")
	}
	s = base()
	s.Series["n"]["m"] = "1x2 2"
	if hash(s) == a {
		t.Fatal("hash ignores the series")
	}
	s = base()
	s.Pods = []corev1.Pod{{ObjectMeta: metav1.ObjectMeta{Namespace: "d", Name: "p", ResourceVersion: "5"}}}
	if hash(s) == a {
		t.Fatal("hash ignores pods")
	}
}

func TestPerRuleSourceWarnings(t *testing.T) {
	r := &v1.NodeGuardianRule{ObjectMeta: metav1.ObjectMeta{Name: "ms"}}
	r.Spec.Monitoring.MetricsSource = &v1.MetricsSource{UseMetricsServer: true}
	plain := &v1.NodeGuardianRule{ObjectMeta: metav1.ObjectMeta{Name: "plain"}}
	got := perRuleSourceWarnings([]*v1.NodeGuardianRule{r, plain}, nil)
	if len(got) != 1 || !strings.Contains(got[0], "rule ms sets monitoring.metricsSource.useMetricsServer") {
		t.Fatalf("warnings = %q", got)
	}
	if got := perRuleSourceWarnings([]*v1.NodeGuardianRule{r}, &metrics.MetricsServer{}); got != nil {
		t.Fatalf("with metrics-server as the source: %q", got)
	}
}

// A snapshot keeps what plans read and drops the bulk of real objects.
func TestLeanObjects(t *testing.T) {
	prio := int32(7)
	n := corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "n", Labels: map[string]string{"a": "b"}, Annotations: map[string]string{"c": "d", corev1.LastAppliedConfigAnnotation: "{}"},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubelet"}}},
		Spec: corev1.NodeSpec{Unschedulable: true, Taints: []corev1.Taint{{Key: "k", Effect: corev1.TaintEffectNoSchedule}}},
		Status: corev1.NodeStatus{Images: []corev1.ContainerImage{{Names: []string{"img"}, SizeBytes: 1}}, NodeInfo: corev1.NodeSystemInfo{KernelVersion: "6"},
			Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4")},
			Conditions:  []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Message: "kubelet is posting ready status"}}},
	}
	leanNode(&n)
	if n.ManagedFields != nil || len(n.Status.Images) != 0 || n.Status.NodeInfo.KernelVersion != "" || n.Annotations[corev1.LastAppliedConfigAnnotation] != "" ||
		n.Labels["a"] != "b" || n.Annotations["c"] != "d" || !n.Spec.Unschedulable || len(n.Spec.Taints) != 1 ||
		n.Status.Allocatable.Cpu().String() != "4" || len(n.Status.Conditions) != 1 || n.Status.Conditions[0].Message != "" {
		t.Errorf("lean node %+v", n)
	}
	p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", Labels: map[string]string{"app": "x"}, OwnerReferences: []metav1.OwnerReference{{Kind: "DaemonSet"}}},
		Spec:   corev1.PodSpec{NodeName: "n", Priority: &prio, Containers: []corev1.Container{{Name: "c", Image: "i"}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.0.1"}}
	leanPod(&p)
	if len(p.Spec.Containers) != 0 || p.Status.PodIP != "" || p.Spec.NodeName != "n" || *p.Spec.Priority != 7 || p.Status.Phase != corev1.PodRunning ||
		p.Labels["app"] != "x" || p.OwnerReferences[0].Kind != "DaemonSet" {
		t.Errorf("lean pod %+v", p)
	}
}
