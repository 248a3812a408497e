package savedplan

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nodeguardian/nodeguardian/internal/plan"
)

var t0 = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// fixture is a live plan at t0 tainting n1 (resourceVersion 7).
func fixture(at time.Time, reason string) *plan.Plan {
	p := &plan.Plan{
		FormatVersion: plan.FormatVersion, CreatedAt: at, ExpiresAt: at.Add(plan.DefaultTTL),
		Inputs: plan.Inputs{RulesHash: "r", FleetHash: "f-" + at.String(), Source: "cluster", NodeVersions: map[string]string{"n1": "7"}},
		Nodes: []plan.NodePlan{{Node: "n1", ResourceVersion: "7", Changes: []plan.Change{
			{Op: plan.OpChange, Kind: plan.KindState, Rule: "hl", From: "Healthy", To: "Firing", Code: plan.CodeFired, Reason: reason},
			{Op: plan.OpAdd, Kind: plan.KindTaint, Key: "ng/hot", Value: "true", Effect: "NoSchedule", Rule: "hl", Code: plan.CodeFired, Reason: reason},
			{Op: plan.OpAdd, Kind: plan.KindLedger, Key: "nodeguardian.k8s.io/ledger", Code: plan.CodeLedger, Reason: "ownership ledger",
				Value: `{"version":1,"rules":{"hl":{"state":"Firing","since":"` + at.Format(time.RFC3339) + `","lastFired":"` + at.Format(time.RFC3339) + `"}}}`},
			{Op: plan.OpAdd, Kind: plan.KindEvict, Rule: "hl", Code: plan.CodeFired, Reason: reason, Pods: []plan.PodEviction{{Namespace: "default", Name: "web"}}},
			{Op: plan.OpAdd, Kind: plan.KindAlert, Rule: "hl", Code: plan.CodeFired, Reason: reason, Alert: &plan.Alert{Event: "firing", Channels: []string{"email"}, Subject: "load " + reason}},
		}}},
	}
	p.ID = plan.ID(p)
	return p
}

func TestVerify(t *testing.T) {
	p := fixture(t0, "cpu 1.9")
	var b bytes.Buffer
	if err := plan.RenderJSON(&b, p); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(bytes.NewReader(b.Bytes()), "p.json", 0); err != nil {
		t.Fatalf("an unedited plan: %v", err)
	}
	// Every byte but the id is covered: alert text and the source too.
	for _, edit := range [][2]string{
		{`"ng/hot"`, `"ng/hit"`},
		{`"subject": "load cpu 1.9"`, `"subject": "pay now"`},
		{`"subject": "load cpu 1.9"`, `"subject": "load cpu 1.9", "body": "evil"`},
		{`"source": "cluster"`, `"source": "snapshot"`},
	} {
		if !strings.Contains(b.String(), edit[0]) {
			t.Fatalf("the plan has no %s", edit[0])
		}
		edited := strings.Replace(b.String(), edit[0], edit[1], 1)
		_, err := Read(strings.NewReader(edited), "p.json", 0)
		if !IsModified(err) || !strings.Contains(err.Error(), "plan was modified: p.json: its id \""+p.ID+"\" is not the hash of its content;") {
			t.Errorf("a plan with %s edited to %s: %v", edit[0], edit[1], err)
		}
		// The error does not hand an editor the id the edited content needs (issue 7).
		var e plan.Plan
		if json.Unmarshal([]byte(edited), &e) == nil && strings.Contains(err.Error(), plan.ID(&e)) {
			t.Errorf("the error shows the hash of the edited content: %v", err)
		}
	}
	p.ExpiresAt = p.ExpiresAt.Add(time.Hour)
	p.ID = plan.ID(p)
	if err := Verify(p, "p.json", 0); !IsModified(err) || !strings.Contains(err.Error(), "expiresAt") {
		t.Fatalf("a moved expiry: %v", err)
	}
	if err := Verify(p, "p.json", 70*time.Minute); err != nil {
		t.Fatalf("a plan with a longer TTL: %v", err)
	}
}

