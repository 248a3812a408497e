package notify

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// testSecret appears in every secret of these tests: it must never be shown.
const testSecret = "s3cr3t"

// envMap is an env func over m.
func envMap(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// writeFile writes content to dir/name and returns the path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs (run with -update to accept):\n--- got\n%s\n--- want\n%s", p, got, want)
	}
}

func TestLoadConfigBad(t *testing.T) {
	files, err := filepath.Glob("testdata/badconfig/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad configs: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, err := LoadConfig(filepath.ToSlash(f), envMap(nil))
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), testSecret) {
				t.Errorf("error shows the secret: %v", err)
			}
			golden(t, strings.TrimSuffix(strings.TrimPrefix(filepath.ToSlash(f), "testdata/"), ".yaml")+".err", []byte(err.Error()+"\n"))
		})
	}
}

// envConfigYAML is the config file of envCases, with its password and Slack URL files.
const envConfigYAML = `email:
  host: smtp.file.example
  port: 2525
  username: file-user
  passwordFile: %s
  from: file@example.com
  to: [file@example.com]
slack:
  urlFile: %s
  link: https://grafana.example.com/d/nodes?var-node={node}
alertmanager:
  url: http://am.file:9093
repeatInterval: 90m
`

// envCases writes a config file and its secrets, and returns the cases over them.
func envCases(t *testing.T) []envCase {
	dir := t.TempDir()
	pw := writeFile(t, dir, "pw", testSecret+"-smtp\n")
	pw2 := writeFile(t, dir, "pw2", testSecret+"-smtp2\n")
	slackFile := writeFile(t, dir, "slack", "https://hooks.slack.com/services/T/B/"+testSecret+"\n")
	cfgFile := writeFile(t, dir, "alerts.yaml", fmt.Sprintf(envConfigYAML, pw, slackFile))
	return []envCase{
		{"file only", cfgFile, nil, func(t *testing.T, c Config) {
			eq(t, c.Email.Host, "smtp.file.example")
			eq(t, c.Email.Port, 2525)
			eq(t, c.Email.TLS, TLSStartTLS)
			eq(t, c.Email.Auth, AuthPlain)
			eq(t, c.Alertmanager.ResolveTimeout, DefaultResolveTimeout)
			eq(t, c.Webhook == nil, true)
			eq(t, c.RepeatInterval, 90*time.Minute)
			eq(t, strings.Join(c.Channels(), ","), "email,slack,alertmanager,log")
		}},
		{"env overrides file", cfgFile, map[string]string{
			EnvSMTPHost: "smtp.env.example", EnvSMTPPort: "465", EnvSMTPTLS: "implicit", EnvEmailTo: "a@example.com, b@example.com",
			EnvSMTPPasswordFile: pw2, EnvSlackWebhook: "https://hooks.slack.com/services/T/B/env-" + testSecret,
			EnvAlertmanagerURL: "http://am.env:9093",
		}, func(t *testing.T, c Config) {
			eq(t, c.Email.Host, "smtp.env.example")
			eq(t, c.Email.Port, 465)
			eq(t, c.Email.TLS, TLSImplicit)
			eq(t, strings.Join(c.Email.To, ","), "a@example.com,b@example.com")
			eq(t, c.Email.From, "file@example.com") // not overridden: kept from the file
			eq(t, c.Email.Password.File, pw2)
			v, _ := c.Slack.URL.Value()
			eq(t, v, "https://hooks.slack.com/services/T/B/env-"+testSecret)
			eq(t, c.Slack.Link, "https://grafana.example.com/d/nodes?var-node={node}")
			eq(t, string(c.Alertmanager.URL), "http://am.env:9093")
		}},
		{"env only", "", map[string]string{
			EnvSMTPHost: "smtp.env.example", EnvSMTPFrom: "ngctl@example.com", EnvEmailTo: "oncall@example.com",
			EnvWebhookURL: "https://hooks.example.com/ngctl", EnvWebhookSecret: pw,
		}, func(t *testing.T, c Config) {
			eq(t, c.Email.Port, 587)
			eq(t, c.Email.Auth, AuthNone)
			eq(t, string(c.Webhook.URL), "https://hooks.example.com/ngctl")
			eq(t, c.Webhook.Secret.File, pw)
			eq(t, strings.Join(c.Channels(), ","), "email,webhook,log")
		}},
		{"nothing", "", nil, func(t *testing.T, c Config) {
			eq(t, c.RepeatInterval, 0) // not said: the flag's default applies
			eq(t, strings.Join(c.Channels(), ","), "log")
			eq(t, c.Log.Format, "logfmt")
		}},
	}
}

