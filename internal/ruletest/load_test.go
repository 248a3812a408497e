package ruletest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

const validFile = `ruleFiles: [rules.yaml, /abs/templates.yaml]
interval: 30s
tests:
  - name: first
    nodes:
      - name: n1
        labels: {role: worker}
        annotations: {note: hi}
        taints: ["a=b:NoSchedule", "c:NoExecute"]
        unschedulable: true
      - name: n2
    pods:
      - {name: p1, node: n1, priority: -5, labels: {app: web}, daemonSet: true}
      - {name: p2, namespace: kube-system, node: n2}
    podDisruptionBudgets:
      - {name: web, matchLabels: {app: web}, disruptionsAllowed: 1}
    series:
      n1:
        cpuLoadRatio: "1 _ 2x1"
    expect:
      - at: 0s
        alerts: []
      - at: 1m30s
        rules: {r: {n1: Firing, n2: Deferred}}
        nodes:
          n1:
            taints: ["a=b:NoSchedule"]
            labels: {role: worker}
            absentLabels: [gone]
            absentAnnotations: [gone]
            unschedulable: false
        alerts: [{rule: r, node: n1, event: recovered, template: t}]
        evictions: [p1, kube-system/p2]
  - name: second
    interval: 1m
    nodes: [{name: n1}]
    expect:
      - at: 2m
        nodes: {n1: {labels: {x: y}}}
`

func TestParseValid(t *testing.T) {
	f, err := Parse("f.yaml", []byte(validFile))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.RuleFiles, []string{"rules.yaml", "/abs/templates.yaml"}) || len(f.Tests) != 2 {
		t.Fatalf("file %+v", f)
	}
	t1, t2 := f.Tests[0], f.Tests[1]
	if t1.Interval != 30*time.Second || t2.Interval != time.Minute || t1.Line != 4 {
		t.Errorf("intervals %s %s, line %d", t1.Interval, t2.Interval, t1.Line)
	}
	n1 := t1.Nodes[0]
	wantTaints := []corev1.Taint{{Key: "a", Value: "b", Effect: corev1.TaintEffectNoSchedule}, {Key: "c", Effect: corev1.TaintEffectNoExecute}}
	if !reflect.DeepEqual(n1.Taints, wantTaints) || !n1.Unschedulable || n1.Labels["role"] != "worker" || n1.Annotations["note"] != "hi" {
		t.Errorf("node %+v", n1)
	}
	wantPods := []Pod{
		{Name: "p1", Namespace: "default", Node: "n1", Priority: -5, Labels: map[string]string{"app": "web"}, DaemonSet: true},
		{Name: "p2", Namespace: "kube-system", Node: "n2"},
	}
	if !reflect.DeepEqual(t1.Pods, wantPods) {
		t.Errorf("pods %+v", t1.Pods)
	}
	if want := (PDB{Name: "web", Namespace: "default", MatchLabels: map[string]string{"app": "web"}, DisruptionsAllowed: 1}); !reflect.DeepEqual(t1.PDBs, []PDB{want}) {
		t.Errorf("pdbs %+v", t1.PDBs)
	}
	if vals := t1.Series["n1"]["cpuLoadRatio"]; len(vals) != 4 || !vals[1].Missing || vals[3].V != 2 {
		t.Errorf("series %+v", vals)
	}
	e0, e1 := t1.Expect[0], t1.Expect[1]
	if e0.Alerts == nil || len(e0.Alerts) != 0 || e0.Evictions != nil {
		t.Errorf("at 0s: alerts %#v evictions %#v: want empty and unchecked", e0.Alerts, e0.Evictions)
	}
	if e1.At != 90*time.Second || e1.Rules["r"]["n2"] != Deferred || !reflect.DeepEqual(e1.Evictions, []string{"default/p1", "kube-system/p2"}) {
		t.Errorf("expectation %+v", e1)
	}
	x := e1.Nodes["n1"]
	if !reflect.DeepEqual(x.Taints, []string{"a=b:NoSchedule"}) || x.Unschedulable == nil || *x.Unschedulable ||
		!reflect.DeepEqual(x.AbsentLabels, []string{"gone"}) || x.Labels["role"] != "worker" {
		t.Errorf("node expectation %+v", x)
	}
	if want := (AlertExpectation{Rule: "r", Node: "n1", Event: EventRecovered, Template: "t"}); !reflect.DeepEqual(e1.Alerts, []AlertExpectation{want}) {
		t.Errorf("alerts %+v", e1.Alerts)
	}
	if t2.Expect[0].Nodes["n1"].Taints != nil {
		t.Error("taints not given: want nil (unchecked)")
	}
}

