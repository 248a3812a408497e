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
	return deliver.New(d, in.set.Rules, p.ID, nil), nil
}

// sendSnapshotAlerts sends the alerts of a plan on a snapshot (--send-alerts) and returns
// which channels received each, for the snapshot's ledgers.
func sendSnapshotAlerts(c *cli.Context, s *deliver.Sender, p *plan.Plan) apply.Deliveries {
	out := apply.Deliveries{}
	for _, np := range p.Nodes {
		var idx []int
		var alerts []apply.SentAlert
		for i, ch := range np.Changes {
			if ch.DryRun || ch.Kind != plan.KindAlert || ch.Alert == nil {
				continue
			}
			idx = append(idx, i)
			alerts = append(alerts, apply.SentAlert{Node: np.Node, Rule: ch.Rule, Alert: *ch.Alert})
		}
		if len(alerts) == 0 {
			continue
		}
		got := s.Deliver(c.Context, alerts)
		out[np.Node] = map[int][]string{}
		for k, i := range idx {
			out[np.Node][i] = got[k]
		}
	}
	return out
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
