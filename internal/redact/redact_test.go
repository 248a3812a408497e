package redact

import (
	"errors"
	"strings"
	"testing"
)

// secret is the password of every test URL: it must never be shown.
const secret = "s3cr3t"

func TestURL(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"http://prometheus:9090", "http://prometheus:9090"},
		{"https://prom.example.com/prefix?x=1", "https://prom.example.com/prefix?x=1"},
		{"http://admin:s3cr3t@prometheus:9090/", "http://admin:xxxxx@prometheus:9090/"},
		{"http://s3cr3t@prometheus:9090", "http://xxxxx@prometheus:9090"},
		{"http://admin:s3cr3t@prom:99x", "http://xxxxx@prom:xxxxx"},         // bad port: does not parse
		{"http://admin:s3/cr3t@prom:9090", "http://xxxxx@prom:9090"},        // "/" in the password
		{"http://admin:s3cr3t", "http://xxxxx"},                             // "@host" forgotten: port "s3cr3t" does not parse
		{"http://admin:s3cr3t@prom\x7f:9090", "http://xxxxx@prom\x7f:9090"}, // control character
		{"admin:s3cr3t@prom:9090", "xxxxx@prom:9090"},                       // no scheme: opaque
		{"http:admin:s3cr3t@prom", "xxxxx@prom"},                            // opaque
		{"prometheus:9090", "xxxxx"},
		{"", ""},
		{"%zz://admin:s3cr3t@x", "xxxxx@x"},
		// URLs that parse but have no host, or an "@" after the host (issue 7).
		{"http:/admin:s3cr3t@prometheus:9090", "http:/xxxxx@prometheus:9090"},
		{"http:///user:s3cr3t@host", "http:///xxxxx@host"},
		{"http:/admin:s3cr3t", "http:/xxxxx"},
		{"http:///path", "http:///xxxxx"},
		{"//admin:s3cr3t@prom", "//admin:xxxxx@prom"},
		{"//admin:s3cr3t@/x", "//xxxxx@/xxxxx"},
		{"http://admin:s3cr3t@/path", "http://xxxxx@/xxxxx"},
		{"http://h/path?x=1@admin:s3cr3t", "http://xxxxx@admin:xxxxx"},
		{"http://h/path?x=1@a:b", "http://xxxxx@a:xxxxx"},
		{"http://h/admin:s3cr3t@x", "http://xxxxx@x"},
		{"http://h/admin:s3cr3t%40x", "http://xxxxx"},
		{"http://h/?u=admin:s3cr3t%40x", "http://xxxxx"},
		{"http://h/#admin:s3cr3t@x", "http://xxxxx@x"},
		{"http://admin:123#s3cr3t@prom", "http://xxxxx@prom"}, // "123" parses as the port of host "admin"
		{"http://admin%3As3cr3t@prom", "http://xxxxx@prom"},
		{"http://prom:9090/x@admin:s3cr3t:9090", "http://xxxxx@admin:xxxxx"},
		{"http://x@[::1]:9090", "http://xxxxx@[::1]:9090"},
		{"http:/x@[::1]:s3cr3t", "http:/xxxxx@[::1]:xxxxx"},
		{"HTTP://admin:s3cr3t@prom", "http://admin:xxxxx@prom"},
	}
	for _, tt := range tests {
		got := URL(tt.raw)
		if got != tt.want {
			t.Errorf("URL(%q) = %q, want %q", tt.raw, got, tt.want)
		}
		if strings.Contains(got, secret) {
			t.Errorf("URL(%q) = %q shows the password", tt.raw, got)
		}
	}
}

func TestParseHTTPURL(t *testing.T) {
	tests := []struct {
		raw, wantErr string // "" when valid
	}{
		{"http://prometheus:9090", ""},
		{"https://admin:s3cr3t@prometheus/prefix", ""},
		{"http://admin:s3cr3t@prom:99x", `invalid URL "http://xxxxx@prom:xxxxx": does not parse`},
		{"http://admin:s3/cr3t@prom", `invalid URL "http://xxxxx@prom": does not parse`},
		{"ftp://admin:s3cr3t@prom", `invalid URL "ftp://admin:xxxxx@prom": scheme must be http or https`},
		{"admin:s3cr3t@prom:9090", `invalid URL "xxxxx@prom:9090": scheme must be http or https`},
		{"//admin:s3cr3t@prom", `invalid URL "//admin:xxxxx@prom": no scheme`},
		{"http:///path", `invalid URL "http:///xxxxx": no host`},
		{"http:/admin:s3cr3t@prometheus:9090", `invalid URL "http:/xxxxx@prometheus:9090": no host`},
		{"http:///user:s3cr3t@host", `invalid URL "http:///xxxxx@host": no host`},
		{"", `invalid URL "": no scheme`},
	}
	for _, tt := range tests {
		u, err := ParseHTTPURL(tt.raw)
		if tt.wantErr == "" {
			if err != nil || u == nil {
				t.Errorf("ParseHTTPURL(%q): %v", tt.raw, err)
			}
			continue
		}
		var ue *URLError
		if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), tt.wantErr) {
			t.Errorf("ParseHTTPURL(%q) error = %v, want %q...", tt.raw, err, tt.wantErr)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("ParseHTTPURL(%q) error shows the password: %v", tt.raw, err)
		}
	}
}

