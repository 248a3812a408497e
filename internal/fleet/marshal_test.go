package fleet

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestRoundTrip(t *testing.T) {
	s1, err := Parse("snap.yaml", []byte(validYAML))
	if err != nil {
		t.Fatal(err)
	}
	out1, err := Marshal(s1)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := Parse("out.yaml", out1)
	if err != nil {
		t.Fatalf("%v\n%s", err, out1)
	}
	// Marshal sorts nodes by name: sort the original the same way to compare.
	s1.Nodes[0], s1.Nodes[1] = s1.Nodes[1], s1.Nodes[0]
	if !reflect.DeepEqual(s1, s2) {
		t.Errorf("Parse(Marshal(s)) differs from s:\n%#v\n%#v", s1, s2)
	}
	out2, err := Marshal(s2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out1, out2) {
		t.Errorf("Marshal is not stable:\n%s\n---\n%s", out1, out2)
	}
	if s1.Hash() != s2.Hash() {
		t.Error("hash changed in a round trip")
	}
}

func TestMarshalLayout(t *testing.T) {
	s := &Snapshot{
		Time:     metav1.NewTime(time.Date(2025, 3, 1, 12, 0, 0, 250, time.FixedZone("x", 3600))),
		Interval: metav1.Duration{Duration: time.Hour},
		Nodes: []corev1.Node{
			{ObjectMeta: metav1.ObjectMeta{Name: "zeta", Labels: map[string]string{"on": "true", "n": "123"}}},
			{ObjectMeta: metav1.ObjectMeta{Name: "alpha"}},
		},
		Series: map[string]map[string]string{"zeta": {"b": "1 2", "a": "5"}},
	}
	out, err := Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `apiVersion: nodeguardian.k8s.io/v1
kind: FleetSnapshot
time: "2025-03-01T11:00:00.00000025Z"
interval: 1h
nodes:
  - metadata:
      name: alpha
  - metadata:
      labels:
        "n": "123"
        "on": "true"
      name: zeta
series:
  zeta:
    a: "5"
    b: 1 2
`
	if string(out) != want {
		t.Errorf("Marshal =\n%s\nwant\n%s", out, want)
	}
	back, err := Parse("out.yaml", out)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Time.Time.Equal(s.Time.Time) || back.Nodes[1].Labels["on"] != "true" {
		t.Errorf("read back %+v", back)
	}
}

func TestMarshalKeepsMeaningfulZeros(t *testing.T) {
	zero := int64(0)
	s := &Snapshot{
		Time: metav1.NewTime(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)), Interval: metav1.Duration{Duration: time.Minute},
		Pods: []corev1.Pod{{
			ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"},
			Spec:       corev1.PodSpec{TerminationGracePeriodSeconds: &zero, Containers: []corev1.Container{}},
		}},
	}
	out, err := Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "terminationGracePeriodSeconds: 0") || !strings.Contains(string(out), "containers: []") {
		t.Errorf("meaningful zero values dropped:\n%s", out)
	}
	back, err := Parse("out.yaml", out)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Pods, s.Pods) {
		t.Errorf("pods = %#v, want %#v", back.Pods, s.Pods)
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{time.Minute, "1m"}, {time.Hour, "1h"}, {90 * time.Second, "1m30s"}, {time.Hour + time.Second, "1h0m1s"},
		{15 * time.Second, "15s"}, {1500 * time.Millisecond, "1.5s"}, {2*time.Hour + 30*time.Minute, "2h30m"},
	}
	for _, tt := range tests {
		if got := formatDuration(tt.in); got != tt.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWrite(t *testing.T) {
	s, err := Parse("snap.yaml", []byte(validYAML))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "fleet.yaml")
	if err := os.WriteFile(file, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(file, s); err != nil {
		t.Fatal(err)
	}
	back, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if back.Hash() != s.Hash() {
		t.Error("written snapshot differs")
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want the old file's 0600", fi.Mode().Perm())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	if err := Write(filepath.Join(dir, "no", "such", "dir.yaml"), s); err == nil || !strings.Contains(err.Error(), "dir.yaml") {
		t.Errorf("Write into a missing directory: error = %v", err)
	}
}

func TestIsYAML11Special(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"on", true}, {"Yes", true}, {"N", true}, {"1:20", true}, {"-3:25:45.5", true}, {"190:20:30", true},
		{"one", false}, {"1:2a", false}, {"1:60", false}, {"a:1", false}, {":1", false}, {"1:", false}, {"10.0.0.1", false},
	}
	for _, tt := range tests {
		if got := isYAML11Special(tt.in); got != tt.want {
			t.Errorf("isYAML11Special(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
