// Package notify delivers alert notifications on channels: email (SMTP), Slack
// (incoming webhooks, Block Kit), a generic JSON webhook, Alertmanager (API v2) and a
// structured log line. It knows nothing of plans or ledgers: its caller renders the
// subject and body, names the channels, and records the Results.
//
// Configuration comes from a YAML file (--alert-config, see LoadConfig and
// docs/alerts.md) complemented and overridden by environment variables. Secrets (SMTP
// password, Slack webhook URL, webhook HMAC key and auth headers) are read from files or
// the environment, never from the config file, and are never shown in errors, logs or
// the String form of a Config.
//
//	cfg, err := notify.LoadConfig("alerts.yaml", os.Getenv)
//	d, err := notify.New(cfg, notify.Options{Logger: os.Stderr})
//	results := d.Send(ctx, notifications) // one []Result per notification
package notify

import "time"

// Event is the transition a notification reports.
type Event string

// Events.
const (
	// EventFiring: the rule's conditions hold on the node.
	EventFiring Event = "firing"
	// EventResolved: the rule's recovery conditions hold on the node.
	EventResolved Event = "resolved"
)

// Channel names, as in the alert actions of rules (api/v1 Channel).
const (
	ChannelEmail        = "email"
	ChannelSlack        = "slack"
	ChannelWebhook      = "webhook"
	ChannelAlertmanager = "alertmanager"
	ChannelLog          = "log"
)

// channelNames lists every channel, in the order messages name them.
func channelNames() []string {
	return []string{ChannelEmail, ChannelSlack, ChannelWebhook, ChannelAlertmanager, ChannelLog}
}

// Notification is one alert to deliver: a rule's transition on a node, already rendered.
type Notification struct {
	// Key is the stable identity of (rule, node, transition), used in logs and as the
	// webhook's idempotency key, so that a receiver can drop a redelivery.
	Key string
	// Rule is the name of the rule that fired or recovered.
	Rule string
	// Node is the name of the node.
	Node string
	// Event is firing or resolved.
	Event Event
	// Severity is "critical", "warning" or "info".
	Severity string
	// Subject is the rendered subject (email subject, Slack header, Alertmanager summary).
	Subject string
	// Body is the rendered body.
	Body string
	// Channels names the channels to deliver on: "email", "slack", "webhook",
	// "alertmanager", "log". A name listed twice is delivered once.
	Channels []string
	// Values are the metric values that made the rule fire or recover.
	Values []Value
	// Labels are extra labels: Alertmanager labels, the webhook payload's labels. They
	// are part of an Alertmanager alert's identity: keep them the same for a firing
	// notification and its resolution.
	Labels map[string]string
	// Annotations are extra Alertmanager annotations (the template's name, ...), which do
	// not identify the alert.
	Annotations map[string]string
	// StartsAt is when the rule fired (for a resolved notification too: the firing it
	// ends).
	StartsAt time.Time
	// EndsAt is zero while firing; the recovery time for resolved.
	EndsAt time.Time
	// PlanID is the ID of the plan that made the transition.
	PlanID string
}

// Value is one metric condition of a notification.
type Value struct {
	// Metric is the metric name, e.g. "cpuLoadRatio".
	Metric string
	// Value is the metric's value (NaN or ±Inf are shown as null in JSON payloads).
	Value float64
	// Threshold is the condition's threshold.
	Threshold float64
	// Operator is the condition's operator, e.g. "GreaterThan" or ">".
	Operator string
}

// Result is the outcome of one notification on one channel.
type Result struct {
	// Channel is the channel's name, as the notification gave it.
	Channel string
	// Attempts is how many times delivery was tried (0 when it never started: an
	// unconfigured channel, a cancelled context).
	Attempts int
	// Err is nil when the notification was delivered, else why not (with secrets
	// redacted).
	Err error
}