// parseErrorCase is an invalid test file and a part of the error it must give.
type parseErrorCase struct {
	name, in, want string
}

// parseErrorCases are the invalid files of TestParseErrors.
func parseErrorCases() []parseErrorCase {
	const head = "ruleFiles: [r.yaml]\ntests:\n  - name: t\n    nodes: [{name: n}]\n"
	return []parseErrorCase{
		{"empty", "", "f.yaml: empty file"},
		{"syntax", "ruleFiles: [\n", "f.yaml:2: YAML syntax error"},
		{"syntax in a second document", "ruleFiles: [r.yaml]\n---\nb:\n  - c: 1\n   d: 2\n", "f.yaml:5: YAML syntax error: did not find expected '-' indicator"},
		{"undefined tag handle", "ruleFiles: [r.yaml]\ntests: !x!y []\n", "f.yaml:2: YAML syntax error: found undefined tag handle"},
		{"control character", "ruleFiles: [r.yaml]\ntests: \x01\n", "f.yaml:2: YAML syntax error: control characters are not allowed"},
		{"two documents", head + "---\nx: 1\n", "f.yaml:5: more than one YAML document"},
		{"not a mapping", "- a\n", "f.yaml:1: expected a test file (a mapping), found a list"},
		{"unknown top field", "rulefiles: [r.yaml]\n", "f.yaml:1: rulefiles: unknown field (known fields: ruleFiles, interval, tests)"},
		{"no rule files", "tests: []\n", "f.yaml:1: ruleFiles: missing"},
		{"no tests", "ruleFiles: [r.yaml]\n", "f.yaml:1: tests: missing"},
		{"bad interval", "ruleFiles: [r.yaml]\ninterval: 30x\n", `f.yaml:2: interval: "30x" is not a duration`},
		{"negative interval", "ruleFiles: [r.yaml]\ninterval: -1s\n", "f.yaml:2: interval: must be positive"},
		// Hostile values (issue 7): errors naming file, line and field, never a panic or a hang.
		{"interval past time.Duration", "ruleFiles: [r.yaml]\ninterval: 3000000h\n", `f.yaml:2: interval: "3000000h" is not a duration`},
		{"interval too long", "ruleFiles: [r.yaml]\ninterval: 2000000h\n", "f.yaml:2: interval: 2000000h0m0s: must be at most 24h0m0s"},
		{"test interval too long", head + "    interval: 25h\n", "f.yaml:5: tests[0].interval: 25h0m0s: must be at most 24h0m0s"},
		{"huge repeat count", head + "    series: {n: {cpu: \"1.7x9223372036854775807\"}}\n", `f.yaml:5: tests[0].series.n.cpu: series "1.7x9223372036854775807": term "1.7x9223372036854775807": repeat count 9223372036854775807 expands past 100000 samples`},
		{"huge missing count", head + "    series: {n: {cpu: \"_x9223372036854775807\"}}\n", "f.yaml:5: tests[0].series.n.cpu: series"},
		{"at past time.Duration", head + "    expect: [{at: 3000000h, alerts: []}]\n", `tests[0].expect[0].at: "3000000h" is not a duration`},
		{"at far away", head + "    expect: [{at: 2000000h, alerts: []}]\n", "tests[0].expect[0].at: 2000000h at an interval of 1m0s takes 120000001 evaluations, more than 20000"},
		{"duplicate key", "ruleFiles: [r.yaml]\nruleFiles: [s.yaml]\n", "f.yaml:2: ruleFiles: duplicate key (first on line 1)"},
		{"merge key", "ruleFiles: [r.yaml]\n<<: {a: 1}\n", "f.yaml:2: merge keys (<<) are not supported"},
		{"alias key", "ruleFiles: [r.yaml]\ntests:\n  - name: &k t\n    nodes: [{name: n, labels: {*k : v}}]\n",
			"f.yaml:4: tests[0].nodes[0].labels: a key must be a scalar, found an alias"},
		{"test without name", "ruleFiles: [r.yaml]\ntests:\n  - nodes: [{name: n}]\n", "f.yaml:3: tests[0].name: missing"},
		{"duplicate test", head + "    expect: [{at: 0s, alerts: []}]\n  - name: t\n    nodes: [{name: n}]\n    expect: [{at: 0s, alerts: []}]\n",
			`f.yaml:6: tests[1].name: duplicate test name "t" (first on line 3)`},
		{"no nodes", "ruleFiles: [r.yaml]\ntests:\n  - name: t\n    expect: [{at: 0s, alerts: []}]\n", "f.yaml:3: tests[0].nodes: missing"},
		{"duplicate node", "ruleFiles: [r.yaml]\ntests:\n  - name: t\n    nodes: [{name: n}, {name: n}]\n",
			`f.yaml:4: tests[0].nodes[1].name: duplicate node "n" (first on line 4)`},
		{"bad taint", "ruleFiles: [r.yaml]\ntests:\n  - name: t\n    nodes: [{name: n, taints: [\"a=b:Sometimes\"]}]\n",
			`f.yaml:4: tests[0].nodes[0].taints[0]: taint "a=b:Sometimes": effect "Sometimes" is not NoSchedule`},
		{"bad bool", "ruleFiles: [r.yaml]\ntests:\n  - name: t\n    nodes: [{name: n, unschedulable: yes}]\n",
			`tests[0].nodes[0].unschedulable: expected true or false, found "yes"`},
		{"pod on unknown node", head + "    pods: [{name: p, node: m}]\n", `f.yaml:5: tests[0].pods[0].node: node "m" is not in the test's nodes`},
		{"pod without node", head + "    pods: [{name: p}]\n", "f.yaml:5: tests[0].pods[0].node: missing"},
		{"bad priority", head + "    pods: [{name: p, node: n, priority: high}]\n", `tests[0].pods[0].priority: expected a 32-bit integer, found "high"`},
		{"duplicate pod", head + "    pods: [{name: p, node: n}, {name: p, node: n}]\n", `tests[0].pods[1].name: duplicate pod "default/p"`},
		{"negative budget", head + "    podDisruptionBudgets: [{name: b, disruptionsAllowed: -1}]\n", "tests[0].podDisruptionBudgets[0].disruptionsAllowed: must not be negative"},
		{"series of unknown node", head + "    series: {m: {cpu: \"1\"}}\n", `f.yaml:5: tests[0].series.m: node "m" is not in the test's nodes`},
		{"bad series", head + "    series: {n: {cpu: \"1+1\"}}\n", `f.yaml:5: tests[0].series.n.cpu: series "1+1"`},
		{"no expectations", head, "f.yaml:3: tests[0].expect: missing"},
		{"no at", head + "    expect: [{alerts: []}]\n", "f.yaml:5: tests[0].expect[0].at: missing"},
		{"at not a multiple", head + "    expect: [{at: 90s, alerts: []}]\n", "tests[0].expect[0].at: 1m30s is not a multiple of the interval 1m0s"},
		{"negative at", head + "    expect: [{at: -1m, alerts: []}]\n", "tests[0].expect[0].at: must not be negative"},
		{"at out of order", head + "    expect: [{at: 2m, alerts: []}, {at: 1m, alerts: []}]\n",
			"tests[0].expect[1].at: 1m is not after the previous expectation's 2m"},
		{"too many steps", "ruleFiles: [r.yaml]\ninterval: 1s\ntests:\n  - name: t\n    nodes: [{name: n}]\n    expect: [{at: 10h, alerts: []}]\n",
			"takes 36001 evaluations, more than 20000"},
		{"checks nothing", head + "    expect: [{at: 1m}]\n", "tests[0].expect[0]: checks nothing"},
		{"unknown state", head + "    expect: [{at: 1m, rules: {r: {n: firing}}}]\n", `tests[0].expect[0].rules.r.n: unknown state "firing" (known states: Healthy, Pending`},
		{"state of unknown node", head + "    expect: [{at: 1m, rules: {r: {m: Firing}}}]\n", `tests[0].expect[0].rules.r.m: node "m" is not in the test's nodes`},
		{"unknown node field", head + "    expect: [{at: 1m, nodes: {n: {taint: []}}}]\n", "tests[0].expect[0].nodes.n.taint: unknown field"},
		{"required and absent", head + "    expect: [{at: 1m, nodes: {n: {labels: {a: b}, absentLabels: [a]}}}]\n",
			`tests[0].expect[0].nodes.n.absentLabels: "a" cannot be both required and absent`},
		{"bad event", head + "    expect: [{at: 1m, alerts: [{rule: r, node: n, event: fired}]}]\n", `tests[0].expect[0].alerts[0].event: "fired" is not firing, resolved or recovered`},
		{"alert without rule", head + "    expect: [{at: 1m, alerts: [{node: n, event: firing}]}]\n", "tests[0].expect[0].alerts[0].rule: missing"},
		{"unknown pod evicted", head + "    expect: [{at: 1m, evictions: [default/q]}]\n", `tests[0].expect[0].evictions[0]: pod "default/q" is not in the test's pods`},
		{"labels not strings", head + "    expect: [{at: 1m, nodes: {n: {labels: {a: [1]}}}}]\n", "tests[0].expect[0].nodes.n.labels.a: expected a string, found a list"},
	}
}

