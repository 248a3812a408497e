package notify

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/nodeguardian/nodeguardian/internal/redact"
)

// Slack limits (Block Kit).
const (
	slackHeaderMax = 150
	slackTextMax   = 3000
)

// slackSender posts Block Kit messages to an incoming webhook.
type slackSender struct {
	cfg SlackConfig
	d   *Dispatcher
}

func (s *slackSender) send(ctx context.Context, n *Notification) error {
	hook, err := s.cfg.URL.Value()
	if err != nil {
		return permanent(fmt.Errorf("webhook URL: %w", err))
	}
	body, err := marshal(SlackMessage(n, s.cfg.Link))
	if err != nil {
		return permanent(fmt.Errorf("encoding the message: %w", err))
	}
	// The whole path is the credential: an answer that echoes part of it (the token, an
	// ID) is scrubbed too.
	secrets := append([]string{hook}, redact.URLSecrets(hook, true)...)
	return s.d.post(ctx, request{url: hook, shown: secretURL(hook), body: body, secrets: secrets})
}

// SlackMessage is the incoming-webhook message of n: a fallback text and Block Kit
// blocks (header, node/rule/event/severity fields, body, values, an "Open" button when
// link is set, and a context line with the plan ID and key).
func SlackMessage(n *Notification, link string) map[string]any {
	icon := ":rotating_light:"
	if n.Event == EventResolved {
		icon = ":white_check_mark:"
	}
	header := truncate(fmt.Sprintf("%s %s: %s", icon, strings.ToUpper(string(n.Event)), n.Subject), slackHeaderMax)
	field := func(name, v string) map[string]any {
		return map[string]any{"type": "mrkdwn", "text": "*" + name + "*\n" + mrkdwn(v)}
	}
	blocks := []any{
		map[string]any{"type": "header", "text": map[string]any{"type": "plain_text", "text": header, "emoji": true}},
		map[string]any{"type": "section", "fields": []any{
			field("Node", n.Node), field("Rule", n.Rule), field("Event", string(n.Event)), field("Severity", n.Severity),
		}},
	}
	if strings.TrimSpace(n.Body) != "" {
		blocks = append(blocks, section(truncate(mrkdwn(n.Body), slackTextMax)))
	}
	if len(n.Values) > 0 {
		var b strings.Builder
		b.WriteString("*Values*")
		for _, v := range n.Values {
			fmt.Fprintf(&b, "\n• `%s` = %s (%s %s)", mrkdwn(v.Metric), num(v.Value), mrkdwn(v.Operator), num(v.Threshold))
		}
		blocks = append(blocks, section(truncate(b.String(), slackTextMax)))
	}
	if link != "" {
		blocks = append(blocks, map[string]any{"type": "actions", "elements": []any{map[string]any{
			"type": "button", "text": map[string]any{"type": "plain_text", "text": "Open"}, "url": expandLink(link, n),
		}}})
	}
	var ctxLine []string
	if n.PlanID != "" {
		ctxLine = append(ctxLine, "plan `"+mrkdwn(n.PlanID)+"`")
	}
	if n.Key != "" {
		ctxLine = append(ctxLine, "key `"+mrkdwn(n.Key)+"`")
	}
	if len(ctxLine) > 0 {
		blocks = append(blocks, map[string]any{"type": "context", "elements": []any{
			map[string]any{"type": "mrkdwn", "text": strings.Join(ctxLine, " · ")},
		}})
	}
	return map[string]any{"text": truncate(header, slackTextMax), "blocks": blocks}
}

func section(text string) map[string]any {
	return map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": text}}
}

// mrkdwn escapes the three characters Slack's mrkdwn requires escaped.
func mrkdwn(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// truncate cuts s to at most max runes, ending with "…" when cut.
func truncate(s string, max int) string {
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	return string(r[:max-1]) + "…"
}

// expandLink is link with its placeholders replaced by n's query-escaped fields; a link
// without placeholders gets ?node=…&rule=… added.
func expandLink(link string, n *Notification) string {
	vals := map[string]string{
		"node": n.Node, "rule": n.Rule, "event": string(n.Event), "severity": n.Severity, "planId": n.PlanID, "key": n.Key,
	}
	if strings.Contains(link, "{") {
		var pairs []string
		for _, p := range linkPlaceholders() {
			pairs = append(pairs, "{"+p+"}", strings.ReplaceAll(url.QueryEscape(vals[p]), "+", "%20"))
		}
		return strings.NewReplacer(pairs...).Replace(link)
	}
	u, err := url.Parse(link)
	if err != nil {
		return link
	}
	q := u.Query()
	q.Set("node", n.Node)
	q.Set("rule", n.Rule)
	u.RawQuery = q.Encode()
	return u.String()
}
