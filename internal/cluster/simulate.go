package cluster

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/drain"

	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// evictionRef points at one planned pod eviction in a plan.
type evictionRef struct{ node, change, pod int }

// SimulateEvictions runs every planned eviction of p (dry-run rules' included) that the
// planner did not already find blocked as a server-side dry-run Eviction (DryRun: All):
// nothing is evicted. When the API server refuses one because of a
// PodDisruptionBudget, the pod's BlockedBy is set to "<ns>/<pdb>" ("PodDisruptionBudget"
// when the refusal does not name it) and p.Summary.Evictions is lowered, so that the plan
// names the PDB that blocks. Other refusals (the pod is gone, the eviction is forbidden)
// become warnings of the plan. The error is for a cancelled context only.
//
// The plan's ID is not recomputed: it identifies the plan as computed.
func (c *Client) SimulateEvictions(ctx context.Context, p *plan.Plan) error {
	if p == nil {
		return nil
	}
	var refs []evictionRef
	for n := range p.Nodes {
		for ci, ch := range p.Nodes[n].Changes {
			if ch.Kind != plan.KindEvict {
				continue
			}
			for pi, pe := range ch.Pods {
				if pe.BlockedBy == "" {
					refs = append(refs, evictionRef{n, ci, pi})
				}
			}
		}
	}
	h := &drain.Helper{
		Ctx: ctx, Client: c.evict, GracePeriodSeconds: -1,
		DryRunStrategy: cmdutil.DryRunServer, Out: io.Discard, ErrOut: io.Discard,
	}
	errs := make([]error, len(refs))
	forEach(len(refs), evictWorkers, func(i int) {
		pe := p.Nodes[refs[i].node].Changes[refs[i].change].Pods[refs[i].pod]
		pod := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: podNamespace(pe.Namespace), Name: pe.Name}}
		errs[i] = h.EvictPod(pod, policyv1.SchemeGroupVersion)
	})
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("simulate evictions: %w", err)
	}
	for i, err := range errs {
		if err != nil {
			recordRefusal(p, refs[i], err)
		}
	}
	return nil
}

// recordRefusal writes a refused dry-run eviction into the plan: BlockedBy for a
// PodDisruptionBudget, else a warning.
func recordRefusal(p *plan.Plan, ref evictionRef, err error) {
	np := &p.Nodes[ref.node]
	ch := &np.Changes[ref.change]
	pe := &ch.Pods[ref.pod]
	id := podID(pe.Namespace, pe.Name)
	if pdb, ok := blockingPDB(err, podNamespace(pe.Namespace)); ok {
		if pdb == "" {
			pdb = "PodDisruptionBudget"
		}
		pe.BlockedBy = pdb
		if !ch.DryRun {
			p.Summary.Evictions--
		}
		return
	}
	msg := fmt.Sprintf("dry-run eviction of pod %s failed: %v", id, err)
	if apierrors.IsNotFound(err) {
		msg = fmt.Sprintf("pod %s to evict is gone", id)
	}
	addWarning(p, plan.Warning{Rule: ch.Rule, Node: np.Node, Message: msg})
}

// addWarning inserts w among the plan's warnings, which are sorted by node, rule and
// message, and counts it.
func addWarning(p *plan.Plan, w plan.Warning) {
	i := sort.Search(len(p.Warnings), func(i int) bool {
		o := p.Warnings[i]
		return cmp.Or(strings.Compare(o.Node, w.Node), strings.Compare(o.Rule, w.Rule), strings.Compare(o.Message, w.Message)) > 0
	})
	if i > 0 && p.Warnings[i-1] == w {
		return
	}
	p.Warnings = slices.Insert(p.Warnings, i, w)
	p.Summary.Warnings = len(p.Warnings)
}

// podNamespace is namespace, "default" when empty.
func podNamespace(namespace string) string {
	if namespace == "" {
		return metav1.NamespaceDefault
	}
	return namespace
}
