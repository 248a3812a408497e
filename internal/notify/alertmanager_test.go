package notify

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/nodeguardian/nodeguardian/internal/amtest"
)

func TestAlertmanagerAlert(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 1, 0, 0, time.UTC)
	n := testNotification(EventFiring, "alertmanager")
	n.Labels["bad.label"] = "x"
	n.Labels["node"] = "overridden"
	a := NewAlertmanagerAlert(&n, now, time.Hour)
	eq(t, a.Labels["alertname"], "high-load")
	eq(t, a.Labels["node"], "worker-1")
	eq(t, a.Labels["bad_label"], "x")
	eq(t, a.Annotations["summary"], n.Subject)
	eq(t, a.Annotations["plan_id"], n.PlanID)
	eq(t, a.EndsAt, now.Add(time.Hour))
	r := testNotification(EventResolved, "alertmanager")
	eq(t, NewAlertmanagerAlert(&r, now.Add(time.Hour), time.Hour).EndsAt, r.EndsAt)
	eq(t, NewAlertmanagerAlert(&r, now, time.Hour).EndsAt, now) // recovery in the future: now
}

// TestAlertmanagerReal posts to a real Alertmanager: the firing alert is listed as
// active, and after the resolved notification it is no longer active.
func TestAlertmanagerReal(t *testing.T) {
	am := amtest.Start(t)
	now := time.Now().UTC().Truncate(time.Second)
	opts := testOptions(newFakeSleep(), io.Discard)
	opts.Now = func() time.Time { return now }
	d := newTestDispatcher(t, Config{Alertmanager: &AlertmanagerConfig{URL: URL(am.URL), ResolveTimeout: time.Hour}}, opts)
	firing := testNotification(EventFiring, "alertmanager")
	firing.StartsAt = now.Add(-time.Minute)
	if r := d.Send(context.Background(), []Notification{firing})[0][0]; r.Err != nil {
		t.Fatalf("firing: %+v", r)
	}
	alerts := am.Alerts(t)
	if len(alerts) != 1 {
		t.Fatalf("%d active alerts, want 1: %+v", len(alerts), alerts)
	}
	a := alerts[0]
	eq(t, a.Labels["alertname"], "high-load")
	eq(t, a.Labels["node"], "worker-1")
	eq(t, a.Labels["rule"], "high-load")
	eq(t, a.Labels["severity"], "critical")
	eq(t, a.Labels["team"], "nodes")
	eq(t, a.Annotations["summary"], firing.Subject)
	eq(t, a.Annotations["description"], firing.Body)
	eq(t, a.Annotations["plan_id"], firing.PlanID)
	eq(t, a.Status.State, "active")
	eq(t, a.StartsAt.Equal(firing.StartsAt), true)
	eq(t, a.EndsAt.Equal(now.Add(time.Hour)), true)

	resolved := testNotification(EventResolved, "alertmanager")
	resolved.StartsAt, resolved.EndsAt = firing.StartsAt, now
	if r := d.Send(context.Background(), []Notification{resolved})[0][0]; r.Err != nil {
		t.Fatalf("resolved: %+v", r)
	}
	if got := am.Alerts(t); len(got) != 0 { // Alertmanager lists only unresolved alerts
		t.Errorf("still listed after the resolved notification: %+v", got)
	}
}

func TestAlertmanagerRejects(t *testing.T) {
	srv := newCapture(t, 400)
	d := newTestDispatcher(t, Config{Alertmanager: &AlertmanagerConfig{URL: URL(srv.URL + "/"), ResolveTimeout: time.Hour}}, testOptions(newFakeSleep(), io.Discard))
	r := d.Send(context.Background(), []Notification{testNotification(EventFiring, "alertmanager")})[0][0]
	if r.Err == nil || r.Attempts != 1 {
		t.Errorf("%+v: want a 400 error after 1 attempt", r)
	}
	eq(t, srv.count(), 1)
}
