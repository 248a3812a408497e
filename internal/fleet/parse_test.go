package fleet

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/nodeguardian/nodeguardian/internal/ledger"
)

// validYAML is a small but complete snapshot; its lines are referred to by the tests.
const validYAML = `apiVersion: nodeguardian.k8s.io/v1
kind: FleetSnapshot
time: 2025-03-01T12:00:00Z
interval: 1m
nodes:
  - metadata:
      name: node-b
      labels:
        pool: gpu
    spec:
      taints:
        - key: dedicated
          value: gpu
          effect: NoSchedule
  - apiVersion: v1
    kind: Node
    metadata:
      name: node-a
      labels:
        kubernetes.io/hostname: node-a
      annotations:
        nodeguardian.k8s.io/ledger: '{"version":1}'
    status:
      capacity:
        cpu: "8"
        memory: 32Gi
pods:
  - metadata:
      name: web-1
      namespace: shop
      labels:
        app: web
    spec:
      nodeName: node-a
      priority: 100
      terminationGracePeriodSeconds: 0
      containers:
        - name: web
          image: nginx
podDisruptionBudgets:
  - metadata:
      name: web
      namespace: shop
    spec:
      minAvailable: 0
      selector:
        matchLabels:
          app: web
    status:
      disruptionsAllowed: 1
series:
  node-a:
    cpuLoadRatio: 0.5x4 1.9+0x3
    memAvailable: 5
  node-b:
    cpuLoadRatio: _x2 1 2
`

func TestParseValid(t *testing.T) {
	s, err := Parse("snap.yaml", []byte(validYAML))
	if err != nil {
		t.Fatal(err)
	}
	if s.APIVersion != APIVersion || s.Kind != Kind {
		t.Errorf("apiVersion/kind = %q/%q", s.APIVersion, s.Kind)
	}
	if want := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC); !s.Time.Time.Equal(want) || s.Time.Location() != time.UTC {
		t.Errorf("time = %v, want %v", s.Time, want)
	}
	if s.Interval.Duration != time.Minute {
		t.Errorf("interval = %v", s.Interval.Duration)
	}
	if len(s.Nodes) != 2 || s.Nodes[0].Name != "node-b" || s.Nodes[1].Name != "node-a" {
		t.Fatalf("nodes = %v", nodeNames(s.Nodes))
	}
	if got := s.Nodes[0].Spec.Taints; len(got) != 1 || got[0].Effect != corev1.TaintEffectNoSchedule {
		t.Errorf("taints = %v", got)
	}
	if got := s.Nodes[1].Annotations[ledger.Annotation]; got != `{"version":1}` {
		t.Errorf("ledger annotation = %q", got)
	}
	if len(s.Pods) != 1 || s.Pods[0].Spec.NodeName != "node-a" || *s.Pods[0].Spec.Priority != 100 {
		t.Errorf("pods = %+v", s.Pods)
	}
	if len(s.PodDisruptionBudgets) != 1 || s.PodDisruptionBudgets[0].Status.DisruptionsAllowed != 1 {
		t.Errorf("pdbs = %+v", s.PodDisruptionBudgets)
	}
	if got := s.Series["node-a"]["memAvailable"]; got != "5" {
		t.Errorf("series node-a memAvailable = %q", got)
	}
}

func nodeNames(nodes []corev1.Node) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.Name)
	}
	return out
}

