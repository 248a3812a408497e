package fleet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nodeguardian/nodeguardian/internal/series"
)

// TestParseRejectsHostileValues: values that overflow or make no sense are errors that
// name the file, line and field (issue 7), never silent and never a panic.
func TestParseRejectsHostileValues(t *testing.T) {
	withInterval := func(v string) string { return strings.Replace(header, "interval: 1m", "interval: "+v, 1) }
	withTime := func(v string) string { return strings.Replace(header, "2025-03-01T12:00:00Z", v, 1) }
	taint := func(effect string) string {
		return header + oneNode + "    spec:\n      taints:\n        - key: a\n          effect: NoSchedule\n        - key: b\n" + effect
	}
	tests := []struct {
		name, in string
		want     string
	}{
		{"interval past time.Duration", withInterval("3000000h"), `snap.yaml:4: interval: "3000000h" is not a duration`},
		{"interval too long", withInterval("2000000h"), `snap.yaml:4: interval: "2000000h": must be at most 24h0m0s`},
		{"interval just too long", withInterval("24h1ns"), `snap.yaml:4: interval: "24h1ns": must be at most`},
		{"interval makes series overflow", withInterval("2000000h") + oneNode + "series:\n  node-a:\n    cpu: 1 2 3\n", `snap.yaml:4: interval: "2000000h"`},
		{"huge repeat count", header + oneNode + "series:\n  node-a:\n    cpu: 1.7x9223372036854775807\n", `snap.yaml:10: series.node-a.cpu: series "1.7x9223372036854775807"`},
		{"huge missing count", header + oneNode + "series:\n  node-a:\n    cpu: _x9223372036854775807\n", `snap.yaml:10: series.node-a.cpu:`},
		{"count past uint64", header + oneNode + "series:\n  node-a:\n    cpu: 1x99999999999999999999\n", `snap.yaml:10: series.node-a.cpu:`},
		{"year 1", withTime("0001-01-01T00:00:00Z"), `snap.yaml:3: time: 0001-01-01T00:00:00Z is outside the supported range [1970-01-01T00:00:00Z, 2262-01-01T00:00:00Z)`},
		{"before the epoch", withTime("1969-12-31T23:59:59Z"), `snap.yaml:3: time: 1969-12-31T23:59:59Z is outside the supported range`},
		{"year 9999", withTime("9999-12-31T23:59:59Z"), `snap.yaml:3: time: 9999-12-31T23:59:59Z is outside`},
		{"past int64 nanoseconds", withTime("2262-01-01T00:00:00Z"), `snap.yaml:3: time: 2262-01-01T00:00:00Z is outside`},
		{"unknown taint effect", taint("          effect: Explode\n"), `snap.yaml:13: nodes[0].spec.taints[1].effect: "Explode" is not NoSchedule, PreferNoSchedule or NoExecute`},
		{"missing taint effect", taint(""), `snap.yaml:12: nodes[0].spec.taints[1].effect: missing`},
		{"lower-case taint effect", taint("          effect: noschedule\n"), `snap.yaml:13: nodes[0].spec.taints[1].effect: "noschedule" is not`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("snap.yaml", []byte(tt.in))
			if err == nil {
				t.Fatalf("no error; parsed %+v", s)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\ndoes not contain %q", err, tt.want)
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.File != "snap.yaml" || fe.Line == 0 || fe.Field == "" {
				t.Errorf("error %#v does not name file, line and field", err)
			}
		})
	}
}

// TestParseAcceptsLimits: the limits themselves are valid.
func TestParseAcceptsLimits(t *testing.T) {
	tests := []struct{ name, in string }{
		{"interval of 24h", strings.Replace(header, "interval: 1m", "interval: 24h", 1) + oneNode + "series:\n  node-a:\n    cpu: 1x99999\n"},
		{"the epoch", strings.Replace(header, "2025-03-01T12:00:00Z", "1970-01-01T00:00:00Z", 1)},
		{"the last supported instant", strings.Replace(header, "2025-03-01T12:00:00Z", "2261-12-31T23:59:59.999999999Z", 1)},
		{"every taint effect", header + oneNode + "    spec:\n      taints:\n        - {key: a, effect: NoSchedule}\n        - {key: b, effect: PreferNoSchedule}\n        - {key: c, effect: NoExecute}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("snap.yaml", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Data(); err != nil {
				t.Errorf("Data: %v", err)
			}
		})
	}
}

