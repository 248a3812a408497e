package notify

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// smtpServer is an in-process SMTP server on 127.0.0.1 recording what it receives.
type smtpServer struct {
	host     string
	port     int
	mu       sync.Mutex
	from     []string
	rcpts    []string
	messages [][]byte
	authUser string
	password string // "" accepts no AUTH
	login    bool
}

type smtpMode struct {
	startTLS, implicit bool
	password           string // required AUTH password for user "ngctl"
	login              bool   // offer AUTH LOGIN instead of PLAIN
	addr               string // listen address, offering AUTH without TLS; default 127.0.0.1 (127.0.0.2 is not "localhost" to SMTP auth)
}

// startSMTP starts a server; cert is its certificate (for STARTTLS and implicit TLS).
func startSMTP(t *testing.T, mode smtpMode, cert tls.Certificate) *smtpServer {
	t.Helper()
	s := &smtpServer{password: mode.password, login: mode.login}
	be := smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{s: s}, nil })
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.AllowInsecureAuth = mode.addr != "" // a server that would take a password in the clear
	l, err := net.Listen("tcp", cmp.Or(mode.addr, "127.0.0.1")+":0")
	if err != nil {
		t.Fatal(err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if mode.startTLS {
		srv.TLSConfig = tc
	}
	if mode.implicit {
		l = tls.NewListener(l, tc)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	addr := l.Addr().(*net.TCPAddr)
	s.host, s.port = addr.IP.String(), addr.Port
	return s
}

type smtpSession struct{ s *smtpServer }

func (x *smtpSession) AuthMechanisms() []string {
	if x.s.password == "" {
		return nil
	}
	if x.s.login {
		return []string{sasl.Login}
	}
	return []string{sasl.Plain}
}

func (x *smtpSession) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if user != "ngctl" || pass != x.s.password {
			return errors.New("invalid credentials")
		}
		x.s.mu.Lock()
		x.s.authUser = user
		x.s.mu.Unlock()
		return nil
	}
	if mech == sasl.Login {
		return &loginServer{check: check}, nil
	}
	return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
}

// loginServer is the server side of AUTH LOGIN (go-sasl has only its client): it asks
// for the username, then the password.
type loginServer struct {
	check func(user, pass string) error
	user  string
	step  int
}

func (l *loginServer) Next(response []byte) ([]byte, bool, error) {
	l.step++
	switch l.step {
	case 1:
		if len(response) > 0 { // the username as an initial response
			l.user, l.step = string(response), 2
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 2:
		l.user = string(response)
		return []byte("Password:"), false, nil
	}
	return nil, true, l.check(l.user, string(response))
}

func (x *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	if x.s.password != "" && x.s.authUser == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}
	}
	x.s.from = append(x.s.from, from)
	return nil
}

func (x *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.HasPrefix(to, "refused") {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	x.s.rcpts = append(x.s.rcpts, to)
	return nil
}

func (x *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	x.s.messages = append(x.s.messages, b)
	return err
}

func (x *smtpSession) Reset()        {}
func (x *smtpSession) Logout() error { return nil }

// selfSigned is a certificate for 127.0.0.1 and its PEM, to trust with caFile.
func selfSigned(t *testing.T) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "notify test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestEmail(t *testing.T) {
	cert, certPEM := selfSigned(t)
	dir := t.TempDir()
	caFile := writeFile(t, dir, "ca.pem", string(certPEM))
	pwFile := writeFile(t, dir, "pw", testSecret+"-smtp\n")
	tests := []struct {
		name    string
		mode    smtpMode
		tls     TLSMode
		auth    AuthMechanism
		to      []string
		wantErr string
	}{
		{"plain", smtpMode{}, TLSNone, AuthNone, []string{"oncall@example.com", "team@example.com"}, ""},
		{"opportunistic without STARTTLS", smtpMode{}, TLSOpportunistic, AuthNone, []string{"oncall@example.com"}, ""},
		{"starttls", smtpMode{startTLS: true}, TLSStartTLS, AuthNone, []string{"oncall@example.com"}, ""},
		{"starttls mandatory refused", smtpMode{}, TLSStartTLS, AuthNone, []string{"oncall@example.com"}, "STARTTLS"},
		{"implicit TLS", smtpMode{implicit: true}, TLSImplicit, AuthNone, []string{"oncall@example.com"}, ""},
		{"auth plain", smtpMode{startTLS: true, password: testSecret + "-smtp"}, TLSStartTLS, AuthPlain, []string{"oncall@example.com"}, ""},
		{"auth wrong password", smtpMode{startTLS: true, password: "other"}, TLSStartTLS, AuthPlain, []string{"oncall@example.com"}, "auth"},
		{"auth login", smtpMode{startTLS: true, password: testSecret + "-smtp", login: true}, TLSStartTLS, AuthLogin, []string{"oncall@example.com"}, ""},
		{"auth login wrong password", smtpMode{startTLS: true, password: "other", login: true}, TLSStartTLS, AuthLogin, []string{"oncall@example.com"}, "auth"},
		{"refused recipient", smtpMode{}, TLSNone, AuthNone, []string{"refused@example.com"}, "550"},
		// A server that offers no TLS gets no password, and trying again would not help.
		{"auth over plaintext refused", smtpMode{addr: "127.0.0.2", password: testSecret + "-smtp"}, TLSOpportunistic, AuthPlain, []string{"oncall@example.com"}, "unencrypted connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startSMTP(t, tt.mode, cert)
			cfg := EmailConfig{
				Host: srv.host, Port: srv.port, TLS: tt.tls, Auth: tt.auth, From: "NodeGuardian <ngctl@example.com>",
				To: tt.to, CAFile: caFile,
			}
			if tt.auth != AuthNone {
				cfg.Username, cfg.Password = "ngctl", FileSecret(pwFile, "email.passwordFile")
			}
			opts := testOptions(newFakeSleep(), io.Discard)
			opts.Retries = 1
			d := newTestDispatcher(t, Config{Email: &cfg}, opts)
			r := d.Send(context.Background(), []Notification{testNotification(EventFiring, "email")})[0][0]
			if tt.wantErr != "" {
				if r.Err == nil || !strings.Contains(strings.ToLower(r.Err.Error()), strings.ToLower(tt.wantErr)) {
					t.Fatalf("error %v, want %q", r.Err, tt.wantErr)
				}
				if strings.Contains(r.Err.Error(), testSecret) {
					t.Errorf("error shows the password: %v", r.Err)
				}
				if (tt.name == "refused recipient" || tt.name == "auth over plaintext refused") && r.Attempts != 1 {
					t.Errorf("a refused recipient was retried: %d attempts", r.Attempts)
				}
				return
			}
			if r.Err != nil {
				t.Fatalf("%+v", r)
			}
			checkMail(t, srv, tt.to)
			if tt.auth != AuthNone && srv.authUser != "ngctl" {
				t.Errorf("authenticated as %q", srv.authUser)
			}
		})
	}
}

