package controller

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/apply"
	"github.com/nodeguardian/nodeguardian/internal/cluster"
	"github.com/nodeguardian/nodeguardian/internal/deliver"
	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// recorded is one Event a recordingEvents received.
type recorded struct{ kind, name, typ, reason, note string }

func (e recorded) String() string {
	return fmt.Sprintf("%s/%s %s %s: %s", e.kind, e.name, e.typ, e.reason, e.note)
}

// recordingEvents is an events.EventRecorder that keeps what it is given (the recorder
// itself is client-go's; what is tested is which Events a plan becomes).
type recordingEvents struct {
	mu  sync.Mutex
	got []recorded
}

func (r *recordingEvents) Eventf(regarding, _ runtime.Object, typ, reason, _, note string, args ...any) {
	kind := regarding.GetObjectKind().GroupVersionKind().Kind
	if _, ok := regarding.(*v1.NodeGuardianRule); ok {
		kind = v1.KindRule
	}
	name := ""
	if m, err := meta.Accessor(regarding); err == nil {
		name = m.GetName()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, recorded{kind, name, typ, reason, fmt.Sprintf(note, args...)})
}

// take returns the Events received so far and forgets them.
func (r *recordingEvents) take() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.got
	r.got = nil
	return out
}

// decisionsPlan is a plan holding one of each decision: a firing, a recovery, a drift
// repair, an eviction a PDB blocks, deferrals by the rule's budget, a cooldown, a PDB
// and a conflict.
func decisionsPlan() *plan.Plan {
	return &plan.Plan{ID: "0123456789abcdef0123", Nodes: []plan.NodePlan{
		{Node: "n1", Changes: []plan.Change{
			{Op: plan.OpChange, Kind: plan.KindState, Rule: "r-fire", From: "Healthy", To: "Firing", Reason: "load 3 > 2"},
			{Op: plan.OpAdd, Kind: plan.KindTaint, Rule: "r-fire", Key: "fire/hot", Value: "true", Effect: "NoSchedule"},
			{Op: plan.OpAdd, Kind: plan.KindLabel, Rule: "r-drift", Key: "drift/x", Value: "y", Drift: true},
			{Op: plan.OpAdd, Kind: plan.KindEvict, Rule: "r-evict", Pods: []plan.PodEviction{
				{Namespace: "web", Name: "web-0", BlockedBy: "web/web-pdb"}, {Namespace: "web", Name: "web-1"}}},
			{Op: plan.OpAdd, Kind: plan.KindAlert, Rule: "r-alert", Alert: &plan.Alert{Event: "firing", Channels: []string{"webhook", "log"}}},
		}},
		{Node: "n2", Changes: []plan.Change{
			{Op: plan.OpChange, Kind: plan.KindState, Rule: "r-fire", From: "Firing", To: "Healthy", Reason: "load 1 <= 2"},
			{Op: plan.OpRemove, Kind: plan.KindTaint, Rule: "r-fire", Key: "fire/hot", Old: "true", Effect: "NoSchedule"},
		}},
	}, Deferred: []plan.Deferred{
		{Rule: "r-budget", Node: "n3", Code: plan.CodeRuleBudget, Reason: "maxUnhealthy 1 (1 of 3 nodes) reached"},
		{Rule: "r-cool", Node: "n4", Code: plan.CodeCooldownActive, Reason: "cooldown until 12:05"},
		{Rule: "r-pdb", Node: "n5", Code: plan.CodePDBBlocked, Reason: "eviction of web/web-2 pending: blocked by PodDisruptionBudget web/web-pdb (3 attempts so far)"},
		{Rule: "r-conflict", Node: "n6", Code: plan.CodeConflict, Reason: "rule r-fire (priority 1) wants another value"},
	}}
}

// decisionsReport is decisionsPlan applied: n1's PATCH failed, the alert's webhook
// delivery failed (its log delivery did not), and rule r-bad is invalid.
func decisionsReport() report {
	var rules []*v1.NodeGuardianRule
	for _, n := range []string{"r-fire", "r-drift", "r-evict", "r-alert", "r-budget", "r-cool", "r-pdb", "r-conflict", "r-bad"} {
		rules = append(rules, &v1.NodeGuardianRule{ObjectMeta: metav1.ObjectMeta{Name: n}})
	}
	return report{rules: rules, chk: checked{invalid: map[string]string{"r-bad": "spec.actions[0]: bad"}}, p: decisionsPlan(),
		out: outcome{applied: true,
			res: cluster.ApplyResult{Failed: map[string]error{"n1": errors.New("admission webhook denied the request")},
				Alerts: []apply.SentAlert{{Node: "n1", Rule: "r-alert", Alert: plan.Alert{Event: "firing", Channels: []string{"webhook", "log"}}}}},
			failures: []deliver.Failure{{Rule: "r-alert", Node: "n1", Event: "firing", Channel: "webhook", Attempts: 1, Err: errors.New("400 Bad Request")}},
		}, now: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)}
}

