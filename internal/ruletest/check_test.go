package ruletest

import (
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nodeguardian/nodeguardian/internal/plan"
)

func TestStateOf(t *testing.T) {
	p := &plan.Plan{
		Rules: []plan.RuleStatus{{
			Name:     "r",
			Firing:   []string{"fu", "f"},
			Pending:  []string{"pu", "p"},
			Unknown:  []string{"fu", "pu", "u"},
			Excluded: []string{"x"},
		}},
		Deferred: []plan.Deferred{{Rule: "r", Node: "d"}, {Rule: "other", Node: "h"}, {Rule: "r", Node: "f"}},
	}
	tests := map[string]State{
		"f": Firing, "fu": Firing, "p": Pending, "pu": Pending, "u": Unknown,
		"d": Deferred, "x": Excluded, "h": Healthy, "absent": Healthy,
	}
	for node, want := range tests {
		if got, ok := StateOf(p, "r", node); !ok || got != want {
			t.Errorf("StateOf(r, %s) = %s, %t; want %s", node, got, ok, want)
		}
	}
	if _, ok := StateOf(p, "nope", "f"); ok {
		t.Error("StateOf of a rule not in the plan: want ok false")
	}
}

func TestCompareLists(t *testing.T) {
	tests := []struct {
		name      string
		want, got []string
		out       []string
	}{
		{name: "equal in any order", want: []string{"b", "a"}, got: []string{"a", "b"}},
		{name: "both empty", want: []string{}, got: nil},
		{name: "missing", want: []string{"a"}, got: nil, out: []string{"x: want [a] got []"}},
		{name: "unexpected", want: []string{}, got: []string{"b", "a"}, out: []string{"x: want [] got [a, b]"}},
		{name: "multiset", want: []string{"a"}, got: []string{"a", "a"}, out: []string{"x: want [a] got [a, a]"}},
	}
	for _, tt := range tests {
		if out := compareLists("x", tt.want, tt.got); !reflect.DeepEqual(out, tt.out) {
			t.Errorf("%s: got %q, want %q", tt.name, out, tt.out)
		}
	}
}

func TestCheckNode(t *testing.T) {
	yes, no := true, false
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"a": "1", "b": "2"}, Annotations: map[string]string{"n": "v"}},
		Spec: corev1.NodeSpec{Unschedulable: true, Taints: []corev1.Taint{
			{Key: "k", Value: "v", Effect: corev1.TaintEffectNoExecute, TimeAdded: &metav1.Time{Time: time.Unix(1, 0)}},
			{Key: "z", Effect: corev1.TaintEffectNoSchedule},
		}},
	}
	tests := []struct {
		name string
		x    NodeExpectation
		out  []string
	}{
		{name: "nothing checked"},
		{name: "all hold", x: NodeExpectation{
			Taints: []string{"z:NoSchedule", "k=v:NoExecute"}, Labels: map[string]string{"a": "1"},
			AbsentLabels: []string{"c"}, Annotations: map[string]string{"n": "v"}, Unschedulable: &yes,
		}},
		{name: "no taints", x: NodeExpectation{Taints: []string{}}, out: []string{"node w taints: want [] got [k=v:NoExecute, z:NoSchedule]"}},
		{name: "labels", x: NodeExpectation{Labels: map[string]string{"a": "2", "c": "3"}, AbsentLabels: []string{"b"}}, out: []string{
			`node w label a: want "2", got "1"`,
			`node w label c: want "3", got none`,
			`node w label b: want none, got "2"`,
		}},
		{name: "annotations", x: NodeExpectation{AbsentAnnotations: []string{"n"}}, out: []string{`node w annotation n: want none, got "v"`}},
		{name: "unschedulable", x: NodeExpectation{Unschedulable: &no}, out: []string{"node w unschedulable: want false, got true"}},
	}
	for _, tt := range tests {
		if out := checkNode("w", tt.x, node); !reflect.DeepEqual(out, tt.out) {
			t.Errorf("%s: got %q, want %q", tt.name, out, tt.out)
		}
	}
}

func TestCheck(t *testing.T) {
	p := &plan.Plan{Rules: []plan.RuleStatus{{Name: "r", Pending: []string{"w"}}}}
	nodes := []corev1.Node{{ObjectMeta: metav1.ObjectMeta{Name: "w"}}}
	seen := events{
		alerts:    []AlertExpectation{{Rule: "r", Node: "w", Event: EventFiring, Template: "t"}},
		evictions: []string{"default/p"},
	}
	e := Expectation{
		At:        3 * time.Minute,
		Rules:     map[string]map[string]State{"r": {"w": Firing}, "gone": {"w": Healthy}},
		Nodes:     map[string]NodeExpectation{"w": {Taints: []string{"a:NoSchedule"}}, "v": {}},
		Alerts:    []AlertExpectation{},
		Evictions: []string{"default/p"},
	}
	want := []string{
		"at 3m: rule gone: not in the plan",
		"at 3m: rule r on w: want Firing, got Pending",
		"at 3m: node v: not in the fleet",
		"at 3m: node w taints: want [a:NoSchedule] got []",
		"at 3m: alerts: want [] got [{rule: r, node: w, event: firing, template: t}]",
	}
	if out := check(e, p, nodes, seen); !reflect.DeepEqual(out, want) {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(out, "\n"), strings.Join(want, "\n"))
	}
	e.Alerts, e.Evictions = nil, []string{}
	if out := check(e, p, nodes, seen); !strings.HasSuffix(out[len(out)-1], "at 3m: evictions: want [] got [default/p]") {
		t.Fatalf("evictions: got %q", out)
	}
}

