package live

import (
	"fmt"
	"strings"
)

// IncompleteError says that a live plan was computed without metrics whose read failed
// (Prometheus down, an HTTP error, a bad or too large response): their conditions are
// Unknown, so the plan may miss changes it would make with them. Unknown never acts, so
// the plan's changes may still be applied; the run should still not report success.
type IncompleteError struct {
	Metrics []string // the metrics whose read failed, sorted
}

// Error implements error: "Plan incomplete: 2 metric queries failed (a, b)".
func (e *IncompleteError) Error() string {
	what := "metric query"
	if len(e.Metrics) != 1 {
		what = "metric queries"
	}
	return fmt.Sprintf("Plan incomplete: %d %s failed (%s)", len(e.Metrics), what, strings.Join(e.Metrics, ", "))
}

// Incomplete returns an *IncompleteError when a metric read of the plan st was computed
// from failed, else nil (also for a nil st: an offline plan reads no source). Metrics a
// source cannot serve by design and nodes merely lacking data do not make a plan
// incomplete.
func Incomplete(st *State) error {
	if st == nil || len(st.Failed) == 0 {
		return nil
	}
	return &IncompleteError{Metrics: append([]string(nil), st.Failed...)}
}
