package live

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/fleet"
	"github.com/nodeguardian/nodeguardian/internal/metrics"
	"github.com/nodeguardian/nodeguardian/internal/plan"
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

func TestHashFollowsResourceVersionsAndSeries(t *testing.T) {
	base := func() *fleet.Snapshot {
		return &fleet.Snapshot{
			Time: metav1.NewTime(time.Unix(1e9, 0)), Interval: metav1.Duration{Duration: 30 * time.Second},
			Nodes:  []corev1.Node{{ObjectMeta: metav1.ObjectMeta{Name: "n", ResourceVersion: "1"}}},
			Series: map[string]map[string]string{"n": {"m": "1x3"}},
		}
	}
	a := hash(base())
	if a != hash(base()) {
		t.Fatal("hash is not stable")
	}
	s := base()
	s.Nodes[0].ResourceVersion = "2"
	if hash(s) == a {
		t.Fatal("hash ignores a node's resourceVersion")
	}
	s = base()
	s.Series["n"]["m"] = "1x2 2"
	if hash(s) == a {
		t.Fatal("hash ignores the series")
	}
	s = base()
	s.Pods = []corev1.Pod{{ObjectMeta: metav1.ObjectMeta{Namespace: "d", Name: "p", ResourceVersion: "5"}}}
	if hash(s) == a {
		t.Fatal("hash ignores pods")
	}
}

func TestPerRuleSourceWarnings(t *testing.T) {
	r := &v1.NodeGuardianRule{ObjectMeta: metav1.ObjectMeta{Name: "ms"}}
	r.Spec.Monitoring.MetricsSource = &v1.MetricsSource{UseMetricsServer: true}
	plain := &v1.NodeGuardianRule{ObjectMeta: metav1.ObjectMeta{Name: "plain"}}
	got := perRuleSourceWarnings([]*v1.NodeGuardianRule{r, plain}, nil)
	if len(got) != 1 || !strings.Contains(got[0], "rule ms sets monitoring.metricsSource.useMetricsServer") {
		t.Fatalf("warnings = %q", got)
	}
	if got := perRuleSourceWarnings([]*v1.NodeGuardianRule{r}, &metrics.MetricsServer{}); got != nil {
		t.Fatalf("with metrics-server as the source: %q", got)
	}
}
