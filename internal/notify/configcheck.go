package notify

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"slices"
	"strings"
)

// source names where a setting can be given, for messages: "email.host in FILE or
// $SMTP_HOST".
func (c Config) source(field, env string) string {
	file := "--alert-config"
	if c.File != "" {
		file = c.File
	}
	if env == "" {
		return field + " in " + file
	}
	return field + " in " + file + " or $" + env
}

// finish applies defaults and checks what the file and the environment give together:
// required settings, values given by the environment, readable secret files.
func (c *Config) finish() error {
	if c.Log.Format == "" {
		c.Log.Format = "logfmt"
	}
	var errs []error
	if c.Email != nil {
		errs = append(errs, c.finishEmail())
	}
	if s := c.Slack; s != nil {
		errs = append(errs, c.finishSlack())
	}
	if w := c.Webhook; w != nil {
		errs = append(errs, c.finishHTTP("webhook", EnvWebhookURL, w.URL, w.HeaderFiles))
		if w.Secret.IsSet() {
			_, err := w.Secret.Value()
			errs = append(errs, wrapIf("webhook: HMAC key", err))
		}
	}
	if a := c.Alertmanager; a != nil {
		errs = append(errs, c.finishHTTP("alertmanager", EnvAlertmanagerURL, a.URL, a.HeaderFiles))
		if a.ResolveTimeout == 0 {
			a.ResolveTimeout = DefaultResolveTimeout
		}
	}
	return errors.Join(errs...)
}

func wrapIf(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

func (c *Config) finishEmail() error {
	e := c.Email
	var errs []error
	need := func(ok bool, what, field, env string) {
		if !ok {
			errs = append(errs, fmt.Errorf("email: no %s: set %s", what, c.source(field, env)))
		}
	}
	need(e.Host != "", "SMTP host", "email.host", EnvSMTPHost)
	need(e.From != "", "sender", "email.from", EnvSMTPFrom)
	need(len(e.To) > 0, "recipient", "email.to", EnvEmailTo)
	for _, a := range append([]string{e.From}, e.To...) {
		if _, err := mail.ParseAddress(a); a != "" && err != nil {
			errs = append(errs, fmt.Errorf("email: %q is not an email address", a))
		}
	}
	if e.TLS == "" {
		e.TLS = TLSStartTLS
	}
	modes := []TLSMode{TLSStartTLS, TLSOpportunistic, TLSImplicit, TLSNone}
	if !slices.Contains(modes, e.TLS) {
		errs = append(errs, fmt.Errorf("email: TLS mode %q ($%s) is not one of starttls, opportunistic, implicit, none", e.TLS, EnvSMTPTLS))
	}
	if e.Port == 0 {
		e.Port = map[TLSMode]int{TLSImplicit: 465, TLSNone: 25}[e.TLS]
		if e.Port == 0 {
			e.Port = 587
		}
	}
	if e.Auth == "" {
		e.Auth = AuthNone
		if e.Username != "" {
			e.Auth = AuthPlain
		}
	}
	if e.Auth != AuthNone {
		need(e.Username != "", "username for auth "+string(e.Auth), "email.username", EnvSMTPUsername)
		need(e.Password.IsSet(), "password for auth "+string(e.Auth), "email.passwordFile", EnvSMTPPasswordFile)
		if e.TLS == TLSNone && !isLoopback(e.Host) {
			errs = append(errs, fmt.Errorf("email: auth %s over plaintext to %s refused: TLS none ($%s) would send the password unencrypted; use starttls or implicit (plaintext auth is allowed to localhost only)",
				e.Auth, e.Host, EnvSMTPTLS))
		}
	}
	if e.Password.IsSet() {
		_, err := e.Password.Value()
		errs = append(errs, wrapIf("email: password", err))
	}
	return errors.Join(errs...)
}

func (c *Config) finishSlack() error {
	s := c.Slack
	if !s.URL.IsSet() {
		return fmt.Errorf("slack: no webhook URL: set %s", c.source("slack.urlFile", EnvSlackWebhook))
	}
	v, err := s.URL.Value()
	if err != nil {
		return fmt.Errorf("slack: webhook URL: %w", err)
	}
	if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		// The URL is a secret: never quoted, not even redacted.
		return fmt.Errorf("slack: the webhook URL from %s is not an http(s) URL with a host", s.URL.Source)
	}
	return nil
}

func (c *Config) finishHTTP(channel, env string, u URL, headerFiles map[string]Secret) error {
	if u == "" {
		return fmt.Errorf("%s: no URL: set %s", channel, c.source(channel+".url", env))
	}
	var errs []error
	if err := checkURL(string(u), true); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", channel, err))
	}
	for name, s := range headerFiles {
		v, err := s.Value()
		if err == nil {
			err = checkHeader(name, v)
			errs = append(errs, wrapIf(channel+": headerFiles."+name+" ("+s.Source+")", err))
			continue
		}
		errs = append(errs, wrapIf(channel+": header "+name, err))
	}
	return errors.Join(errs...)
}

// checkLink checks a Slack link: an http(s) URL, possibly with {placeholders}.
func checkLink(link string) error {
	probe := link
	for _, p := range linkPlaceholders() {
		probe = strings.ReplaceAll(probe, "{"+p+"}", "x")
	}
	if i := strings.IndexAny(probe, "{}"); i >= 0 {
		bad, _, _ := strings.Cut(probe[i:], "}")
		return fmt.Errorf("unknown placeholder %q (want {%s})", bad+"}", strings.Join(linkPlaceholders(), "}, {"))
	}
	return checkURL(probe, false)
}

// linkPlaceholders are the placeholders of a Slack link template.
func linkPlaceholders() []string {
	return []string{"node", "rule", "event", "severity", "planId", "key"}
}

// isLoopback reports whether host is this machine: localhost or a loopback address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
