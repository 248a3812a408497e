package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// testNotification is the notification of these tests.
func testNotification(event Event, channels ...string) Notification {
	n := Notification{
		Key: "high-load/worker-1/firing/2026-11-29T12:00:00Z", Rule: "high-load", Node: "worker-1",
		Event: event, Severity: "critical", Subject: "[NodeGuardian] High load on worker-1",
		Body:     "Node worker-1 is overloaded <cpu> & memory.",
		Channels: channels,
		Values: []Value{
			{Metric: "cpuLoadRatio", Value: 1.9, Threshold: 1.5, Operator: "GreaterThan"},
			{Metric: "memoryUtilizationPercent", Value: 92, Threshold: 90, Operator: "GreaterThan"},
		},
		Labels:      map[string]string{"team": "nodes", "cluster": "prod"},
		Annotations: map[string]string{"template": "high-load-alert"},
		StartsAt:    time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC),
		PlanID:      "6e37915287c3",
	}
	if event == EventResolved {
		n.Key = "high-load/worker-1/resolved/2026-11-29T12:30:00Z"
		n.EndsAt = time.Date(2026, 11, 29, 12, 30, 0, 0, time.UTC)
	}
	return n
}

// capture is an httptest server recording requests and answering with the statuses of
// answer in turn (200 once they run out).
type capture struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	heads  []http.Header
	answer []int
}

func newCapture(t *testing.T, answer ...int) *capture {
	c := &capture{answer: answer}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.bodies = append(c.bodies, b)
		c.heads = append(c.heads, r.Header.Clone())
		status := http.StatusOK
		if len(c.answer) > 0 {
			status, c.answer = c.answer[0], c.answer[1:]
		}
		c.mu.Unlock()
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "7")
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte("answer " + http.StatusText(status)))
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *capture) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.bodies)
}

// testOptions are deterministic Options: fixed clock and jitter, recorded sleeps.
func testOptions(fs *fakeSleep, logger io.Writer) Options {
	return Options{
		Timeout: 5 * time.Second, Backoff: time.Second, Retries: 3,
		Now:    func() time.Time { return time.Date(2026, 11, 29, 12, 1, 0, 0, time.UTC) },
		Sleep:  fs.sleep,
		Jitter: func() float64 { return 0.5 },
		Logger: logger,
	}
}

func newTestDispatcher(t *testing.T, cfg Config, opts Options) *Dispatcher {
	t.Helper()
	if cfg.Log.Format == "" {
		cfg.Log.Format = "logfmt"
	}
	d, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// indent pretty-prints JSON for goldens.
func indent(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return append(out.Bytes(), '\n')
}

func TestWebhookPayloadAndHeaders(t *testing.T) {
	srv := newCapture(t)
	dir := t.TempDir()
	key := writeFile(t, dir, "hmac", testSecret+"-hmac\n")
	auth := writeFile(t, dir, "auth", "Bearer "+testSecret+"-token\n")
	cfg := Config{Webhook: &WebhookConfig{
		URL: URL(srv.URL + "/hook"), Headers: map[string]string{"X-Team": "nodes"},
		HeaderFiles: map[string]Secret{"Authorization": FileSecret(auth, "auth")},
		Secret:      FileSecret(key, "hmac"),
	}}
	d := newTestDispatcher(t, cfg, testOptions(newFakeSleep(), io.Discard))
	res := d.Send(context.Background(), []Notification{testNotification(EventFiring, "webhook"), testNotification(EventResolved, "webhook")})
	for i, name := range []string{"webhook-firing", "webhook-resolved"} {
		if r := res[i][0]; r.Err != nil || r.Attempts != 1 || r.Channel != "webhook" {
			t.Fatalf("%s: %+v", name, r)
		}
	}
	eq(t, srv.count(), 2)
	for i, body := range srv.bodies {
		h := srv.heads[i]
		var p WebhookPayload
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatal(err)
		}
		golden(t, "webhook-"+string(p.Event)+".golden.json", indent(t, body))
		eq(t, h.Get(HeaderSignature), Sign([]byte(testSecret+"-hmac"), body))
		eq(t, h.Get(HeaderIdempotencyKey), p.Key)
		eq(t, h.Get(HeaderEvent), string(p.Event))
		eq(t, h.Get("Authorization"), "Bearer "+testSecret+"-token")
		eq(t, h.Get("X-Team"), "nodes")
		eq(t, h.Get("Content-Type"), "application/json")
		validateSchema(t, body)
	}
}

