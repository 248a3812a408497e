package cluster

import (
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
)

// nodePatch is the JSON merge patch (RFC 7386) that turns old into updated, limited to
// what a plan changes: labels, annotations, spec.taints (the whole new list: a merge
// patch replaces lists) and spec.unschedulable. It carries metadata.resourceVersion =
// rv, so the API server refuses it with 409 Conflict when the node changed since rv.
// It returns nil when there is nothing to change.
func nodePatch(old, updated *corev1.Node, rv string) ([]byte, error) {
	metadata := map[string]any{}
	if d := mapDiff(old.Labels, updated.Labels); d != nil {
		metadata["labels"] = d
	}
	if d := mapDiff(old.Annotations, updated.Annotations); d != nil {
		metadata["annotations"] = d
	}
	spec := map[string]any{}
	if !apiequality.Semantic.DeepEqual(old.Spec.Taints, updated.Spec.Taints) {
		if len(updated.Spec.Taints) == 0 {
			spec["taints"] = nil
		} else {
			spec["taints"] = updated.Spec.Taints
		}
	}
	if old.Spec.Unschedulable != updated.Spec.Unschedulable {
		spec["unschedulable"] = updated.Spec.Unschedulable
	}
	if len(metadata) == 0 && len(spec) == 0 {
		return nil, nil
	}
	metadata["resourceVersion"] = rv
	patch := map[string]any{"metadata": metadata}
	if len(spec) > 0 {
		patch["spec"] = spec
	}
	b, err := json.Marshal(patch)
	if err != nil {
		return nil, fmt.Errorf("encode patch of node %s: %w", old.Name, err)
	}
	return b, nil
}

// mapDiff is the merge patch of a label or annotation map: the keys whose value is new
// or changed, and null for the keys removed. It returns nil when nothing differs.
func mapDiff(old, updated map[string]string) map[string]any {
	d := map[string]any{}
	for k, v := range updated {
		if ov, ok := old[k]; !ok || ov != v {
			d[k] = v
		}
	}
	for k := range old {
		if _, ok := updated[k]; !ok {
			d[k] = nil
		}
	}
	if len(d) == 0 {
		return nil
	}
	return d
}
