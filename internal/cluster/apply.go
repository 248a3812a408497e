package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/nodeguardian/nodeguardian/internal/apply"
	"github.com/nodeguardian/nodeguardian/internal/deliver"
	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// Apply defaults.
const (
	// DefaultEvictionTimeout bounds the eviction of one pod when
	// ApplyOptions.EvictionTimeout is 0.
	DefaultEvictionTimeout = 30 * time.Second
	// DefaultEvictionRetryDelay is the pause between refused eviction attempts when
	// ApplyOptions.EvictionRetryDelay is 0 (kubectl drain's default).
	DefaultEvictionRetryDelay = 5 * time.Second
	// DefaultConcurrency is how many nodes Apply works on at once when
	// ApplyOptions.Concurrency is 0.
	DefaultConcurrency = 4
	// DefaultDeliverConcurrency is how many nodes' alerts Apply sends at once when
	// ApplyOptions.DeliverConcurrency is 0 (notify bounds the sends in flight too).
	DefaultDeliverConcurrency = deliver.DefaultConcurrency
	// MaxConflictRetries is how many times Apply re-reads and re-plans a node that
	// changed under it before it gives up on the node.
	MaxConflictRetries = 5
)

// ReplanFunc plans one node again from its current state, after it changed between the
// plan and the apply. It returns the node's changes now; nil or no changes means there
// is nothing left to do. Apply never calls it concurrently.
type ReplanFunc func(ctx context.Context, node *corev1.Node) (*plan.NodePlan, error)

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// EvictionTimeout bounds the eviction of each pod: an eviction the API server
	// refuses with 429 Too Many Requests (a PodDisruptionBudget allows no disruption
	// now) is retried until it passes; the pod is then reported in
	// ApplyResult.Blocked, never deleted. Default DefaultEvictionTimeout.
	EvictionTimeout time.Duration
	// EvictionRetryDelay is the pause between refused eviction attempts. Default
	// DefaultEvictionRetryDelay.
	EvictionRetryDelay time.Duration
	// Concurrency is how many nodes are applied at once. Default DefaultConcurrency.
	Concurrency int
	// DeliverConcurrency is how many nodes' alerts are sent (and recorded) at once, apart
	// from the nodes being applied: a slow channel delays no node's changes. Default
	// DefaultDeliverConcurrency.
	DeliverConcurrency int
	// Progress, when set, is called once per node when it is done, with the node's
	// error (nil when it succeeded). Calls never overlap.
	Progress func(node string, err error)
	// Deliver sends a node's alerts once its changes are written (and its evictions
	// done), and returns, for each alert, the channels that received it; they are then
	// recorded in the node's ledger (one more PATCH), so that what failed is sent again
	// by the next apply and nothing is sent twice. It runs on delivery workers
	// (DeliverConcurrency), not on the node workers: a slow channel never delays
	// another node's changes. Nil records every alert as delivered to all its channels
	// (the caller only logs them). Calls may overlap (one per node).
	Deliver func(ctx context.Context, alerts []apply.SentAlert) [][]string
	// Planned returns a node as the plan read it (nil when unknown). When its
	// resourceVersion is the planned one, its PATCH is computed from it and sent at once,
	// guarded by that resourceVersion: one request per changed node, and a GET only after
	// a 409 Conflict. Without it every node is read before it is patched.
	Planned func(name string) *corev1.Node
}

