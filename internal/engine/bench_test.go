package engine

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/series"
)

// benchFleet builds n nodes in 10 pools with 20-sample windows of four metrics; a few
// percent of the nodes are hot.
func benchFleet(n int) *Fleet {
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	f := &Fleet{Data: &series.Data{Samples: make(map[string]map[string][]series.Sample, n)}, Hash: "bench"}
	step := 30 * time.Second
	for i := range n {
		name := fmt.Sprintf("node-%06d", i)
		f.Nodes = append(f.Nodes, corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
			"node-role.kubernetes.io/worker": "true", "pool": fmt.Sprintf("pool-%d", i%10),
		}}})
		hot := rng.IntN(100) < 3
		m := make(map[string][]series.Sample, 4)
		for _, metric := range v1.BuiltinMetrics() {
			s := make([]series.Sample, 20)
			for k := range s {
				v := 20 + rng.Float64()*40
				if hot {
					v = 97
				}
				s[k] = series.Sample{T: t0.Add(-time.Duration(19-k) * step), V: v}
			}
			m[metric] = s
		}
		f.Data.Samples[name] = m
	}
	return f
}

// benchRules builds r rules; each selects one pool (a tenth of the fleet) and has two
// conditions over 3m and 2m windows, a NoSchedule taint, a label and an alert.
func benchRules(r int) []*v1.NodeGuardianRule {
	var out []*v1.NodeGuardianRule
	metrics := v1.BuiltinMetrics()
	for i := range r {
		out = append(out, &v1.NodeGuardianRule{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("rule-%03d", i)}, Spec: v1.NodeGuardianRuleSpec{
			NodeSelector: &v1.NodeSelector{MatchLabels: map[string]string{"pool": fmt.Sprintf("pool-%d", i%10)}},
			Conditions: []v1.Condition{
				{Metric: metrics[i%4], Operator: v1.OpGreaterThan, Value: 90, Duration: &metav1.Duration{Duration: 3 * time.Minute}},
				{Metric: metrics[(i+1)%4], Operator: v1.OpGreaterThan, Value: 90, Duration: &metav1.Duration{Duration: 2 * time.Minute}},
			},
			Actions: []v1.Action{
				{Type: v1.ActionTaint, Taint: &v1.TaintSpec{Key: fmt.Sprintf("nodeguardian/r%d", i), Effect: "NoSchedule"}},
				{Type: v1.ActionLabel, Label: &v1.LabelAction{Labels: map[string]string{fmt.Sprintf("nodeguardian.io/r%d", i): "hot"}}},
				{Type: v1.ActionAlert, Alert: &v1.AlertAction{Template: "t"}},
			},
		}})
	}
	return out
}

// BenchmarkPlan measures one full plan (evaluate + compute) of 100 rules over fleets of
// 1k, 10k and 50k nodes. Target: 10k × 100 under 250 ms/op on 2 cores, linear growth.
func BenchmarkPlan(b *testing.B) {
	for _, n := range []int{1000, 10000, 50000} {
		f := benchFleet(n)
		rules := benchRules(100)
		b.Run(fmt.Sprintf("nodes=%d/rules=100", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Plan(rules, nil, f, Options{Now: t0, Interval: 30 * time.Second}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
