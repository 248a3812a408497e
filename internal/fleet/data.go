package fleet

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"

	"github.com/nodeguardian/nodeguardian/internal/series"
)

// Data expands the series into samples placed in time: the last value of every series
// is at Time and consecutive values are Interval apart; missing values ("_") leave gaps.
func (s *Snapshot) Data() (*series.Data, error) {
	d := &series.Data{Samples: map[string]map[string][]series.Sample{}, Errors: map[string]string{}}
	if len(s.Series) > 0 && s.Interval.Duration <= 0 {
		return nil, fmt.Errorf("fleet: snapshot interval %s: must be positive", s.Interval.Duration)
	}
	for _, node := range sortedKeys(s.Series) {
		for _, metric := range sortedKeys(s.Series[node]) {
			samples, err := series.Expand(s.Series[node][metric], s.Time.Time, s.Interval.Duration)
			if err != nil {
				return nil, fmt.Errorf("fleet: series.%s.%s: %w", node, metric, err)
			}
			if len(samples) > 0 {
				d.Add(node, metric, samples...)
			}
		}
	}
	return d, nil
}

// Hash is a stable hex SHA-256 of the nodes, pods, PodDisruptionBudgets, series, time and
// interval: it does not depend on the order of nodes, pods or budgets in the snapshot.
func (s *Snapshot) Hash() string {
	nodes := append([]corev1.Node{}, s.Nodes...)
	sort.SliceStable(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	pods := append([]corev1.Pod{}, s.Pods...)
	sort.SliceStable(pods, func(i, j int) bool {
		return objectID(pods[i].Namespace, pods[i].Name) < objectID(pods[j].Namespace, pods[j].Name)
	})
	pdbs := append([]policyv1.PodDisruptionBudget{}, s.PodDisruptionBudgets...)
	sort.SliceStable(pdbs, func(i, j int) bool {
		return objectID(pdbs[i].Namespace, pdbs[i].Name) < objectID(pdbs[j].Namespace, pdbs[j].Name)
	})
	seriesOrNil := s.Series
	if len(seriesOrNil) == 0 {
		seriesOrNil = nil
	}
	canonical := struct {
		Time     string                         `json:"time"`
		Interval time.Duration                  `json:"interval"`
		Nodes    []corev1.Node                  `json:"nodes"`
		Pods     []corev1.Pod                   `json:"pods"`
		PDBs     []policyv1.PodDisruptionBudget `json:"pdbs"`
		Series   map[string]map[string]string   `json:"series"` // keys sorted by encoding/json
	}{
		Time:     s.Time.UTC().Format(time.RFC3339Nano),
		Interval: s.Interval.Duration,
		Nodes:    nodes, Pods: pods, PDBs: pdbs, Series: seriesOrNil,
	}
	b, err := json.Marshal(canonical)
	if err != nil {
		panic(fmt.Sprintf("fleet: hash snapshot: %v", err)) // plain API types: cannot happen
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// objectID is "namespace/name", or "name" without a namespace.
func objectID(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}
