package cluster

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"

	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// With the nodes as planned, an apply sends exactly one request per changed node (its
// PATCH, guarded by the planned resourceVersion) and reads a node only after a 409.
func TestApplyOneRequestPerChangedNode(t *testing.T) {
	f := newFixture(t)
	ctx := testContext(t)
	planned := map[string]*corev1.Node{}
	p := &plan.Plan{Inputs: plan.Inputs{NodeVersions: map[string]string{}}}
	for i := range 3 {
		name := fmt.Sprintf("one-request-%d", i)
		n := f.createNode(t, name)
		planned[name] = n
		p.Inputs.NodeVersions[name] = n.ResourceVersion
		p.Nodes = append(p.Nodes, plan.NodePlan{Node: name, ResourceVersion: n.ResourceVersion, Changes: firing()})
	}
	// Someone writes to the last node after the plan: its PATCH gets a 409, then a read.
	f.touchNode(t, "one-request-2", "someone", "else")
	f.rec.reset()
	res, err := f.c.Apply(ctx, p, nil, ApplyOptions{Planned: func(name string) *corev1.Node { return planned[name] }})
	if err != nil {
		t.Fatal(err)
	}
	if res.NodesChanged != 2 || len(res.Failed) != 1 || res.Failed["one-request-2"] == nil {
		t.Fatalf("changed %d, failed %v; want 2 changed and one-request-2 failed (it changed and cannot be re-planned here)", res.NodesChanged, res.Failed)
	}
	for i := range 3 {
		name := fmt.Sprintf("one-request-%d", i)
		patches, gets := f.rec.matching("PATCH", "/nodes/"+name), f.rec.matching("GET", "/nodes/"+name)
		wantGets := 0
		if i == 2 {
			wantGets = 1 // after the 409
		}
		if len(patches) != 1 || len(gets) != wantGets {
			t.Errorf("%s: %d PATCH, %d GET; want 1 PATCH, %d GET", name, len(patches), len(gets), wantGets)
		}
	}
	if err := res.Failed["one-request-2"]; !strings.Contains(err.Error(), "changed since it was planned") {
		t.Errorf("one-request-2: %v", err)
	}
}

// An API server that stops answering mid-apply fails the apply quickly: the requests in
// flight time out (--request-timeout) and the nodes not yet started are not attempted.
func TestApplyStopsWhenTheAPIServerIsSilent(t *testing.T) {
	f := newFixture(t)
	ctx := testContext(t)
	rec := &recorder{}
	cfg := rest.CopyConfig(f.env.Config)
	cfg.QPS, cfg.Burst, cfg.Timeout = 1000, 1000, 500*time.Millisecond
	cfg.Wrap(rec.wrap)
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec.setBefore(func(req *http.Request) {
		if req.Method == http.MethodPatch { // silent: connection open, nothing answered
			<-req.Context().Done()
		}
	})
	planned := map[string]*corev1.Node{}
	p := &plan.Plan{}
	for i := range 12 {
		name := fmt.Sprintf("silent-%02d", i)
		n := f.createNode(t, name)
		planned[name] = n
		p.Nodes = append(p.Nodes, plan.NodePlan{Node: name, ResourceVersion: n.ResourceVersion, Changes: firing()})
	}
	res, err := c.Apply(ctx, p, nil, ApplyOptions{Concurrency: 4, Planned: func(name string) *corev1.Node { return planned[name] }})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failed) != 12 || res.NodesChanged != 0 {
		t.Fatalf("failed %d, changed %d; want 12 failed", len(res.Failed), res.NodesChanged)
	}
	patches := rec.matching("PATCH", "/nodes/")
	if len(patches) > 4 {
		t.Errorf("%d PATCH requests sent to a silent API server; want at most the 4 in flight", len(patches))
	}
	notTried := 0
	for _, err := range res.Failed {
		if strings.Contains(err.Error(), "not applied: the API server did not answer") {
			notTried++
		}
	}
	if notTried < 8 {
		t.Errorf("%d nodes reported as not applied because the API server did not answer; want at least 8: %v", notTried, res.Failed)
	}
}

// A PATCH whose answer is lost after it was sent is confirmed by reading the node: the
// summary counts what was really written.
func TestApplyConfirmsAPatchWithoutAnswer(t *testing.T) {
	f := newFixture(t)
	ctx := testContext(t)
	cfg := rest.CopyConfig(f.env.Config)
	cfg.QPS, cfg.Burst = 1000, 1000
	var lost atomic.Int32
	cfg.Wrap(func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(req *http.Request) (*http.Response, error) {
			resp, err := next.RoundTrip(req)
			if err == nil && req.Method == http.MethodPatch && strings.Contains(req.URL.Path, "lost-answer") && lost.Add(1) == 1 {
				resp.Body.Close()
				return nil, io.ErrUnexpectedEOF // written, but the client never hears it
			}
			return resp, err
		})
	})
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n := f.createNode(t, "lost-answer")
	p := &plan.Plan{Nodes: []plan.NodePlan{{Node: n.Name, ResourceVersion: n.ResourceVersion, Changes: firing()}}}
	res, err := c.Apply(ctx, p, nil, ApplyOptions{Planned: func(string) *corev1.Node { return n }})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failed) != 0 || res.NodesChanged != 1 {
		t.Fatalf("failed %v, changed %d; want the lost PATCH confirmed as written", res.Failed, res.NodesChanged)
	}
	if got := f.getNode(t, n.Name); got.Labels["nodeguardian.io/status"] != "hot" {
		t.Fatalf("labels %v", got.Labels)
	}
}
