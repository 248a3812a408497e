package cluster

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"

	"github.com/nodeguardian/nodeguardian/internal/fleet"
)

// PodsPerNodeListMax is how many nodes PodsOn reads with one LIST each; for more, one
// paginated LIST of every pod is fewer requests (a fleet's pods fit in a few pages of
// PageSize) than one per node.
const PodsPerNodeListMax = 16

// PodsOn lists the pods bound to the given nodes, sorted by namespace and name, lean
// (fleet.LeanPod): one
// paginated LIST per node with the field selector spec.nodeName=NODE, a few nodes at a
// time, for up to PodsPerNodeListMax nodes; above that, one paginated LIST of all pods,
// kept for those nodes.
func (c *Client) PodsOn(ctx context.Context, nodes []string) ([]corev1.Pod, error) {
	names := slices.Clone(nodes)
	slices.Sort(names)
	names = slices.Compact(names)
	if len(names) > PodsPerNodeListMax {
		return c.podsOfNodes(ctx, names)
	}

	results := make([][]corev1.Pod, len(names))
	errs := make([]error, len(names))
	forEach(len(names), podListWorkers, func(i int) { results[i], errs[i] = c.podsOn(ctx, names[i]) })

	var out []corev1.Pod
	for i := range names {
		if errs[i] != nil {
			return nil, errs[i]
		}
		out = append(out, results[i]...)
	}
	slices.SortFunc(out, func(a, b corev1.Pod) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	return out, nil
}

// podsOn lists the pods bound to one node.
func (c *Client) podsOn(ctx context.Context, node string) ([]corev1.Pod, error) {
	selector := fields.OneTermEqualSelector("spec.nodeName", node).String()
	pods, err := listAll(ctx, func(ctx context.Context, o metav1.ListOptions) ([]corev1.Pod, string, error) {
		o.FieldSelector = selector
		l, err := c.kube.CoreV1().Pods(metav1.NamespaceAll).List(ctx, o)
		if err != nil {
			return nil, "", err
		}
		for i := range l.Items {
			fleet.LeanPod(&l.Items[i])
		}
		return l.Items, l.Continue, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list pods on node %s: %w", node, err)
	}
	return pods, nil
}

// podsOfNodes lists every pod in one paginated LIST and keeps those bound to names
// (sorted).
func (c *Client) podsOfNodes(ctx context.Context, names []string) ([]corev1.Pod, error) {
	pods, err := listAll(ctx, func(ctx context.Context, o metav1.ListOptions) ([]corev1.Pod, string, error) {
		l, err := c.kube.CoreV1().Pods(metav1.NamespaceAll).List(ctx, o)
		if err != nil {
			return nil, "", err
		}
		kept := slices.DeleteFunc(l.Items, func(p corev1.Pod) bool {
			_, found := slices.BinarySearch(names, p.Spec.NodeName)
			return !found
		})
		for i := range kept {
			fleet.LeanPod(&kept[i])
		}
		return kept, l.Continue, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list pods: %w", err)
	}
	slices.SortFunc(pods, func(a, b corev1.Pod) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	return pods, nil
}
