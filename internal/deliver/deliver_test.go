package deliver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/amtest"
	"github.com/nodeguardian/nodeguardian/internal/apply"
	"github.com/nodeguardian/nodeguardian/internal/notify"
	"github.com/nodeguardian/nodeguardian/internal/plan"
)

func TestSeverity(t *testing.T) {
	rule := func(actions ...v1.Action) *v1.NodeGuardianRule {
		return &v1.NodeGuardianRule{ObjectMeta: metav1.ObjectMeta{Name: "r"}, Spec: v1.NodeGuardianRuleSpec{Actions: actions}}
	}
	for _, tt := range []struct {
		r    *v1.NodeGuardianRule
		want string
	}{
		{nil, SeverityInfo},
		{rule(v1.Action{Type: v1.ActionAlert}), SeverityInfo},
		{rule(v1.Action{Type: v1.ActionCordon}), SeverityWarning},
		{rule(v1.Action{Type: v1.ActionCordon}, v1.Action{Type: v1.ActionEvict}), SeverityCritical},
		{rule(v1.Action{Type: v1.ActionDrain}), SeverityCritical},
	} {
		if got := Severity(tt.r); got != tt.want {
			t.Errorf("Severity(%+v) = %s, want %s", tt.r, got, tt.want)
		}
	}
}

// A channel that is not configured fails closed: it is not reported delivered (so the
// next apply sends the alert again), its failure says how to configure it, and no other
// channel stands in for it; an explicit log channel is a real channel.
func TestDeliverUnconfiguredChannelFailsClosed(t *testing.T) {
	var logged bytes.Buffer
	d, err := notify.New(notify.Config{}, notify.Options{Logger: &logged})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	s := New(d, nil, "abc", func() time.Time { return now })
	got := s.Deliver(context.Background(), []apply.SentAlert{
		{Node: "n1", Rule: "r", Alert: plan.Alert{Event: "firing", Channels: []string{"email", "slack"}, Subject: "hot"}},
		{Node: "n2", Rule: "r", Alert: plan.Alert{Event: "recovered", Channels: []string{"log"}, Subject: "cool"}},
	})
	if len(got[0]) != 0 || !slices.Equal(got[1], []string{"log"}) {
		t.Fatalf("delivered %q, want nothing for n1 and log for n2", got)
	}
	fs := s.Failures()
	if len(fs) != 2 || s.Sent() != 1 {
		t.Fatalf("failures %v, sent %d", fs, s.Sent())
	}
	want := "alert r on n1 (firing) via slack not sent: channel slack is not configured: set ALERT_SLACK_WEBHOOK or slack in --alert-config"
	if fs[1].Error() != want || fs[0].Channel != "email" || fs[0].Attempts != 0 {
		t.Errorf("failures:\n%v\n%v\nwant the second:\n%s", fs[0], fs[1], want)
	}
	if out := logged.String(); strings.Count(out, "\n") != 1 || strings.Contains(out, "hot") || !strings.Contains(out, "resolved") {
		t.Errorf("log:\n%s", out)
	}
	n := s.Notification(apply.SentAlert{Node: "n2", Rule: "r", Alert: plan.Alert{Event: "recovered"}})
	if n.Event != notify.EventResolved || !n.EndsAt.Equal(now) || n.PlanID != "abc" {
		t.Errorf("notification %+v", n)
	}
}

