package evaluate

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/series"
)

// Each rule reads the series of its own source: one metric, three sources, three values.
func TestRulesReadTheirOwnSource(t *testing.T) {
	now := time.Unix(1e9, 0)
	mk := func(name string, src *v1.MetricsSource) *v1.NodeGuardianRule {
		r := &v1.NodeGuardianRule{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1.NodeGuardianRuleSpec{
			Conditions:         []v1.Condition{{Metric: "m", Operator: v1.OpGreaterThan, Value: 0, Duration: &metav1.Duration{}}},
			RecoveryConditions: []v1.Condition{{Metric: "m", Operator: v1.OpLessThan, Value: 100, Duration: &metav1.Duration{}}},
			Actions:            []v1.Action{{Type: v1.ActionCordon, Cordon: &v1.CordonAction{}}}}}
		r.Spec.Monitoring.MetricsSource = src
		r.Default()
		return r
	}
	rules := []*v1.NodeGuardianRule{
		mk("plain", nil), mk("empty", &v1.MetricsSource{}), mk("ms", &v1.MetricsSource{UseMetricsServer: true, PrometheusURL: "http://p"}),
		mk("other", &v1.MetricsSource{PrometheusURL: " http://u:pw@p:9090/ "}), mk("failed", &v1.MetricsSource{PrometheusURL: "http://down"}),
	}
	data := &series.Data{Errors: map[string]string{"m@http://down": "connection refused"}}
	data.Add("n", "m", series.Sample{T: now, V: 1})
	data.Add("n", "m@metrics-server", series.Sample{T: now, V: 2})
	data.Add("n", "m@http://u:xxxxx@p:9090", series.Sample{T: now, V: 3})
	data.Add("n", "m@http://down", series.Sample{T: now, V: 4}) // an error wins over samples
	want := map[string]float64{"plain": 1, "empty": 1, "ms": 2, "other": 3}
	out := Evaluate(rules, []corev1.Node{{ObjectMeta: metav1.ObjectMeta{Name: "n"}}}, data, Options{Now: now})
	for _, rr := range out {
		v := rr.Verdicts[0]
		for _, c := range []ConditionResult{v.Conditions[0], v.RecoveryConditions[0]} {
			if rr.Rule.Name == "failed" {
				if c.Why != WhySourceError || c.Err != "connection refused" {
					t.Errorf("failed: %s", c.Reason())
				}
				continue
			}
			if c.Why != WhyHeld || c.Last != want[rr.Rule.Name] {
				t.Errorf("%s reads %v (%s), want %v", rr.Rule.Name, c.Last, c.Reason(), want[rr.Rule.Name])
			}
		}
	}
	if got := SeriesName(rules[3], "cpuLoadRatio"); got != "cpuLoadRatio@http://u:xxxxx@p:9090" {
		t.Errorf("SeriesName = %q", got)
	}
}
