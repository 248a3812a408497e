package controller

import (
	"context"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/nodeguardian/nodeguardian/internal/cluster"
	"github.com/nodeguardian/nodeguardian/internal/fleet"
	"github.com/nodeguardian/nodeguardian/internal/live"
	"github.com/nodeguardian/nodeguardian/internal/metrics"
	"github.com/nodeguardian/nodeguardian/internal/source"
)

// metricSource builds the controller's metric source as `ngctl plan` does
// (internal/source): the default source (Prometheus when its URL is set, else
// metrics-server), each rule routed to the source it asks for, and metrics-server's
// samples kept in a bounded in-memory window across reconciles (after a restart,
// conditions with a duration are Unknown until the window has filled).
func metricSource(o Options, rc *rest.Config) (metrics.Source, metrics.Config, error) {
	cfg := metrics.DefaultConfig()
	if o.MetricsConfig != nil {
		cfg = *o.MetricsConfig
	}
	def := o.MetricsSource
	if def == "" {
		def = metrics.SourceMetricsServer
		if o.Prometheus.URL != "" {
			def = metrics.SourcePrometheus
		}
	}
	src, err := source.New(source.Options{Default: def, Prometheus: o.Prometheus, MetricsServer: rc, Window: true, Config: cfg})
	if err != nil {
		return nil, cfg, fmt.Errorf("metric source: %w", err)
	}
	return src, cfg, nil
}

// cacheReader is the controller's live.Reader: nodes from the informer cache (no LIST
// per reconcile), pods and PodDisruptionBudgets straight from the API server, read only
// for the nodes where a plan can evict or name the top pods (engine.Evaluation.NeedPods:
// a transition, pending evictions, an alert due), so a steady fleet — fired or not —
// reads none. Pods are never cached: a fleet's pods are most of its objects.
type cacheReader struct {
	cache  client.Reader
	direct *cluster.Client
}

var _ live.Reader = cacheReader{}

// Nodes lists the cached nodes (lean: see nodeTransform). The cache's objects are not
// deep-copied (a deep copy of a 5,000-node fleet per reconcile was most of the
// controller's heap, BenchmarkController): each node is a shallow copy whose maps and
// slices that plans may change (labels, annotations, taints) are cloned; the rest
// (allocatable, owner references, finalizers) is shared with the cache, read only. The
// cache holds no conditions to clone: fleet.LeanNode drops all of status but allocatable.
func (r cacheReader) Nodes(ctx context.Context) ([]corev1.Node, error) {
	var list corev1.NodeList
	if err := r.cache.List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("list nodes from the cache: %w", err)
	}
	for i := range list.Items {
		unshare(&list.Items[i])
	}
	return list.Items, nil
}

// unshare clones what a shallow copy n of a cached node shares with the cache and
// plans may change.
func unshare(n *corev1.Node) {
	n.Labels = maps.Clone(n.Labels)
	n.Annotations = maps.Clone(n.Annotations)
	n.Spec.Taints = slices.Clone(n.Spec.Taints)
}

// PodsOn lists the pods on the named nodes from the API server.
func (r cacheReader) PodsOn(ctx context.Context, nodes []string) ([]corev1.Pod, error) {
	return r.direct.PodsOn(ctx, nodes)
}

// PDBs lists the PodDisruptionBudgets from the API server.
func (r cacheReader) PDBs(ctx context.Context) ([]policyv1.PodDisruptionBudget, error) {
	return r.direct.PDBs(ctx)
}

// nodeTransform keeps of a cached node what plans read (fleet.LeanNode), so that the
// cache of a 5,000-node fleet stays small.
func nodeTransform(obj any) (any, error) {
	if n, ok := obj.(*corev1.Node); ok {
		fleet.LeanNode(n)
	}
	return obj, nil
}
