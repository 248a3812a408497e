package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// webhookSink is an alert webhook that records what it receives, and refuses while
// failing is set.
type webhookSink struct {
	mu       sync.Mutex
	failing  bool
	received []string // "rule node event", delivered
	refused  int
	keys     map[string][]string // the keys received (refused or not), by "rule node event"
	values   map[string]int      // how many values the last payload had, by "rule node event"
	ops      map[string][]string // the last payload's values, "metric operator threshold", by "rule node event"
}

func (w *webhookSink) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	var p struct {
		Rule, Node, Event, Key string
		Values                 []struct {
			Metric, Operator string
			Threshold        float64
		}
	}
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	id := p.Rule + " " + p.Node + " " + p.Event
	if w.keys == nil {
		w.keys, w.values, w.ops = map[string][]string{}, map[string]int{}, map[string][]string{}
	}
	w.keys[id] = append(w.keys[id], p.Key)
	w.values[id] = len(p.Values)
	w.ops[id] = nil
	for _, v := range p.Values {
		w.ops[id] = append(w.ops[id], fmt.Sprintf("%s %s %v", v.Metric, v.Operator, v.Threshold))
	}
	if w.failing {
		w.refused++
		http.Error(rw, "refused by the test", http.StatusBadRequest) // 4xx: not retried within the apply
		return
	}
	w.received = append(w.received, id)
}

// sameKeys checks that every send of each transition received carried one key, and
// that each had values.
func (w *webhookSink) sameKeys(t *testing.T) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, keys := range w.keys {
		if len(slices.Compact(slices.Clone(keys))) != 1 {
			t.Errorf("%s: keys %q, want one key for every send of the transition", id, keys)
		}
		if w.values[id] == 0 {
			t.Errorf("%s: the payload has no values", id)
		}
	}
}

// take returns what was received since the last call, sorted.
func (w *webhookSink) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := slices.Sorted(slices.Values(w.received))
	w.received = nil
	return out
}

func (w *webhookSink) fail(on bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.failing = on
}

// TestLiveAlerts: on a real kube-apiserver and Prometheus, alerts reach a webhook exactly
// once per transition: a failed send is retried by the next apply, a steady fleet sends
// nothing, Prometheus down sends nothing, recovery sends one resolved notification.
func TestLiveAlerts(t *testing.T) {
	f := setupLive(t)
	sink := &webhookSink{}
	srv := httptest.NewServer(sink)
	t.Cleanup(srv.Close)
	t.Setenv("ALERT_WEBHOOK_URL", srv.URL)
	t.Setenv("ALERT_SLACK_WEBHOOK", okServer(t)) // every channel the rules name is configured
	configureEmail(t)
	rules := "../../examples/rules/yaml"
	t1, t2 := 10*time.Minute, 25*time.Minute
	fired := []string{"emergency-eviction worker-2 firing", "high-load-isolation worker-1 firing"}

	apply := func(t *testing.T, at time.Duration) string {
		t.Helper()
		code, out, errOut := f.at(t, at, "", "apply", "--auto-approve", "-f", rules)
		if code != 0 {
			t.Fatalf("apply at +%s: exit %d\n%s\n%s", at, code, out, errOut)
		}
		return out + errOut
	}

	sink.fail(true)
	out := apply(t, t1)
	if got := sink.take(); len(got) != 0 || sink.refused != 2 || !strings.Contains(out, "2 failed (sent again by the next apply)") {
		t.Fatalf("webhook down: received %q, refused %d\n%s", got, sink.refused, out)
	}
	sink.fail(false)
	if out := apply(t, t1+30*time.Second); !strings.Contains(out, "retry: not yet delivered to webhook") {
		t.Errorf("the next apply does not say it retries:\n%s", out)
	}
	if got := sink.take(); !slices.Equal(got, fired) {
		t.Fatalf("retry: received %q, want %q", got, fired)
	}
	sink.sameKeys(t) // the failed sends and their retries
	if out := apply(t, t1+time.Minute); !strings.Contains(out, "No changes.") {
		t.Errorf("a steady fleet:\n%s", out)
	}
	if got := sink.take(); len(got) != 0 {
		t.Fatalf("a steady fleet sent %q", got)
	}
	code, out, errOut := ngctl(t, "", "apply", "--auto-approve", "-f", rules, "--kubeconfig", f.env.Kubeconfig,
		"--prometheus-url", "http://127.0.0.1:1", "--config", f.config, "--now", f.base.Add(t1+2*time.Minute).Format(time.RFC3339))
	// The plan is incomplete (exit 1), and nothing is sent: Unknown never acts.
	if got := sink.take(); code != 1 || len(got) != 0 || !strings.Contains(errOut, "Plan incomplete: 3 metric queries failed") {
		t.Fatalf("Prometheus down: exit %d, sent %q\n%s\n%s", code, got, out, errOut)
	}
	apply(t, t2)
	if got := sink.take(); !slices.Equal(got, []string{"high-load-isolation worker-1 resolved"}) {
		t.Fatalf("recovery: received %q", got)
	}
	// The resolved notification reports the recovery conditions, not the firing thresholds.
	want := []string{"cpuLoadRatio LessThan 0.8", "memoryUtilizationPercent LessThan 70"}
	if got := sink.ops["high-load-isolation worker-1 resolved"]; !slices.Equal(got, want) {
		t.Errorf("resolved values %q, want %q", got, want)
	}
	apply(t, t2+time.Minute)
	if got := sink.take(); len(got) != 0 {
		t.Fatalf("after recovery: received %q", got)
	}
}

