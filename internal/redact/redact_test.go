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
		{"http://admin:s3cr3t@prom:99x", "http://xxxxx@prom:99x"},           // bad port: does not parse
		{"http://admin:s3/cr3t@prom:9090", "http://xxxxx@prom:9090"},        // "/" in the password
		{"http://admin:s3cr3t", "http://xxxxx"},                             // "@host" forgotten: port "s3cr3t" does not parse
		{"http://admin:s3cr3t@prom\x7f:9090", "http://xxxxx@prom\x7f:9090"}, // control character
		{"admin:s3cr3t@prom:9090", "xxxxx@prom:9090"},                       // no scheme: opaque
		{"http:admin:s3cr3t@prom", "xxxxx@prom"},                            // opaque
		{"prometheus:9090", "xxxxx"},
		{"", ""},
		{"%zz://admin:s3cr3t@x", "xxxxx@x"},
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
		{"http://admin:s3cr3t@prom:99x", `invalid URL "http://xxxxx@prom:99x": does not parse`},
		{"http://admin:s3/cr3t@prom", `invalid URL "http://xxxxx@prom": does not parse`},
		{"ftp://admin:s3cr3t@prom", `invalid URL "ftp://admin:xxxxx@prom": scheme must be http or https`},
		{"admin:s3cr3t@prom:9090", `invalid URL "xxxxx@prom:9090": scheme must be http or https`},
		{"//admin:s3cr3t@prom", `invalid URL "//admin:xxxxx@prom": no scheme`},
		{"http:///path", `invalid URL "http:///path": no host`},
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
