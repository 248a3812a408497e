package testenv_test

import (
	"encoding/json"
	"testing"

	"github.com/nodeguardian/nodeguardian/internal/testenv"
)

// An eviction's body, as the audit log records it, says whether it was a dry run.
func TestDryRunEviction(t *testing.T) {
	for _, tt := range []struct {
		name, body string
		want       bool
	}{
		{"dry run", `{"kind":"Eviction","apiVersion":"policy/v1","metadata":{"name":"p"},"deleteOptions":{"dryRun":["All"]}}`, true},
		{"real", `{"kind":"Eviction","apiVersion":"policy/v1","metadata":{"name":"p"},"deleteOptions":{}}`, false},
		{"no delete options", `{"kind":"Eviction","apiVersion":"policy/v1","metadata":{"name":"p"}}`, false},
		{"no body (level Metadata)", ``, false},
		{"not JSON", `{`, false},
	} {
		ev := testenv.AuditEvent{RequestObject: json.RawMessage(tt.body)}
		if got := ev.DryRunEviction(); got != tt.want {
			t.Errorf("%s: DryRunEviction() = %v, want %v", tt.name, got, tt.want)
		}
	}
}
