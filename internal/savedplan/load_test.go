package savedplan

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// Load applies the offline rule (the plan computed now, when the file is it) without
// node versions and the live rule (the file's plan, when still what the rules do and the
// nodes are unchanged) with them; a missing or edited file is refused.
func TestLoad(t *testing.T) {
	saved := fixture(t0, "cpu 1.9")
	var b bytes.Buffer
	if err := plan.RenderJSON(&b, saved); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "p.json")
	if err := os.WriteFile(file, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	edited := filepath.Join(dir, "edited.json")
	if err := os.WriteFile(edited, []byte(strings.Replace(b.String(), `"ng/hot"`, `"ng/hit"`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	now := fixture(t0, "cpu 1.9")
	later := fixture(t0.Add(time.Minute), "cpu 2.1") // live: values moved, same decisions
	if got, err := Load(file, now, nil, 0); err != nil || got != now {
		t.Errorf("offline, same plan: %v (got the plan computed now: %v)", err, got == now)
	}
	if _, err := Load(file, later, nil, 0); !IsStale(err) {
		t.Errorf("offline, another plan now: %v, want stale", err)
	}
	if got, err := Load(file, later, map[string]string{"n1": "7"}, 0); err != nil || got.ID != saved.ID {
		t.Errorf("live, same decisions and versions: %v (the file's plan: %v)", err, got != nil && got.ID == saved.ID)
	}
	if _, err := Load(file, later, map[string]string{"n1": "8"}, 0); !IsStale(err) {
		t.Errorf("live, the node changed: %v, want stale", err)
	}
	if _, err := Load(edited, now, nil, 0); !IsModified(err) {
		t.Errorf("edited file: %v, want modified", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.json"), now, nil, 0); err == nil || !strings.Contains(err.Error(), "read saved plan") {
		t.Errorf("missing file: %v", err)
	}
}

// Live, an edited alert subject is refused as modified, and what is sent is never the
// file's text: it is what the rules render now, naming the file's plan ID.
func TestLoadLiveAlertText(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, p *plan.Plan) string {
		var b bytes.Buffer
		if err := plan.RenderJSON(&b, p); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return file
	}
	saved := fixture(t0, "cpu 1.9")
	later := fixture(t0.Add(time.Minute), "cpu 2.1")
	later.Nodes[0].Changes[4].Alert.Body = "see plan " + later.ID
	versions := map[string]string{"n1": "7"}

	got, err := Load(write("p.json", saved), later, versions, 0)
	if err != nil {
		t.Fatal(err)
	}
	if a := got.Nodes[0].Changes[4].Alert; a.Subject != "load cpu 2.1" || a.Body != "see plan "+saved.ID {
		t.Errorf("sent %q / %q, want the text rendered now with the file's plan ID", a.Subject, a.Body)
	}
	if saved.Nodes[0].Changes[4].Alert.Subject != "load cpu 1.9" {
		t.Error("Load changed the plan it read")
	}

	evil := fixture(t0, "cpu 1.9")
	evil.Nodes[0].Changes[4].Alert.Subject = "pay now"
	if _, err := Load(write("edited.json", evil), later, versions, 0); !IsModified(err) || !strings.Contains(err.Error(), "plan was modified") {
		t.Errorf("an edited subject: %v, want plan was modified", err)
	}
	// Someone who recomputes the ID gets past Verify; the file's text is still not sent.
	evil.ID = plan.ID(evil)
	got, err = Load(write("rehashed.json", evil), later, versions, 0)
	if err != nil {
		t.Fatal(err)
	}
	if a := got.Nodes[0].Changes[4].Alert; a.Subject != "load cpu 2.1" {
		t.Errorf("sent subject %q, want the one rendered now", a.Subject)
	}
}
