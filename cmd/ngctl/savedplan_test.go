package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// edit reads a saved plan, changes it, and writes it to a new file; with rehash the ID is
// recomputed, and put in the alert text that showed the old one, as someone who read the
// source would.
func edit(t *testing.T, saved string, rehash bool, change func(p *plan.Plan)) string {
	t.Helper()
	f, err := os.Open(saved)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := plan.ReadJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	change(p)
	if rehash {
		old := p.ID
		p.ID = plan.ID(p)
		for i := range p.Nodes {
			for j := range p.Nodes[i].Changes {
				if a := p.Nodes[i].Changes[j].Alert; a != nil {
					a.Subject, a.Body = strings.ReplaceAll(a.Subject, old, p.ID), strings.ReplaceAll(a.Body, old, p.ID)
				}
			}
		}
	}
	var b bytes.Buffer
	if err := plan.RenderJSON(&b, p); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, t.TempDir(), "edited.json", b.String())
}

func injectTaint(p *plan.Plan) {
	p.Nodes[0].Changes = append(p.Nodes[0].Changes, plan.Change{Op: plan.OpAdd, Kind: plan.KindTaint, Key: "evil/taint", Value: "x", Effect: "NoExecute", Rule: "disk-space-alert", Code: plan.CodeFired, Reason: "x"})
}

// editSubject rewrites the subject of the plan's first alert.
func editSubject(t *testing.T) func(p *plan.Plan) {
	return func(p *plan.Plan) {
		for i := range p.Nodes {
			for j := range p.Nodes[i].Changes {
				if a := p.Nodes[i].Changes[j].Alert; a != nil {
					a.Subject = "Pay now: https://evil.example"
					return
				}
			}
		}
		t.Fatal("the plan sends no alert")
	}
}

func injectHostname(p *plan.Plan) {
	p.Nodes[0].Changes = append(p.Nodes[0].Changes, plan.Change{Op: plan.OpChange, Kind: plan.KindLabel, Key: "kubernetes.io/hostname", Value: "evil", Rule: "disk-space-alert", Code: plan.CodeFired, Reason: "x"})
}

func TestApplyRefusesAnEditedPlan(t *testing.T) {
	fleet := copyDemo(t)
	orig := readString(t, fleet)
	saved := filepath.Join(t.TempDir(), "plan.json")
	if code, _, errOut := ngctl(t, "", "plan", "-out", saved, "-f", demoRules, "--snapshot", fleet); code != 0 {
		t.Fatal(errOut)
	}
	tests := []struct {
		name   string
		rehash bool
		change func(p *plan.Plan)
		want   []string
	}{
		{"injected NoExecute taint", false, injectTaint, []string{"plan was modified", "is not the hash of its content"}},
		{"hostname label", false, injectHostname, []string{"plan was modified"}},
		{"expiresAt moved to 2999", false, func(p *plan.Plan) { p.ExpiresAt = time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC) }, []string{"plan was modified"}},
		{"nodes emptied", false, func(p *plan.Plan) { p.Nodes = nil }, []string{"plan was modified"}},
		{"source relabelled", false, func(p *plan.Plan) { p.Inputs.Source = "cluster" }, []string{"plan was modified"}},
		{"alert subject", false, editSubject(t), []string{"plan was modified", "is not the hash of its content"}},
		{"alert subject, rehashed", true, editSubject(t), []string{"plan is stale", `the plan file has subject "Pay now: https://evil.example"`}},
		// Someone who recomputes the hash is caught by re-deriving the plan.
		{"injected taint, rehashed", true, injectTaint, []string{"plan is stale", "the plan file would add taint evil/taint=x:NoExecute, the rules now would not"}},
		{"hostname label, rehashed", true, injectHostname, []string{"plan is stale", "kubernetes.io/hostname=evil"}},
		{"expiresAt moved, rehashed", true, func(p *plan.Plan) { p.ExpiresAt = time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC) }, []string{"plan was modified", "expiresAt 2999-01-01T00:00:00Z is not createdAt 2026-11-29T12:00:00Z + 10m0s"}},
		{"createdAt and expiresAt moved, rehashed", true, func(p *plan.Plan) {
			p.CreatedAt = p.CreatedAt.Add(-time.Hour)
			p.ExpiresAt = p.ExpiresAt.Add(-time.Hour)
		}, []string{"plan is stale", "expired"}},
		{"nodes emptied, rehashed", true, func(p *plan.Plan) { p.Nodes = nil }, []string{"plan is stale", "node worker-1: the rules now would change state of rule high-load-isolation: Healthy → Firing, the plan file would not"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			edited := edit(t, saved, tt.rehash, tt.change)
			code, out, errOut := ngctl(t, "", "apply", "--auto-approve", "-f", demoRules, "--snapshot", fleet, edited)
			if tt.want == nil {
				if code != 0 {
					t.Fatalf("exit %d: %s", code, errOut)
				}
				if err := os.WriteFile(fleet, []byte(orig), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if code != 1 {
				t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("error does not say %q:\n%s", w, errOut)
				}
			}
			if readString(t, fleet) != orig {
				t.Fatal("an edited plan changed the snapshot")
			}
			if strings.Contains(out, "Apply complete") {
				t.Errorf("output says the apply completed:\n%s", out)
			}
		})
	}
}