// A firing alert and its recovery, rendered from different templates, are one
// Alertmanager alert: the recovery resolves it. Labels are exactly the identity set; the
// template is an annotation; startsAt is when the rule fired, not when it was sent.
func TestAlertmanagerRecoveryResolvesAcrossTemplates(t *testing.T) {
	am := amtest.Start(t)
	now := time.Now().UTC().Truncate(time.Second)
	fired := now.Add(-20 * time.Minute)
	d, err := notify.New(notify.Config{Alertmanager: &notify.AlertmanagerConfig{URL: notify.URL(am.URL), ResolveTimeout: time.Hour}},
		notify.Options{Logger: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	rules := []*v1.NodeGuardianRule{{ObjectMeta: metav1.ObjectMeta{Name: "high-load"},
		Spec: v1.NodeGuardianRuleSpec{Actions: []v1.Action{{Type: v1.ActionCordon}}}}}
	s := New(d, rules, "plan-1", func() time.Time { return now })
	firing := apply.SentAlert{Node: "worker-1", Rule: "high-load", Alert: plan.Alert{Event: "firing", Template: "high-load-alert",
		Channels: []string{"alertmanager"}, Subject: "hot", Since: fired, Fired: fired}}
	if got := s.Deliver(context.Background(), []apply.SentAlert{firing}); !slices.Equal(got[0], []string{"alertmanager"}) {
		t.Fatalf("firing: delivered %q, failures %v", got, s.Failures())
	}
	alerts := am.Alerts(t)
	if len(alerts) != 1 {
		t.Fatalf("%d active alerts, want 1: %+v", len(alerts), alerts)
	}
	want := map[string]string{"alertname": "high-load", "node": "worker-1", "rule": "high-load", "severity": SeverityWarning}
	if !maps.Equal(alerts[0].Labels, want) {
		t.Errorf("labels %v, want exactly %v", alerts[0].Labels, want)
	}
	if alerts[0].Annotations["template"] != "high-load-alert" || !alerts[0].StartsAt.Equal(fired) {
		t.Errorf("annotations %v, startsAt %s (want template high-load-alert, startsAt %s)", alerts[0].Annotations, alerts[0].StartsAt, fired)
	}
	recovered := apply.SentAlert{Node: "worker-1", Rule: "high-load", Alert: plan.Alert{Event: "recovered", Template: "recovery-alert",
		Channels: []string{"alertmanager"}, Subject: "cool", Since: now.Add(-time.Second), Fired: fired}}
	s = New(d, rules, "plan-2", func() time.Time { return now })
	if got := s.Deliver(context.Background(), []apply.SentAlert{recovered}); !slices.Equal(got[0], []string{"alertmanager"}) {
		t.Fatalf("recovery: delivered %q, failures %v", got, s.Failures())
	}
	if got := am.Alerts(t); len(got) != 0 { // Alertmanager lists only unresolved alerts
		t.Errorf("the firing alert is still active after its recovery: %+v", got)
	}
}

// Notifications carry the plan's values, and a key from the transition time: the same
// for every send of one transition (another plan, another time), another for a new one.
func TestNotificationValuesAndKey(t *testing.T) {
	since := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	a := apply.SentAlert{Node: "worker-1", Rule: "high-load", Alert: plan.Alert{Event: "firing", Channels: []string{"webhook"},
		Since: since, Fired: since, Values: []plan.AlertValue{{Metric: "cpuLoadRatio", Value: 1.9, Operator: "GreaterThan", Threshold: 1.5}}}}
	first := New(nil, nil, "plan-1", func() time.Time { return since }).Notification(a)
	retry := New(nil, nil, "plan-2", func() time.Time { return since.Add(time.Hour) }).Notification(a)
	if first.Key != "high-load/worker-1/firing/2026-11-29T12:00:00Z" || retry.Key != first.Key {
		t.Errorf("keys %q and %q, want both high-load/worker-1/firing/2026-11-29T12:00:00Z", first.Key, retry.Key)
	}
	want := []notify.Value{{Metric: "cpuLoadRatio", Value: 1.9, Threshold: 1.5, Operator: "GreaterThan"}}
	if !slices.Equal(first.Values, want) || !first.StartsAt.Equal(since) {
		t.Errorf("values %+v startsAt %s, want %+v at %s", first.Values, first.StartsAt, want, since)
	}
	a.Since = since.Add(2 * time.Hour)
	if again := New(nil, nil, "plan-3", nil).Notification(a); again.Key == first.Key {
		t.Errorf("a new transition has the old key %q", again.Key)
	}
}

// What ngctl apply really POSTs to a webhook: the template's name in "template", no
// labels, and a payload the versioned schema accepts (schemas/alert-webhook.schema.json).
func TestWebhookPayloadAsSent(t *testing.T) {
	bodies := make(chan []byte, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- b
	}))
	t.Cleanup(srv.Close)
	d, err := notify.New(notify.Config{Webhook: &notify.WebhookConfig{URL: notify.URL(srv.URL)}}, notify.Options{Logger: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	since := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	s := New(d, nil, "plan-1", func() time.Time { return since.Add(time.Minute) })
	got := s.Deliver(context.Background(), []apply.SentAlert{{Node: "worker-1", Rule: "high-load", Alert: plan.Alert{
		Event: "firing", Template: "high-load-alert", Channels: []string{"webhook"}, Subject: "hot", Body: "b", Since: since, Fired: since,
		Values: []plan.AlertValue{{Metric: "cpuLoadRatio", Value: 1.9, Operator: "GreaterThan", Threshold: 1.5}},
	}}})
	if !slices.Equal(got[0], []string{"webhook"}) {
		t.Fatalf("delivered %q, failures %v", got, s.Failures())
	}
	body := <-bodies
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	if p["template"] != "high-load-alert" || fmt.Sprint(p["labels"]) != "map[]" || p["version"] != "1" {
		t.Errorf("payload %s", body)
	}
	f, err := os.Open("../../schemas/alert-webhook.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("alert-webhook.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("alert-webhook.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err := sch.Validate(inst); err != nil {
		t.Errorf("the payload does not match the schema: %v\n%s", err, body)
	}
}
