package notify

import (
	"fmt"
	"strings"
	"time"

	"github.com/nodeguardian/nodeguardian/internal/redact"
)

// Environment variables read by LoadConfig. A set variable overrides the file's field.
const (
	EnvEmailTo          = "ALERT_EMAIL_TO"            // email recipients, comma-separated
	EnvSlackWebhook     = "ALERT_SLACK_WEBHOOK"       // the Slack incoming-webhook URL (a secret)
	EnvWebhookURL       = "ALERT_WEBHOOK_URL"         // the webhook URL
	EnvWebhookSecret    = "ALERT_WEBHOOK_SECRET_FILE" // file holding the webhook's HMAC key
	EnvAlertmanagerURL  = "ALERT_ALERTMANAGER_URL"    // the Alertmanager base URL
	EnvSMTPHost         = "SMTP_HOST"
	EnvSMTPPort         = "SMTP_PORT"
	EnvSMTPUsername     = "SMTP_USERNAME"
	EnvSMTPPasswordFile = "SMTP_PASSWORD_FILE"
	EnvSMTPFrom         = "SMTP_FROM"
	EnvSMTPTLS          = "SMTP_TLS" // starttls, opportunistic, implicit or none
)

// Config is the alert configuration: the --alert-config file merged with the
// environment. A nil channel section means the channel is not configured.
type Config struct {
	// File is the configuration file it was read from; "" when none.
	File string
	// Email configures the email channel.
	Email *EmailConfig
	// Slack configures the slack channel.
	Slack *SlackConfig
	// Webhook configures the webhook channel.
	Webhook *WebhookConfig
	// Alertmanager configures the alertmanager channel.
	Alertmanager *AlertmanagerConfig
	// Log configures the log channel, which is always available.
	Log LogConfig
	// RepeatInterval is how often a firing rule's alert is sent again (repeatInterval in
	// the file); 0 when the file does not say. A template's repeatInterval wins over it,
	// and it wins over the default of --alert-repeat-interval (an explicit flag wins over
	// it): see docs/alerts.md.
	RepeatInterval time.Duration
}

// TLSMode is how the email channel secures its SMTP connection.
type TLSMode string

// TLS modes.
const (
	TLSStartTLS      TLSMode = "starttls"      // STARTTLS, mandatory (the default)
	TLSOpportunistic TLSMode = "opportunistic" // STARTTLS when the server offers it
	TLSImplicit      TLSMode = "implicit"      // TLS from the first byte (SMTPS, port 465)
	TLSNone          TLSMode = "none"          // plain text
)

// AuthMechanism is the SMTP authentication mechanism.
type AuthMechanism string

// SMTP authentication mechanisms.
const (
	AuthNone  AuthMechanism = "none"
	AuthPlain AuthMechanism = "plain"
	AuthLogin AuthMechanism = "login"
)

// EmailConfig configures SMTP delivery.
type EmailConfig struct {
	// Host is the SMTP server.
	Host string
	// Port defaults to 587 (starttls, opportunistic), 465 (implicit) or 25 (none).
	Port int
	// TLS is the connection security; default starttls.
	TLS TLSMode
	// Auth is the mechanism; default plain when Username is set, else none.
	Auth AuthMechanism
	// Username authenticates with Password.
	Username string
	// Password is read from passwordFile or $SMTP_PASSWORD_FILE.
	Password Secret
	// From is the sender address.
	From string
	// To are the recipients.
	To []string
	// CAFile is a PEM file of CAs to trust instead of the system's.
	CAFile string
	// InsecureSkipVerify disables certificate verification: for tests only.
	InsecureSkipVerify bool
}

// SlackConfig configures a Slack incoming webhook.
type SlackConfig struct {
	// URL is the webhook URL, a secret (read from urlFile or $ALERT_SLACK_WEBHOOK).
	URL Secret
	// Link, when set, adds a button: a URL template with {node}, {rule}, {event},
	// {severity}, {planId} and {key} placeholders (query-escaped), or a base URL to which
	// ?node=…&rule=… is added.
	Link string
}

