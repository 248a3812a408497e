package notify

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkSend1000Webhook sends 1,000 notifications in one Send to a local webhook and
// reports the most requests (each answered after 1ms) the webhook saw in flight at once (max-concurrent), which
// Options.Concurrency bounds.
func BenchmarkSend1000Webhook(b *testing.B) {
	var inFlight, maxSeen atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := maxSeen.Load(); n > m && !maxSeen.CompareAndSwap(m, n); m = maxSeen.Load() {
		}
		_, _ = io.Copy(io.Discard, r.Body)
		time.Sleep(time.Millisecond) // a receiver's latency, so that requests overlap
	}))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: DefaultConcurrency}}
	d, err := New(Config{Webhook: &WebhookConfig{URL: URL(srv.URL)}, Log: LogConfig{Format: "logfmt"}},
		Options{HTTPClient: client, Logger: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	ns := make([]Notification, 1000)
	for i := range ns {
		ns[i] = testNotification(EventFiring, "webhook")
	}
	b.ResetTimer()
	for b.Loop() {
		for _, rs := range d.Send(context.Background(), ns) {
			if rs[0].Err != nil {
				b.Fatal(rs[0].Err)
			}
		}
	}
	b.ReportMetric(float64(maxSeen.Load()), "max-concurrent")
}
