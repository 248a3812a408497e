package metrics

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/promtest"
)

const (
	testPassword = "pa55-w0rd-Zq9"
	testToken    = "tok-7Hc1-secret"
)

// secretFile writes a secret to a file in a temporary directory.
func secretFile(t *testing.T, secret string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(f, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// assertNoSecret fails when any text holds a secret, raw or as a basic-auth header.
func assertNoSecret(t *testing.T, texts []string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		forms := []string{s, base64.StdEncoding.EncodeToString([]byte("admin:" + s)), base64.StdEncoding.EncodeToString([]byte(s))}
		for _, text := range texts {
			for _, f := range forms {
				if strings.Contains(text, f) {
					t.Errorf("secret leaked: %q", text)
				}
			}
		}
	}
}

// resultTexts are every message of a result and error, to search for secrets.
func resultTexts(res Result, err error) []string {
	out := append([]string(nil), res.Warnings...)
	if res.Data != nil {
		for _, e := range res.Data.Errors {
			out = append(out, e)
		}
	}
	if err != nil {
		out = append(out, err.Error())
	}
	return out
}

func TestPrometheusAuthAgainstPrometheus(t *testing.T) {
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:"+testPassword))
	tests := []struct {
		name      string
		require   string
		opts      PrometheusOptions
		wantError bool
	}{
		{name: "basic auth", require: basic, opts: PrometheusOptions{Username: "admin", PasswordFile: secretFile(t, testPassword)}},
		{name: "bearer token", require: "Bearer " + testToken, opts: PrometheusOptions{BearerTokenFile: secretFile(t, testToken)}},
		{name: "wrong password", require: basic, opts: PrometheusOptions{Username: "admin", PasswordFile: secretFile(t, "nope-"+testPassword)}, wantError: true},
		{name: "wrong token", require: "Bearer " + testToken, opts: PrometheusOptions{BearerTokenFile: secretFile(t, testToken+"-old")}, wantError: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := promtest.Start(t, promtest.Options{Authorization: tt.require})
			tt.opts.URL = srv.URL
			p := newProm(t, tt.opts, DefaultConfig())
			req := Request{Needs: []Need{{Metric: v1.MetricCPULoadRatio, Query: "vector(1)"}}, Now: time.Now(), Step: MinStep}
			res, err := p.Fetch(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			auths := srv.Authorizations()
			if len(auths) != 1 {
				t.Fatalf("proxy saw %d requests, want 1", len(auths))
			}
			if got := len(res.Data.Errors) > 0; got != tt.wantError {
				t.Errorf("errors %v, want error: %v", res.Data.Errors, tt.wantError)
			}
			if !tt.wantError && auths[0] != tt.require {
				t.Errorf("Authorization %q, want %q", auths[0], tt.require)
			}
			if tt.wantError && !strings.Contains(res.Data.Errors[v1.MetricCPULoadRatio], "401") {
				t.Errorf("error %q, want a 401", res.Data.Errors[v1.MetricCPULoadRatio])
			}
			assertNoSecret(t, append(resultTexts(res, err), srv.Output()), testPassword, testToken)
		})
	}
}

// echoServer answers every query with a bad_data error quoting the request's
// Authorization header, like a careless proxy, and records the header.
func echoServer(t *testing.T, got *[]string) *httptest.Server {
	t.Helper()
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		mu.Lock()
		*got = append(*got, h)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"status":"error","errorType":"bad_data","error":"you sent %s"}`, h)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestPrometheusSecretsNeverShown(t *testing.T) {
	tests := []struct {
		name       string
		opts       PrometheusOptions
		wantHeader string
		userinfo   bool
	}{
		{"basic", PrometheusOptions{Username: "admin", PasswordFile: secretFile(t, testPassword)},
			"Basic " + base64.StdEncoding.EncodeToString([]byte("admin:"+testPassword)), false},
		{"bearer", PrometheusOptions{BearerTokenFile: secretFile(t, testToken)}, "Bearer " + testToken, false},
		{"password in the URL", PrometheusOptions{}, "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:"+testPassword)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			srv := echoServer(t, &got)
			tt.opts.URL = srv.URL
			if tt.userinfo {
				tt.opts.URL = strings.Replace(srv.URL, "http://", "http://admin:"+testPassword+"@", 1)
			}
			p := newProm(t, tt.opts, DefaultConfig())
			needs := []Need{{Metric: "a", Query: "up"}, {Metric: "b", Query: "up", URL: tt.opts.URL + "/"}}
			res, err := p.Fetch(context.Background(), Request{Needs: needs, Now: time.Now(), Step: MinStep})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[0] != tt.wantHeader || got[1] != tt.wantHeader {
				t.Errorf("server saw %q, want %q twice (the URL override shares the auth options)", got, tt.wantHeader)
			}
			texts := resultTexts(res, err)
			assertNoSecret(t, texts, testPassword, testToken)
			if len(res.Data.Errors) != 2 || !strings.Contains(strings.Join(texts, "\n"), redacted) {
				t.Errorf("want both metrics failed with the secret redacted: %q", texts)
			}
			if tt.userinfo && !strings.Contains(res.Warnings[0], "admin:xxxxx@") {
				t.Errorf("warning %q should show the URL with its password masked", res.Warnings[0])
			}
		})
	}
}

func TestNewPrometheusErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(bad, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts PrometheusOptions
		cfg  Config
		want string
	}{
		{"no URL", PrometheusOptions{}, DefaultConfig(), "invalid URL"},
		{"not http", PrometheusOptions{URL: "ftp://x"}, DefaultConfig(), `invalid URL "ftp://x"`},
		{"both auths", PrometheusOptions{URL: "http://x", Username: "u", BearerTokenFile: "t"}, DefaultConfig(), "mutually exclusive"},
		{"missing token file", PrometheusOptions{URL: "http://x", BearerTokenFile: "/nonexistent/token"}, DefaultConfig(), "reading bearer token file"},
		{"empty token file", PrometheusOptions{URL: "http://x", BearerTokenFile: secretFile(t, "")}, DefaultConfig(), "is empty"},
		{"missing password file", PrometheusOptions{URL: "http://x", Username: "u", PasswordFile: "/nonexistent/pw"}, DefaultConfig(), "reading password file"},
		{"bad CA", PrometheusOptions{URL: "https://x", CAFile: bad}, DefaultConfig(), "holds no PEM certificate"},
		{"bad config", PrometheusOptions{URL: "http://x"}, Config{NodeLabel: "a b"}, "not a valid Prometheus label name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewPrometheus(tt.opts, tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestInvalidURLsNeverShowCredentials: a URL that does not parse (url.Parse's error
// quotes it whole) or is not http(s), as the default or as a rule's override, is
// reported with its user info masked.
func TestInvalidURLsNeverShowCredentials(t *testing.T) {
	const pw = "s3cr3t"
	bad := []struct{ url, shown string }{
		{"http://admin:" + pw + "@prometheus:90x0", `"http://xxxxx@prometheus:xxxxx"`},
		{"http://admin:" + pw, `"http://xxxxx"`},
		{"http://admin:" + pw + "@prom etheus:9090", `"http://xxxxx@prom etheus:9090"`},
		{"admin:" + pw + "@prometheus:9090", `"xxxxx@prometheus:9090"`},
		{"ftp://admin:" + pw + "@prometheus", `"ftp://admin:xxxxx@prometheus"`},
		// url.Parse accepts these, with no host (issue 7).
		{"http:/admin:" + pw + "@prometheus:9090", `"http:/xxxxx@prometheus:9090"`},
		{"http:///user:" + pw + "@host", `"http:///xxxxx@host"`},
		{"//admin:" + pw + "@prometheus:9090", `"//admin:xxxxx@prometheus:9090"`},
		{"http://prometheus:9090/x?y=1@admin:" + pw, `"http://xxxxx@admin:xxxxx"`},
	}
	for _, b := range bad {
		t.Run("default "+b.shown, func(t *testing.T) {
			_, err := NewPrometheus(PrometheusOptions{URL: b.url}, DefaultConfig())
			if err == nil || !strings.Contains(err.Error(), "invalid URL "+b.shown) {
				t.Errorf("err = %v, want invalid URL %s", err, b.shown)
			}
			assertNoSecret(t, resultTexts(Result{}, err), pw)
		})
		t.Run("override "+b.shown, func(t *testing.T) {
			var got []string
			srv := echoServer(t, &got)
			p := newProm(t, PrometheusOptions{URL: srv.URL}, DefaultConfig())
			res, err := p.Fetch(context.Background(), Request{Needs: []Need{{Metric: "a", Query: "up", URL: b.url}}, Now: time.Now(), Step: MinStep})
			if err != nil {
				t.Fatal(err)
			}
			texts := resultTexts(res, err)
			if !strings.Contains(res.Data.Errors["a"], b.shown) || len(got) != 0 {
				t.Errorf("errors %q (want the URL shown as %s), %d queries sent", res.Data.Errors, b.shown, len(got))
			}
			assertNoSecret(t, texts, pw)
		})
	}
}