// The plan ID is the plan's content: how the snapshot's path is spelled is not part of it.
func TestPlanIDIgnoresThePathSpelling(t *testing.T) {
	dir := t.TempDir()
	fleet := writeFile(t, dir, "s.yaml", readString(t, demoFleet))
	rules, err := filepath.Abs(demoRules)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	ids := map[string]string{}
	for _, spelling := range []string{"s.yaml", "./s.yaml", fleet} {
		out := filepath.Join(dir, "plan-"+filepath.Base(spelling)+".json")
		if code, _, errOut := ngctl(t, "", "plan", "-out", out, "-f", rules, "--snapshot", spelling); code != 0 {
			t.Fatal(errOut)
		}
		ids[spelling] = strings.SplitN(strings.SplitN(readString(t, out), `"id": "`, 2)[1], `"`, 2)[0]
	}
	if ids["s.yaml"] != ids["./s.yaml"] || ids["s.yaml"] != ids[fleet] {
		t.Fatalf("the ID depends on the path's spelling: %v", ids)
	}
	saved := filepath.Join(dir, "plan-s.yaml.json")
	// The file holds no path (the ID covers all of it); the text shows it.
	if data := readString(t, saved); !strings.Contains(data, `"source": "snapshot"`) || strings.Contains(data, "s.yaml") {
		t.Errorf("the saved plan's source:\n%s", data)
	}
	if code, out, errOut := ngctl(t, "", "plan", "-f", rules, "--snapshot", "./s.yaml"); code != 0 || !strings.Contains(out, "source:  snapshot ./s.yaml") {
		t.Errorf("plan: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut := ngctl(t, "", "apply", "--auto-approve", "-f", rules, "--snapshot", "./s.yaml", saved); code != 0 || !strings.Contains(out, "Apply complete") {
		t.Fatalf("apply with ./s.yaml of a plan made with s.yaml: exit %d\n%s", code, errOut)
	}
}

func TestShowRefusesAnEditedPlan(t *testing.T) {
	saved := filepath.Join(t.TempDir(), "plan.json")
	if code, _, errOut := ngctl(t, "", "plan", "-out", saved, "-f", demoRules, "--snapshot", demoFleet); code != 0 {
		t.Fatal(errOut)
	}
	edited := edit(t, saved, false, injectTaint)
	if code, _, errOut := ngctl(t, "", "show", edited); code != 1 || !strings.Contains(errOut, "plan was modified") {
		t.Fatalf("show of an edited plan: exit %d: %s", code, errOut)
	}
	if code, out, errOut := ngctl(t, "", "show", saved); code != 0 || !strings.Contains(out, "worker-1") {
		t.Fatalf("show: exit %d: %s", code, errOut)
	}
}

func TestMaxDisruptiveFlag(t *testing.T) {
	for _, bad := range []string{"-5", "abc", "2.5", "30 %", "150%"} {
		code, out, errOut := ngctl(t, "", "plan", "--max-disruptive", bad, "-f", demoRules, "--snapshot", demoFleet)
		if code != 1 || !strings.Contains(errOut, "invalid value for --max-disruptive") || strings.Contains(out, "Deferred") {
			t.Errorf("--max-disruptive %q: exit %d\n%s\n%s", bad, code, out, errOut)
		}
	}
	for _, none := range []string{"0", "0%"} {
		code, out, errOut := ngctl(t, "", "plan", "--max-disruptive", none, "-f", demoRules, "--snapshot", demoFleet)
		if code != 0 || !strings.Contains(out, "max-disruptive "+none+" (") || strings.Contains(out, "+ taint nodeguardian/emergency") {
			t.Errorf("--max-disruptive %s must allow no disruptive action: exit %d\n%s\n%s", none, code, out, errOut)
		}
	}
}
