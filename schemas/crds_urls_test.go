package schemas_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/redact"
	"github.com/nodeguardian/nodeguardian/internal/testenv"
)

// testPrometheusURLs checks that the CRD's CEL rule on prometheusURL and ngctl's own check
// (redact.ParseBaseURL, which validate runs) agree: a host name is required (url.Parse
// takes ":9090" in http://:9090 for a host) and a port must be 1–65535 (issue 7).
func testPrometheusURLs(t *testing.T, env *testenv.Env) {
	for i, tt := range []struct {
		url   string
		valid bool
	}{
		{"http://prometheus:9090", true},
		{"http://prometheus", true},
		{"https://admin:s3cr3t@prometheus.example.com:65535/prefix", true},
		{"http://[::1]:9090", true},
		{"http://prometheus:1", true},
		{"http://:9090", false},
		{"http://admin:s3cr3t@:9090", false},
		{"http://prometheus:99999", false},
		{"http://prometheus:0", false},
		{"http://prometheus:99999999999999999999", false},
	} {
		t.Run(tt.url, func(t *testing.T) {
			if _, err := redact.ParseBaseURL(tt.url); (err == nil) != tt.valid {
				t.Errorf("ParseBaseURL: %v, want valid=%v", err, tt.valid)
			}
			spec := fmt.Sprintf(`
conditions: [{metric: cpuUtilizationPercent, operator: GreaterThan, value: 90}]
actions: [{type: cordon}]
monitoring: {metricsSource: {prometheusURL: %q}}`, tt.url)
			obj := mustUnstructured(t, v1.KindRule, fmt.Sprintf("url-%02d", i), spec)
			err := env.Client.Create(t.Context(), obj, strict)
			if err == nil {
				_ = env.Client.Delete(context.Background(), obj)
			}
			switch {
			case tt.valid && err != nil:
				t.Errorf("the API server rejects it: %v", err)
			case !tt.valid && err == nil:
				t.Errorf("the API server accepts it")
			case !tt.valid && !strings.Contains(err.Error(), "spec.monitoring.metricsSource.prometheusURL: Invalid value"):
				t.Errorf("the error does not name the field: %v", err)
			}
			if err != nil && strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("the API server's message shows the password: %v", err)
			}
		})
	}
}