// On a snapshot, apply sends nothing unless --send-alerts; with it, only what was
// delivered is recorded, and the next apply sends the rest.
func TestSnapshotSendAlerts(t *testing.T) {
	sink := &webhookSink{}
	srv := httptest.NewServer(sink)
	t.Cleanup(srv.Close)
	t.Setenv("ALERT_WEBHOOK_URL", srv.URL)
	t.Setenv("ALERT_SLACK_WEBHOOK", okServer(t))
	configureEmail(t)
	fleet := copyDemo(t)
	if code, out, _ := ngctl(t, "", "apply", "--auto-approve", "-f", demoRules, "--snapshot", copyDemo(t)); code != 0 || !strings.Contains(out, "alert (not sent from a snapshot)") {
		t.Fatalf("simulation: exit %d\n%s", code, out)
	}
	if got := sink.take(); len(got) != 0 {
		t.Fatalf("a simulation sent %q", got)
	}
	cfg := writeFile(t, t.TempDir(), "a.yaml", "log:\n  format: json\n")
	// Refused before the plan is printed: nothing of a plan that will not be applied.
	if code, out, errOut := ngctl(t, "", "apply", "--auto-approve", "--alert-config", cfg, "-f", demoRules, "--snapshot", fleet); code != 1 || !strings.Contains(errOut, "needs --send-alerts") || out != "" {
		t.Fatalf("--alert-config without --send-alerts: exit %d: %s\n%s", code, errOut, out)
	}
	sink.fail(true)
	code, out, errOut := ngctl(t, "", "apply", "--auto-approve", "--send-alerts", "-f", demoRules, "--snapshot", fleet)
	if code != 0 || !strings.Contains(out, "failed (sent again by the next apply)") || !strings.Contains(errOut, "via webhook failed") {
		t.Fatalf("webhook down: exit %d\n%s\n%s", code, out, errOut)
	}
	sink.fail(false)
	code, out, _ = ngctl(t, "", "apply", "--auto-approve", "--send-alerts", "-f", demoRules, "--snapshot", fleet)
	got := sink.take()
	if code != 0 || len(got) == 0 || !strings.Contains(out, "retry: not yet delivered to webhook") {
		t.Fatalf("retry: exit %d, received %q\n%s", code, got, out)
	}
	sink.sameKeys(t) // the failed sends and their retries
	if code, out, _ := ngctl(t, "", "plan", "--detailed-exitcode", "-f", demoRules, "--snapshot", fleet); code != 0 || !strings.Contains(out, "No changes.") {
		t.Fatalf("after delivery: exit %d\n%s", code, out)
	}
}

// apply --snapshot --send-alerts sends the nodes' alerts on the live apply's delivery
// workers: a slow webhook delays neither the other channels nor the other nodes, and the
// apply takes about as long as the slow sends in flight together, not one per node.
func TestSnapshotSendAlertsConcurrently(t *testing.T) {
	const slow = 2 * time.Second
	var mu sync.Mutex
	var hooks int
	var firstHook time.Time
	var slack []time.Time
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hooks++
		if firstHook.IsZero() {
			firstHook = time.Now()
		}
		mu.Unlock()
		time.Sleep(slow)
	}))
	t.Cleanup(hook.Close)
	fast := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		slack = append(slack, time.Now())
		mu.Unlock()
	}))
	t.Cleanup(fast.Close)
	t.Setenv("ALERT_WEBHOOK_URL", hook.URL)
	t.Setenv("ALERT_SLACK_WEBHOOK", fast.URL)
	configureEmail(t)
	start := time.Now()
	code, out, errOut := ngctl(t, "", "apply", "--auto-approve", "--send-alerts", "-f", demoRules, "--snapshot", copyDemo(t))
	took := time.Since(start)
	if code != 0 || strings.Contains(out, "failed") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	mu.Lock()
	defer mu.Unlock()
	if hooks < 4 || len(slack) < 2 {
		t.Fatalf("%d webhook and %d slack notifications: the demo should alert more nodes", hooks, len(slack))
	}
	// Node by node, the webhook alone takes hooks×slow; the webhook has 2 sends in flight
	// (notify's per-channel share) across nodes.
	if limit := time.Duration(hooks+1) / 2 * slow; took > limit+slow {
		t.Errorf("the apply took %s with %d slow webhook sends of %s: nodes were not sent at once (want about %s)", took, hooks, slow, limit)
	}
	for _, at := range slack {
		if d := at.Sub(firstHook); d > slow/2 {
			t.Errorf("a slack notification arrived %s after the first webhook send: it waited for the slow webhook", d)
		}
	}
}
