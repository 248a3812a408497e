package cluster

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nodeguardian/nodeguardian/internal/deliver"
	"github.com/nodeguardian/nodeguardian/internal/ledger"
	"github.com/nodeguardian/nodeguardian/internal/notify"
	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// TestApplySlowChannelDelaysNoNode: with a webhook that never answers, every node's
// PATCH is written long before a single send gives up (node actions do not wait for
// deliveries), every failure is reported, and the ledgers keep the notifications
// pending for the next apply.
func TestApplySlowChannelDelaysNoNode(t *testing.T) {
	f := newFixture(t)
	ctx := testContext(t)
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // hold the request until the client gives up or the test ends
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); hang.Close() })

	const nodes, timeout = 10, 3 * time.Second
	p := &plan.Plan{ID: "slow", Inputs: plan.Inputs{NodeVersions: map[string]string{}}}
	for i := range nodes {
		name := fmt.Sprintf("slow-%02d", i)
		n := f.createNode(t, name)
		p.Inputs.NodeVersions[name] = n.ResourceVersion
		changes := firing()
		for j := range changes {
			if changes[j].Kind == plan.KindAlert {
				changes[j].Alert.Channels = []string{"webhook"}
			}
			if changes[j].Kind == plan.KindLedger { // the rule's notification is pending
				changes[j].Value = strings.Replace(firingLedger, `"cordon":true`, `"cordon":true,"notified":{"event":"firing"}`, 1)
			}
		}
		p.Nodes = append(p.Nodes, plan.NodePlan{Node: name, ResourceVersion: n.ResourceVersion, Changes: changes})
	}
	d, err := notify.New(notify.Config{Webhook: &notify.WebhookConfig{URL: notify.URL(hang.URL)}},
		notify.Options{Timeout: timeout, Retries: 1, Backoff: 100 * time.Millisecond, Logger: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	s := deliver.New(d, nil, p.ID, nil)

	var actionsDone time.Time // Progress calls never overlap
	done := 0
	start := time.Now()
	res, err := f.c.Apply(ctx, p, nil, ApplyOptions{Deliver: s.Deliver, Progress: func(string, error) {
		if done++; done == nodes {
			actionsDone = time.Now()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	total := time.Since(start)
	if res.NodesChanged != nodes || len(res.Failed) != 0 {
		t.Fatalf("changed %d, failed %v", res.NodesChanged, res.Failed)
	}
	// One send takes two timed-out attempts (≥ 2×timeout); the node actions of all
	// nodes must be done well within one timeout.
	if took := actionsDone.Sub(start); took >= timeout {
		t.Errorf("the node actions took %s, not under one send timeout (%s): deliveries held them up", took, timeout)
	}
	if total < 2*timeout {
		t.Errorf("apply took %s: the sends did not wait for the hanging webhook", total)
	}
	if fs := s.Failures(); len(fs) != nodes || !strings.Contains(fs[0].Error(), "timed out") {
		t.Errorf("failures = %v, want %d timeouts", fs, nodes)
	}
	for _, np := range p.Nodes {
		l, err := ledger.Read(f.getNode(t, np.Node))
		if err != nil {
			t.Fatal(err)
		}
		if n := l.Rules["hot"].Notified; n == nil || len(n.Channels) != 0 {
			t.Errorf("node %s: notified %+v, want pending (no channel)", np.Node, n)
		}
	}
}
