package cluster

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// SimulateEvictions runs every planned eviction of p (dry-run rules' included) that the
// planner did not already find blocked as a server-side dry-run Eviction (DryRun: All):
// nothing is evicted, and p is not modified. It returns the refusals by pod
// ("namespace/name" as the plan spells it): a pod a PodDisruptionBudget protects is
// blocked by "<ns>/<pdb>" ("PodDisruptionBudget" when the refusal does not name it);
// other refusals (the pod is gone, the eviction is forbidden) carry a message. Planning
// again with them (plan.Input.Refusals) gives the plan that names the PDB that blocks.
// The error is for a cancelled context only.
func (c *Client) SimulateEvictions(ctx context.Context, p *plan.Plan) (map[string]plan.Refusal, error) {
	if p == nil {
		return nil, nil
	}
	var pods []plan.PodEviction
	seen := map[string]bool{}
	for _, np := range p.Nodes {
		for _, ch := range np.Changes {
			if ch.Kind != plan.KindEvict {
				continue
			}
			for _, pe := range ch.Pods {
				if id := pe.Namespace + "/" + pe.Name; pe.BlockedBy == "" && !seen[id] {
					seen[id] = true
					pods = append(pods, pe)
				}
			}
		}
	}
	errs := make([]error, len(pods))
	forEach(len(pods), evictWorkers, func(i int) {
		errs[i] = c.evictPodOnce(ctx, podNamespace(pods[i].Namespace), pods[i].Name, nil, true)
	})
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("simulate evictions: %w", err)
	}
	refusals := map[string]plan.Refusal{}
	for i, err := range errs {
		if err != nil {
			refusals[pods[i].Namespace+"/"+pods[i].Name] = refusal(pods[i], err)
		}
	}
	return refusals, nil
}

// refusal turns a refused dry-run eviction into what the planner needs: the blocking
// PodDisruptionBudget, else a message.
func refusal(pe plan.PodEviction, err error) plan.Refusal {
	id := podID(pe.Namespace, pe.Name)
	if pdb, ok := blockingPDB(err, podNamespace(pe.Namespace)); ok {
		if pdb == "" {
			pdb = "PodDisruptionBudget"
		}
		return plan.Refusal{BlockedBy: pdb}
	}
	if apierrors.IsNotFound(err) {
		return plan.Refusal{Message: fmt.Sprintf("pod %s to evict is gone", id)}
	}
	return plan.Refusal{Message: fmt.Sprintf("dry-run eviction of pod %s failed: %v", id, err)}
}

// podNamespace is namespace, "default" when empty.
func podNamespace(namespace string) string {
	if namespace == "" {
		return metav1.NamespaceDefault
	}
	return namespace
}
