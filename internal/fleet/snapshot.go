// Package fleet reads and writes FleetSnapshot files: a fleet at one instant (nodes, pods,
// PodDisruptionBudgets and metric series in promtool notation), used for offline plans,
// demos, tests and bug reports.
package fleet

import (
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Kind and APIVersion of a snapshot file.
const (
	Kind       = "FleetSnapshot"
	APIVersion = "nodeguardian.k8s.io/v1"
)

// Snapshot is a fleet at one instant. The last sample of every series is at Time, and
// consecutive samples are Interval apart.
type Snapshot struct {
	APIVersion           string                         `json:"apiVersion"`
	Kind                 string                         `json:"kind"`
	Time                 metav1.Time                    `json:"time"`
	Interval             metav1.Duration                `json:"interval"`
	Nodes                []corev1.Node                  `json:"nodes"`
	Pods                 []corev1.Pod                   `json:"pods,omitempty"`
	PodDisruptionBudgets []policyv1.PodDisruptionBudget `json:"podDisruptionBudgets,omitempty"`
	// Series: node name → metric name → promtool expanding notation ("0.5x4 2+0x10").
	Series map[string]map[string]string `json:"series,omitempty"`
	// Warnings are the problems Parse found that do not make the snapshot unusable,
	// each naming file, line and field (a pod on a node that is not in Nodes). They
	// are not part of the fleet: Marshal and Hash ignore them.
	Warnings []*Error `json:"-"`
}
