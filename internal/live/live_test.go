package live

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nodeguardian/nodeguardian/internal/engine"
	"github.com/nodeguardian/nodeguardian/internal/plan"
	"github.com/nodeguardian/nodeguardian/internal/series"
)

func TestHasEvictions(t *testing.T) {
	evict := func(blocked string) *plan.Plan {
		return &plan.Plan{Nodes: []plan.NodePlan{{Node: "a", Changes: []plan.Change{
			{Kind: plan.KindEvict, Pods: []plan.PodEviction{{Namespace: "ns", Name: "p", BlockedBy: blocked}}}}}}}
	}
	if !hasEvictions(evict("")) || hasEvictions(evict("ns/pdb")) || hasEvictions(&plan.Plan{}) {
		t.Fatal("hasEvictions: want true only for a pod not already blocked")
	}
}

func TestHashFollowsResourceVersionsAndSamples(t *testing.T) {
	t0 := time.Unix(1e9, 0).UTC()
	base := func() *State {
		return &State{Time: t0, Interval: 30 * time.Second, Fleet: &engine.Fleet{
			Nodes: []corev1.Node{{ObjectMeta: metav1.ObjectMeta{Name: "n", ResourceVersion: "1"}}},
			Data: &series.Data{Samples: map[string]map[string][]series.Sample{"n": {"m": {{T: t0, V: 1}}}},
				Errors: map[string]string{}},
		}}
	}
	a := base().hash()
	if a != base().hash() {
		t.Fatal("hash is not stable")
	}
	for name, edit := range map[string]func(*State){
		"a node's resourceVersion": func(s *State) { s.Fleet.Nodes[0].ResourceVersion = "2" },
		"a sample's value":         func(s *State) { s.Fleet.Data.Samples["n"]["m"][0].V = 2 },
		"a sample's time":          func(s *State) { s.Fleet.Data.Samples["n"]["m"][0].T = t0.Add(-time.Second) },
		"a metric's error":         func(s *State) { s.Fleet.Data.Errors["m"] = "down" },
		"the time":                 func(s *State) { s.Time = t0.Add(time.Minute) },
		"pods": func(s *State) {
			s.Fleet.Pods = []corev1.Pod{{ObjectMeta: metav1.ObjectMeta{Namespace: "d", Name: "p", ResourceVersion: "5"}}}
		},
	} {
		s := base()
		edit(s)
		if s.hash() == a {
			t.Errorf("hash ignores %s", name)
		}
	}
}
