package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/nodeguardian/nodeguardian/internal/plan"
	"github.com/nodeguardian/nodeguardian/internal/smtptest"
)

// The repeat interval of firing alerts: an explicit --alert-repeat-interval wins over
// the --alert-config file's repeatInterval, which wins over the flag's default (4h); a
// bad file is an error at file:line. (A template's repeatInterval wins over all: see
// internal/plan.)
func TestAlertRepeatIntervalPrecedence(t *testing.T) {
	dir := t.TempDir()
	with := writeFile(t, dir, "with.yaml", "log:\n  format: json\nrepeatInterval: 90m\n")
	without := writeFile(t, dir, "without.yaml", "log:\n  format: json\n")
	bad := writeFile(t, dir, "bad.yaml", "log:\n  format: json\nrepeatInterval: soon\n")
	tests := []struct {
		args    []string
		want    time.Duration
		wantErr string
	}{
		{nil, plan.DefaultRepeatInterval, ""},
		{[]string{"--alert-config", without}, plan.DefaultRepeatInterval, ""},
		{[]string{"--alert-config", with}, 90 * time.Minute, ""},
		{[]string{"--alert-config", with, "--alert-repeat-interval", "2h"}, 2 * time.Hour, ""},
		{[]string{"--alert-config", with, "--alert-repeat-interval", "0s"}, -1, ""},
		{[]string{"--alert-repeat-interval", "30m"}, 30 * time.Minute, ""},
		{[]string{"--alert-config", bad}, 0, bad + ":3: repeatInterval: \"soon\" is not a positive duration"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var got time.Duration
			var err error
			app := &cli.App{Writer: io.Discard, ErrWriter: io.Discard,
				Flags: []cli.Flag{alertConfigFlag(), &cli.DurationFlag{Name: "alert-repeat-interval", Value: plan.DefaultRepeatInterval}},
				Action: func(c *cli.Context) error {
					got, err = alertRepeatInterval(c)
					return nil
				}}
			if rerr := app.Run(append([]string{"x"}, tt.args...)); rerr != nil {
				t.Fatal(rerr)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// okServer answers 200 to everything: a Slack incoming webhook for tests.
func okServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// configureAllChannels configures every channel the example rules name (email, slack,
// webhook) with real receivers that accept everything: a channel left unconfigured fails
// closed, and its alerts would be owed on every apply.
func configureAllChannels(t *testing.T) {
	t.Helper()
	t.Setenv("ALERT_WEBHOOK_URL", okServer(t))
	t.Setenv("ALERT_SLACK_WEBHOOK", okServer(t))
	configureEmail(t)
}

// configureEmail points the email channel at a real in-process SMTP server.
func configureEmail(t *testing.T) *smtptest.Server {
	t.Helper()
	s := smtptest.Start(t)
	for k, v := range s.Env() {
		t.Setenv(k, v)
	}
	return s
}

// A channel a rule names but the configuration lacks fails closed: the alert is not
// recorded as delivered there, the apply says why and how to configure it (and the plan
// warns), and once it is configured the next apply delivers it there, exactly once,
// without sending it again on the channels that had it.
func TestSnapshotUnconfiguredChannelFailsClosed(t *testing.T) {
	sink := &webhookSink{}
	srv := httptest.NewServer(sink)
	t.Cleanup(srv.Close)
	t.Setenv("ALERT_WEBHOOK_URL", srv.URL)
	t.Setenv("ALERT_SLACK_WEBHOOK", okServer(t))
	fleet := copyDemo(t)
	cfg := writeFile(t, t.TempDir(), "alerts.yaml", "log:\n  format: logfmt\n")
	code, out, errOut := ngctl(t, "", "plan", "-f", demoRules, "--snapshot", fleet, "--alert-config", cfg)
	notConfigured := "channel email is not configured: set ALERT_EMAIL_TO and SMTP_HOST or email in --alert-config"
	if code != 0 || !strings.Contains(errOut, "Warning: rule emergency-eviction: "+notConfigured) {
		t.Fatalf("plan: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = ngctl(t, "", "apply", "--auto-approve", "--send-alerts", "-f", demoRules, "--snapshot", fleet)
	if code != 0 || !strings.Contains(out, "failed (sent again by the next apply)") ||
		!strings.Contains(errOut, "via email not sent: "+notConfigured) || !strings.Contains(errOut, "Warning: rule ") {
		t.Fatalf("email not configured: exit %d\n%s\n%s", code, out, errOut)
	}
	first, owed := sink.take(), strings.Count(errOut, "via email not sent")
	if len(first) == 0 || owed == 0 {
		t.Fatalf("the configured webhook received %q; %d alerts owed to email", first, owed)
	}
	mail := configureEmail(t)
	code, out, errOut = ngctl(t, "", "apply", "--auto-approve", "--send-alerts", "-f", demoRules, "--snapshot", fleet)
	if code != 0 || !strings.Contains(out, "retry: not yet delivered to email") || strings.Contains(errOut, "not configured") {
		t.Fatalf("email configured: exit %d\n%s\n%s", code, out, errOut)
	}
	if got := sink.take(); len(got) != 0 {
		t.Errorf("the webhook received %q again", got)
	}
	if got := mail.Take(); len(got) != owed {
		t.Errorf("%d mails, want %d: one per alert owed to email", len(got), owed)
	}
	if code, out, _ := ngctl(t, "", "apply", "--auto-approve", "--send-alerts", "-f", demoRules, "--snapshot", fleet); code != 0 || !strings.Contains(out, "No changes.") {
		t.Fatalf("after delivery: exit %d\n%s", code, out)
	}
	if got := mail.Take(); len(got) != 0 {
		t.Errorf("%d more mails", len(got))
	}
}
