package cluster

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

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
