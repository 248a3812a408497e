package fleet

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// benchSnapshot is a snapshot of n nodes as a live plan keeps them (fleet.LeanNode:
// metadata, taints, allocatable), with a ledger on one in
// ten, 5 pods on one in fifty, and three metric series of 20 samples per node.
func benchSnapshot(n int) *Snapshot {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	s := &Snapshot{APIVersion: APIVersion, Kind: Kind, Time: metav1.NewTime(now), Interval: metav1.Duration{Duration: 30 * time.Second},
		Series: map[string]map[string]string{}}
	res := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("16"), corev1.ResourceMemory: resource.MustParse("64Gi"), corev1.ResourcePods: resource.MustParse("110")}
	for i := range n {
		name := fmt.Sprintf("worker-%05d", i)
		node := corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: name, ResourceVersion: fmt.Sprint(1000 + i), Labels: map[string]string{
				"kubernetes.io/hostname": name, "node-role.kubernetes.io/worker": "true", "topology.kubernetes.io/zone": fmt.Sprintf("zone-%d", i%3),
				"node.kubernetes.io/instance-type": "m5.4xlarge", "kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux",
			}, Annotations: map[string]string{"node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
			Spec:   corev1.NodeSpec{PodCIDR: "10.0.0.0/24", ProviderID: "aws:///zone/i-0123456789"},
			Status: corev1.NodeStatus{Allocatable: res},
		}
		if i%10 == 0 {
			node.Annotations["nodeguardian.k8s.io/ledger"] = `{"version":1,"rules":{"high-load-isolation":{"state":"Firing","since":"2026-11-29T11:00:00Z","lastFired":"2026-11-29T11:00:00Z","taints":[{"key":"nodeguardian/high-load","value":"true","effect":"NoSchedule"}]}}}`
			node.Spec.Taints = []corev1.Taint{{Key: "nodeguardian/high-load", Value: "true", Effect: corev1.TaintEffectNoSchedule}}
		}
		s.Nodes = append(s.Nodes, node)
		if i%50 == 0 {
			for k := range 5 {
				s.Pods = append(s.Pods, corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: fmt.Sprintf("%s-pod-%d", name, k), Labels: map[string]string{"app": "web"}},
					Spec: corev1.PodSpec{NodeName: name}, Status: corev1.PodStatus{Phase: corev1.PodRunning}})
			}
		}
		s.Series[name] = map[string]string{"cpuLoadRatio": "0.5+0.01x19", "memoryUtilizationPercent": "60x19", "diskUtilizationPercent": "40 41 42x17"}
	}
	return s
}

// BenchmarkSnapshotWrite writes a 5,000-node snapshot as `ngctl snapshot` does
// (docs/performance.md).
func BenchmarkSnapshotWrite(b *testing.B) {
	s := benchSnapshot(5000)
	file := filepath.Join(b.TempDir(), "fleet.yaml")
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(file, s); err != nil {
			b.Fatal(err)
		}
	}
	fi, err := os.Stat(file)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(fi.Size())/(1<<20), "file-MiB")
}

// BenchmarkSnapshotRead reads a 5,000-node snapshot as `plan --snapshot` does.
func BenchmarkSnapshotRead(b *testing.B) {
	file := filepath.Join(b.TempDir(), "fleet.yaml")
	if err := Write(file, benchSnapshot(5000)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(file); err != nil {
			b.Fatal(err)
		}
	}
}
