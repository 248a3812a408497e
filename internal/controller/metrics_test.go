package controller

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// Two managers in one process register the collectors twice: the second shares the
// first's, and every metric is named nodeguardian_*.
func TestCollectorsRegisterTwice(t *testing.T) {
	reg := prometheus.NewRegistry()
	a, err := newCollectors(reg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := newCollectors(reg)
	if err != nil {
		t.Fatalf("second registration: %v", err)
	}
	a.sourceErrors.Inc()
	if got := testutil.ToFloat64(b.sourceErrors); got != 1 {
		t.Fatalf("the second manager's counter is not shared: %v", got)
	}
	a.evaluations.WithLabelValues("success").Inc()
	a.firing.WithLabelValues("r").Set(2)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "nodeguardian_") {
			t.Errorf("metric %s is not nodeguardian_*", mf.GetName())
		}
	}
}
