package fleet

import (
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nodeguardian/nodeguardian/internal/series"
)

var end = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func at(minutesBefore int, v float64) series.Sample {
	return series.Sample{T: end.Add(-time.Duration(minutesBefore) * time.Minute), V: v}
}

func TestData(t *testing.T) {
	tests := []struct {
		name     string
		notation string
		want     []series.Sample
	}{
		{"one value", "7", []series.Sample{at(0, 7)}},
		{"last sample at time", "1 2 3", []series.Sample{at(2, 1), at(1, 2), at(0, 3)}},
		{"expanding", "1+1x2", []series.Sample{at(2, 1), at(1, 2), at(0, 3)}},
		{"gap", "1 _ 3", []series.Sample{at(2, 1), at(0, 3)}},
		{"gaps at the end", "1 _x2", []series.Sample{at(2, 1)}},
		{"all missing", "_x3", nil},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Snapshot{
				Time: metav1.NewTime(end), Interval: metav1.Duration{Duration: time.Minute},
				Series: map[string]map[string]string{"n1": {"m": tt.notation}},
			}
			d, err := s.Data()
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Get("n1", "m"); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("samples = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDataFromParse(t *testing.T) {
	s, err := Parse("snap.yaml", []byte(validYAML))
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Data()
	if err != nil {
		t.Fatal(err)
	}
	got := d.Get("node-a", "cpuLoadRatio")
	if len(got) != 9 || !got[8].T.Equal(end) || got[8].V != 1.9 || !got[0].T.Equal(end.Add(-8*time.Minute)) {
		t.Errorf("node-a cpuLoadRatio = %v", got)
	}
	if got := d.Get("node-b", "cpuLoadRatio"); len(got) != 2 || !got[0].T.Equal(end.Add(-time.Minute)) {
		t.Errorf("node-b cpuLoadRatio = %v", got)
	}
	if d.Errors == nil {
		t.Error("Errors is nil")
	}
}

func TestDataErrors(t *testing.T) {
	tests := []struct {
		name string
		s    Snapshot
		want string
	}{
		{"bad notation", Snapshot{Interval: metav1.Duration{Duration: time.Minute}, Series: map[string]map[string]string{"n1": {"cpu": "1x"}}}, "series.n1.cpu"},
		{"no interval", Snapshot{Series: map[string]map[string]string{"n1": {"cpu": "1"}}}, "interval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.s.Data(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to name %q", err, tt.want)
			}
		})
	}
}

func TestHash(t *testing.T) {
	base := func() *Snapshot {
		return &Snapshot{
			Time: metav1.NewTime(end), Interval: metav1.Duration{Duration: time.Minute},
			Nodes: []corev1.Node{
				{ObjectMeta: metav1.ObjectMeta{Name: "a"}},
				{ObjectMeta: metav1.ObjectMeta{Name: "b"}},
			},
			Pods: []corev1.Pod{
				{ObjectMeta: metav1.ObjectMeta{Name: "p1", Namespace: "x"}},
				{ObjectMeta: metav1.ObjectMeta{Name: "p2", Namespace: "x"}},
			},
			Series: map[string]map[string]string{"a": {"cpu": "1 2"}},
		}
	}
	h := base().Hash()
	if len(h) != 64 {
		t.Fatalf("hash %q is not hex sha256", h)
	}
	reordered := base()
	reordered.Nodes[0], reordered.Nodes[1] = reordered.Nodes[1], reordered.Nodes[0]
	reordered.Pods[0], reordered.Pods[1] = reordered.Pods[1], reordered.Pods[0]
	reordered.APIVersion = "ignored"
	if reordered.Hash() != h {
		t.Error("hash depends on the order of nodes or pods, or on apiVersion")
	}
	changes := map[string]func(s *Snapshot){
		"time":     func(s *Snapshot) { s.Time = metav1.NewTime(end.Add(time.Second)) },
		"interval": func(s *Snapshot) { s.Interval.Duration = time.Second },
		"label":    func(s *Snapshot) { s.Nodes[0].Labels = map[string]string{"k": "v"} },
		"pod":      func(s *Snapshot) { s.Pods = s.Pods[:1] },
		"pdb": func(s *Snapshot) {
			s.PodDisruptionBudgets = []policyv1.PodDisruptionBudget{{ObjectMeta: metav1.ObjectMeta{Name: "pdb"}}}
		},
		"series": func(s *Snapshot) { s.Series["a"]["cpu"] = "1 3" },
	}
	for name, change := range changes {
		s := base()
		change(s)
		if s.Hash() == h {
			t.Errorf("hash does not change with %s", name)
		}
	}
}

func TestDeepCopy(t *testing.T) {
	s, err := Parse("snap.yaml", []byte(validYAML))
	if err != nil {
		t.Fatal(err)
	}
	c := s.DeepCopy()
	if !reflect.DeepEqual(s, c) {
		t.Fatal("copy differs")
	}
	c.Nodes[0].Labels["pool"] = "changed"
	c.Pods[0].Name = "changed"
	c.Series["node-a"]["memAvailable"] = "1"
	c.PodDisruptionBudgets[0].Name = "changed"
	if s.Nodes[0].Labels["pool"] != "gpu" || s.Pods[0].Name != "web-1" || s.Series["node-a"]["memAvailable"] != "5" || s.PodDisruptionBudgets[0].Name != "web" {
		t.Error("copy shares memory with the original")
	}
	if (*Snapshot)(nil).DeepCopy() != nil {
		t.Error("DeepCopy(nil) != nil")
	}
}
