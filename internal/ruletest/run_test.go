package ruletest

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// hotRule cordons and labels a node while its CPU is above 90%, with an alert that has
// no template; it recovers as soon as the CPU is not.
const hotRule = `apiVersion: nodeguardian.k8s.io/v1
kind: NodeGuardianRule
metadata:
  name: hot
spec:
  conditions:
    - {metric: cpuUtilizationPercent, operator: GreaterThan, value: 90, duration: 0s}
  actions:
    - type: cordon
    - type: label
      label: {labels: {hot: "true"}}
    - type: alert
      alert: {channels: [log]}
  recoveryActions:
    - type: alert
      alert: {channels: [log]}
  maxUnhealthy: 100%
  monitoring: {checkInterval: 30s, cooldownPeriod: 0s}
`

// writeRules writes hotRule to a temporary directory and returns its path.
func writeRules(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hot.yaml")
	if err := os.WriteFile(path, []byte(hotRule), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// parseTests parses a test file body (everything after ruleFiles) for the given rule file.
func parseTests(t *testing.T, rules, body string) *File {
	t.Helper()
	f, err := Parse("t.yaml", []byte("ruleFiles: ["+rules+"]\ninterval: 30s\n"+body))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

const hotTests = `tests:
  - name: passes
    nodes: [{name: n1}, {name: n2}]
    pods: [{name: p, node: n1}]
    series:
      n1: {cpuUtilizationPercent: "50 95x2 50x5"}
      n2: {cpuUtilizationPercent: "50x8"}
    expect:
      - at: 0s
        rules: {hot: {n1: Healthy, n2: Healthy}}
        nodes: {n1: {unschedulable: false}}
        alerts: []
      - at: 1m
        rules: {hot: {n1: Firing, n2: Healthy}}
        nodes: {n1: {unschedulable: true, labels: {hot: "true"}, taints: []}}
        alerts: [{rule: hot, node: n1, event: firing}]
        evictions: []
      - at: 2m
        rules: {hot: {n1: Healthy}}
        nodes: {n1: {unschedulable: false, absentLabels: [hot]}}
        alerts: [{rule: hot, node: n1, event: recovered}]
  - name: fails
    nodes: [{name: n1}]
    series:
      n1: {cpuUtilizationPercent: "95x8"}
    expect:
      - at: 30s
        rules: {hot: {n1: Pending}}
        nodes: {n1: {unschedulable: false, labels: {hot: "false"}, annotations: {note: x}}}
        alerts: []
  - name: names a rule that is not loaded
    nodes: [{name: n1}]
    expect:
      - at: 0s
        rules: {cold: {n1: Healthy}}
        alerts: [{rule: colder, node: n1, event: firing}]
`

func TestRun(t *testing.T) {
	f := parseTests(t, writeRules(t), hotTests)
	rep := Run(context.Background(), f)
	if rep.Err != nil {
		t.Fatal(rep.Err)
	}
	want := []TestResult{
		{Name: "passes", Line: 4},
		{Name: "fails", Line: 24, Failures: []string{
			"at 30s: rule hot on n1: want Pending, got Firing",
			"at 30s: node n1 label hot: want \"false\", got \"true\"",
			`at 30s: node n1 annotation note: want "x", got none`,
			"at 30s: node n1 unschedulable: want false, got true",
			"at 30s: alerts: want [] got [{rule: hot, node: n1, event: firing}]",
		}},
		{Name: "names a rule that is not loaded", Line: 33, Failures: []string{
			`rule "cold" is not in the rule files`,
			`rule "colder" is not in the rule files`,
		}},
	}
	if !reflect.DeepEqual(rep.Tests, want) {
		t.Fatalf("got\n%#v\nwant\n%#v", rep.Tests, want)
	}
	if rep.Passed() != 1 || rep.Failed() != 2 {
		t.Fatalf("passed %d failed %d", rep.Passed(), rep.Failed())
	}
}

func TestRunEvictions(t *testing.T) {
	rules := filepath.Join(t.TempDir(), "drain.yaml")
	drain := strings.Replace(hotRule, "    - type: cordon\n", "    - type: drain\n", 1)
	if err := os.WriteFile(rules, []byte(drain), 0o644); err != nil {
		t.Fatal(err)
	}
	f := parseTests(t, rules, `tests:
  - name: drains
    nodes: [{name: n1}, {name: n2}]
    pods:
      - {name: a, node: n1}
      - {name: b, namespace: shop, node: n1, labels: {app: b}}
      - {name: ds, node: n1, daemonSet: true}
      - {name: c, node: n2}
    podDisruptionBudgets:
      - {name: b, namespace: shop, matchLabels: {app: b}}
    series:
      n1: {cpuUtilizationPercent: "50 95x4"}
    expect:
      - at: 30s
        evictions: [a]
        nodes: {n1: {unschedulable: true}}
      - at: 2m
        evictions: []
`)
	rep := Run(context.Background(), f)
	if rep.Err != nil || rep.Failed() != 0 {
		t.Fatalf("err %v, tests %+v", rep.Err, rep.Tests)
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	templates := filepath.Join(dir, "templates.yaml")
	tmpl := "apiVersion: nodeguardian.k8s.io/v1\nkind: AlertTemplate\nmetadata: {name: t}\nspec: {subject: s}\n"
	if err := os.WriteFile(templates, []byte(tmpl), 0o644); err != nil {
		t.Fatal(err)
	}
	body := "tests:\n  - name: t\n    nodes: [{name: n}]\n    expect: [{at: 0s, alerts: []}]\n"
	tests := []struct {
		name, rules, want string
	}{
		{"missing rule file", filepath.Join(dir, "nope.yaml"), "rule files: " + filepath.Join(dir, "nope.yaml") + ": error: cannot read"},
		{"no rules", templates, "rule files: no NodeGuardianRule in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := Run(context.Background(), parseTests(t, tt.rules, body))
			if rep.Err == nil || !strings.Contains(rep.Err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", rep.Err, tt.want)
			}
			if rep.Failed() != 1 || rep.Passed() != 0 || len(rep.Tests) != 0 {
				t.Fatalf("report %+v", rep)
			}
		})
	}
}

func TestRunCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep := Run(ctx, parseTests(t, writeRules(t), hotTests))
	if len(rep.Tests) == 0 || !reflect.DeepEqual(rep.Tests[0].Failures, []string{"at 0s: interrupted: context canceled"}) {
		t.Fatalf("tests %+v", rep.Tests)
	}
}

// TestRunRefusesUnsteppableTests: a test built in code (not by Parse) whose interval or
// expectations cannot be stepped through fails at once, never hangs or overflows.
func TestRunRefusesUnsteppableTests(t *testing.T) {
	rules := writeRules(t)
	huge := time.Duration(math.MaxInt64/2 + 1)
	tests := []struct {
		name     string
		interval time.Duration
		at       []time.Duration
		want     string
	}{
		{"interval that overflows the step time", huge, []time.Duration{huge}, "interval 1281023h53m38.427387904s: must be positive and at most 24h0m0s"},
		{"zero interval", 0, []time.Duration{time.Minute}, "interval 0s: must be positive"},
		{"too many steps", time.Second, []time.Duration{MaxSteps * time.Second}, "takes more than 20000 evaluations"},
		{"expectation between steps", time.Minute, []time.Duration{90 * time.Second}, "expectation at 1m30s: not a step of the interval 1m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			test := Test{Name: tt.name, Interval: tt.interval, Nodes: []Node{{Name: "n1"}}}
			for _, at := range tt.at {
				test.Expect = append(test.Expect, Expectation{At: at, Rules: map[string]map[string]State{"hot": {"n1": "Healthy"}}})
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			rep := Run(ctx, &File{Path: "t.yaml", RuleFiles: []string{rules}, Tests: []Test{test}})
			if rep.Err != nil || len(rep.Tests) != 1 {
				t.Fatalf("report %+v", rep)
			}
			got := strings.Join(rep.Tests[0].Failures, "\n")
			if !strings.Contains(got, tt.want) {
				t.Errorf("failures:\n%s\nwant one containing %q", got, tt.want)
			}
		})
	}
}

// An alert's event may be written "resolved", as templates and Alertmanager say, for a
// recovery's alert: it matches the same alerts as "recovered".
func TestRunResolvedEvent(t *testing.T) {
	body := strings.Replace(hotTests, "event: recovered}", "event: resolved}", 1)
	if body == hotTests {
		t.Fatal("the test file has no recovered alert")
	}
	f := parseTests(t, writeRules(t), body)
	rep := Run(context.Background(), f)
	if rep.Err != nil {
		t.Fatal(rep.Err)
	}
	if got := rep.Tests[0]; got.Name != "passes" || len(got.Failures) != 0 {
		t.Errorf("%+v", got)
	}
	wrong := strings.Replace(hotTests, "event: recovered}", "event: resolved, template: other}", 1)
	rep = Run(context.Background(), parseTests(t, writeRules(t), wrong))
	if got := rep.Tests[0]; len(got.Failures) != 1 || !strings.Contains(got.Failures[0], "event: recovered, template: other") {
		t.Errorf("a resolved alert that does not match: %+v", got)
	}
}
