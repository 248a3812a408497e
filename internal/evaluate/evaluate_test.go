package evaluate

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/series"
)

var now = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

const step = 30 * time.Second

func cond(metric string, op v1.Operator, value float64, d time.Duration) v1.Condition {
	return v1.Condition{Metric: metric, Operator: op, Value: value, Duration: &metav1.Duration{Duration: d}}
}

func samples(t *testing.T, notation string) []series.Sample {
	t.Helper()
	s, err := series.Expand(notation, now, step)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCondition(t *testing.T) {
	clk := Clock{Now: now, Interval: step, Staleness: 5 * time.Minute}
	gt := func(d time.Duration) v1.Condition { return cond("cpuLoadRatio", v1.OpGreaterThan, 1.5, d) }
	tests := []struct {
		name   string
		c      v1.Condition
		series string
		shift  time.Duration // move every sample back by this much
		want   Tri
		why    Why
		reason string
	}{
		{"latest sample only", gt(0), "1 2", 0, True, WhyHeld, "cpuLoadRatio 2 > 1.5"},
		{"latest sample fails", gt(0), "2 1", 0, False, WhyNotMet, "cpuLoadRatio 1, not > 1.5"},
		{"held for the whole window", gt(3 * time.Minute), "1 1.9 1.7 2 2 2 2 1.9", 0, True, WhyHeld, "cpuLoadRatio 1.9 > 1.5 for 3m (min 1.7)"},
		{"one sample in the window fails", gt(3 * time.Minute), "2 2 1 2 2 2 2 2", 0, False, WhyPending, "cpuLoadRatio 2 > 1.5 for 2m of 3m"},
		{"window not covered: too little history", gt(3 * time.Minute), "2 2 2", 0, Unknown, WhyNotCovered, "only 1m of data for a 3m window"},
		{"window start within one interval is covered", gt(45 * time.Second), "2 2", 0, True, WhyHeld, ""},
		{"history exactly as long as the window", gt(time.Minute), "2 2 2", 0, True, WhyHeld, ""},
		{"history one interval short of the window", gt(time.Minute), "2 2", 0, Unknown, WhyNotCovered, "only 30s of data for a 1m window"},
		{"gap over 2 intervals", gt(3 * time.Minute), "2 2 _ _ 2 2 2", 0, Unknown, WhyGap, "gap of 1m30s"},
		{"gap of 2 intervals is fine", gt(3 * time.Minute), "2 2 2 _ 2 2 2", 0, True, WhyHeld, ""},
		{"no data", gt(0), "", 0, Unknown, WhyNoData, "cpuLoadRatio: no data"},
		{"only missing samples", gt(0), "_x3", 0, Unknown, WhyNoData, ""},
		{"stale", gt(0), "2 2", 6 * time.Minute, Unknown, WhyStale, "stale, last sample 6m ago"},
		{"not stale at the limit", gt(0), "2 2", 5 * time.Minute, True, WhyHeld, ""},
		{"latest missing, older window ends too early", gt(time.Minute), "2 2 2 _ _ _", 0, Unknown, WhyGap, ""},
		{"less than", cond("m", v1.OpLessThan, 0.8, time.Minute), "0.5 0.7 0.6", 0, True, WhyHeld, "m 0.6 < 0.8 for 1m (max 0.7)"},
		{"equal", cond("m", v1.OpEqualTo, 3, 0), "3", 0, True, WhyHeld, "m 3 == 3"},
		{"not equal", cond("m", v1.OpNotEqualTo, 3, 0), "3", 0, False, WhyNotMet, ""},
		{">= boundary", cond("m", v1.OpGreaterThanOrEqual, 3, 0), "3", 0, True, WhyHeld, ""},
		{"<= boundary", cond("m", v1.OpLessThanOrEqual, 3, 0), "3.0001", 0, False, WhyNotMet, ""},
		{"zero is a value, not missing", cond("m", v1.OpLessThan, 1, 0), "0", 0, True, WhyHeld, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := samples(t, tt.series)
			for i := range s {
				s[i].T = s[i].T.Add(-tt.shift)
			}
			c := tt.c
			got := Condition(&c, s, clk)
			if got.Result != tt.want || got.Why != tt.why {
				t.Fatalf("got %v (why %d: %s), want %v (why %d)", got.Result, got.Why, got.Reason(), tt.want, tt.why)
			}
			if !strings.Contains(got.Reason(), tt.reason) {
				t.Fatalf("reason %q does not contain %q", got.Reason(), tt.reason)
			}
		})
	}
}

func TestFutureSamplesIgnored(t *testing.T) {
	c := cond("m", v1.OpGreaterThan, 1, 0)
	s := []series.Sample{{T: now.Add(-step), V: 2}, {T: now.Add(step), V: 0}}
	got := Condition(&c, s, Clock{Now: now, Interval: step, Staleness: time.Minute})
	if got.Result != True {
		t.Fatalf("got %v: %s", got.Result, got.Reason())
	}
}

