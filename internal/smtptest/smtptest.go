// Package smtptest runs a real SMTP server (go-smtp) in the test process, on 127.0.0.1,
// without TLS or authentication, and records the mail it receives: for tests of what
// ngctl sends by email.
package smtptest

import (
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Server is a running SMTP server.
type Server struct {
	// Host and Port are where it listens.
	Host string
	Port int

	mu       sync.Mutex
	messages [][]byte
}

// Start starts a server, stopped when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	addr := l.Addr().(*net.TCPAddr)
	s.Host, s.Port = addr.IP.String(), addr.Port
	return s
}

// Env are the environment variables that configure ngctl's email channel for this
// server: plain text, no authentication, mail to oncall@example.com.
func (s *Server) Env() map[string]string {
	return map[string]string{
		"SMTP_HOST": s.Host, "SMTP_PORT": strconv.Itoa(s.Port), "SMTP_TLS": "none",
		"SMTP_FROM": "ngctl@example.com", "ALERT_EMAIL_TO": "oncall@example.com",
	}
}

// Take returns the messages received since the last call (raw, as sent after DATA).
func (s *Server) Take() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.messages
	s.messages = nil
	return out
}

type session struct{ s *Server }

func (x *session) Mail(string, *smtp.MailOptions) error { return nil }
func (x *session) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (x *session) Reset()                               {}
func (x *session) Logout() error                        { return nil }

func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	x.s.messages = append(x.s.messages, b)
	return err
}