func TestParseJSON(t *testing.T) {
	in := "{\n\t\"apiVersion\": \"nodeguardian.k8s.io/v1\",\n\t\"kind\": \"FleetSnapshot\",\n" +
		"\t\"time\": \"2025-03-01T12:00:00.5Z\",\n\t\"interval\": \"30s\",\n" +
		"\t\"nodes\": [{\"metadata\": {\"name\": \"n1\", \"labels\": {\"a\": \"1\"}}}],\n" +
		"\t\"series\": {\"n1\": {\"cpu\": \"1 2 3\"}}\n}\n"
	s, err := Parse("snap.json", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if s.Time.Nanosecond() != 500000000 || s.Interval.Duration != 30*time.Second || s.Nodes[0].Labels["a"] != "1" {
		t.Errorf("got %+v", s)
	}
}

// header is a valid start of a snapshot: 4 lines.
const header = "apiVersion: nodeguardian.k8s.io/v1\nkind: FleetSnapshot\ntime: 2025-03-01T12:00:00Z\ninterval: 1m\n"

// oneNode is a valid nodes section on lines 5-7 (after header).
const oneNode = "nodes:\n  - metadata:\n      name: node-a\n"

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string // substrings of the error
	}{
		{"empty", "", []string{"snap.yaml: empty file"}},
		{"not a mapping", "- a\n- b\n", []string{"snap.yaml:1: expected a FleetSnapshot (a mapping), found a list"}},
		{"syntax error", header + "nodes: [\n  {a: 1\n", []string{"snap.yaml:", "YAML syntax error"}},
		{"bad indentation", header + "nodes:\n  - a: 1\n   b: 2\n", []string{"snap.yaml:7: YAML syntax error"}},
		{"tab indentation", header + "nodes:\n\t- a\n", []string{"snap.yaml:6: YAML syntax error"}},
		{"undefined tag handle", header + "nodes: !x!y []\n", []string{"snap.yaml:5: YAML syntax error: found undefined tag handle"}},
		{"control character", header + "nodes: \x01\n", []string{"snap.yaml:5: YAML syntax error: control characters are not allowed"}},
		{"two documents", header + "---\nkind: x\n", []string{"snap.yaml:5: more than one YAML document"}},
		{"unknown field", header + "nodez: []\n", []string{"snap.yaml:5: nodez: unknown field"}},
		{"duplicate field", header + "interval: 2m\n", []string{"snap.yaml:5: interval: duplicate field (first on line 4)"}},
		{"wrong apiVersion", strings.Replace(header, "nodeguardian.k8s.io/v1", "v2", 1), []string{`snap.yaml:1: apiVersion: is "v2", expected "nodeguardian.k8s.io/v1"`}},
		{"wrong kind", strings.Replace(header, "FleetSnapshot", "Fleet", 1), []string{`snap.yaml:2: kind: is "Fleet"`}},
		{"missing kind", strings.Replace(header, "kind: FleetSnapshot\n", "", 1), []string{"snap.yaml:1: kind: missing"}},
		{"missing time", strings.Replace(header, "time: 2025-03-01T12:00:00Z\n", "", 1), []string{"snap.yaml:1: time: missing"}},
		{"missing interval", strings.Replace(header, "interval: 1m\n", "", 1), []string{"snap.yaml:1: interval: missing"}},
		{"null time", strings.Replace(header, "2025-03-01T12:00:00Z", "", 1), []string{"snap.yaml:3: time: expected an RFC 3339 time", "found null"}},
		{"bad time", strings.Replace(header, "2025-03-01T12:00:00Z", "yesterday", 1), []string{`snap.yaml:3: time: "yesterday" is not an RFC 3339 time`}},
		{"bad interval", strings.Replace(header, "1m", "often", 1), []string{`snap.yaml:4: interval: "often" is not a duration`}},
		{"negative interval", strings.Replace(header, "1m", "-1m", 1), []string{`snap.yaml:4: interval: "-1m": must be positive`}},
		{"nodes not a list", header + "nodes: {}\n", []string{"snap.yaml:5: nodes: expected a list, found a mapping"}},
		{"node not a mapping", header + "nodes:\n  - node-a\n", []string{`snap.yaml:6: nodes[0]: expected a Node (a mapping), found the str "node-a"`}},
		{"node without name", header + "nodes:\n  - metadata:\n      labels: {}\n", []string{"snap.yaml:6: nodes[0].metadata.name: missing"}},
		// Names the API server would refuse never reach a terminal (issue 7).
		{"node name with a bidi override", header + "nodes:\n  - metadata:\n      name: \"w\\u00f6rker 2 \\u202eevil\"\n", []string{`snap.yaml:7: nodes[0].metadata.name: "wörker 2 \u202eevil" is not a valid name: a lowercase RFC 1123 subdomain`}},
		{"node name with an escape sequence", header + "nodes:\n  - metadata: {name: \"w\\e[31mred\"}\n", []string{`snap.yaml:6: nodes[0].metadata.name: "w\x1b[31mred" is not a valid name`}},
		{"node name in capitals", header + "nodes:\n  - metadata:\n      name: Worker-1\n", []string{`snap.yaml:7: nodes[0].metadata.name: "Worker-1" is not a valid name`}},
		{"pod name with a space", header + oneNode + "pods:\n  - metadata: {name: \"a b\", namespace: x}\n", []string{`snap.yaml:9: pods[0].metadata.name: "a b" is not a valid name`}},
		{"pod namespace with a dot", header + oneNode + "pods:\n  - metadata: {name: p, namespace: a.b}\n", []string{`snap.yaml:9: pods[0].metadata.namespace: "a.b" is not a valid namespace`}},
		{"duplicate node", header + oneNode + "  - metadata:\n      name: node-a\n", []string{`snap.yaml:8: nodes[1].metadata.name: duplicate "node-a" (first on line 6)`}},
		{"node of another kind", header + "nodes:\n  - kind: Pod\n    metadata:\n      name: p\n", []string{`snap.yaml:6: nodes[0].kind: is "Pod", expected "Node"`}},
		{"label of wrong type", header + oneNode + "      labels:\n        ready: true\n", []string{"snap.yaml:9: nodes[0].metadata.labels.ready: invalid Node", "cannot unmarshal bool"}},
		{"taint key of wrong type", header + oneNode + "    spec:\n      taints:\n        - key: a\n          effect: NoSchedule\n        - key: 5\n", []string{"snap.yaml:12: nodes[0].spec.taints[1].key: invalid Node"}},
		{"bad timestamp in a node", header + oneNode + "      creationTimestamp: soon\n", []string{`snap.yaml:8: nodes[0].metadata.creationTimestamp: invalid Node`, `"soon"`}},
		{"bad quantity", header + oneNode + "    status:\n      capacity:\n        cpu: lots\n", []string{"snap.yaml:6: nodes[0]: invalid Node", "quantities must match"}},
		{"duplicate key in a node", header + oneNode + "      name: node-b\n", []string{`snap.yaml:8: nodes[0].metadata.name: duplicate key "name"`}},
		{"duplicate pod", header + oneNode + "pods:\n  - metadata: {name: p, namespace: x}\n  - metadata: {name: p, namespace: x}\n", []string{`snap.yaml:10: pods[1].metadata.name: duplicate "x/p" (first on line 9)`}},
		{"pdb not a mapping", header + oneNode + "podDisruptionBudgets: [1]\n", []string{`snap.yaml:8: podDisruptionBudgets[0]: expected a PodDisruptionBudget`}},
		{"series not a mapping", header + oneNode + "series: [a]\n", []string{"snap.yaml:8: series: expected a mapping"}},
		{"bad series notation", header + oneNode + "series:\n  node-a:\n    cpu: 1 2 3\n    mem: 0.5y3\n", []string{`snap.yaml:11: series.node-a.mem: series "0.5y3"`}},
		{"bad repeat count", header + oneNode + "series:\n  node-a:\n    cpu: 1x-2\n", []string{`snap.yaml:10: series.node-a.cpu:`, "repeat count"}},
		{"series metric not a scalar", header + oneNode + "series:\n  node-a:\n    cpu: [1, 2]\n", []string{`snap.yaml:10: series.node-a.cpu: expected a series`}},
		{"series node metrics not a mapping", header + oneNode + "series:\n  node-a: 1 2 3\n", []string{`snap.yaml:9: series.node-a: expected a mapping of metric name`}},
		{"series for an unknown node", header + oneNode + "series:\n  node-z:\n    cpu: 1\n", []string{`snap.yaml:9: series.node-z: node "node-z" is not in nodes`}},
		{"duplicate series node", header + oneNode + "series:\n  node-a: {cpu: 1}\n  node-a: {mem: 1}\n", []string{`snap.yaml:10: series.node-a: duplicate node`}},
		// A step that overflows to +Inf is refused like NaN and 1e309 (issue 7).
		{"series overflowing to Inf", header + oneNode + "series:\n  node-a:\n    cpu: 1.2x9 1+1e308x10\n", []string{`snap.yaml:10: series.node-a.cpu: series "1.2x9 1+1e308x10": term "1+1e308x10"`, "finite"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("snap.yaml", []byte(tt.in))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.File != "snap.yaml" {
				t.Errorf("error %#v is not a *fleet.Error naming the file", err)
			}
		})
	}
}

