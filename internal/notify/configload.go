package notify

import (
	"fmt"
	"net/mail"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/nodeguardian/nodeguardian/internal/srclimit"
	"github.com/nodeguardian/nodeguardian/internal/yamlpos"
)

// Hints for inline secrets, by section.
var (
	emailSecrets = map[string]string{"password": "put the SMTP password in a file and name it with passwordFile (or $" + EnvSMTPPasswordFile + ")"}
	slackSecrets = map[string]string{
		"url":        "the Slack webhook URL is a secret: put it in a file and name it with urlFile (or set $" + EnvSlackWebhook + ")",
		"webhookURL": "the Slack webhook URL is a secret: put it in a file and name it with urlFile (or set $" + EnvSlackWebhook + ")",
	}
	hookSecrets = map[string]string{
		"secret":   "put the HMAC key in a file and name it with secretFile (or $" + EnvWebhookSecret + ")",
		"hmacKey":  "put the HMAC key in a file and name it with secretFile (or $" + EnvWebhookSecret + ")",
		"token":    "put the credential in a file and name it under headerFiles",
		"password": "put the credential in a file and name it under headerFiles",
	}
)

// LoadConfig reads the alert configuration file (YAML; "" for none) and applies the
// environment read through env (os.Getenv in production): a set variable overrides the
// file's field, and configures its channel when the file does not (see docs/alerts.md).
// The file is strict: unknown fields, duplicate keys, wrong types, bad values and inline
// secrets are *yamlpos.Error naming file:line and the field. Secret files must be
// readable; errors never hold a secret.
func LoadConfig(file string, env func(string) string) (Config, error) {
	var cfg Config
	if file != "" {
		data, err := srclimit.ReadFile(file, srclimit.MaxConfigSize)
		if err != nil {
			return Config{}, fmt.Errorf("alert config: %w", err)
		}
		if cfg, err = ParseConfig(file, data); err != nil {
			return Config{}, err
		}
	}
	if env == nil {
		env = func(string) string { return "" }
	}
	if err := applyEnv(&cfg, env); err != nil {
		return Config{}, fmt.Errorf("alert config: %w", err)
	}
	if err := cfg.finish(); err != nil {
		return Config{}, fmt.Errorf("alert config: %w", err)
	}
	return cfg, nil
}

