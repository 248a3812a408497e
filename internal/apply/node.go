package apply

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nodeguardian/nodeguardian/internal/fleet"
	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// ToNode applies the non-dry-run changes of np that live on the Node object — taints,
// labels, annotations, the ledger annotation and cordon (spec.unschedulable) — to node
// in place, exactly as ToSnapshot changes a snapshot's node. Evictions, alerts and state
// changes are not part of the Node object and are ignored. A new NoExecute taint is
// stamped with now. It returns why changes were skipped, each as
// "<node>: <change>: <why>" like Result.Skipped.
//
// This is what a live apply sends to the API server: the difference between node before
// and after ToNode.
func ToNode(node *corev1.Node, np plan.NodePlan, now time.Time) []string {
	// applyTaint reads the snapshot's time only, to stamp new NoExecute taints.
	s := &fleet.Snapshot{Time: metav1.NewTime(now)}
	var skipped []string
	for _, c := range np.Changes {
		if c.DryRun {
			continue
		}
		var why string
		switch c.Kind {
		case plan.KindTaint, plan.KindLabel, plan.KindAnnotation, plan.KindLedger, plan.KindCordon:
			// Node object changes: the same code as ToSnapshot. None of these kinds
			// touches the Result or the snapshot's pods.
			why = applyChange(&Result{}, s, node, c)
		case plan.KindEvict, plan.KindAlert, plan.KindState:
			// not on the Node object
		default:
			why = fmt.Sprintf("unknown kind %q", c.Kind)
		}
		if why != "" {
			skipped = append(skipped, fmt.Sprintf("%s: %s: %s", node.Name, describe(c), why))
		}
	}
	return skipped
}
