package controller

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fluxcd/pkg/runtime/conditions"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/testenv"
)

// A manager stopped right after it acted, and a new one started: the new one rebuilds
// its state from the node ledger and rule status, so it neither sends the alert again
// nor writes the node again.
func TestRestartNoDuplicates(t *testing.T) {
	w := newWorld(t, "ng_hot{node=\"rs-a\"} 1\n")
	w.node("rs-a", map[string]string{"group": "rs"})
	var posts atomic.Int64
	hook := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		rw.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(hook.Close)
	cfg := webhookConfig(t, hook.URL)
	w.rule("rs", `
nodeSelector: {matchLabels: {group: rs}}
conditions:
- {metric: ng_hot, query: ng_hot, operator: GreaterThan, value: 0.5, duration: 0s}
actions:
- type: taint
  taint: {key: rs/hot}
- type: alert
  alert: {channels: [webhook]}
monitoring: {checkInterval: 1s, cooldownPeriod: 0s}
maxUnhealthy: "100%"
`)
	a := w.start(Options{AlertConfig: cfg})
	eventually(t, 20*time.Second, "fired and alerted", func() (bool, string) {
		n := w.getNode("rs-a")
		return hasTaint(n, "rs/hot") && posts.Load() == 1 && ledgerState(n, "rs") == "Firing", fmt.Sprintf("%d posts", posts.Load())
	})
	a.stop(t)
	writes := w.nodeWrites.Load()
	b := w.start(Options{AlertConfig: cfg})
	eventually(t, 20*time.Second, "the new manager reconciled three times", func() (bool, string) {
		return b.reconciles() >= 3, ""
	})
	if got := posts.Load(); got != 1 {
		t.Errorf("the alert was sent %d times", got)
	}
	if got := w.nodeWrites.Load() - writes; got != 0 {
		t.Errorf("the new manager wrote the node %d times", got)
	}
}

// A rule whose new generation is being evaluated is Reconciling: kstatus InProgress.
func TestReconcilingIsInProgress(t *testing.T) {
	env := testenv.Need(t, sharedEnv)
	w := &world{t: t, env: env, c: env.Client}
	rule := w.rule("progress", hotRule("progress", "ng_hot", ""))
	m, err := newCollectors(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	r := &Reconciler{client: env.Client, m: m, log: logr.Discard()}
	r.markReconciling(context.Background(), []*v1.NodeGuardianRule{rule})
	got := w.getRule("progress")
	if !conditions.IsReconciling(got) || kstatusOf(t, got) != status.InProgressStatus {
		t.Fatalf("kstatus %s: %s", kstatusOf(t, got), describe(got))
	}
}