// ParseConfig parses an alert configuration file's content; file names it in errors.
// It applies neither the environment nor defaults (LoadConfig does).
func ParseConfig(file string, data []byte) (Config, error) {
	cfg := Config{File: file}
	if strings.TrimSpace(string(data)) == "" {
		return cfg, nil
	}
	root, err := yamlpos.Document(file, data, "an alert configuration")
	if err != nil {
		return Config{}, err
	}
	d := decoder{file: file}
	err = d.mapping(root, "", map[string]fieldFunc{
		"email": func(v *yaml.Node, f string) error { cfg.Email = &EmailConfig{}; return d.email(v, f, cfg.Email) },
		"slack": func(v *yaml.Node, f string) error { cfg.Slack = &SlackConfig{}; return d.slack(v, f, cfg.Slack) },
		"webhook": func(v *yaml.Node, f string) error {
			cfg.Webhook = &WebhookConfig{}
			return d.webhook(v, f, cfg.Webhook)
		},
		"alertmanager": func(v *yaml.Node, f string) error {
			cfg.Alertmanager = &AlertmanagerConfig{}
			return d.alertmanager(v, f, cfg.Alertmanager)
		},
		"repeatInterval": d.setDuration(&cfg.RepeatInterval),
		"log": func(v *yaml.Node, f string) error {
			return d.mapping(v, f, map[string]fieldFunc{"format": d.setEnum(&cfg.Log.Format, "logfmt", "json")}, nil)
		},
	}, nil)
	if err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func (d decoder) email(n *yaml.Node, path string, e *EmailConfig) error {
	return d.mapping(n, path, map[string]fieldFunc{
		"host":               d.setStr(&e.Host),
		"port":               d.setPort(&e.Port),
		"tls":                d.setEnum((*string)(&e.TLS), string(TLSStartTLS), string(TLSOpportunistic), string(TLSImplicit), string(TLSNone)),
		"auth":               d.setEnum((*string)(&e.Auth), string(AuthPlain), string(AuthLogin), string(AuthNone)),
		"username":           d.setStr(&e.Username),
		"passwordFile":       d.setFile(&e.Password),
		"from":               d.setAddress(&e.From),
		"to":                 d.setAddresses(&e.To),
		"caFile":             d.setStr(&e.CAFile),
		"insecureSkipVerify": d.setBool(&e.InsecureSkipVerify),
	}, emailSecrets)
}

// setAddress returns a fieldFunc storing one email address.
func (d decoder) setAddress(dst *string) fieldFunc {
	return func(v *yaml.Node, f string) error {
		s, err := d.str(v, f)
		if err == nil {
			if _, perr := mail.ParseAddress(s); perr != nil {
				err = d.errf(v, f, "%q is not an email address", s)
			}
		}
		*dst = s
		return err
	}
}

func (d decoder) slack(n *yaml.Node, path string, s *SlackConfig) error {
	return d.mapping(n, path, map[string]fieldFunc{
		"urlFile": d.setFile(&s.URL),
		"link": func(v *yaml.Node, f string) error {
			l, err := d.str(v, f)
			if err == nil {
				err = checkLink(l)
				if err != nil {
					err = d.errf(v, f, "%w", err)
				}
			}
			s.Link = l
			return err
		},
	}, slackSecrets)
}

func (d decoder) webhook(n *yaml.Node, path string, w *WebhookConfig) error {
	return d.mapping(n, path, map[string]fieldFunc{
		"url":         d.setURL(&w.URL),
		"headers":     d.setHeaders(&w.Headers),
		"headerFiles": d.setHeaderFiles(&w.HeaderFiles),
		"secretFile":  d.setFile(&w.Secret),
	}, hookSecrets)
}

func (d decoder) alertmanager(n *yaml.Node, path string, a *AlertmanagerConfig) error {
	return d.mapping(n, path, map[string]fieldFunc{
		"url":            d.setURL(&a.URL),
		"resolveTimeout": d.setDuration(&a.ResolveTimeout),
		"headers":        d.setHeaders(&a.Headers),
		"headerFiles":    d.setHeaderFiles(&a.HeaderFiles),
	}, hookSecrets)
}

// applyEnv applies the environment variables to cfg (see the Env constants).
func applyEnv(cfg *Config, env func(string) string) error {
	if err := applySMTPEnv(cfg, env); err != nil {
		return err
	}
	if v := env(EnvSlackWebhook); v != "" {
		if cfg.Slack == nil {
			cfg.Slack = &SlackConfig{}
		}
		cfg.Slack.URL = EnvSecret(v, "$"+EnvSlackWebhook)
	}
	if v := env(EnvWebhookURL); v != "" {
		if cfg.Webhook == nil {
			cfg.Webhook = &WebhookConfig{}
		}
		cfg.Webhook.URL = URL(v)
	}
	if v := env(EnvWebhookSecret); v != "" {
		if cfg.Webhook == nil {
			return fmt.Errorf("$%s is set but the webhook channel is not configured (set $%s)", EnvWebhookSecret, EnvWebhookURL)
		}
		cfg.Webhook.Secret = FileSecret(v, "$"+EnvWebhookSecret)
	}
	if v := env(EnvAlertmanagerURL); v != "" {
		if cfg.Alertmanager == nil {
			cfg.Alertmanager = &AlertmanagerConfig{}
		}
		cfg.Alertmanager.URL = URL(v)
	}
	return nil
}

// applySMTPEnv applies $ALERT_EMAIL_TO and the $SMTP_* variables.
func applySMTPEnv(cfg *Config, env func(string) string) error {
	names := []string{EnvEmailTo, EnvSMTPHost, EnvSMTPPort, EnvSMTPUsername, EnvSMTPPasswordFile, EnvSMTPFrom, EnvSMTPTLS}
	set := false
	for _, n := range names {
		set = set || env(n) != ""
	}
	if !set {
		return nil
	}
	if cfg.Email == nil {
		cfg.Email = &EmailConfig{}
	}
	e := cfg.Email
	if v := env(EnvEmailTo); v != "" {
		e.To = nil
		for a := range strings.SplitSeq(v, ",") {
			if a = strings.TrimSpace(a); a != "" {
				e.To = append(e.To, a)
			}
		}
	}
	strs := map[string]*string{EnvSMTPHost: &e.Host, EnvSMTPUsername: &e.Username, EnvSMTPFrom: &e.From, EnvSMTPTLS: (*string)(&e.TLS)}
	for n, dst := range strs {
		if v := env(n); v != "" {
			*dst = v
		}
	}
	if v := env(EnvSMTPPasswordFile); v != "" {
		e.Password = FileSecret(v, "$"+EnvSMTPPasswordFile)
	}
	if v := env(EnvSMTPPort); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			return fmt.Errorf("$%s=%q is not a port number (1-65535)", EnvSMTPPort, v)
		}
		e.Port = p
	}
	return nil
}