// Every decision of a plan and its apply is an Event with its reason and type, on the
// rule and on the node, its note naming the plan; decisions that persist across plans
// (deferrals, blocked evictions, invalid specs) are emitted once.
func TestEventsForEveryDecision(t *testing.T) {
	rec := &recordingEvents{}
	m, err := newCollectors(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	r := &Reconciler{events: rec, m: m, seen: map[string]bool{}}
	rep := decisionsReport()
	r.emitEvents(rep)
	got := rec.take()
	want := []struct{ rule, node, typ, reason, in string }{
		{"r-fire", "n1", "Warning", EventFired, "load 3 > 2"},
		{"r-fire", "n2", "Normal", EventRecovered, "load 1 <= 2"},
		{"r-drift", "n1", "Warning", EventDriftRepaired, "label drift/x y put back"},
		{"r-evict", "n1", "Warning", EventEvictionBlocked, "eviction of web/web-0 blocked by PodDisruptionBudget web/web-pdb"},
		{"r-budget", "n3", "Warning", EventBudgetExhausted, "maxUnhealthy 1 (1 of 3 nodes) reached"},
		{"r-cool", "n4", "Normal", EventCooldown, "cooldown until 12:05"},
		{"r-pdb", "n5", "Warning", EventEvictionBlocked, "blocked by PodDisruptionBudget web/web-pdb"},
		{"r-conflict", "n6", "Warning", EventDeferred, "wants another value"},
		{"r-alert", "n1", "Warning", EventAlertFailed, "via webhook failed after 1 attempts: 400 Bad Request"},
		{"r-fire", "n1", "Warning", EventApplyFailed, "admission webhook denied"},
		{"r-drift", "n1", "Warning", EventApplyFailed, "admission webhook denied"},
		{"r-evict", "n1", "Warning", EventApplyFailed, "admission webhook denied"},
		{"r-alert", "n1", "Warning", EventApplyFailed, "admission webhook denied"},
		{"r-bad", "", "Warning", EventInvalidSpec, "spec.actions[0]: bad"},
	}
	planRef := "(plan " + short(rep.p.ID) + ")"
	for _, w := range want {
		on := []string{v1.KindRule + "/" + w.rule}
		if w.node != "" {
			on = append(on, "Node/"+w.node)
		}
		for _, obj := range on {
			if !slices.ContainsFunc(got, func(e recorded) bool {
				return e.kind+"/"+e.name == obj && e.typ == w.typ && e.reason == w.reason && strings.Contains(e.note, w.in) && strings.HasSuffix(e.note, planRef)
			}) {
				t.Errorf("no %s %s Event on %s with %q and %s; got:\n%s", w.typ, w.reason, obj, w.in, planRef, eventList(got))
			}
		}
	}
	if n := len(got); n != 2*len(want)-1 {
		t.Errorf("%d Events, want %d (each decision on its rule and node, InvalidSpec on the rule only):\n%s", n, 2*len(want)-1, eventList(got))
	}
	if strings.Contains(eventList(got), "(3 attempts so far)") {
		t.Errorf("a deferral's Event names its attempt count (one Event per plan):\n%s", eventList(got))
	}
	// The next plan holds the same persisting decisions: none is emitted again.
	r.emitEvents(rep)
	for _, e := range rec.take() {
		switch e.reason {
		case EventBudgetExhausted, EventCooldown, EventEvictionBlocked, EventDeferred, EventInvalidSpec:
			t.Errorf("persisting decision emitted again: %s", e)
		}
	}
	// With NodeEvents off, decisions are on their rules only.
	r = &Reconciler{events: rec, m: m, seen: map[string]bool{}, opts: Options{DisableNodeEvents: true}}
	r.emitEvents(rep)
	for _, e := range rec.take() {
		if e.kind != v1.KindRule {
			t.Errorf("NodeEvents=false: Event on %s/%s", e.kind, e.name)
		}
	}
}

func eventList(es []recorded) string {
	var b strings.Builder
	for _, e := range es {
		b.WriteString(e.String() + "\n")
	}
	return b.String()
}

// The plan's and the apply's metrics: deferrals by rule and kind, alert deliveries by
// channel and result (a failed delivery is not also a success), actions by result.
func TestRecordMetrics(t *testing.T) {
	m, err := newCollectors(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	r := &Reconciler{events: &recordingEvents{}, m: m, seen: map[string]bool{}}
	r.recordMetrics(decisionsReport())
	for _, tc := range []struct {
		name string
		c    prometheus.Collector
		want float64
	}{
		{"deferred{r-budget,budget}", m.deferred.WithLabelValues("r-budget", deferBudget), 1},
		{"deferred{r-cool,cooldown}", m.deferred.WithLabelValues("r-cool", deferCooldown), 1},
		{"deferred{r-pdb,pdb}", m.deferred.WithLabelValues("r-pdb", deferPDB), 1},
		{"deferred{r-conflict,other}", m.deferred.WithLabelValues("r-conflict", deferOther), 1},
		{"alert_sends{webhook,failure}", m.alertSends.WithLabelValues("webhook", "failure"), 1},
		{"alert_sends{webhook,success}", m.alertSends.WithLabelValues("webhook", "success"), 0},
		{"alert_sends{log,success}", m.alertSends.WithLabelValues("log", "success"), 1},
		{"actions{taint,failed}", m.actions.WithLabelValues("taint", "failed"), 1},   // n1's PATCH failed
		{"actions{taint,applied}", m.actions.WithLabelValues("taint", "applied"), 1}, // n2's removal
		{"actions{evict,failed}", m.actions.WithLabelValues("evict", "failed"), 1},
	} {
		if got := testutil.ToFloat64(tc.c); got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, got, tc.want)
		}
	}
	// The next plan has no deferral: the gauge drops to 0.
	rep := decisionsReport()
	rep.p.Deferred = nil
	r.recordMetrics(rep)
	if got := testutil.CollectAndCount(m.deferred); got != 0 {
		t.Errorf("nodeguardian_deferred_actions has %d series after the deferrals ended", got)
	}
}