func TestParseErrors(t *testing.T) {
	for _, tt := range parseErrorCases() {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(tt.in))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error:\n%v\nwant it to contain:\n%s", err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.File != "f.yaml" {
				t.Fatalf("error %T does not wrap an *Error naming the file", err)
			}
		})
	}
}

// TestParseBoundsFileSamples: the series of one file expand to at most MaxFileSamples
// values, checked while parsing.
func TestParseBoundsFileSamples(t *testing.T) {
	var b strings.Builder
	b.WriteString("ruleFiles: [r.yaml]\ntests:\n  - name: t\n    nodes: [{name: n}]\n    expect: [{at: 0s, alerts: []}]\n    series:\n      n:\n")
	n := MaxFileSamples/100000 + 1
	for i := range n {
		fmt.Fprintf(&b, "        m%d: 1x99999\n", i)
	}
	_, err := Parse("f.yaml", []byte(b.String()))
	want := fmt.Sprintf("f.yaml:%d: tests[0].series.n.m%d: ", 7+n, n-1)
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "at most 1000000 values in all") {
		t.Errorf("error = %v, want one containing %q about the total", err, want)
	}
}

func TestParseAliases(t *testing.T) {
	in := "ruleFiles: [r.yaml]\ntests:\n  - name: t\n    nodes: &nodes [{name: n}]\n    expect: [{at: 0s, alerts: []}]\n" +
		"  - name: u\n    nodes: *nodes\n    expect: [{at: 0s, alerts: []}]\n"
	f, err := Parse("f.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Tests[1].Nodes) != 1 || f.Tests[1].Nodes[0].Name != "n" {
		t.Fatalf("aliased nodes %+v", f.Tests[1].Nodes)
	}
}