// validateSchema validates a webhook payload against schemas/alert-webhook.schema.json.
func validateSchema(t *testing.T, body []byte) {
	t.Helper()
	f, err := os.Open("../../schemas/alert-webhook.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("alert-webhook.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("alert-webhook.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("payload does not match the schema: %v", err)
	}
	bad, _ := jsonschema.UnmarshalJSON(strings.NewReader(`{"version":"2"}`))
	if sch.Validate(bad) == nil {
		t.Error("the schema accepts a payload of version 2 without fields")
	}
}

func TestWebhookRetries(t *testing.T) {
	tests := []struct {
		name         string
		answers      []int
		wantAttempts int
		wantErr      string
		wantDelays   []time.Duration
	}{
		{"500 then success", []int{500, 502}, 3, "", []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond}},
		{"429 Retry-After", []int{429}, 2, "", []time.Duration{7 * time.Second}},
		{"400 no retry", []int{400}, 1, "400 Bad Request: answer Bad Request", nil},
		{"404 no retry", []int{404}, 1, "404 Not Found", nil},
		{"500 forever", []int{500, 500, 500, 500, 500}, 4, "500 Internal Server Error", []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond, 3 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newCapture(t, tt.answers...)
			fs := newFakeSleep()
			d := newTestDispatcher(t, Config{Webhook: &WebhookConfig{URL: URL(srv.URL)}}, testOptions(fs, io.Discard))
			r := d.Send(context.Background(), []Notification{testNotification(EventFiring, "webhook")})[0][0]
			eq(t, r.Attempts, tt.wantAttempts)
			eq(t, srv.count(), tt.wantAttempts)
			if tt.wantErr == "" && r.Err != nil || tt.wantErr != "" && (r.Err == nil || !strings.Contains(r.Err.Error(), tt.wantErr)) {
				t.Errorf("error %v, want %q", r.Err, tt.wantErr)
			}
			if got := fs.got(); !equalDurations(got, tt.wantDelays) {
				t.Errorf("delays %v, want %v", got, tt.wantDelays)
			}
		})
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestWebhookTimeoutAndRefused(t *testing.T) {
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // else the server never sees the client go
		<-r.Context().Done()
	}))
	defer hang.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	for _, tt := range []struct{ url, want string }{
		{hang.URL, "timed out after 50ms"},
		{closedURL, "connection refused"},
	} {
		opts := testOptions(newFakeSleep(), io.Discard)
		opts.Timeout, opts.Retries = 50*time.Millisecond, 1
		d := newTestDispatcher(t, Config{Webhook: &WebhookConfig{URL: URL(tt.url)}}, opts)
		r := d.Send(context.Background(), []Notification{testNotification(EventFiring, "webhook")})[0][0]
		if r.Err == nil || !strings.Contains(r.Err.Error(), tt.want) || r.Attempts != 2 {
			t.Errorf("%s: %+v, want %q after 2 attempts", tt.url, r, tt.want)
		}
		if tt.want == "timed out after 50ms" && !errors.Is(r.Err, context.DeadlineExceeded) {
			t.Errorf("not a deadline error: %v", r.Err)
		}
	}
}

// TestSlowChannelDoesNotBlockOthers: Slack answers only once the webhook has received
// every notification, so Send finishes only if the slow channel blocks nobody.
func TestSlowChannelDoesNotBlockOthers(t *testing.T) {
	const n = 20
	hook := newCapture(t)
	allIn := make(chan struct{})
	var once sync.Once
	go func() {
		for hook.count() < n {
			time.Sleep(time.Millisecond)
		}
		once.Do(func() { close(allIn) })
	}()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-allIn:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	opts := testOptions(newFakeSleep(), io.Discard)
	opts.Concurrency, opts.Retries, opts.Timeout = 4, -1, 20*time.Second
	d := newTestDispatcher(t, Config{
		Webhook: &WebhookConfig{URL: URL(hook.URL)},
		Slack:   &SlackConfig{URL: EnvSecret(slow.URL+"/services/"+testSecret, "$ALERT_SLACK_WEBHOOK")},
	}, opts)
	ns := make([]Notification, n)
	for i := range ns {
		ns[i] = testNotification(EventFiring, "slack", "webhook")
	}
	for i, rs := range d.Send(context.Background(), ns) {
		for _, r := range rs {
			if r.Err != nil {
				t.Errorf("notification %d: %s: %v", i, r.Channel, r.Err)
			}
		}
	}
}

func TestNotConfiguredAndUnknown(t *testing.T) {
	var log bytes.Buffer
	d := newTestDispatcher(t, Config{}, testOptions(newFakeSleep(), &log))
	rs := d.Send(context.Background(), []Notification{testNotification(EventFiring, "slack", "pagerduty", "log", "log")})[0]
	eq(t, len(rs), 3)
	eq(t, rs[0].Err.Error(), "channel slack is not configured: set ALERT_SLACK_WEBHOOK or slack in --alert-config")
	eq(t, rs[1].Err.Error(), `unknown channel "pagerduty" (want one of email, slack, webhook, alertmanager, log)`)
	eq(t, rs[2].Err, nil)
	eq(t, strings.Count(log.String(), "\n"), 1)
}

// A request that can never be sent (a header value with a newline: a header file
// rotated to a bad value after the configuration was loaded, or a Config built without
// LoadConfig) fails at once, without retries, naming the header but not its value.
func TestInvalidHeaderIsPermanent(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "auth", "Bearer "+testSecret+"\nX-Injected: 1\n")
	tests := []struct {
		name string
		cfg  func(url string) Config
		ch   string
	}{
		{"webhook header", func(u string) Config {
			return Config{Webhook: &WebhookConfig{URL: URL(u), Headers: map[string]string{"X-Team": "nodes\r\n" + testSecret}}}
		}, ChannelWebhook},
		{"webhook header file", func(u string) Config {
			return Config{Webhook: &WebhookConfig{URL: URL(u), HeaderFiles: map[string]Secret{"Authorization": FileSecret(bad, "x")}}}
		}, ChannelWebhook},
		{"alertmanager header file", func(u string) Config {
			return Config{Alertmanager: &AlertmanagerConfig{URL: URL(u), ResolveTimeout: time.Hour, HeaderFiles: map[string]Secret{"Authorization": FileSecret(bad, "x")}}}
		}, ChannelAlertmanager},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newCapture(t)
			fs := newFakeSleep()
			d := newTestDispatcher(t, tt.cfg(srv.URL), testOptions(fs, io.Discard))
			r := d.Send(context.Background(), []Notification{testNotification(EventFiring, tt.ch)})[0][0]
			if r.Err == nil || !strings.Contains(r.Err.Error(), "the value holds a newline") || strings.Contains(r.Err.Error(), testSecret) {
				t.Fatalf("error %v", r.Err)
			}
			eq(t, r.Attempts, 1)
			eq(t, len(fs.got()), 0)
			eq(t, srv.count(), 0)
		})
	}
}