// TestParseRejectedNodeSeries: the series of a node that is in nodes but rejected (its
// error reported) are not reported again as the series of a node not in nodes — in a
// document read whole and in one read item by item.
func TestParseRejectedNodeSeries(t *testing.T) {
	series := "series:\n  worker-3:\n    cpu: 1x3\n"
	tests := []struct{ name, in, want string }{
		{"unknown taint effect", header + "nodes:\n  - metadata:\n      name: worker-3\n    spec:\n      taints:\n        - key: k\n          effect: Explode\n" + series,
			`snap.yaml:11: nodes[0].spec.taints[0].effect: "Explode" is not NoSchedule`},
		{"unknown taint effect, block layout", header + "nodes:\n- metadata: {name: worker-3}\n  spec:\n    taints: [{key: k, effect: Explode}]\n" + series,
			`nodes[0].spec.taints[0].effect: "Explode" is not NoSchedule`},
		{"undecodable node", header + "nodes:\n  - metadata:\n      name: worker-3\n      labels:\n        ready: true\n" + series,
			"snap.yaml:9: nodes[0].metadata.labels.ready: invalid Node"},
		{"duplicate node", header + "nodes:\n  - metadata: {name: worker-3}\n  - metadata: {name: worker-3}\n" + series,
			`nodes[1].metadata.name: duplicate "worker-3"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("snap.yaml", []byte(tt.in))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\ndoes not contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "not in nodes") {
				t.Errorf("error %q\nreports the rejected node's series as not in nodes", err)
			}
		})
	}
}

func TestParseReportsSeveralErrors(t *testing.T) {
	in := "apiVersion: v0\nkind: FleetSnapshot\ninterval: 0s\nextra: 1\n"
	_, err := Parse("snap.yaml", []byte(in))
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{"snap.yaml:1: apiVersion", "snap.yaml:4: extra: unknown field", "snap.yaml:1: time: missing", "snap.yaml:3: interval"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q\ndoes not contain %q", err, w)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "demo.yaml")
	if err := os.WriteFile(file, []byte(validYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Nodes) != 2 {
		t.Errorf("nodes = %v", nodeNames(s.Nodes))
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("Load(missing) error = %v", err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(header+"nodez: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad); err == nil || !strings.HasPrefix(err.Error(), bad+":5: nodez") {
		t.Errorf("Load(bad) error = %v", err)
	}
}

func TestParseEmptySeriesIsNil(t *testing.T) {
	s, err := Parse("snap.yaml", []byte(header+"nodes: []\nseries: {}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Series != nil || s.Nodes != nil {
		t.Errorf("series = %#v, nodes = %#v", s.Series, s.Nodes)
	}
	if !reflect.DeepEqual(s.Hash(), (&Snapshot{Time: s.Time, Interval: s.Interval}).Hash()) {
		t.Error("hash of empty snapshot depends on empty vs nil")
	}
}