func (o ApplyOptions) withDefaults() ApplyOptions {
	if o.EvictionTimeout <= 0 {
		o.EvictionTimeout = DefaultEvictionTimeout
	}
	if o.EvictionRetryDelay <= 0 {
		o.EvictionRetryDelay = DefaultEvictionRetryDelay
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.DeliverConcurrency <= 0 {
		o.DeliverConcurrency = DefaultDeliverConcurrency
	}
	return o
}

// ApplyResult is what Apply did.
type ApplyResult struct {
	// NodesChanged counts the nodes that were patched.
	NodesChanged int
	// PodsEvicted counts the evictions the API server accepted.
	PodsEvicted int
	// Blocked lists the pods not evicted because a PodDisruptionBudget allowed no
	// disruption — already in the plan, or until the eviction timeout — as
	// "ns/pod: blocked by PDB ns/pdb".
	Blocked []string
	// Failed holds the nodes that failed, with why: their patch, or an eviction. The
	// other nodes are applied all the same; applying again converges.
	Failed map[string]error
	// Alerts are the alerts of the nodes whose changes were written, in plan order, to
	// be sent by the caller.
	Alerts []apply.SentAlert
	// Skipped lists the changes that could not be applied, as apply.Result.Skipped, and
	// the planned pods that were no longer there to evict.
	Skipped []string
	// Replanned lists the nodes that changed after they were planned and were planned
	// again, by name.
	Replanned []string
}

// nodeOutcome is what applying one node did.
type nodeOutcome struct {
	changed   bool
	replanned bool
	written   *corev1.Node // the node as the PATCH left it (nil: not patched)
	evicted   int
	blocked   []string
	skipped   []string
	alerts    []apply.SentAlert
	pending   *pendingRecord // alerts to send and record, once written
	err       error
}

// applier holds one Apply call.
type applier struct {
	c        *Client
	p        *plan.Plan
	replan   ReplanFunc
	o        ApplyOptions
	replanMu sync.Mutex // replan is not safe for concurrent use
}

// Apply executes the plan's changes that are not dry-run, node by node (a few at once):
// one merge PATCH per node carrying its taints, labels, annotations (the ledger
// included) and spec.unschedulable, guarded by the resourceVersion the node was planned
// at (NodePlan.ResourceVersion, else p.Inputs.NodeVersions; a node without one is not
// applied: the plan was not made against a live cluster). A node that changed since
// — found on reading it, or by a 409 Conflict — is re-read and planned again with
// replan, at most MaxConflictRetries times. Once a node's patch is written, its planned
// evictions go through the Eviction API (see ApplyOptions.EvictionTimeout); then its
// alerts are collected and handed to a delivery worker (ApplyOptions.Deliver), which
// records what was delivered in the node's ledger while the node workers go on.
//
// Nodes are independent: a node that fails is recorded in ApplyResult.Failed and the
// others are applied all the same. Applying again (a new plan) converges. The error is
// for a plan that cannot be applied at all.
func (c *Client) Apply(ctx context.Context, p *plan.Plan, replan ReplanFunc, o ApplyOptions) (ApplyResult, error) {
	if p == nil {
		return ApplyResult{}, errors.New("apply: no plan")
	}
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	a := &applier{c: c, p: p, replan: replan, o: o.withDefaults()}
	var todo []int
	for i, np := range p.Nodes {
		if slices.ContainsFunc(np.Changes, func(ch plan.Change) bool { return !ch.DryRun }) {
			todo = append(todo, i)
		}
	}
	outcomes := make([]*nodeOutcome, len(p.Nodes))
	// Deliveries run apart from the node workers, so that a slow or failing channel
	// never holds up another node's changes; each starts once its node's changes are
	// written (its pending notifications recorded in its ledger).
	deliveries := deliver.StartWorkers(a.o.DeliverConcurrency, len(todo))
	var progressMu sync.Mutex
	forEach(len(todo), a.o.Concurrency, func(k int) {
		i := todo[k]
		var out nodeOutcome
		if err := context.Cause(ctx); err != nil {
			out.err = fmt.Errorf("node %s: not applied: %w", p.Nodes[i].Node, err)
		} else if out = a.node(ctx, p.Nodes[i]); unreachable(out.err) {
			// An API server that stops answering fails every node the same way: stop
			// rather than wait for each in turn.
			stop(fmt.Errorf("the API server did not answer: %w", out.err))
		}
		outcomes[i] = &out
		if a.o.Progress != nil {
			progressMu.Lock()
			a.o.Progress(p.Nodes[i].Node, out.err)
			progressMu.Unlock()
		}
		if out.pending != nil {
			deliveries.Submit(func() {
				if err := a.deliver(ctx, out.pending); err != nil && out.err == nil {
					out.err = err
				}
			})
		}
	})
	deliveries.Wait()
	return collect(p, outcomes), nil
}

// collect sums the nodes' outcomes, in plan order.
func collect(p *plan.Plan, outcomes []*nodeOutcome) ApplyResult {
	r := ApplyResult{Failed: map[string]error{}}
	for i, out := range outcomes {
		if out == nil {
			continue
		}
		name := p.Nodes[i].Node
		if out.changed {
			r.NodesChanged++
		}
		if out.replanned {
			r.Replanned = append(r.Replanned, name)
		}
		if out.err != nil {
			r.Failed[name] = out.err
		}
		r.PodsEvicted += out.evicted
		r.Blocked = append(r.Blocked, out.blocked...)
		r.Skipped = append(r.Skipped, out.skipped...)
		r.Alerts = append(r.Alerts, out.alerts...)
	}
	return r
}

// node applies one node: its patch, then its evictions; its alerts, and the record of
// what was delivered and evicted, are left to a delivery worker (pending).
func (a *applier) node(ctx context.Context, np plan.NodePlan) nodeOutcome {
	final, out := a.patch(ctx, np)
	if out.err != nil {
		return out
	}
	out.alerts = alerts(final)
	ev := a.c.evictOnNode(ctx, final.Node, plannedEvictions(final), a.o)
	out.evicted, out.blocked = ev.evicted, ev.blocked
	out.skipped = append(out.skipped, ev.skipped...)
	out.err = ev.err
	if len(out.alerts) > 0 || len(plannedEvictions(final)) > 0 {
		out.pending = &pendingRecord{np: final, sent: out.alerts, written: out.written, done: ev.done}
	}
	return out
}

// pendingRecord is what is left of a node once its changes are written: sending its
// alerts and recording in its ledger what was delivered and which planned pods are
// evicted.
type pendingRecord struct {
	np      plan.NodePlan
	sent    []apply.SentAlert
	written *corev1.Node    // as the PATCH left it (nil: not patched)
	done    map[string]bool // planned pods evicted or gone, by podID
}

// deliver sends a node's alerts, then records in its ledger what was delivered and which
// planned pods are evicted (done: evicted or gone), in one PATCH, re-reading the node on a
// write conflict (recording is idempotent).
func (a *applier) deliver(ctx context.Context, pr *pendingRecord) error {
	np, sent, done := pr.np, pr.sent, pr.done
	var got [][]string
	if a.o.Deliver != nil && len(sent) > 0 {
		got = a.o.Deliver(ctx, sent)
	}
	delivered := apply.Deliveries{np.Node: {}}
	k := 0
	for i, ch := range np.Changes {
		if ch.DryRun || ch.Kind != plan.KindAlert || ch.Alert == nil {
			continue
		}
		channels := ch.Alert.Channels
		if a.o.Deliver != nil {
			channels = nil
			if k < len(got) {
				channels = got[k]
			}
		}
		delivered[np.Node][i] = channels
		k++
	}
	node := pr.written // as our PATCH left it: no read needed unless someone wrote since
	for range MaxConflictRetries {
		if node == nil {
			var err error
			if node, err = a.c.Node(ctx, np.Node); err != nil {
				return fmt.Errorf("record alerts of node %s: %w", np.Node, err)
			}
		}
		updated := node.DeepCopy()
		// Deliveries are recorded at the plan's time, as every other time of the ledger
		// (since, lastFired): with --now the plan's clock is not the wall clock, and a
		// later plan would find a wall-clock time in its future (corrupt, see ledger.ReadAt).
		if !apply.RecordApplied(updated, np, delivered, func(ns, name string) bool { return done[podID(ns, name)] }, a.p.CreatedAt) {
			return nil
		}
		body, err := nodePatch(node, updated, node.ResourceVersion)
		if err != nil || body == nil {
			return err
		}
		_, err = a.c.kube.CoreV1().Nodes().Patch(ctx, node.Name, types.MergePatchType, body, metav1.PatchOptions{FieldManager: fieldManager})
		if err == nil || !apierrors.IsConflict(err) {
			if err != nil {
				return fmt.Errorf("record alerts of node %s: %w", np.Node, err)
			}
			return nil
		}
		node = nil
	}
	return fmt.Errorf("record alerts of node %s: the node kept changing", np.Node)
}

// patch writes one node's object changes; it returns the node plan it applied, which is
// a new one when the node had to be planned again.
func (a *applier) patch(ctx context.Context, np plan.NodePlan) (plan.NodePlan, nodeOutcome) {
	var out nodeOutcome
	rv := plannedVersion(a.p, np)
	if rv == "" {
		out.err = fmt.Errorf("node %s: the plan does not record the node's resourceVersion (it was not made against a live cluster)", np.Node)
		return np, out
	}
	var node *corev1.Node
	if a.o.Planned != nil {
		if n := a.o.Planned(np.Node); n != nil && n.ResourceVersion == rv {
			node = n.DeepCopy()
		}
	}
	var err error
	if node == nil {
		if node, err = a.c.Node(ctx, np.Node); err != nil {
			out.err = err
			return np, out
		}
	}
	var conflict error
	for replans := 0; ; {
		if node.ResourceVersion != rv || conflict != nil {
			if replans == MaxConflictRetries {
				out.err = fmt.Errorf("node %s: changed again after %d re-plans; giving up: %w", np.Node, replans, conflict)
				return np, out
			}
			replans++
			out.replanned = true
			if np, err = a.replanNode(ctx, node, rv); err != nil {
				out.err = err
				return np, out
			}
			rv = node.ResourceVersion
		}
		out.written, out.skipped, conflict = a.write(ctx, node, np)
		out.changed = out.written != nil
		if conflict == nil || !apierrors.IsConflict(conflict) {
			out.err = conflict
			return np, out
		}
		if node, err = a.c.Node(ctx, np.Node); err != nil {
			out.err = err
			return np, out
		}
	}
}

// write applies a node plan's object changes to node (as read or planned) and sends the
// difference as one merge PATCH guarded by node's resourceVersion. It returns the node as
// the PATCH left it, nil when it sent none.
func (a *applier) write(ctx context.Context, node *corev1.Node, np plan.NodePlan) (*corev1.Node, []string, error) {
	desired := node.DeepCopy()
	skipped := apply.ToNode(desired, np, a.c.now().UTC().Truncate(time.Second))
	body, err := nodePatch(node, desired, node.ResourceVersion)
	if err != nil || body == nil {
		return nil, skipped, err
	}
	written, err := a.c.kube.CoreV1().Nodes().Patch(ctx, node.Name, types.MergePatchType, body, metav1.PatchOptions{FieldManager: fieldManager})
	if err == nil {
		return written, skipped, nil
	}
	if _, answered := err.(apierrors.APIStatus); answered || apierrors.IsConflict(err) {
		return nil, skipped, fmt.Errorf("patch node %s: %w", node.Name, err)
	}
	// No answer (connection lost after sending, a timeout): the PATCH may have been
	// written. Read the node before reporting it failed.
	if cur, ok := a.confirm(node.Name, desired); ok {
		return cur, skipped, nil
	}
	return nil, skipped, fmt.Errorf("patch node %s: outcome unknown (no answer, and the node could not be read back to confirm it): %w", node.Name, err)
}

// confirm reads a node after a PATCH that got no answer and reports whether it holds what
// the PATCH wrote (its labels, annotations, taints and unschedulable as desired). It
// uses its own short deadline: the apply's may be what ended the PATCH.
func (a *applier) confirm(name string, desired *corev1.Node) (*corev1.Node, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), DefaultRequestTimeout)
	defer cancel()
	cur, err := a.c.Node(ctx, name)
	if err != nil {
		return nil, false
	}
	diff, err := nodePatch(cur, desired, cur.ResourceVersion)
	return cur, err == nil && diff == nil
}

