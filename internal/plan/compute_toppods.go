package plan

import (
	"cmp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/nodeguardian/nodeguardian/internal/alert"
	"github.com/nodeguardian/nodeguardian/internal/fleet"
)

// TopPodsMax is how many pods an alert's topPods lists at most.
const TopPodsMax = 5

// topPods are the busiest pods on a node for alert templates (topPods, top_pods): the
// pods of the plan's input bound to it, not finished, that request CPU or memory, by
// their containers' summed CPU requests, then memory requests, largest first, then by
// namespace and name; at most TopPodsMax. These are requests, not usage: no metric
// source gives pod usage. Empty when the plan does not have the node's pods (a live
// plan reads pods only for nodes where a rule may evict, docs/alerts.md).
func (c *computer) topPods(node string) []alert.Pod {
	type ranked struct {
		pod      *corev1.Pod
		cpu, mem int64 // millicores, bytes
		c, m     string
	}
	var rs []ranked
	for _, pod := range c.podsByNode()[node] {
		if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
			continue
		}
		cpu, mem := fleet.PodRequests(pod)
		if cpu.IsZero() && mem.IsZero() {
			continue
		}
		r := ranked{pod: pod, cpu: cpu.MilliValue(), mem: mem.Value()}
		if !cpu.IsZero() {
			r.c = cpu.String()
		}
		if !mem.IsZero() {
			r.m = mem.String()
		}
		rs = append(rs, r)
	}
	slices.SortFunc(rs, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(b.cpu, a.cpu), cmp.Compare(b.mem, a.mem),
			strings.Compare(a.pod.Namespace+"/"+a.pod.Name, b.pod.Namespace+"/"+b.pod.Name))
	})
	out := make([]alert.Pod, 0, min(len(rs), TopPodsMax))
	for _, r := range rs[:min(len(rs), TopPodsMax)] {
		out = append(out, alert.Pod{Namespace: r.pod.Namespace, Name: r.pod.Name, CPU: r.c, Memory: r.m})
	}
	return out
}