// envCase is a case of TestLoadConfigEnv.
type envCase struct {
	name  string
	file  string
	env   map[string]string
	check func(t *testing.T, c Config)
}

func TestLoadConfigEnv(t *testing.T) {
	for _, tt := range envCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadConfig(tt.file, envMap(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
			for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
				for _, x := range []any{c, *c.orEmptySlack(), c.String()} {
					if s := fmt.Sprintf(verb, x); strings.Contains(s, testSecret) {
						t.Errorf("%s shows the secret: %s", verb, s)
					}
				}
			}
		})
	}
}

// orEmptySlack is c.Slack, or an empty SlackConfig.
func (c Config) orEmptySlack() *SlackConfig {
	if c.Slack == nil {
		return &SlackConfig{}
	}
	return c.Slack
}

func TestLoadConfigEnvErrors(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{EnvSMTPPort: "x"}, `$SMTP_PORT="x" is not a port number`},
		{map[string]string{EnvEmailTo: "a@example.com"}, "email: no SMTP host: set email.host in --alert-config or $SMTP_HOST"},
		{map[string]string{EnvSlackWebhook: "not a url " + testSecret}, "slack: the webhook URL from $ALERT_SLACK_WEBHOOK is not an http(s) URL"},
		{map[string]string{EnvWebhookURL: "http://u:" + testSecret + "@h:99x"}, `webhook: invalid URL "http://xxxxx@h:xxxxx"`},
		{map[string]string{EnvWebhookURL: "http://127.0.0.1:99999/hook?token=" + testSecret}, `webhook: invalid URL "http://127.0.0.1:99999/hook?token=xxxxx": port must be 1-65535`},
		{map[string]string{EnvWebhookURL: "ftp://h/hook?token=" + testSecret}, `webhook: invalid URL "ftp://h/hook?token=xxxxx": scheme must be http or https`},
		{map[string]string{EnvAlertmanagerURL: "http://am:99999/?token=" + testSecret}, `invalid URL "http://am:99999/?token=xxxxx": port must be 1-65535`},
		{map[string]string{EnvWebhookSecret: "/x"}, "the webhook channel is not configured"},
		{map[string]string{EnvSMTPHost: "h", EnvSMTPFrom: "a@b.c", EnvEmailTo: "a@b.c", EnvSMTPUsername: "u"}, "email: no password for auth plain"},
		{map[string]string{EnvSMTPHost: "h", EnvSMTPFrom: "a@b.c", EnvEmailTo: "a@b.c", EnvSMTPTLS: "ssl"}, `email: TLS mode "ssl"`},
		{map[string]string{EnvSMTPHost: "smtp.example.com", EnvSMTPFrom: "a@b.c", EnvEmailTo: "a@b.c", EnvSMTPTLS: "none", EnvSMTPUsername: "u", EnvSMTPPasswordFile: "PWFILE"},
			"email: auth plain over plaintext to smtp.example.com refused"},
	}
	for _, tt := range tests {
		_, err := LoadConfig("", envMap(tt.env))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("env %v: error %v, want %q", tt.env, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), testSecret) {
			t.Errorf("env %v: error shows the secret: %v", tt.env, err)
		}
	}
}

