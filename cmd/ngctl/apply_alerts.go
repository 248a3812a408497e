package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/nodeguardian/nodeguardian/internal/apply"
	"github.com/nodeguardian/nodeguardian/internal/deliver"
	"github.com/nodeguardian/nodeguardian/internal/notify"
	"github.com/nodeguardian/nodeguardian/internal/plan"
	"github.com/nodeguardian/nodeguardian/internal/srclimit"
)

// alertFlags are apply's flags for sending alerts.
func alertFlags() []cli.Flag {
	return []cli.Flag{
		alertConfigFlag(),
		&cli.DurationFlag{Name: "timeout", Value: 15 * time.Minute, Usage: "live: give up the whole apply after `DURATION` (0s: never); what is not done by then is reported, and apply exits 1"},
		&cli.BoolFlag{Name: "send-alerts", Usage: "with --snapshot: really send the alerts (default: print them and record them as sent in the snapshot)"},
	}
}

// alertConfigFlag is --alert-config, of plan, apply and controller.
func alertConfigFlag() cli.Flag {
	return &cli.StringFlag{Name: "alert-config", Usage: "alert channels `FILE` (docs/alerts.md); $ALERT_EMAIL_TO, $ALERT_SLACK_WEBHOOK, $ALERT_WEBHOOK_URL and the SMTP variables complete it"}
}

// alertRepeatInterval is the engine's repeat interval: --alert-repeat-interval when
// given, else the --alert-config file's repeatInterval, else the flag's default (4h). A
// template's repeatInterval wins over all of them (in the plan). 0s means never.
func alertRepeatInterval(c *cli.Context) (time.Duration, error) {
	file := c.String("alert-config")
	if c.IsSet("alert-repeat-interval") || file == "" {
		return repeatInterval(c.Duration("alert-repeat-interval")), nil
	}
	data, err := srclimit.ReadFile(file, srclimit.MaxConfigSize)
	if err != nil {
		return 0, exitf(1, "alert config: %v", err)
	}
	cfg, err := notify.ParseConfig(file, data)
	if err != nil {
		return 0, exitf(1, "%v", err)
	}
	if cfg.RepeatInterval > 0 {
		return cfg.RepeatInterval, nil
	}
	return repeatInterval(c.Duration("alert-repeat-interval")), nil
}

// warnUnconfigured prints a warning for each rule whose planned alerts name a channel
// cfg does not configure: those alerts fail until it is (see deliver.Unconfigured).
func warnUnconfigured(c *cli.Context, p *plan.Plan, cfg notify.Config) {
	for _, w := range deliver.Unconfigured(p, cfg.Channels()) {
		fmt.Fprintf(c.App.ErrWriter, "Warning: %s\n", w)
	}
}

// checkAlertFlags refuses, before anything is planned or printed, --alert-config on a
// snapshot without --send-alerts: a simulation sends nothing.
func checkAlertFlags(c *cli.Context) error {
	if c.String("snapshot") != "" && !c.Bool("send-alerts") && c.IsSet("alert-config") {
		return exitf(1, "--alert-config with --snapshot needs --send-alerts: a simulation sends nothing")
	}
	return nil
}

// alertSender reads the alert configuration and returns the sender of p's alerts, or nil
// on a snapshot without --send-alerts. A configuration error stops the apply before
// anything changes.
func alertSender(c *cli.Context, in *planInputs, p *plan.Plan) (*deliver.Sender, error) {
	if in.src == nil && !c.Bool("send-alerts") {
		if c.IsSet("alert-config") {
			return nil, exitf(1, "--alert-config with --snapshot needs --send-alerts: a simulation sends nothing")
		}
		return nil, nil
	}
	cfg, err := notify.LoadConfig(c.String("alert-config"), os.Getenv)
	if err != nil {
		return nil, exitf(1, "%v", err)
	}
	d, err := notify.New(cfg, notify.Options{Logger: c.App.ErrWriter})
	if err != nil {
		return nil, exitf(1, "%v", err)
	}
	warnUnconfigured(c, p, cfg)
	templates := map[string]time.Duration{}
	for _, t := range in.set.Templates {
		if t.Spec.RepeatInterval != nil {
			templates[t.Name] = t.Spec.RepeatInterval.Duration
		}
	}
	run := in.opts.RepeatInterval // 0: the default; negative: never
	if run == 0 {
		run = plan.DefaultRepeatInterval
	}
	for _, w := range cfg.ResolveTimeoutWarnings(max(run, 0), templates) {
		fmt.Fprintf(c.App.ErrWriter, "Warning: %s\n", w)
	}
	return deliver.New(d, in.set.Rules, p.ID, nil), nil
}

// sendSnapshotAlerts sends the alerts of a plan on a snapshot (--send-alerts) on the
// delivery workers a live apply uses (nodes' alerts at once, bounded), and returns which
// channels received each, for the snapshot's ledgers.
func sendSnapshotAlerts(c *cli.Context, s *deliver.Sender, p *plan.Plan) apply.Deliveries {
	return s.DeliverPlan(c.Context, p, deliver.DefaultConcurrency)
}

// reportAlerts prints what was delivered and what failed (to be sent again by the next
// apply).
func reportAlerts(c *cli.Context, s *deliver.Sender) {
	if s == nil {
		return
	}
	for _, f := range s.Failures() {
		fmt.Fprintf(c.App.ErrWriter, "%v\n", f)
	}
	if n := len(s.Failures()); n > 0 {
		fmt.Fprintf(c.App.Writer, "Alerts: %d delivered, %d failed (sent again by the next apply).\n", s.Sent(), n)
		return
	}
	if s.Sent() > 0 {
		fmt.Fprintf(c.App.Writer, "Alerts: %d delivered.\n", s.Sent())
	}
}

// channelsText is an alert's channels for people.
func channelsText(a apply.SentAlert) string { return strings.Join(a.Channels, ", ") }
