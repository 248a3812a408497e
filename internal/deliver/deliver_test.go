package deliver

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
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

// A channel that is not configured goes to the log instead and counts as done; a
// configured one reports what it delivered.
func TestDeliverUnconfiguredChannelsGoToTheLog(t *testing.T) {
	var logged bytes.Buffer
	d, err := notify.New(notify.Config{}, notify.Options{Logger: &logged})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	s := New(d, notify.Config{}.Channels(), nil, "abc", func() time.Time { return now })
	got := s.Deliver(context.Background(), []apply.SentAlert{
		{Node: "n1", Rule: "r", Alert: plan.Alert{Event: "firing", Channels: []string{"email", "slack"}, Subject: "hot"}},
		{Node: "n2", Rule: "r", Alert: plan.Alert{Event: "recovered", Channels: []string{"log"}, Subject: "cool"}},
	})
	if !slices.Equal(got[0], []string{"email", "slack", "log"}) || !slices.Equal(got[1], []string{"log"}) {
		t.Fatalf("delivered %q", got)
	}
	if len(s.Failures()) != 0 || s.Sent() != 2 {
		t.Errorf("failures %v, sent %d", s.Failures(), s.Sent())
	}
	if out := logged.String(); strings.Count(out, "\n") != 2 || !strings.Contains(out, "hot") || !strings.Contains(out, "resolved") {
		t.Errorf("log:\n%s", out)
	}
	n := s.Notification(apply.SentAlert{Node: "n2", Rule: "r", Alert: plan.Alert{Event: "recovered"}})
	if n.Event != notify.EventResolved || !n.EndsAt.Equal(now) || n.PlanID != "abc" {
		t.Errorf("notification %+v", n)
	}
}