// plannedVersion is the resourceVersion a node was planned at ("" when the plan does not
// say).
func plannedVersion(p *plan.Plan, np plan.NodePlan) string {
	if np.ResourceVersion != "" {
		return np.ResourceVersion
	}
	return p.Inputs.NodeVersions[np.Node]
}

// replanNode plans node again after it changed from planned (its resourceVersion when
// it was planned).
func (a *applier) replanNode(ctx context.Context, node *corev1.Node, planned string) (plan.NodePlan, error) {
	if a.replan == nil {
		return plan.NodePlan{}, fmt.Errorf("node %s: changed since it was planned (resourceVersion %s, now %s) and cannot be planned again here; plan again",
			node.Name, planned, node.ResourceVersion)
	}
	a.replanMu.Lock()
	np, err := a.replan(ctx, node.DeepCopy())
	a.replanMu.Unlock()
	if err != nil {
		return plan.NodePlan{}, fmt.Errorf("node %s: changed since it was planned; plan it again: %w", node.Name, err)
	}
	if np == nil {
		return plan.NodePlan{Node: node.Name, ResourceVersion: node.ResourceVersion}, nil
	}
	if np.Node != node.Name {
		return plan.NodePlan{}, fmt.Errorf("node %s: planned again, the plan is for node %q", node.Name, np.Node)
	}
	return *np, nil
}

// alerts returns the alerts a node plan sends (not dry-run), in order.
func alerts(np plan.NodePlan) []apply.SentAlert {
	var out []apply.SentAlert
	for _, ch := range np.Changes {
		if ch.DryRun || ch.Kind != plan.KindAlert || ch.Alert == nil {
			continue
		}
		a := apply.SentAlert{Node: np.Node, Rule: ch.Rule, Alert: *ch.Alert}
		a.Channels = slices.Clone(ch.Alert.Channels)
		out = append(out, a)
	}
	return out
}

// unreachable reports whether err says the API server did not answer in time (or at
// all), as opposed to refusing a request.
func unreachable(err error) bool {
	if err == nil {
		return false
	}
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err) ||
		(errors.As(err, &ne) && ne.Timeout()) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}
