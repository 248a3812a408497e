package fleet

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"

	"github.com/nodeguardian/nodeguardian/internal/series"
)

// MaxFileSize bounds the size of a snapshot file Load reads (64 MiB: a snapshot of
// several thousand nodes with their pods is a few tens of MiB).
const MaxFileSize = 64 << 20

// MaxTotalSamples bounds the samples all the series of a snapshot expand to (each series
// holds at most series.MaxSamples): ten million, about 300 MiB once expanded — a week
// of 30s samples of four metrics on a thousand nodes is under eight million.
const MaxTotalSamples = 10_000_000

// MinTime is the earliest instant a snapshot may be taken at: the Unix epoch. Earlier
// times (such as year 1, the zero time) are mistakes, not fleets.
func MinTime() time.Time { return time.Unix(0, 0).UTC() }

// MaxTime is the first instant a snapshot may not be taken at, 2262-01-01: after it,
// times no longer fit in the int64 Unix nanoseconds Kubernetes and Prometheus use.
func MaxTime() time.Time { return time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC) }

// checkTime reports a snapshot time outside [MinTime, MaxTime).
func checkTime(p *problems, line int, t time.Time) {
	if t.Before(MinTime()) || !t.Before(MaxTime()) {
		p.add(line, fieldTime, "%s is outside the supported range [%s, %s)",
			t.Format(time.RFC3339Nano), MinTime().Format(time.RFC3339), MaxTime().Format(time.RFC3339))
	}
}

// checkInterval reports an interval that is not in (0, series.MaxInterval].
func checkInterval(p *problems, line int, v string, d time.Duration) {
	switch {
	case d <= 0:
		p.add(line, fieldInterval, "%q: must be positive", v)
	case d > series.MaxInterval:
		p.add(line, fieldInterval, "%q: must be at most %s (the spacing of metric samples)", v, series.MaxInterval)
	}
}

// checkSpan reports a series whose n samples, interval apart, do not fit in time.
func checkSpan(p *problems, line int, field string, n int, interval time.Duration) {
	if interval <= 0 || interval > series.MaxInterval {
		return // reported with the interval
	}
	if _, err := series.Span(n, interval); err != nil {
		p.addErr(line, field, err)
	}
}

// checkTaints reports node taints whose effect Kubernetes does not know.
func checkTaints(p *problems, item *yaml.Node, path string, n *corev1.Node) bool {
	ok := true
	for i, t := range n.Spec.Taints {
		switch t.Effect {
		case corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute:
			continue
		}
		field := fmt.Sprintf("%s.spec.taints[%d]", path, i)
		line := item.Line
		if at := child(item, "spec", "taints", i); at != nil {
			line = at.Line
		}
		if at := child(item, "spec", "taints", i, "effect"); at != nil {
			line = at.Line
		}
		if t.Effect == "" {
			p.add(line, field+".effect", "missing (NoSchedule, PreferNoSchedule or NoExecute)")
		} else {
			p.add(line, field+".effect", "%q is not NoSchedule, PreferNoSchedule or NoExecute", t.Effect)
		}
		ok = false
	}
	return ok
}

// warnPodOnUnknownNode warns about a pod bound to a node the snapshot does not have
// (nodes holds the names of its nodes): plans ignore such a pod (nothing evicts it),
// which is worth knowing but does not make the snapshot unusable.
func warnPodOnUnknownNode(p *problems, item *yaml.Node, path string, pod *corev1.Pod, nodes map[string]bool) {
	if pod.Spec.NodeName == "" || nodes[pod.Spec.NodeName] {
		return
	}
	line := item.Line
	if at := child(item, "spec", "nodeName"); at != nil {
		line = at.Line
	}
	p.warn(line, path+".spec.nodeName", "pod %s is on node %q, which is not in nodes; plans ignore the pod",
		objectID(pod.Namespace, pod.Name), pod.Spec.NodeName)
}

// child follows a path of mapping keys (string) and list indexes (int) from n, through
// aliases; nil when the path does not exist.
func child(n *yaml.Node, path ...any) *yaml.Node {
	for _, step := range path {
		n = resolveAlias(n)
		if n == nil {
			return nil
		}
		switch s := step.(type) {
		case string:
			n = mappingValue(n, s)
		case int:
			if n.Kind != yaml.SequenceNode || s < 0 || s >= len(n.Content) {
				return nil
			}
			n = n.Content[s]
		default:
			return nil
		}
	}
	return resolveAlias(n)
}

// mappingValue returns the value of key in a mapping node (nil if there is none).
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
