package metrics

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/nodeguardian/nodeguardian/internal/srclimit"
)

// redacted replaces secrets in messages.
const redacted = "<redacted>"

// authTransport adds basic auth or a bearer token to every request. The secret files
// are read on every request, so that rotated tokens are picked up; every value read is
// remembered so that it can be scrubbed from messages.
type authTransport struct {
	next         http.RoundTripper
	username     string
	passwordFile string
	tokenFile    string

	mu      sync.Mutex
	secrets map[string]bool
}

func newAuthTransport(opts PrometheusOptions) (*authTransport, error) {
	if opts.BearerTokenFile != "" && (opts.Username != "" || opts.PasswordFile != "") {
		return nil, errors.New("bearer token and basic auth are mutually exclusive")
	}
	tr, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return nil, errors.New("http.DefaultTransport is not an *http.Transport")
	}
	base := tr.Clone()
	base.MaxIdleConnsPerHost = maxParallelQueries
	if opts.CAFile != "" || opts.InsecureSkipVerify {
		tc, err := tlsConfig(opts)
		if err != nil {
			return nil, err
		}
		base.TLSClientConfig = tc
	}
	a := &authTransport{
		next: base, username: opts.Username, passwordFile: opts.PasswordFile,
		tokenFile: opts.BearerTokenFile, secrets: map[string]bool{},
	}
	// Read the secrets once now: a missing file is a configuration error.
	if a.tokenFile != "" {
		if _, err := a.read(a.tokenFile, "bearer token file"); err != nil {
			return nil, err
		}
	}
	if a.passwordFile != "" {
		if _, err := a.read(a.passwordFile, "password file"); err != nil {
			return nil, err
		}
	}
	return a, nil
}

func tlsConfig(opts PrometheusOptions) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: opts.InsecureSkipVerify} //nolint:gosec // the operator asked for it
	if opts.CAFile == "" {
		return tc, nil
	}
	pem, err := srclimit.ReadFile(opts.CAFile, srclimit.MaxConfigSize)
	if err != nil {
		return nil, fmt.Errorf("reading CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate", opts.CAFile)
	}
	tc.RootCAs = pool
	return tc, nil
}

// read reads a secret file (trimmed) and remembers its value for scrubbing. Its errors
// name the file, never its content.
func (a *authTransport) read(file, what string) (string, error) {
	b, err := srclimit.ReadFile(file, srclimit.MaxConfigSize)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", what, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" && what == "bearer token file" {
		return "", fmt.Errorf("%s %s is empty", what, file)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.secrets[s] = true
	if what == "password file" {
		a.secrets[base64.StdEncoding.EncodeToString([]byte(a.username+":"+s))] = true
	} else {
		a.secrets[base64.StdEncoding.EncodeToString([]byte(s))] = true
	}
	return s, nil
}

// RoundTrip implements http.RoundTripper.
func (a *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	switch {
	case a.tokenFile != "":
		tok, err := a.read(a.tokenFile, "bearer token file")
		if err != nil {
			return nil, err
		}
		req = req.Clone(req.Context())
		req.Header.Set("Authorization", "Bearer "+tok)
	case a.username != "" || a.passwordFile != "":
		pw := ""
		if a.passwordFile != "" {
			var err error
			if pw, err = a.read(a.passwordFile, "password file"); err != nil {
				return nil, err
			}
		}
		req = req.Clone(req.Context())
		req.SetBasicAuth(a.username, pw)
	}
	return a.next.RoundTrip(req)
}

// addUserInfo remembers the password of a URL's user info to scrub, raw and as the
// basic-auth header the HTTP client makes of it.
func (a *authTransport) addUserInfo(user, password string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.secrets[password] = true
	a.secrets[base64.StdEncoding.EncodeToString([]byte(user+":"+password))] = true
}

// scrub replaces every secret this transport has sent in s, longest first.
func (a *authTransport) scrub(s string) string {
	a.mu.Lock()
	list := make([]string, 0, len(a.secrets))
	for secret := range a.secrets {
		if secret != "" {
			list = append(list, secret)
		}
	}
	a.mu.Unlock()
	sort.Slice(list, func(i, j int) bool { return len(list[i]) > len(list[j]) })
	for _, secret := range list {
		s = strings.ReplaceAll(s, secret, redacted)
	}
	return s
}

// CloseIdleConnections closes the idle connections of the underlying transport.
func (a *authTransport) CloseIdleConnections() {
	if c, ok := a.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
