package notify

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"time"
)

// alertmanagerSender posts alerts to Alertmanager's API v2.
type alertmanagerSender struct {
	cfg AlertmanagerConfig
	d   *Dispatcher
}

// AlertmanagerAlert is one alert of POST /api/v2/alerts.
type AlertmanagerAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt,omitzero"`
	EndsAt       time.Time         `json:"endsAt,omitzero"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

var labelNameRE = regexp.MustCompile(`[^a-zA-Z0-9_]`)

// NewAlertmanagerAlert is the alert of n at now. Its labels are n.Labels plus
// alertname (the rule), node, rule and severity, which win over n.Labels; label names
// are sanitized to Prometheus' charset and empty values dropped. Its annotations are
// n.Annotations plus summary (subject), description (body), plan_id and key, which win. A firing alert ends at
// now+resolveTimeout, so it stays active only while it is re-posted; a resolved one
// ends at n.EndsAt (now when zero or in the future).
func NewAlertmanagerAlert(n *Notification, now time.Time, resolveTimeout time.Duration) AlertmanagerAlert {
	labels := map[string]string{}
	for k, v := range maps.All(n.Labels) {
		k = labelNameRE.ReplaceAllString(k, "_")
		if k != "" && (k[0] < '0' || k[0] > '9') {
			labels[k] = v
		}
	}
	labels["alertname"], labels["node"], labels["rule"], labels["severity"] = n.Rule, n.Node, n.Rule, n.Severity
	maps.DeleteFunc(labels, func(_, v string) bool { return strings.TrimSpace(v) == "" })
	ann := map[string]string{}
	for k, v := range n.Annotations {
		ann[labelNameRE.ReplaceAllString(k, "_")] = v
	}
	ann["summary"], ann["description"], ann["plan_id"], ann["key"] = n.Subject, n.Body, n.PlanID, n.Key
	maps.DeleteFunc(ann, func(_, v string) bool { return v == "" })
	a := AlertmanagerAlert{Labels: labels, Annotations: ann, StartsAt: n.StartsAt.UTC()}
	if n.StartsAt.IsZero() {
		a.StartsAt = now.UTC()
	}
	if n.Event == EventResolved {
		a.EndsAt = now.UTC()
		if !n.EndsAt.IsZero() && !n.EndsAt.After(now) {
			a.EndsAt = n.EndsAt.UTC()
		}
	} else {
		a.EndsAt = now.Add(resolveTimeout).UTC()
	}
	if a.StartsAt.After(a.EndsAt) { // Alertmanager rejects an alert that ends before it starts
		a.StartsAt = a.EndsAt
	}
	return a
}

func (s *alertmanagerSender) send(ctx context.Context, n *Notification) error {
	body, err := marshal([]AlertmanagerAlert{NewAlertmanagerAlert(n, s.d.opts.Now(), s.cfg.ResolveTimeout)})
	if err != nil {
		return permanent(fmt.Errorf("encoding the alert: %w", err))
	}
	u := strings.TrimSuffix(string(s.cfg.URL), "/") + "/api/v2/alerts"
	return s.d.post(ctx, request{
		url: u, shown: URL(u).String(), headers: s.cfg.Headers, files: s.cfg.HeaderFiles, body: body,
	})
}