func TestParseAliasBomb(t *testing.T) {
	// 200 aliases of a test whose pods are 200 aliases of one pod: 40000 expansions.
	var b strings.Builder
	b.WriteString("ruleFiles: [r.yaml]\npod: &p {name: p, node: n}\nbase: &t\n  name: t\n  nodes: [{name: n}]\n")
	b.WriteString("  expect: [{at: 0s, alerts: []}]\n  pods: [*p" + strings.Repeat(", *p", 199) + "]\n")
	b.WriteString("tests: [*t" + strings.Repeat(", *t", 199) + "]\n")
	_, err := Parse("f.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "more than 10000 alias expansions") {
		t.Fatalf("error %v, want one about alias expansions", err)
	}
}

func TestLoadResolvesRuleFiles(t *testing.T) {
	dir := t.TempDir()
	abs := filepath.Join(dir, "abs.yaml")
	path := filepath.Join(dir, "sub", "t.yaml")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	content := "ruleFiles: [../rules, " + abs + "]\ntests:\n  - name: t\n    nodes: [{name: n}]\n    expect: [{at: 0s, alerts: []}]\n"
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.Join(dir, "rules"), abs}; !reflect.DeepEqual(f.RuleFiles, want) {
		t.Fatalf("rule files %v, want %v", f.RuleFiles, want)
	}
	missing := filepath.Join(dir, "missing.yaml")
	if _, err := Load(missing); err == nil || err.Error() != missing+": cannot read: no such file or directory" {
		t.Fatalf("missing file: error %v", err)
	}
}

