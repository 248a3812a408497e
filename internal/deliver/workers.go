package deliver

import (
	"context"
	"sync"

	"github.com/nodeguardian/nodeguardian/internal/apply"
	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// DefaultConcurrency is how many nodes' alerts are sent at once by default (notify
// bounds the sends in flight too): the delivery workers of a live apply
// (cluster.ApplyOptions.DeliverConcurrency) and of apply --snapshot --send-alerts.
const DefaultConcurrency = 16

// Workers run nodes' deliveries apart from whoever submits them, at most n at once, so
// that a slow or failing channel on one node never holds up another node's
// notifications (or its changes). Submit never blocks. Both a live apply and apply
// --snapshot --send-alerts send through them.
type Workers struct {
	jobs chan func()
	wg   sync.WaitGroup
}

// StartWorkers starts n workers (n <= 0: DefaultConcurrency), capped at capacity, for at
// most capacity jobs.
func StartWorkers(n, capacity int) *Workers {
	if n <= 0 {
		n = DefaultConcurrency
	}
	w := &Workers{jobs: make(chan func(), max(capacity, 0))}
	for range min(n, capacity) {
		w.wg.Go(func() {
			for job := range w.jobs {
				job()
			}
		})
	}
	return w
}

// Submit queues a job; at most capacity jobs may be submitted.
func (w *Workers) Submit(job func()) { w.jobs <- job }

// Wait takes no more jobs and returns once every job submitted is done.
func (w *Workers) Wait() {
	close(w.jobs)
	w.wg.Wait()
}

// DeliverPlan sends the alerts of every node of p (dry-run ones left out) on delivery
// workers, n nodes at once (n <= 0: DefaultConcurrency), and returns which channels
// received each, by node and index of the change in the node's plan (for
// apply.ToSnapshotDelivered).
func (s *Sender) DeliverPlan(ctx context.Context, p *plan.Plan, n int) apply.Deliveries {
	out := apply.Deliveries{}
	var mu sync.Mutex
	w := StartWorkers(n, len(p.Nodes))
	for _, np := range p.Nodes {
		var idx []int
		var alerts []apply.SentAlert
		for i, ch := range np.Changes {
			if ch.DryRun || ch.Kind != plan.KindAlert || ch.Alert == nil {
				continue
			}
			idx = append(idx, i)
			alerts = append(alerts, apply.SentAlert{Node: np.Node, Rule: ch.Rule, Alert: *ch.Alert})
		}
		if len(alerts) == 0 {
			continue
		}
		w.Submit(func() {
			got := s.Deliver(ctx, alerts)
			mu.Lock()
			defer mu.Unlock()
			out[np.Node] = map[int][]string{}
			for k, i := range idx {
				out[np.Node][i] = got[k]
			}
		})
	}
	w.Wait()
	return out
}
