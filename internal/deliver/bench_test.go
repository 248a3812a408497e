package deliver

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/nodeguardian/nodeguardian/internal/apply"
	"github.com/nodeguardian/nodeguardian/internal/notify"
	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// BenchmarkApplyDelivers1000 sends 1,000 firing alerts, one per node, as a live apply
// does: one Sender.Deliver per node from DefaultConcurrency (16) delivery
// workers, through a Dispatcher with the default options, to a local webhook that answers
// each after 1ms. The ledger writes that follow each Deliver are not timed.
func BenchmarkApplyDelivers1000(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		time.Sleep(time.Millisecond)
	}))
	defer srv.Close()
	d, err := notify.New(notify.Config{Webhook: &notify.WebhookConfig{URL: notify.URL(srv.URL)}}, notify.Options{Logger: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	since := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	nodes := make([][]apply.SentAlert, 1000)
	for i := range nodes {
		nodes[i] = []apply.SentAlert{{Node: fmt.Sprintf("worker-%04d", i), Rule: "high-load", Alert: plan.Alert{
			Event: "firing", Template: "high-load-alert", Channels: []string{"webhook"}, Subject: "hot", Since: since, Fired: since,
			Values: []plan.AlertValue{{Metric: "cpuLoadRatio", Value: 1.9, Operator: "GreaterThan", Threshold: 1.5}}}}}
	}
	for b.Loop() {
		s := New(d, nil, "plan", nil)
		jobs := make(chan int, len(nodes))
		for i := range nodes {
			jobs <- i
		}
		close(jobs)
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				for i := range jobs {
					s.Deliver(context.Background(), nodes[i])
				}
			})
		}
		wg.Wait()
		if len(s.Failures()) > 0 || s.Sent() != len(nodes) {
			b.Fatalf("sent %d, failures %v", s.Sent(), s.Failures())
		}
	}
}