// An alert's subject is matched as a regexp against the subject sent.
func TestCheckAlertSubject(t *testing.T) {
	seen := events{alerts: []AlertExpectation{{Rule: "r", Node: "w", Event: EventFiring, Template: "t", SentSubject: "[NG] w is hot"}}}
	for re, want := range map[string]string{
		`w is hot$`: "",
		`^cold`:     `at 1m: alert {rule: r, node: w, event: firing, template: t}: subject "[NG] w is hot" does not match "^cold"`,
	} {
		e := Expectation{At: time.Minute, Alerts: []AlertExpectation{{Rule: "r", Node: "w", Event: EventFiring, Template: "t", Subject: regexp.MustCompile(re)}}}
		out := check(e, &plan.Plan{}, nil, seen)
		if got := strings.Join(out, "\n"); got != want {
			t.Errorf("subject %q: got %q, want %q", re, got, want)
		}
	}
}

// An alert's channels, when given, are exactly the channels it went to.
func TestCheckAlertChannels(t *testing.T) {
	seen := events{alerts: []AlertExpectation{{Rule: "r", Node: "w", Event: EventFiring, SentChannels: []string{"webhook", "email"}}}}
	for _, tt := range []struct {
		channels []string
		want     string
	}{
		{[]string{"email", "webhook"}, ""},
		{[]string{"email"}, `at 1m: alert {rule: r, node: w, event: firing}: channels [webhook email], want [email]`},
	} {
		e := Expectation{At: time.Minute, Alerts: []AlertExpectation{{Rule: "r", Node: "w", Event: EventFiring, Channels: tt.channels}}}
		if got := strings.Join(check(e, &plan.Plan{}, nil, seen), "\n"); got != tt.want {
			t.Errorf("channels %q: got %q, want %q", tt.channels, got, tt.want)
		}
	}
}

func TestReportText(t *testing.T) {
	tests := []struct {
		name           string
		rep            Report
		text           string
		passed, failed int
	}{
		{name: "pass and fail", rep: Report{File: "f", Tests: []TestResult{
			{Name: "a"}, {Name: "b", Failures: []string{"at 1m: x", "at 2m: y"}},
		}}, text: "PASS a\nFAIL b\n    at 1m: x\n    at 2m: y\n", passed: 1, failed: 1},
		{name: "load error", rep: Report{File: "f", Err: errors.New("f:3: bad\nf:4: worse")},
			text: "ERROR f\n    f:3: bad\n    f:4: worse\n", failed: 1},
		{name: "empty", rep: Report{File: "f"}},
	}
	for _, tt := range tests {
		var b strings.Builder
		if err := tt.rep.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		if b.String() != tt.text || tt.rep.Passed() != tt.passed || tt.rep.Failed() != tt.failed {
			t.Errorf("%s: text %q (want %q), passed %d failed %d", tt.name, b.String(), tt.text, tt.rep.Passed(), tt.rep.Failed())
		}
	}
}

func TestWriteJUnit(t *testing.T) {
	reports := []Report{
		{File: "a.yaml", Tests: []TestResult{{Name: "ok"}, {Name: "bad <1>", Failures: []string{"at 1m: x & y", "at 2m: z"}}}},
		{File: "b.yaml", Err: errors.New("b.yaml:3: broken")},
	}
	var b strings.Builder
	if err := WriteJUnit(&b, reports); err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="ngctl test" tests="3" failures="1" errors="1">
  <testsuite name="a.yaml" tests="2" failures="1" errors="0">
    <testcase name="ok" classname="a.yaml"></testcase>
    <testcase name="bad &lt;1&gt;" classname="a.yaml">
      <failure message="at 1m: x &amp; y">at 1m: x &amp; y&#xA;at 2m: z</failure>
    </testcase>
  </testsuite>
  <testsuite name="b.yaml" tests="1" failures="0" errors="1">
    <testcase name="load" classname="b.yaml">
      <error message="the test file could not be loaded">b.yaml:3: broken</error>
    </testcase>
  </testsuite>
</testsuites>
`
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
}