// A subject and a body in Chinese (as the seed README's template renders them) arrive
// as MIME that decodes back to the same text.
func TestEmailNonASCII(t *testing.T) {
	cert, _ := selfSigned(t)
	srv := startSMTP(t, smtpMode{}, cert)
	d := newTestDispatcher(t, Config{Email: &EmailConfig{Host: srv.host, Port: srv.port, TLS: TLSNone, Auth: AuthNone,
		From: "NodeGuardian <ngctl@example.com>", To: []string{"oncall@example.com"}}}, testOptions(newFakeSleep(), io.Discard))
	n := testNotification(EventFiring, "email")
	n.Subject = "[NodeGuardian] 节点 worker-1 负载过高 (CPU 负载比 1.9 > 1.5)"
	n.Body = "节点 worker-1 已被隔离：\n- 污点 nodeguardian/high-load=true:NoSchedule\n请检查该节点上的工作负载。"
	if r := d.Send(context.Background(), []Notification{n})[0][0]; r.Err != nil {
		t.Fatal(r.Err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.messages) != 1 {
		t.Fatalf("%d messages", len(srv.messages))
	}
	raw := srv.messages[0]
	if slices.ContainsFunc(raw, func(b byte) bool { return b >= 0x80 }) {
		t.Errorf("the message is not 7-bit clean:\n%s", raw)
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil || subject != n.Subject {
		t.Errorf("subject %q (%v), want %q", subject, err, n.Subject)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "text/plain" || !strings.EqualFold(params["charset"], "utf-8") {
		t.Errorf("Content-Type %q", m.Header.Get("Content-Type"))
	}
	var body io.Reader = m.Body
	switch cte := strings.ToLower(m.Header.Get("Content-Transfer-Encoding")); cte {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	default:
		t.Fatalf("Content-Transfer-Encoding %q", cte)
	}
	b, err := io.ReadAll(body)
	if got := strings.TrimSpace(strings.ReplaceAll(string(b), "\r\n", "\n")); err != nil || got != n.Body {
		t.Errorf("body %q (%v), want %q", got, err, n.Body)
	}
}

// checkMail checks the one message srv received.
func checkMail(t *testing.T, srv *smtpServer, to []string) {
	t.Helper()
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.messages) != 1 {
		t.Fatalf("%d messages received", len(srv.messages))
	}
	eq(t, strings.Join(srv.from, ","), "ngctl@example.com")
	eq(t, strings.Join(srv.rcpts, ","), strings.Join(to, ","))
	m, err := mail.ReadMessage(strings.NewReader(string(srv.messages[0])))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, m.Header.Get("Subject"), "[NodeGuardian] High load on worker-1")
	eq(t, m.Header.Get("From"), `"NodeGuardian" <ngctl@example.com>`)
	eq(t, m.Header.Get("To"), "<"+strings.Join(to, ">, <")+">")
	eq(t, m.Header.Get("X-NodeGuardian-Key"), "high-load/worker-1/firing/2026-11-29T12:00:00Z")
	date, _ := m.Header.Date()
	eq(t, date.UTC().String(), time.Date(2026, 11, 29, 12, 1, 0, 0, time.UTC).String())
	body, _ := io.ReadAll(m.Body)
	if got := strings.TrimSpace(strings.ReplaceAll(string(body), "\r\n", "\n")); got != "Node worker-1 is overloaded <cpu> & memory." {
		t.Errorf("body %q (Content-Transfer-Encoding %s)", got, m.Header.Get("Content-Transfer-Encoding")+strconv.Itoa(len(body)))
	}
}