func TestCheckLive(t *testing.T) {
	saved := fixture(t0, "cpu 1.9")
	versions := map[string]string{"n1": "7"}
	tests := []struct {
		name     string
		now      func() *plan.Plan
		versions map[string]string
		want     string // "" = applies
	}{
		{"metric values and reason text moved", func() *plan.Plan { return fixture(t0.Add(time.Minute), "cpu 2.3") }, versions, ""},
		{"the rules now make more changes on the node", func() *plan.Plan {
			p := fixture(t0.Add(time.Minute), "x")
			p.Nodes[0].Changes = append(p.Nodes[0].Changes, plan.Change{Op: plan.OpAdd, Kind: plan.KindLabel, Key: "a", Value: "b", Code: plan.CodeFired})
			return p
		}, versions, ""},
		{"the taint's value differs", func() *plan.Plan {
			p := fixture(t0.Add(time.Minute), "x")
			p.Nodes[0].Changes[1].Value = "false"
			return p
		}, versions, "node n1: the plan file would add taint ng/hot=true:NoSchedule, the rules now would not"},
		{"another pod would be evicted", func() *plan.Plan {
			p := fixture(t0.Add(time.Minute), "x")
			p.Nodes[0].Changes[3].Pods[0].Name = "api"
			return p
		}, versions, "would add evict by rule hl: default/web"},
		{"the pod is now blocked", func() *plan.Plan {
			p := fixture(t0.Add(time.Minute), "x")
			p.Nodes[0].Changes[3].Pods[0].BlockedBy = "default/pdb"
			return p
		}, versions, "would add evict by rule hl: default/web,"},
		{"the rule no longer fires", func() *plan.Plan {
			p := fixture(t0.Add(time.Minute), "x")
			p.Nodes = nil
			return p
		}, versions, "change state of rule hl: Healthy → Firing, the rules now would not"},
		{"the ledger would record another state", func() *plan.Plan {
			p := fixture(t0.Add(time.Minute), "x")
			p.Nodes[0].Changes[2].Value = strings.Replace(p.Nodes[0].Changes[2].Value, "Firing", "Healthy", 1)
			return p
		}, versions, "would add ledger"},
		{"the node changed", func() *plan.Plan { return fixture(t0.Add(time.Minute), "x") }, map[string]string{"n1": "8"}, "node n1 changed (resourceVersion 7, now 8)"},
		{"the node is gone", func() *plan.Plan { return fixture(t0.Add(time.Minute), "x") }, map[string]string{}, "node n1 is gone"},
		{"expired", func() *plan.Plan { return fixture(t0.Add(11*time.Minute), "x") }, versions, "expired at 2026-11-29T12:10:00Z"},
		{"made in the future", func() *plan.Plan { return fixture(t0.Add(-2*time.Minute), "x") }, versions, "plan was modified"},
		{"the rules changed", func() *plan.Plan {
			p := fixture(t0.Add(time.Minute), "x")
			p.Inputs.RulesHash = "other"
			return p
		}, versions, "the rules changed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckLive(saved, tt.now(), tt.versions, "p.json", 0)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestCheckOffline(t *testing.T) {
	saved := fixture(t0, "cpu 1.9")
	if err := CheckOffline(saved, fixture(t0, "cpu 1.9"), "p.json", 0); err != nil {
		t.Fatalf("the same plan: %v", err)
	}
	// Offline the plans must be equal: a change the rules make now that the file lacks
	// is a difference too.
	now := fixture(t0, "cpu 1.9")
	now.Nodes[0].Changes = append(now.Nodes[0].Changes, plan.Change{Op: plan.OpAdd, Kind: plan.KindLabel, Key: "a", Value: "b", Code: plan.CodeFired})
	now.ID = plan.ID(now)
	err := CheckOffline(saved, now, "p.json", 0)
	if !IsStale(err) || !strings.Contains(err.Error(), "node n1: the rules now would add label a=b, the plan file would not") {
		t.Fatalf("a missing change: %v", err)
	}
	// The ID covers alert text (Verify refuses an edit of it); rehashed, the recomputed
	// plan names the difference.
	edited := fixture(t0, "cpu 1.9")
	edited.Nodes[0].Changes[4].Alert.Subject = "pay now"
	edited.Nodes[0].Changes[4].Alert.Body = "evil"
	if err := Verify(edited, "p.json", 0); !IsModified(err) {
		t.Fatalf("an edited subject and body: %v, want modified", err)
	}
	edited.ID = plan.ID(edited)
	err = CheckOffline(edited, fixture(t0, "cpu 1.9"), "p.json", 0)
	if !IsStale(err) || !strings.Contains(err.Error(), `node n1: add alert firing of rule hl (template "") via email: the plan file has subject "pay now", the rules now give "load cpu 1.9"`) ||
		!strings.Contains(err.Error(), "the plan file has a different body") {
		t.Fatalf("edited alert text: %v", err)
	}
	if d := Decision(edited.Nodes[0].Changes[4]); strings.Contains(d, "pay now") {
		t.Errorf("Decision holds the subject: %s", d)
	}
	// Recomputed ids on edits the decisions do not show: the error names what differs
	// (issue 7: it said "deferrals, warnings or rule status" for any of them).
	for _, tt := range []struct {
		name string
		edit func(p *plan.Plan)
		want string
	}{
		{"reason text", func(p *plan.Plan) { p.Nodes[0].Changes[1].Reason = "because" },
			`node n1: add taint ng/hot=true:NoSchedule: the plan file's reason differs from the plan computed now`},
		{"summary", func(p *plan.Plan) { p.Summary.NodesToChange = 7 }, "the plan file's summary differs from the plan computed now"},
		{"warnings and inputs", func(p *plan.Plan) {
			p.Warnings = []plan.Warning{{Code: plan.CodeMetricMissing, Message: "x"}}
			p.Inputs.NodeVersions = map[string]string{"n1": "8"}
		}, "the plan file's inputs, warnings differ from the plan computed now"},
	} {
		edited := fixture(t0, "cpu 1.9")
		tt.edit(edited)
		edited.ID = plan.ID(edited)
		if err := CheckOffline(edited, fixture(t0, "cpu 1.9"), "p.json", 0); !IsStale(err) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	other := fixture(t0, "cpu 1.9")
	other.Inputs.FleetHash = "g"
	if err := CheckOffline(saved, other, "p.json", 0); !IsStale(err) || !strings.Contains(err.Error(), "the fleet changed") {
		t.Fatalf("another fleet: %v", err)
	}
}

// withPlanIDBody is fixture(t0, reason) whose alert body names the plan ID (as a
// template with {{ .planID }} renders it), with edit applied and a consistent ID.
func withPlanIDBody(reason string, edit func(p *plan.Plan)) *plan.Plan {
	p := fixture(t0, reason)
	edit(p)
	p.Nodes[0].Changes[4].Alert.Body = "plan IDTOKEN"
	p.ID = "IDTOKEN"
	id := plan.ID(p) // the ID with the body's ID as its placeholder
	p.Nodes[0].Changes[4].Alert.Body = "plan " + id
	p.ID = id
	return p
}

// Issue 8: when an alert's text names the plan ID, any edit changes the ID and so the
// text; the stale error names the edit, not "a different body".
func TestCheckOfflineAlertTextNamesThePlanID(t *testing.T) {
	now := withPlanIDBody("cpu 1.9", func(*plan.Plan) {})
	if err := Verify(now, "p.json", 0); err != nil {
		t.Fatalf("the fixture: %v", err)
	}
	if err := CheckOffline(withPlanIDBody("cpu 1.9", func(*plan.Plan) {}), now, "p.json", 0); err != nil {
		t.Fatalf("the same plan: %v", err)
	}
	for _, tt := range []struct {
		name string
		edit func(p *plan.Plan)
		want string
	}{
		{"reason text", func(p *plan.Plan) { p.Nodes[0].Changes[1].Reason = "because" },
			"node n1: add taint ng/hot=true:NoSchedule: the plan file's reason differs from the plan computed now"},
		{"inputs.source", func(p *plan.Plan) { p.Inputs.Source = "snapshot" },
			"the plan file's inputs differ from the plan computed now"},
		{"warnings", func(p *plan.Plan) { p.Warnings = []plan.Warning{{Code: plan.CodeMetricMissing, Message: "x"}} },
			"the plan file's warnings differ from the plan computed now"},
	} {
		saved := withPlanIDBody("cpu 1.9", tt.edit)
		if err := Verify(saved, "p.json", 0); err != nil {
			t.Fatalf("%s: the edited fixture: %v", tt.name, err)
		}
		err := CheckOffline(saved, now, "p.json", 0)
		if !IsStale(err) || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "different body") ||
			strings.Contains(err.Error(), "alert differs") {
			t.Errorf("%s: %v, want %q only", tt.name, err, tt.want)
		}
	}
	// A body edited as well is named, with the other differences.
	saved := withPlanIDBody("cpu 1.9", func(p *plan.Plan) { p.Summary.NodesToChange = 7 })
	saved.Nodes[0].Changes[4].Alert.Body += " evil"
	saved.ID = plan.ID(saved)
	err := CheckOffline(saved, now, "p.json", 0)
	if !IsStale(err) || !strings.Contains(err.Error(), "the plan file has a different body") ||
		!strings.Contains(err.Error(), "the plan file's summary differs from the plan computed now") {
		t.Errorf("an edited body and summary: %v", err)
	}
}

func TestStaleErrorSummarises(t *testing.T) {
	e := &StaleError{File: "p.json", Why: make([]string, MaxDifferences+5)}
	if !strings.Contains(e.Error(), "and 5 more") {
		t.Fatal(e.Error())
	}
}

// A plan file of another formatVersion is refused before anything else is read: an older
// one says to plan again.
func TestReadRefusesOtherFormatVersions(t *testing.T) {
	var b bytes.Buffer
	if err := plan.RenderJSON(&b, fixture(t0, "cpu 1.9")); err != nil {
		t.Fatal(err)
	}
	current := `"formatVersion": "` + plan.FormatVersion + `"`
	if plan.FormatVersion != "3" || !strings.Contains(b.String(), current) {
		t.Fatalf("the fixture is not a formatVersion 3 plan:\n%s", b.String())
	}
	tests := []struct {
		name, version, want string
	}{
		{"older", "1", "p.json: read plan: plan file formatVersion 1 was written by an older ngctl; run ngctl plan again"},
		// Version 2's ID covered neither alert text nor inputs.source.
		{"version 2", "2", "p.json: read plan: plan file formatVersion 2 was written by an older ngctl; run ngctl plan again"},
		{"newer", "4", `p.json: read plan: plan format version "4" is not supported`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := strings.Replace(b.String(), current, `"formatVersion": "`+tt.version+`"`, 1)
			_, err := Read(strings.NewReader(old), "p.json", 0)
			var fv *plan.FormatVersionError
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || !errors.As(err, &fv) {
				t.Errorf("Read = %v, want %q (a *plan.FormatVersionError)", err, tt.want)
			}
		})
	}
}
