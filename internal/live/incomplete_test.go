package live

import (
	"errors"
	"testing"

	"github.com/nodeguardian/nodeguardian/internal/engine"
	"github.com/nodeguardian/nodeguardian/internal/series"
)

func TestIncomplete(t *testing.T) {
	for _, tc := range []struct {
		name string
		st   *State
		want string // "" = complete
	}{
		{"offline", nil, ""},
		{"no failure", &State{Fleet: &engine.Fleet{Data: &series.Data{Errors: map[string]string{"cpuLoadRatio": "metrics-server has no load average"}}}}, ""},
		{"one", &State{Failed: []string{"cpuLoadRatio"}}, "Plan incomplete: 1 metric query failed (cpuLoadRatio)"},
		{"two", &State{Failed: []string{"cpuLoadRatio", "memoryUtilizationPercent"}},
			"Plan incomplete: 2 metric queries failed (cpuLoadRatio, memoryUtilizationPercent)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Incomplete(tc.st)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			var ie *IncompleteError
			if !errors.As(err, &ie) || err.Error() != tc.want {
				t.Fatalf("got %v, want %s", err, tc.want)
			}
		})
	}
}