func TestParseTaint(t *testing.T) {
	tests := []struct {
		in      string
		want    corev1.Taint
		wantErr string
	}{
		{in: "k=v:NoSchedule", want: corev1.Taint{Key: "k", Value: "v", Effect: corev1.TaintEffectNoSchedule}},
		{in: "example.com/k:NoExecute", want: corev1.Taint{Key: "example.com/k", Effect: corev1.TaintEffectNoExecute}},
		{in: "k=:PreferNoSchedule", want: corev1.Taint{Key: "k", Effect: corev1.TaintEffectPreferNoSchedule}},
		{in: "k=v", wantErr: "expected key=value:Effect"},
		{in: "=v:NoSchedule", wantErr: "the key is empty"},
		{in: "k=v:noschedule", wantErr: `effect "noschedule"`},
	}
	for _, tt := range tests {
		got, err := ParseTaint(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseTaint(%q) error %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseTaint(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
		if back, _ := ParseTaint(FormatTaint(got)); !reflect.DeepEqual(back, got) {
			t.Errorf("FormatTaint(%+v) = %q does not parse back", got, FormatTaint(got))
		}
	}
}

func TestFormatOffset(t *testing.T) {
	tests := map[time.Duration]string{
		0:                                 "0s",
		45 * time.Second:                  "45s",
		5 * time.Minute:                   "5m",
		90 * time.Second:                  "1m30s",
		time.Hour:                         "1h",
		time.Hour + 30*time.Minute:        "1h30m",
		time.Hour + 30*time.Second:        "1h0m30s",
		1500 * time.Millisecond:           "1.5s",
		2*time.Hour + 5*time.Minute + 1e9: "2h5m1s",
	}
	for d, want := range tests {
		if got := FormatOffset(d); got != want {
			t.Errorf("FormatOffset(%s) = %q, want %q", d, got, want)
		}
	}
}

// TestParseReportsNoFollowOnIntervalErrors: an invalid interval is reported once;
// expectations are not then checked against an interval nobody wrote (issue 7: a test
// file with interval: 2000000h also said "4m30s is not a multiple of the interval 1m0s").
func TestParseReportsNoFollowOnIntervalErrors(t *testing.T) {
	for _, in := range []string{
		"ruleFiles: [r.yaml]\ninterval: 2000000h\ntests:\n  - name: t\n    nodes: [{name: n}]\n    expect: [{at: 4m30s, alerts: []}, {at: 2000000h, alerts: []}]\n",
		"ruleFiles: [r.yaml]\ntests:\n  - name: t\n    interval: 0s\n    nodes: [{name: n}]\n    expect: [{at: 4m30s, alerts: []}]\n",
	} {
		_, err := Parse("f.yaml", []byte(in))
		if err == nil || !strings.Contains(err.Error(), "interval: ") {
			t.Fatalf("Parse = %v, want the interval error", err)
		}
		if strings.Contains(err.Error(), "multiple of the interval") || strings.Contains(err.Error(), "evaluations") {
			t.Errorf("a follow-on error against an interval nobody wrote:\n%v", err)
		}
	}
}
