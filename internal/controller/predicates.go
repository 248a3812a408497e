package controller

import (
	"context"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// NodeChangedPredicate passes node creations, deletions and updates of what rules read
// or own: labels (selectors), annotations (the ownership ledger), taints and
// spec.unschedulable. Status-only updates — kubelet heartbeats, conditions, images —
// do not trigger a reconcile: the timer re-evaluates metrics anyway.
type NodeChangedPredicate struct {
	predicate.Funcs
}

// Update implements predicate.Predicate.
func (NodeChangedPredicate) Update(e event.UpdateEvent) bool {
	o, ok1 := e.ObjectOld.(*corev1.Node)
	n, ok2 := e.ObjectNew.(*corev1.Node)
	if !ok1 || !ok2 {
		return true
	}
	return nodeMatters(o, n)
}

// nodeMatters reports whether a node changed in a way a plan reads.
func nodeMatters(o, n *corev1.Node) bool {
	return !maps.Equal(o.Labels, n.Labels) || !maps.Equal(o.Annotations, n.Annotations) ||
		o.Spec.Unschedulable != n.Spec.Unschedulable ||
		!slices.EqualFunc(o.Spec.Taints, n.Spec.Taints, func(a, b corev1.Taint) bool {
			return a.Key == b.Key && a.Value == b.Value && a.Effect == b.Effect
		})
}

// fleetRequest maps every event to the one fleet request: budgets and priority conflicts
// span rules and nodes, so the fleet is planned as a whole.
func fleetRequest(context.Context, client.Object) []reconcile.Request {
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Name: FleetKey}}}
}
