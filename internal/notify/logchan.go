package notify

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// logSender writes one structured line per notification: logfmt (slog's text format)
// or JSON.
type logSender struct {
	h   slog.Handler
	now func() time.Time
}

func newLogSender(cfg LogConfig, opts Options) *logSender {
	ho := &slog.HandlerOptions{Level: slog.LevelDebug}
	var h slog.Handler = slog.NewTextHandler(opts.Logger, ho)
	if cfg.Format == "json" {
		h = slog.NewJSONHandler(opts.Logger, ho)
	}
	return &logSender{h: h, now: opts.Now}
}

// level maps a severity to a log level: critical → ERROR, warning → WARN, else INFO; a
// resolved notification is INFO.
func level(n *Notification) slog.Level {
	if n.Event == EventResolved {
		return slog.LevelInfo
	}
	switch n.Severity {
	case "critical":
		return slog.LevelError
	case "warning":
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

func (s *logSender) send(ctx context.Context, n *Notification) error {
	r := slog.NewRecord(s.now(), level(n), "alert "+string(n.Event), 0)
	r.AddAttrs(
		slog.String("key", n.Key), slog.String("rule", n.Rule), slog.String("node", n.Node),
		slog.String("event", string(n.Event)), slog.String("severity", n.Severity),
		slog.String("subject", n.Subject),
	)
	if len(n.Values) > 0 {
		r.AddAttrs(slog.String("values", formatValues(n.Values)))
	}
	if !n.StartsAt.IsZero() {
		r.AddAttrs(slog.Time("startsAt", n.StartsAt.UTC()))
	}
	if !n.EndsAt.IsZero() {
		r.AddAttrs(slog.Time("endsAt", n.EndsAt.UTC()))
	}
	if n.PlanID != "" {
		r.AddAttrs(slog.String("planId", n.PlanID))
	}
	if err := s.h.Handle(ctx, r); err != nil {
		return permanent(fmt.Errorf("writing the log line: %w", err))
	}
	return nil
}

// formatValues shows values as "cpuLoadRatio=1.9 GreaterThan 1.5, …".
func formatValues(vs []Value) string {
	parts := make([]string, 0, len(vs))
	for _, v := range vs {
		parts = append(parts, fmt.Sprintf("%s=%s %s %s", v.Metric, num(v.Value), v.Operator, num(v.Threshold)))
	}
	return strings.Join(parts, ", ")
}

// num formats a float as briefly as it can.
func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
