package source

import (
	"strings"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/nodeguardian/nodeguardian/internal/metrics"
)

func TestNew(t *testing.T) {
	rc := &rest.Config{Host: "http://127.0.0.1:1"}
	prom := metrics.PrometheusOptions{URL: "http://127.0.0.1:9"}
	tests := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"Prometheus and metrics-server", Options{Default: metrics.SourcePrometheus, Prometheus: prom, MetricsServer: rc}, ""},
		{"Prometheus only", Options{Default: metrics.SourcePrometheus, Prometheus: prom}, ""},
		{"metrics-server with a window", Options{Default: metrics.SourceMetricsServer, MetricsServer: rc, Window: true}, ""},
		{"no Prometheus URL", Options{Default: metrics.SourcePrometheus, MetricsServer: rc}, "metric source prometheus: no Prometheus URL"},
		{"no cluster", Options{Default: metrics.SourceMetricsServer, Prometheus: prom}, "metric source metrics-server: no cluster configuration"},
		{"unknown", Options{Default: "graphite"}, `unknown metric source "graphite"`},
		{"bad Prometheus URL", Options{Default: metrics.SourcePrometheus, Prometheus: metrics.PrometheusOptions{URL: "ftp://x"}}, "prometheus"},
		{"unreadable token", Options{Default: metrics.SourcePrometheus,
			Prometheus: metrics.PrometheusOptions{URL: prom.URL, BearerTokenFile: "/nonexistent/token"}}, "/nonexistent/token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Config = metrics.DefaultConfig()
			src, err := New(tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || src != nil {
					t.Fatalf("src %v, err %v; want %q", src, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := src.(*metrics.Router); !ok {
				t.Fatalf("source %T, want a *metrics.Router", src)
			}
		})
	}
}