func TestThreeValuedLogic(t *testing.T) {
	tests := []struct {
		in      []Tri
		and, or Tri
	}{
		{[]Tri{True, True}, True, True},
		{[]Tri{True, False}, False, True},
		{[]Tri{True, Unknown}, Unknown, True},
		{[]Tri{False, Unknown}, False, Unknown},
		{[]Tri{Unknown, Unknown}, Unknown, Unknown},
		{[]Tri{False, False}, False, False},
	}
	for _, tt := range tests {
		if got := And(tt.in...); got != tt.and {
			t.Errorf("And(%v) = %v, want %v", tt.in, got, tt.and)
		}
		if got := Or(tt.in...); got != tt.or {
			t.Errorf("Or(%v) = %v, want %v", tt.in, got, tt.or)
		}
	}
	if Not(Unknown) != Unknown || Not(True) != False || Not(False) != True {
		t.Error("Not is wrong")
	}
}

func node(name string, labels map[string]string) corev1.Node {
	return corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
}

func rule(name string, sel *v1.NodeSelector, logic v1.Logic, cs ...v1.Condition) *v1.NodeGuardianRule {
	r := &v1.NodeGuardianRule{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1.NodeGuardianRuleSpec{
		Conditions: cs, ConditionLogic: logic, NodeSelector: sel,
		Actions: []v1.Action{{Type: v1.ActionCordon}},
	}}
	r.Default()
	return r
}

func TestSelection(t *testing.T) {
	worker := map[string]string{"role": "worker"}
	nodes := []corev1.Node{
		node("w1", worker),
		node("w2", map[string]string{"role": "worker", LabelExclude: "true"}),
		node("cp1", map[string]string{"role": "worker", LabelControlPlane: ""}),
		node("m1", map[string]string{LabelMaster: "true"}),
		node("db1", map[string]string{"role": "db", "cores": "64"}),
	}
	tests := []struct {
		name     string
		sel      *v1.NodeSelector
		want     []string
		excluded []string
	}{
		{"everything but control plane and excluded", nil, []string{"w1", "db1"}, []string{"w2", "cp1", "m1"}},
		{"match labels", &v1.NodeSelector{MatchLabels: worker}, []string{"w1"}, []string{"w2", "cp1"}},
		{"control plane named by label", &v1.NodeSelector{MatchExpressions: []v1.NodeSelectorRequirement{{Key: LabelControlPlane, Operator: "Exists"}}}, []string{"cp1"}, nil},
		{"control plane named by name", &v1.NodeSelector{NodeNames: []string{"cp1", "w2"}}, []string{"cp1"}, []string{"w2"}},
		{"exclude label wins over names", &v1.NodeSelector{NodeNames: []string{"w2"}}, nil, []string{"w2"}},
		{"Gt", &v1.NodeSelector{MatchExpressions: []v1.NodeSelectorRequirement{{Key: "cores", Operator: "Gt", Values: []string{"32"}}}}, []string{"db1"}, nil},
		{"NotIn", &v1.NodeSelector{MatchExpressions: []v1.NodeSelectorRequirement{{Key: "role", Operator: "NotIn", Values: []string{"worker"}}}}, []string{"db1"}, []string{"m1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rule("r", tt.sel, v1.LogicAnd, cond("m", v1.OpGreaterThan, 1, 0))
			res := Evaluate([]*v1.NodeGuardianRule{r}, nodes, &series.Data{}, Options{Now: now})[0]
			var got, ex []string
			for _, v := range res.Verdicts {
				got = append(got, v.Node)
			}
			for _, e := range res.Excluded {
				ex = append(ex, e.Node)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("selected %v, want %v", got, tt.want)
			}
			if strings.Join(ex, ",") != strings.Join(tt.excluded, ",") {
				t.Errorf("excluded %v, want %v", ex, tt.excluded)
			}
		})
	}
}

