package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	mail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"

	"github.com/nodeguardian/nodeguardian/internal/srclimit"
)

// emailSender sends plain-text mail over SMTP with go-mail.
type emailSender struct {
	cfg  EmailConfig
	tls  *tls.Config
	opts Options
}

func newEmailSender(cfg EmailConfig, opts Options) (*emailSender, error) {
	tc := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipVerify} //nolint:gosec // tests only, documented
	if cfg.CAFile != "" {
		pem, err := srclimit.ReadFile(cfg.CAFile, srclimit.MaxConfigSize)
		if err != nil {
			return nil, fmt.Errorf("caFile: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("caFile %s: no PEM certificate", cfg.CAFile)
		}
		tc.RootCAs = pool
	}
	return &emailSender{cfg: cfg, tls: tc, opts: opts}, nil
}

// clientOptions are go-mail's options for the configuration; password is the SMTP
// password ("" without auth).
func (s *emailSender) clientOptions(password string) []mail.Option {
	c := s.cfg
	o := []mail.Option{mail.WithPort(c.Port), mail.WithTimeout(s.opts.Timeout), mail.WithTLSConfig(s.tls)}
	switch c.TLS {
	case TLSImplicit:
		o = append(o, mail.WithSSL())
	case TLSOpportunistic:
		o = append(o, mail.WithTLSPolicy(mail.TLSOpportunistic))
	case TLSNone:
		o = append(o, mail.WithTLSPolicy(mail.NoTLS))
	default:
		o = append(o, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	switch c.Auth {
	case AuthPlain:
		o = append(o, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(c.Username), mail.WithPassword(password))
	case AuthLogin:
		o = append(o, mail.WithSMTPAuth(mail.SMTPAuthLogin), mail.WithUsername(c.Username), mail.WithPassword(password))
	}
	return o
}

// message is the mail of n.
func (s *emailSender) message(n *Notification) (*mail.Msg, error) {
	m := mail.NewMsg()
	if err := m.From(s.cfg.From); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if err := m.To(s.cfg.To...); err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	m.Subject(n.Subject)
	m.SetDateWithValue(s.opts.Now())
	m.SetGenHeader("X-NodeGuardian-Key", n.Key)
	m.SetGenHeader("X-NodeGuardian-Event", string(n.Event))
	m.SetBodyString(mail.TypeTextPlain, n.Body)
	return m, nil
}

func (s *emailSender) send(ctx context.Context, n *Notification) error {
	var password string
	if s.cfg.Auth != AuthNone {
		p, err := s.cfg.Password.Value()
		if err != nil {
			return permanent(fmt.Errorf("password: %w", err))
		}
		password = p
	}
	m, err := s.message(n)
	if err != nil {
		return permanent(err)
	}
	c, err := mail.NewClient(s.cfg.Host, s.clientOptions(password)...)
	if err != nil {
		return permanent(scrubError(fmt.Errorf("smtp %s:%d: %w", s.cfg.Host, s.cfg.Port, err), []string{password}))
	}
	err = c.DialAndSendWithContext(ctx, m)
	if err == nil {
		return nil
	}
	if errors.Is(err, smtp.ErrUnencrypted) || strings.Contains(err.Error(), smtp.ErrUnencrypted.Error()) {
		// The server offers no TLS: trying again would not change that, and the password
		// is never sent in the clear.
		return permanent(fmt.Errorf("smtp %s:%d: authentication over an unencrypted connection refused (the server offers no TLS)", s.cfg.Host, s.cfg.Port))
	}
	err = scrubError(fmt.Errorf("smtp %s:%d: %w", s.cfg.Host, s.cfg.Port, err), []string{password})
	var se *mail.SendError
	if errors.As(err, &se) && !se.IsTemp() {
		return permanent(err)
	}
	return &retryableError{err: err}
}
