package plan

import (
	"bytes"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
)

// The ID covers the whole JSON form but the id: alert text too, with the plan ID in it
// standing for itself, and inputs.source; where the snapshot was read (SourcePath, not
// in the JSON form) is not covered.
func TestIDCoversTheWholeJSONForm(t *testing.T) {
	rule := fxRule(t, "al", `
conditions: [{metric: cpuLoadRatio, operator: GreaterThan, value: 1.5, duration: 0s}]
actions: [{type: alert, alert: {template: go-alert}}]
`)
	in := fxInput(t, []*v1.NodeGuardianRule{rule}, []corev1.Node{fxNode("n1")}, fxCPU("2"))
	in.Inputs.Source, in.Inputs.SourcePath = "snapshot", "s.yaml"
	p := Compute(in)
	alertOf := func(p *Plan) *Alert {
		for _, ch := range p.Nodes[0].Changes {
			if ch.Alert != nil {
				return ch.Alert
			}
		}
		t.Fatal("the plan sends no alert")
		return nil
	}
	if body := alertOf(p).Body; !strings.Contains(body, p.ID) || ID(p) != p.ID {
		t.Fatalf("the alert body %q does not show the plan's ID %s, or the ID does not cover the plan", body, p.ID)
	}
	tests := []struct {
		name    string
		edit    func(p *Plan)
		covered bool
	}{
		{"subject", func(p *Plan) { alertOf(p).Subject = "pay now" }, true},
		{"body", func(p *Plan) { alertOf(p).Body += "!" }, true},
		{"the plan ID dropped from the body", func(p *Plan) { a := alertOf(p); a.Body = strings.ReplaceAll(a.Body, p.ID, "") }, true},
		{"the plan ID given twice", func(p *Plan) { a := alertOf(p); a.Body = strings.ReplaceAll(a.Body, p.ID, p.ID+p.ID) }, true},
		{"the plan ID moved to the subject", func(p *Plan) {
			a := alertOf(p)
			a.Body, a.Subject = strings.ReplaceAll(a.Body, p.ID, ""), a.Subject+p.ID
		}, true},
		{"source", func(p *Plan) { p.Inputs.Source = "cluster" }, true},
		{"reason", func(p *Plan) { p.Nodes[0].Changes[0].Reason += "!" }, true},
		{"createdAt and expiresAt", func(p *Plan) { p.CreatedAt, p.ExpiresAt = p.CreatedAt.Add(time.Hour), p.ExpiresAt.Add(time.Hour) }, true},
		{"the path the snapshot was read from", func(p *Plan) { p.Inputs.SourcePath = "./s.yaml" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := RenderJSON(&b, p); err != nil {
				t.Fatal(err)
			}
			q, err := ReadJSON(&b)
			if err != nil {
				t.Fatal(err)
			}
			q.Inputs.SourcePath = p.Inputs.SourcePath
			tt.edit(q)
			if got := ID(q); (got != p.ID) != tt.covered {
				t.Errorf("after editing the %s the ID is %s (was %s); covered: %v", tt.name, got, p.ID, tt.covered)
			}
		})
	}
}