// TestURLNeverShowsAPassword puts a password where a person might mistype it — in user
// info after every kind of scheme prefix, in the path, query or fragment, after the
// host, percent-encoded — and checks that URL never shows it.
func TestURLNeverShowsAPassword(t *testing.T) {
	prefixes := []string{"http://", "http:/", "http:///", "http:", "//", "/", "", "https://", "HTTP://", "%zz://", "ht tp://"}
	users := []string{"admin:s3cr3t@", "s3cr3t@", "admin:s3/cr3t@", "admin:s3#cr3t@", "admin:s3?cr3t@", "admin:s3@cr3t@", "admin%3As3cr3t@", "admin:s3cr3t%40"}
	hosts := []string{"h", "h:9090", "h:90x0", "[::1]:1", "h/p", "h?x=1", "h#f", "", "h:"}
	afters := []string{"", "/path@z", "?q=1@admin:s3cr3t", "#admin:s3cr3t@z", "/admin:s3cr3t@z:1", "/a%40s3cr3t"}
	for _, p := range prefixes {
		for _, u := range users {
			for _, h := range hosts {
				for _, a := range afters {
					for _, raw := range []string{p + u + h + a, p + h + a} {
						if !strings.Contains(raw, "s3cr3t") {
							continue
						}
						if got := URL(raw); strings.Contains(got, "s3cr3t") || strings.Contains(got, "cr3t") {
							t.Errorf("URL(%q) = %q shows the password", raw, got)
						}
						if _, err := ParseHTTPURL(raw); err != nil && strings.Contains(err.Error(), "cr3t") {
							t.Errorf("ParseHTTPURL(%q) error shows the password: %v", raw, err)
						}
					}
				}
			}
		}
	}
}

func TestParseBaseURL(t *testing.T) {
	for _, raw := range []string{"http://prometheus:9090/x?y=1@admin:s3cr3t", "http://admin:123#s3cr3t@prom", "http://prom/a%40s3cr3t", "http://prom/#a@b"} {
		_, err := ParseBaseURL(raw)
		var ue *URLError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "after the host") || strings.Contains(err.Error(), "cr3t") {
			t.Errorf("ParseBaseURL(%q) error = %v, want a URLError about an @ after the host, without the password", raw, err)
		}
	}
	for _, raw := range []string{"https://admin:s3cr3t@prometheus.example.com:9090/prefix", "http://prometheus:9090"} {
		if _, err := ParseBaseURL(raw); err != nil {
			t.Errorf("ParseBaseURL(%q): %v", raw, err)
		}
	}
	if _, err := ParseBaseURL("http:/admin:s3cr3t@prom"); err == nil || !strings.Contains(err.Error(), "no host") {
		t.Errorf("ParseBaseURL with no host: %v", err)
	}
}

// TestText: URLs with user info are masked wherever they are in a text, JSON included;
// the rest of the text and URLs without user info are left as they are.
func TestText(t *testing.T) {
	for in, want := range map[string]string{
		"":                                "",
		"no url here":                     "no url here",
		"see http://prom:9090/x and more": "see http://prom:9090/x and more",
		`{"prometheusURL":"http://user:s3cretPW@prom:9090"}`: `{"prometheusURL":"http://user:xxxxx@prom:9090"}`,
		`"{\"url\": \"https://bot:tok@hooks.example/x\"}"`:   `"{\"url\": \"https://bot:xxxxx@hooks.example/x\"}"`,
		"two: http://a:p1@h1 http://b@h2/x":                  "two: http://a:xxxxx@h1 http://xxxxx@h2/x",
		"odd: http://u:p@h:port":                             "odd: http://xxxxx@h:xxxxx",
	} {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}
