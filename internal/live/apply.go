package live

import (
	"context"
	"fmt"
	"time"

	"github.com/nodeguardian/nodeguardian/internal/apply"
	"github.com/nodeguardian/nodeguardian/internal/cluster"
	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// Deliver sends a node's alerts once its changes are written (a deliver.Sender's
	// Deliver); nil records every alert as delivered (cluster.ApplyOptions.Deliver).
	Deliver func(ctx context.Context, alerts []apply.SentAlert) [][]string
	// Progress is called once per node when it is done (cluster.ApplyOptions.Progress).
	Progress func(node string, err error)
	// Timeout bounds the whole apply (0: none).
	Timeout time.Duration
	// Cluster overrides how the apply is tuned (eviction timeouts, concurrency); its
	// Deliver, Progress and Planned are set from the fields above and the plan's state.
	Cluster cluster.ApplyOptions
}

// Apply makes the changes of p, which Plan computed into st, on the cluster of src: one
// PATCH per changed node from the node as planned (re-planned with the same metrics on a
// conflict), evictions, then the alerts of the nodes written, delivered and recorded in
// their ledgers. `ngctl apply` and the controller both apply through it. Nodes are
// independent: failures are in the result; the error is for a plan that cannot be
// applied at all.
func Apply(ctx context.Context, src Sources, st *State, p *plan.Plan, o ApplyOptions) (cluster.ApplyResult, error) {
	if src.Cluster == nil || st == nil {
		return cluster.ApplyResult{}, fmt.Errorf("apply: not a live plan")
	}
	opts := o.Cluster
	opts.Deliver, opts.Progress = o.Deliver, o.Progress
	opts.Planned = st.Planned(p)
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	res, err := src.Cluster.Apply(ctx, p, st.Replan, opts)
	if err != nil {
		return res, fmt.Errorf("apply: %w", err)
	}
	return res, nil
}
