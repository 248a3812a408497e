package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	demoRules = "../../examples/rules/yaml"
	demoFleet = "../../examples/fleet/demo.yaml"
)

// copyDemo copies the demo snapshot into a temp dir so tests may rewrite it.
func copyDemo(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(demoFleet)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, t.TempDir(), "fleet.yaml", string(b))
}

func TestPlanOutputsAndExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"text", []string{"plan", "-f", demoRules, "--snapshot", demoFleet},
			0, []string{"~ node worker-1", "+ taint nodeguardian/high-load = true (NoSchedule)", "Plan: 6 nodes to change, 2 deferred."}},
		{"detailed exit code with changes", []string{"plan", "--detailed-exitcode", "-f", demoRules, "--snapshot", demoFleet}, 2, []string{"Plan: 6 nodes"}},
		{"markdown", []string{"plan", "-o", "markdown", "-f", demoRules, "--snapshot", demoFleet}, 0, []string{"<details>", "worker-5"}},
		{"one rule", []string{"plan", "--rule", "disk-space-alert", "-f", demoRules, "--snapshot", demoFleet}, 0, []string{"worker-8", "Plan: 2 nodes to change, 0 deferred."}},
		{"one node", []string{"plan", "--node", "worker-3", "-f", demoRules, "--snapshot", demoFleet}, 0, []string{"Firing → Healthy", "Plan: 1 node to change"}},
		{"unknown rule", []string{"plan", "--rule", "nope", "-f", demoRules, "--snapshot", demoFleet}, 1, nil},
		{"missing snapshot", []string{"plan", "-f", demoRules, "--snapshot", "nope.yaml"}, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := ngctl(t, "", tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tt.code, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output does not contain %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestPlanJSONIsTheSavedPlan(t *testing.T) {
	dir := t.TempDir()
	saved := filepath.Join(dir, "plan.json")
	code, out, errOut := ngctl(t, "", "plan", "-o", "json", "-out", saved, "-f", demoRules, "--snapshot", demoFleet)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	b, err := os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != out {
		t.Fatal("-o json and -out wrote different plans")
	}
	var p struct {
		FormatVersion string
		Summary       struct{ NodesToChange, Deferred int }
	}
	if err := json.Unmarshal(b, &p); err != nil || p.FormatVersion != "3" || p.Summary.NodesToChange != 6 || p.Summary.Deferred != 2 {
		t.Fatalf("plan JSON: %v %+v", err, p)
	}
	code, shown, _ := ngctl(t, "", "show", saved)
	if code != 0 || !strings.Contains(shown, "Plan: 6 nodes to change, 2 deferred.") {
		t.Fatalf("show: exit %d\n%s", code, shown)
	}
}

func TestApplyThenPlanShowsNoChanges(t *testing.T) {
	fleet := copyDemo(t)
	after := filepath.Join(t.TempDir(), "after.yaml")
	code, out, errOut := ngctl(t, "", "apply", "--auto-approve", "-f", demoRules, "--snapshot", fleet, "--write-snapshot", after)
	if code != 0 || !strings.Contains(out, "Apply complete: 6 nodes changed, 2 pods evicted, 2 deferred.") {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = ngctl(t, "", "plan", "--detailed-exitcode", "-f", demoRules, "--snapshot", after)
	if code != 0 || !strings.Contains(out, "No changes.") {
		t.Fatalf("plan after apply: exit %d\n%s", code, out)
	}
	orig, _ := os.ReadFile(demoFleet)
	if now, _ := os.ReadFile(fleet); string(now) != string(orig) {
		t.Fatal("--write-snapshot also rewrote --snapshot")
	}
	// Without --write-snapshot the snapshot is rewritten in place.
	if code, _, errOut := ngctl(t, "", "apply", "--auto-approve", "-f", demoRules, "--snapshot", fleet); code != 0 {
		t.Fatalf("apply in place: %s", errOut)
	}
	if code, out, _ := ngctl(t, "", "plan", "-f", demoRules, "--snapshot", fleet); code != 0 || !strings.Contains(out, "No changes.") {
		t.Fatalf("plan after in-place apply:\n%s", out)
	}
}

func TestApplyAsksForYes(t *testing.T) {
	fleet := copyDemo(t)
	orig, _ := os.ReadFile(fleet)
	code, out, errOut := ngctl(t, "no\n", "apply", "-f", demoRules, "--snapshot", fleet)
	if code != 1 || !strings.Contains(out, "Only 'yes' will be accepted") || !strings.Contains(errOut, "apply cancelled") {
		t.Fatalf("answer no: exit %d\n%s\n%s", code, out, errOut)
	}
	if now, _ := os.ReadFile(fleet); string(now) != string(orig) {
		t.Fatal("a cancelled apply wrote the snapshot")
	}
	if code, out, _ := ngctl(t, "yes\n", "apply", "-f", demoRules, "--snapshot", fleet); code != 0 || !strings.Contains(out, "Apply complete") {
		t.Fatalf("answer yes: exit %d\n%s", code, out)
	}
}

func TestApplySavedPlan(t *testing.T) {
	fleet := copyDemo(t)
	saved := filepath.Join(t.TempDir(), "plan.json")
	if code, _, errOut := ngctl(t, "", "plan", "-out", saved, "-f", demoRules, "--snapshot", fleet); code != 0 {
		t.Fatal(errOut)
	}
	// The fleet changes after planning: the saved plan is stale.
	changed := strings.Replace(readString(t, fleet), "96x20", "97x20", 1)
	stale := writeFile(t, t.TempDir(), "changed.yaml", changed)
	code, _, errOut := ngctl(t, "", "apply", "--auto-approve", "-f", demoRules, "--snapshot", stale, saved)
	if code != 1 || !strings.Contains(errOut, "plan is stale") || !strings.Contains(errOut, "the fleet changed") {
		t.Fatalf("stale fleet: exit %d: %s", code, errOut)
	}
	// Time moved past expiresAt (10m): stale.
	later := writeFile(t, t.TempDir(), "later.yaml", strings.Replace(readString(t, fleet), "time: '2026-11-29T12:00:00Z'", "time: '2026-11-29T12:11:00Z'", 1))
	code, _, errOut = ngctl(t, "", "apply", "--auto-approve", "-f", demoRules, "--snapshot", later, saved)
	if code != 1 || !strings.Contains(errOut, "expired") {
		t.Fatalf("expired: exit %d: %s", code, errOut)
	}
	// Unchanged inputs: the saved plan applies.
	code, out, errOut := ngctl(t, "", "apply", "--auto-approve", "-f", demoRules, "--snapshot", fleet, saved)
	if code != 0 || !strings.Contains(out, "Apply complete: 6 nodes changed") {
		t.Fatalf("saved plan: exit %d\n%s\n%s", code, out, errOut)
	}
}

func TestPlanRejectsInvalidRulesAndAppliesNothing(t *testing.T) {
	fleet := copyDemo(t)
	orig := readString(t, fleet)
	bad := writeFile(t, t.TempDir(), "bad.yaml", badRule)
	code, _, errOut := ngctl(t, "", "apply", "--auto-approve", "-f", bad, "--snapshot", fleet)
	if code != 1 || !strings.Contains(errOut, "bad.yaml:8:17") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if readString(t, fleet) != orig {
		t.Fatal("an invalid rule file still changed the snapshot")
	}
}

func readString(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
