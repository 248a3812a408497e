package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"time"
)

// Webhook headers.
const (
	// HeaderSignature is "sha256=<hex>", the HMAC-SHA256 of the body under the
	// webhook's secret key; sent only when a key is configured.
	HeaderSignature = "X-NodeGuardian-Signature"
	// HeaderIdempotencyKey is the notification's Key: a receiver can drop a redelivery.
	HeaderIdempotencyKey = "Idempotency-Key"
	// HeaderEvent is the notification's Event.
	HeaderEvent = "X-NodeGuardian-Event"
)

// WebhookVersion is the version of WebhookPayload.
const WebhookVersion = "1"

// WebhookPayload is the JSON body of the webhook channel, described by
// schemas/alert-webhook.schema.json.
type WebhookPayload struct {
	Version  string            `json:"version"`
	Key      string            `json:"key"`
	Rule     string            `json:"rule"`
	Node     string            `json:"node"`
	Event    Event             `json:"event"`
	Severity string            `json:"severity"`
	Subject  string            `json:"subject"`
	Body     string            `json:"body"`
	Template string            `json:"template"` // the AlertTemplate's name; "" without one
	Values   []WebhookValue    `json:"values"`
	Labels   map[string]string `json:"labels"`
	StartsAt *time.Time        `json:"startsAt"`
	EndsAt   *time.Time        `json:"endsAt"`
	PlanID   string            `json:"planId"`
}

// WebhookValue is a Value in a WebhookPayload; a NaN or infinite number is null.
type WebhookValue struct {
	Metric    string   `json:"metric"`
	Value     *float64 `json:"value"`
	Threshold *float64 `json:"threshold"`
	Operator  string   `json:"operator"`
}

// NewWebhookPayload is the payload of n.
func NewWebhookPayload(n *Notification) WebhookPayload {
	p := WebhookPayload{
		Version: WebhookVersion, Key: n.Key, Rule: n.Rule, Node: n.Node, Event: n.Event,
		Severity: n.Severity, Subject: n.Subject, Body: n.Body, Template: n.Annotations["template"], PlanID: n.PlanID,
		Values: make([]WebhookValue, 0, len(n.Values)), Labels: map[string]string{},
		StartsAt: timePtr(n.StartsAt), EndsAt: timePtr(n.EndsAt),
	}
	for _, v := range n.Values {
		p.Values = append(p.Values, WebhookValue{Metric: v.Metric, Value: finite(v.Value), Threshold: finite(v.Threshold), Operator: v.Operator})
	}
	for k, v := range n.Labels {
		p.Labels[k] = v
	}
	return p
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func finite(f float64) *float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

// Sign is the X-NodeGuardian-Signature of body under key: "sha256=<hex>".
func Sign(key, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// webhookSender posts WebhookPayloads.
type webhookSender struct {
	cfg WebhookConfig
	d   *Dispatcher
}

func (s *webhookSender) send(ctx context.Context, n *Notification) error {
	body, err := marshal(NewWebhookPayload(n))
	if err != nil {
		return permanent(fmt.Errorf("encoding the payload: %w", err))
	}
	extra := http.Header{}
	extra.Set(HeaderEvent, string(n.Event))
	if n.Key != "" {
		extra.Set(HeaderIdempotencyKey, n.Key)
	}
	var secrets []string
	if s.cfg.Secret.IsSet() {
		key, err := s.cfg.Secret.Value()
		if err != nil {
			return permanent(fmt.Errorf("HMAC key: %w", err))
		}
		secrets = append(secrets, key)
		extra.Set(HeaderSignature, Sign([]byte(key), body))
	}
	return s.d.post(ctx, request{
		url: string(s.cfg.URL), shown: s.cfg.URL.String(), headers: s.cfg.Headers,
		files: s.cfg.HeaderFiles, extra: extra, body: body, secrets: secrets,
	})
}

// marshal is json.Marshal without HTML escaping and without the trailing newline.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