func TestRuleLogicAndRecovery(t *testing.T) {
	nodes := []corev1.Node{node("n", nil)}
	var data series.Data
	data.Add("n", "a", samples(t, "5")...)
	// metric b has no data: Unknown.
	ca, cb := cond("a", v1.OpGreaterThan, 1, 0), cond("b", v1.OpGreaterThan, 1, 0)
	cf := cond("a", v1.OpLessThan, 1, 0)
	tests := []struct {
		name          string
		logic         v1.Logic
		cs            []v1.Condition
		recovery      []v1.Condition
		trig, recover Tri
	}{
		{"AND with Unknown is Unknown", v1.LogicAnd, []v1.Condition{ca, cb}, nil, Unknown, Unknown},
		{"AND with False is False", v1.LogicAnd, []v1.Condition{cf, cb}, nil, False, True},
		{"OR with True is True", v1.LogicOr, []v1.Condition{ca, cb}, nil, True, False},
		{"OR with False and Unknown is Unknown", v1.LogicOr, []v1.Condition{cf, cb}, nil, Unknown, Unknown},
		{"explicit recovery conditions", v1.LogicAnd, []v1.Condition{ca}, []v1.Condition{cf}, True, False},
		{"recovery on missing data is Unknown", v1.LogicAnd, []v1.Condition{ca}, []v1.Condition{cb}, True, Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rule("r", nil, tt.logic, tt.cs...)
			r.Spec.RecoveryConditions = tt.recovery
			v := Evaluate([]*v1.NodeGuardianRule{r}, nodes, &data, Options{Now: now})[0].Verdicts[0]
			if v.Trigger != tt.trig || v.Recovery != tt.recover {
				t.Fatalf("trigger %v recovery %v, want %v %v", v.Trigger, v.Recovery, tt.trig, tt.recover)
			}
		})
	}
}

func TestSourceErrorIsUnknown(t *testing.T) {
	data := series.Data{Errors: map[string]string{"a": "connection refused"}}
	data.Add("n", "a", samples(t, "5")...)
	r := rule("r", nil, v1.LogicAnd, cond("a", v1.OpGreaterThan, 1, 0))
	v := Evaluate([]*v1.NodeGuardianRule{r}, []corev1.Node{node("n", nil)}, &data, Options{Now: now})[0].Verdicts[0]
	if v.Trigger != Unknown || !strings.Contains(v.Conditions[0].Reason(), "connection refused") {
		t.Fatalf("got %v: %s", v.Trigger, v.Conditions[0].Reason())
	}
}

func TestInactiveRules(t *testing.T) {
	off := false
	r1 := rule("disabled", nil, v1.LogicAnd, cond("a", v1.OpGreaterThan, 1, 0))
	r1.Spec.Metadata.Enabled = &off
	r2 := rule("suspended", nil, v1.LogicAnd, cond("a", v1.OpGreaterThan, 1, 0))
	r2.Spec.Suspend = true
	res := Evaluate([]*v1.NodeGuardianRule{r1, r2}, []corev1.Node{node("n", nil)}, nil, Options{Now: now})
	if res[0].Active || res[0].Inactive != "disabled" || len(res[0].Verdicts) != 0 {
		t.Errorf("disabled: %+v", res[0])
	}
	if res[1].Active || res[1].Inactive != "suspended" {
		t.Errorf("suspended: %+v", res[1])
	}
}

func TestPending(t *testing.T) {
	var data series.Data
	data.Add("n", "a", samples(t, "0 0 0 5 5")...)
	r := rule("r", nil, v1.LogicAnd, cond("a", v1.OpGreaterThan, 1, 2*time.Minute))
	v := Evaluate([]*v1.NodeGuardianRule{r}, []corev1.Node{node("n", nil)}, &data, Options{Now: now})[0].Verdicts[0]
	if v.Trigger != False || !v.Pending() {
		t.Fatalf("trigger %v pending %v", v.Trigger, v.Pending())
	}
}

func TestDur(t *testing.T) {
	for d, want := range map[time.Duration]string{3 * time.Minute: "3m", 90 * time.Second: "1m30s", time.Hour: "1h", 30 * time.Second: "30s", 0: "0s"} {
		if got := Dur(d); got != want {
			t.Errorf("Dur(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestRemaining(t *testing.T) {
	clk := Clock{Now: now, Interval: step, Staleness: 5 * time.Minute}
	gt := func(d time.Duration) v1.Condition { return cond("cpuLoadRatio", v1.OpGreaterThan, 1.5, d) }
	tests := []struct {
		name   string
		c      v1.Condition
		series string
		want   time.Duration
		ok     bool
	}{
		{"pending: held 1m of 3m", gt(3 * time.Minute), "1x4 2x2", 2 * time.Minute, true},
		{"too little history: held 1m of 3m", gt(3 * time.Minute), "2x2", 2 * time.Minute, true},
		{"holds", gt(time.Minute), "2x4", 0, false},
		{"latest sample fails", gt(time.Minute), "2x3 1", 0, false},
		{"no duration", gt(0), "2", 0, false},
		{"stale", gt(time.Minute), "2x4 _x20", 0, false},
		{"gap", gt(3 * time.Minute), "2 _x3 2x2", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			r := Condition(&c, samples(t, tt.series), clk)
			got, ok := r.Remaining()
			if got != tt.want || ok != tt.ok {
				t.Errorf("Remaining() = %s, %v, want %s, %v (%s)", got, ok, tt.want, tt.ok, r.Reason())
			}
		})
	}
}