// WebhookConfig configures the generic JSON webhook.
type WebhookConfig struct {
	// URL receives the POST.
	URL URL
	// Headers are sent with every request (not secrets: see HeaderFiles).
	Headers map[string]string
	// HeaderFiles are headers whose values are secrets read from files (e.g.
	// Authorization).
	HeaderFiles map[string]Secret
	// Secret, when set, is the HMAC-SHA256 key of the X-NodeGuardian-Signature header.
	Secret Secret
}

// AlertmanagerConfig configures Alertmanager's API v2.
type AlertmanagerConfig struct {
	// URL is Alertmanager's base URL; alerts are posted to URL/api/v2/alerts.
	URL URL
	// ResolveTimeout is how long after a firing post Alertmanager keeps the alert
	// active without a re-post (its endsAt); default 1h.
	ResolveTimeout time.Duration
	// Headers are sent with every request.
	Headers map[string]string
	// HeaderFiles are headers whose values are secrets read from files.
	HeaderFiles map[string]Secret
}

// LogConfig configures the log channel.
type LogConfig struct {
	// Format is "logfmt" (the default) or "json".
	Format string
}

// URL is an http(s) URL that is shown with its user info, query values and fragment
// masked (redact.URLQuery): a receiver's URL may carry a token in any of them.
type URL string

// String shows the URL with its credentials masked.
func (u URL) String() string { return redact.URLQuery(string(u)) }

// GoString is String, for %#v.
func (u URL) GoString() string { return u.String() }

// Format makes every fmt verb show String.
func (u URL) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(u.String())) }

// DefaultResolveTimeout is the default AlertmanagerConfig.ResolveTimeout: above the
// default repeat interval of firing alerts (4h), which is when ngctl posts them again.
const DefaultResolveTimeout = 5 * time.Hour

// Channels lists the configured channels, log included.
func (c Config) Channels() []string {
	var out []string
	if c.Email != nil {
		out = append(out, ChannelEmail)
	}
	if c.Slack != nil {
		out = append(out, ChannelSlack)
	}
	if c.Webhook != nil {
		out = append(out, ChannelWebhook)
	}
	if c.Alertmanager != nil {
		out = append(out, ChannelAlertmanager)
	}
	return append(out, ChannelLog)
}

// String summarizes the configuration without secrets, e.g.
// "email(smtp.example.com:587 starttls, 2 recipients), slack, webhook(https://h/x), log(logfmt)".
func (c Config) String() string {
	var parts []string
	if e := c.Email; e != nil {
		parts = append(parts, fmt.Sprintf("email(%s:%d %s, %d recipients)", e.Host, e.Port, e.TLS, len(e.To)))
	}
	if c.Slack != nil {
		parts = append(parts, "slack")
	}
	if w := c.Webhook; w != nil {
		parts = append(parts, fmt.Sprintf("webhook(%s)", w.URL))
	}
	if a := c.Alertmanager; a != nil {
		parts = append(parts, fmt.Sprintf("alertmanager(%s)", a.URL))
	}
	parts = append(parts, fmt.Sprintf("log(%s)", c.Log.Format))
	return strings.Join(parts, ", ")
}

// GoString is String, for %#v.
func (c Config) GoString() string { return c.String() }

// Format makes every fmt verb show String.
func (c Config) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.String())) }

// NotConfigured is the error of a channel a notification names but the configuration
// lacks: "channel slack is not configured: set ALERT_SLACK_WEBHOOK or slack in
// --alert-config".
func NotConfigured(channel string) error {
	how := map[string]string{
		ChannelEmail:        "set " + EnvEmailTo + " and " + EnvSMTPHost,
		ChannelSlack:        "set " + EnvSlackWebhook,
		ChannelWebhook:      "set " + EnvWebhookURL,
		ChannelAlertmanager: "set " + EnvAlertmanagerURL,
	}[channel]
	if how == "" {
		return fmt.Errorf("unknown channel %q (want one of %s)", channel, strings.Join(channelNames(), ", "))
	}
	return fmt.Errorf("channel %s is not configured: %s or %s in --alert-config", channel, how, channel)
}
