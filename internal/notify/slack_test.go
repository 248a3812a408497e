package notify

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSlackMessage(t *testing.T) {
	srv := newCapture(t, 500)
	hook := srv.URL + "/services/T0/B0/" + testSecret
	tests := []struct {
		name, link string
		event      Event
	}{
		{"slack-firing", "https://grafana.example.com/d/nodes?var-node={node}&var-rule={rule}", EventFiring},
		{"slack-resolved", "https://console.example.com/nodes", EventResolved},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.mu.Lock()
			srv.bodies, srv.heads = nil, nil
			srv.mu.Unlock()
			d := newTestDispatcher(t, Config{Slack: &SlackConfig{URL: EnvSecret(hook, "$"+EnvSlackWebhook), Link: tt.link}}, testOptions(newFakeSleep(), io.Discard))
			n := testNotification(tt.event, "slack")
			n.Node = "worker 1"
			r := d.Send(context.Background(), []Notification{n})[0][0]
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			golden(t, tt.name+".golden.json", indent(t, srv.bodies[len(srv.bodies)-1]))
		})
	}
}

func TestSlackErrorsHideTheURL(t *testing.T) {
	srv := newCapture(t, 403)
	hook := srv.URL + "/services/T0/B0/" + testSecret
	opts := testOptions(newFakeSleep(), io.Discard)
	d := newTestDispatcher(t, Config{Slack: &SlackConfig{URL: EnvSecret(hook, "$"+EnvSlackWebhook)}}, opts)
	r := d.Send(context.Background(), []Notification{testNotification(EventFiring, "slack")})[0][0]
	if r.Err == nil || strings.Contains(r.Err.Error(), testSecret) || !strings.Contains(r.Err.Error(), "/xxxxx: 403 Forbidden") {
		t.Errorf("error %v: want a 403 without the secret", r.Err)
	}
	eq(t, r.Attempts, 1)
	srv.Close()
	r = d.Send(context.Background(), []Notification{testNotification(EventFiring, "slack")})[0][0]
	if r.Err == nil || strings.Contains(r.Err.Error(), testSecret) || strings.Contains(r.Err.Error(), "/services") {
		t.Errorf("error %v: want a connection error without the secret", r.Err)
	}
}

func TestLogChannel(t *testing.T) {
	for _, format := range []string{"logfmt", "json"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			d := newTestDispatcher(t, Config{Log: LogConfig{Format: format}}, testOptions(newFakeSleep(), &buf))
			rs := d.Send(context.Background(), []Notification{testNotification(EventFiring, "log"), testNotification(EventResolved, "log")})
			for _, r := range rs {
				if r[0].Err != nil || r[0].Attempts != 1 {
					t.Fatalf("%+v", r[0])
				}
			}
			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			eq(t, len(lines), 2)
			ordered := []string{lines[0], lines[1]}
			if strings.Contains(ordered[0], "resolved") {
				ordered[0], ordered[1] = ordered[1], ordered[0]
			}
			golden(t, "log."+format, []byte(strings.Join(ordered, "\n")+"\n"))
		})
	}
}

// A receiver that echoes part of a secret URL (the Slack token or IDs of its path, a
// webhook's query token) never gets it into the error; nor does a refused connection to
// a URL with a token in its query.
func TestErrorsHideURLParts(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no such hook: "+strings.TrimPrefix(r.URL.Path, "/services/")+" token "+r.URL.Query().Get("token"), http.StatusNotFound)
	}))
	defer echo.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	for _, tt := range []struct {
		name string
		cfg  Config
		ch   string
	}{
		{"slack echo", Config{Slack: &SlackConfig{URL: EnvSecret(echo.URL+"/services/T0SECRETID/B0SECRETID/"+testSecret, "$"+EnvSlackWebhook)}}, "slack"},
		{"webhook echo", Config{Webhook: &WebhookConfig{URL: URL(echo.URL + "/x?token=QSECRET")}}, "webhook"},
		{"webhook refused", Config{Webhook: &WebhookConfig{URL: URL(closedURL + "/x?token=QSECRET")}}, "webhook"},
	} {
		opts := testOptions(newFakeSleep(), io.Discard)
		opts.Retries = -1
		d := newTestDispatcher(t, tt.cfg, opts)
		r := d.Send(context.Background(), []Notification{testNotification(EventFiring, tt.ch)})[0][0]
		if r.Err == nil {
			t.Fatalf("%s: no error", tt.name)
		}
		for _, s := range []string{testSecret, "SECRETID", "QSECRET"} {
			if strings.Contains(r.Err.Error(), s) {
				t.Errorf("%s: error %q shows %s", tt.name, r.Err, s)
			}
		}
	}
	if got := URL("http://127.0.0.1:1/x?token=QSECRET").String(); got != "http://127.0.0.1:1/x?token=xxxxx" {
		t.Errorf("URL shown %q", got)
	}
}
