package live

import (
	"github.com/nodeguardian/nodeguardian/internal/cluster"

	"context"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
)

// Reader reads the fleet's Kubernetes objects a plan needs. The CLI's implementation is
// *cluster.Client (paginated LISTs against the API server); the controller's reads its
// informer caches. Both hand the objects as they are stored: live makes them lean.
type Reader interface {
	// Nodes lists every node.
	Nodes(ctx context.Context) ([]corev1.Node, error)
	// PodsOn lists the pods bound to the named nodes (sorted names).
	PodsOn(ctx context.Context, nodes []string) ([]corev1.Pod, error)
	// PDBs lists every PodDisruptionBudget.
	PDBs(ctx context.Context) ([]policyv1.PodDisruptionBudget, error)
}

// reader is where src reads the fleet: its Reader, else its cluster client.
func (src Sources) reader() Reader {
	if src.Reader != nil {
		return src.Reader
	}
	return src.Cluster
}

var _ Reader = (*cluster.Client)(nil)