func TestSecretFormat(t *testing.T) {
	s := EnvSecret(testSecret, "$X")
	f := FileSecret("/run/secret", "x")
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		if got := fmt.Sprintf(verb, s); strings.Contains(got, testSecret) || !strings.Contains(got, Redacted) {
			t.Errorf("%s: %q", verb, got)
		}
	}
	eq(t, fmt.Sprint(f), "<redacted> (file /run/secret)")
	eq(t, fmt.Sprint(URL("http://u:"+testSecret+"@h/")), "http://u:xxxxx@h/")
}

func eq[T comparable](t *testing.T, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("got %v, want %v", got, want)
	}
}

// fakeSleep records the delays asked for and returns at once.
type fakeSleep struct {
	mu     chan struct{}
	delays []time.Duration
}

func newFakeSleep() *fakeSleep { return &fakeSleep{mu: make(chan struct{}, 1)} }

func (f *fakeSleep) sleep(ctx context.Context, d time.Duration) error {
	f.mu <- struct{}{}
	f.delays = append(f.delays, d)
	<-f.mu
	return ctx.Err()
}

func (f *fakeSleep) got() []time.Duration {
	f.mu <- struct{}{}
	defer func() { <-f.mu }()
	return slices.Clone(f.delays)
}

// A header file whose value would split the header (a newline inside) is refused when
// the configuration is loaded, naming the header and the file, never the value.
func TestLoadConfigHeaderFileValue(t *testing.T) {
	dir := t.TempDir()
	auth := writeFile(t, dir, "auth", "Bearer "+testSecret+"\nX-Injected: 1\n")
	cfg := writeFile(t, dir, "alerts.yaml", "webhook:\n  url: https://hooks.example.com/x\n  headerFiles:\n    Authorization: "+auth+"\n")
	_, err := LoadConfig(cfg, envMap(nil))
	if err == nil || !strings.Contains(err.Error(), "webhook: headerFiles.Authorization ("+cfg+":4: webhook.headerFiles.Authorization): header Authorization: the value holds a newline") {
		t.Fatalf("error %v", err)
	}
	if strings.Contains(err.Error(), testSecret) {
		t.Errorf("the error shows the secret: %v", err)
	}
}

// Auth over plaintext is refused at load, except to this machine.
func TestLoadConfigPlaintextAuthLocalhost(t *testing.T) {
	pw := writeFile(t, t.TempDir(), "pw", "pw\n")
	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		env := map[string]string{EnvSMTPHost: host, EnvSMTPFrom: "a@b.c", EnvEmailTo: "a@b.c", EnvSMTPTLS: "none", EnvSMTPUsername: "u", EnvSMTPPasswordFile: pw}
		if _, err := LoadConfig("", envMap(env)); err != nil {
			t.Errorf("%s: %v", host, err)
		}
	}
}

func TestResolveTimeoutWarnings(t *testing.T) {
	c := Config{Alertmanager: &AlertmanagerConfig{URL: "http://am", ResolveTimeout: time.Hour}}
	got := c.ResolveTimeoutWarnings(4*time.Hour, map[string]time.Duration{"fast": 30 * time.Minute, "slow": 2 * time.Hour, "never": 0})
	if len(got) != 3 || !strings.Contains(got[0], "resolveTimeout 1h0m0s is not above the repeat interval 4h0m0s of the run") ||
		!strings.Contains(got[1], "template never never repeats") || !strings.Contains(got[2], "of template slow") {
		t.Errorf("warnings %q", got)
	}
	if got := (Config{}).ResolveTimeoutWarnings(24*time.Hour, nil); got != nil {
		t.Errorf("without alertmanager: %q", got)
	}
	c.Alertmanager.ResolveTimeout = 0 // the default, 5h, outlasts the default repeat interval
	if got := c.ResolveTimeoutWarnings(4*time.Hour, nil); got != nil {
		t.Errorf("defaults: %q", got)
	}
}