// TestParseWarnsAboutPodsOnUnknownNodes: a pod on a node the snapshot does not have is a
// warning naming file, line and field; the snapshot is still usable.
func TestParseWarnsAboutPodsOnUnknownNodes(t *testing.T) {
	in := header + oneNode + "pods:\n" +
		"  - metadata: {name: ok, namespace: x}\n    spec: {nodeName: node-a}\n" +
		"  - metadata: {name: pending, namespace: x}\n" +
		"  - metadata: {name: lost, namespace: x}\n    spec:\n      nodeName: node-z\n"
	s, err := Parse("snap.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Pods) != 3 {
		t.Errorf("pods = %d, want 3 (a warning keeps the pod)", len(s.Pods))
	}
	if len(s.Warnings) != 1 {
		t.Fatalf("warnings = %v, want 1", s.Warnings)
	}
	want := `snap.yaml:14: pods[2].spec.nodeName: pod x/lost is on node "node-z", which is not in nodes; plans ignore the pod`
	if got := s.Warnings[0].Error(); got != want {
		t.Errorf("warning = %q\nwant      %q", got, want)
	}
	c := s.DeepCopy()
	if len(c.Warnings) != 1 || c.Warnings[0] == s.Warnings[0] {
		t.Errorf("DeepCopy warnings = %v: want a copy", c.Warnings)
	}
	out, err := Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "not in nodes") {
		t.Errorf("Marshal wrote the warnings:\n%s", out)
	}
}

// TestLoadRejectsHugeFiles: Load reads at most MaxFileSize bytes.
func TestLoadRejectsHugeFiles(t *testing.T) {
	file := filepath.Join(t.TempDir(), "huge.yaml")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxFileSize + 1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = Load(file)
	if err == nil || !strings.Contains(err.Error(), file+": larger than 64 MiB") {
		t.Errorf("Load = %v, want an error naming the file and the limit", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Load took %s", d)
	}
}

// TestParseBoundsTotalSamples: the series of one snapshot expand to at most
// MaxTotalSamples samples, checked while parsing (a small file of many maximal series
// would otherwise take gigabytes).
func TestParseBoundsTotalSamples(t *testing.T) {
	var b strings.Builder
	b.WriteString(header + oneNode + "series:\n  node-a:\n")
	for i := range MaxTotalSamples/series.MaxSamples + 1 {
		fmt.Fprintf(&b, "    m%d: 1x%d\n", i, series.MaxSamples-1)
	}
	start := time.Now()
	_, err := Parse("snap.yaml", []byte(b.String()))
	want := fmt.Sprintf("snap.yaml:%d: series.node-a.m%d:", 10+MaxTotalSamples/series.MaxSamples, MaxTotalSamples/series.MaxSamples)
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "at most 10000000 samples in all") {
		t.Errorf("error = %v, want one starting %q about the total", err, want)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("Parse took %s", d)
	}
}

// TestParseDeepYAML: YAML nested far deeper than any snapshot fails fast with an error
// naming the file, never a stack overflow.
func TestParseDeepYAML(t *testing.T) {
	for _, depth := range []int{100, 10000, 100000} {
		in := header + "nodes: " + strings.Repeat("[", depth) + strings.Repeat("]", depth) + "\n"
		start := time.Now()
		_, err := Parse("snap.yaml", []byte(in))
		if err == nil || !strings.HasPrefix(err.Error(), "snap.yaml") {
			t.Errorf("depth %d: error = %v, want one naming the file", depth, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("depth %d: Parse took %s", depth, d)
		}
	}
}
