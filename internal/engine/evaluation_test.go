package engine

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/apply"
	"github.com/nodeguardian/nodeguardian/internal/evaluate"
	"github.com/nodeguardian/nodeguardian/internal/fleet"
	"github.com/nodeguardian/nodeguardian/internal/ledger"
	"github.com/nodeguardian/nodeguardian/internal/plan"
	"github.com/nodeguardian/nodeguardian/internal/testseed"
)

// MayEvict names every node the plan evicts on (the nodes whose pods a live plan reads
// before computing the plan), and Plan from an Evaluation is engine.Plan.
func TestMayEvictCoversEveryEviction(t *testing.T) {
	seed := testseed.Seed(t, 11)
	set := exampleRules(t)
	evictions := 0
	for i := range 40 {
		s := randomFleet(testseed.Rand(seed, uint64(i)), 30, 20)
		f, err := FromSnapshot(s)
		if err != nil {
			t.Fatal(err)
		}
		opts := Options{Now: s.Time.Time, Interval: s.Interval.Duration}
		ev, err := Evaluate(set.Rules, set.Templates, f, opts)
		if err != nil {
			t.Fatal(err)
		}
		may := ev.MayEvict()
		p := ev.Plan(f, nil)
		for _, n := range p.Nodes {
			for _, c := range n.Changes {
				if c.Kind == plan.KindEvict {
					evictions++
				}
				if c.Kind == plan.KindEvict && !slices.Contains(may, n.Node) {
					t.Fatalf("seed %d, fleet %d: the plan evicts on %s, which MayEvict %v leaves out", seed, i, n.Node, may)
				}
			}
		}
		whole, err := Plan(set.Rules, set.Templates, f, opts)
		if err != nil {
			t.Fatal(err)
		}
		if whole.ID != p.ID {
			t.Fatalf("seed %d, fleet %d: Evaluate+Plan differs from Plan", seed, i)
		}
	}
	if evictions == 0 {
		t.Fatalf("seed %d: no fleet planned an eviction: the test checked nothing", seed)
	}
}

// NeedPods names every node where a firing alert lists the top pods (its template names
// topPods), as well as MayEvict's nodes: a live plan reads their pods.
func TestNeedPodsCoversTopPodAlerts(t *testing.T) {
	seed := testseed.Seed(t, 12)
	set := exampleRules(t)
	tmpls := slices.Clone(set.Templates)
	for i, tp := range tmpls {
		c := tp.DeepCopy()
		c.Spec.Body += "{{ range .topPods }}{{ .name }}{{ end }}"
		tmpls[i] = c
	}
	alerts := 0
	for i := range 20 {
		s := randomFleet(testseed.Rand(seed, uint64(i)), 30, 20)
		f, err := FromSnapshot(s)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := Evaluate(set.Rules, tmpls, f, Options{Now: s.Time.Time, Interval: s.Interval.Duration})
		if err != nil {
			t.Fatal(err)
		}
		need, may := ev.NeedPods(), ev.MayEvict()
		if slices.ContainsFunc(may, func(n string) bool { return !slices.Contains(need, n) }) {
			t.Fatalf("seed %d, fleet %d: NeedPods %v leaves out MayEvict's %v", seed, i, need, may)
		}
		for _, n := range ev.Plan(f, nil).Nodes {
			for _, c := range n.Changes {
				if c.Kind == plan.KindAlert && c.Alert.Event == "firing" && c.Alert.Template != "" {
					alerts++
					if !slices.Contains(need, n.Node) {
						t.Fatalf("seed %d, fleet %d: a firing alert on %s lists top pods, and NeedPods %v leaves it out", seed, i, n.Node, need)
					}
				}
			}
		}
	}
	if alerts == 0 {
		t.Fatalf("seed %d: no fleet planned a firing alert: the test checked nothing", seed)
	}
}

// A plan given the pods of NeedPods' nodes only (and told so, Fleet.PodsOf) is the plan
// given every pod, round after round of plan, apply and time passing: transitions,
// evictions blocked by a PodDisruptionBudget and retried, recoveries, alerts naming the
// top pods delivered to some channels only and repeated. And the nodes an evicting rule
// keeps firing on with nothing pending are not among NeedPods' (issue 10: a fired fleet
// LISTed their pods in every reconcile).
func TestNeedPodsGivesTheSamePlan(t *testing.T) {
	seed := testseed.Seed(t, 13)
	set := exampleRules(t)
	tmpls := slices.Clone(set.Templates)
	for i, tp := range tmpls {
		c := tp.DeepCopy()
		c.Spec.Body += "{{ range .topPods }}{{ .name }}{{ end }}"
		tmpls[i] = c
	}
	counts := map[string]int{}
	for i := range 40 {
		rng := testseed.Rand(seed, uint64(i))
		s := randomFleet(rng, 5+rng.IntN(20), 12+rng.IntN(12))
		s.PodDisruptionBudgets = []policyv1.PodDisruptionBudget{{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "all"},
			Spec: policyv1.PodDisruptionBudgetSpec{Selector: &metav1.LabelSelector{}}}} // allows none: shop's evictions stay pending
		for round := range 8 {
			where := fmt.Sprintf("seed %d, fleet %d, round %d", seed, i, round)
			whole := samePlanRound(t, where, set.Rules, tmpls, s, counts)
			if _, err := apply.ToSnapshotDelivered(whole, s, someDeliveries(rng, whole)); err != nil {
				t.Fatalf("%s: apply: %v", where, err)
			}
			advance(rng, s, 1+rng.IntN(8))
		}
	}
	t.Logf("seen: %v", counts)
	for _, k := range []string{"evict", "retry", "repeat", "owed", "recovered", "steady"} {
		if counts[k] == 0 {
			t.Errorf("seed %d: no %s in the rounds: the test does not exercise it (%v)", seed, k, counts)
		}
	}
}

// samePlanRound plans s with every pod and with NeedPods' only, fails unless the plans
// are the same, and counts what the plan did; it returns the plan.
func samePlanRound(t *testing.T, where string, rules []*v1.NodeGuardianRule, tmpls []*v1.AlertTemplate, s *fleet.Snapshot, counts map[string]int) *plan.Plan {
	t.Helper()
	f, err := FromSnapshot(s)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	ev, err := Evaluate(rules, tmpls, f, Options{Now: s.Time.Time, Interval: s.Interval.Duration, RepeatInterval: 2 * time.Minute})
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	need := ev.NeedPods()
	part := *f
	part.PodsOf = append([]string{}, need...)
	part.Pods = slices.DeleteFunc(slices.Clone(f.Pods), func(p corev1.Pod) bool { return !slices.Contains(need, p.Spec.NodeName) })
	whole, got := ev.Plan(f, nil), ev.Plan(&part, nil)
	if !reflect.DeepEqual(whole, got) {
		var a, b strings.Builder
		_ = plan.RenderText(&a, whole, plan.RenderOptions{})
		_ = plan.RenderText(&b, got, plan.RenderOptions{})
		t.Fatalf("%s: with the pods of %v only, the plan differs.\nwith every pod:\n%s\nwith NeedPods':\n%s", where, need, a.String(), b.String())
	}
	for _, n := range whole.Nodes {
		for _, c := range n.Changes {
			switch {
			case c.Kind == plan.KindEvict && c.Code == plan.CodeFired:
				counts["evict"]++
			case c.Kind == plan.KindEvict:
				counts["retry"]++
			case c.Kind == plan.KindAlert && c.Code == plan.CodeNotifyRepeat:
				counts["repeat"]++
			case c.Kind == plan.KindAlert && c.Code == plan.CodeNotifyPending:
				counts["owed"]++
			case c.Kind == plan.KindAlert && c.Alert.Event == "recovered":
				counts["recovered"]++
			}
		}
	}
	for _, d := range whole.Deferred {
		if d.Code == plan.CodePDBBlocked {
			counts["retry"]++
		}
	}
	countSteady(ev, need, counts)
	return whole
}

// countSteady counts the (rule, node) pairs where the rule's trigger holds, it is Firing
// with no eviction pending, and the node's pods are not read (every rule here alerts
// with the top pods; emergency-eviction evicts too).
func countSteady(ev *Evaluation, need []string, counts map[string]int) {
	for _, r := range ev.results {
		for _, v := range r.Verdicts {
			i := slices.IndexFunc(ev.nodes, func(n corev1.Node) bool { return n.Name == v.Node })
			l, err := ledger.Read(&ev.nodes[i])
			if v.Trigger != evaluate.True || err != nil || l == nil || l.Rules[r.Rule.Name] == nil {
				continue
			}
			if e := l.Rules[r.Rule.Name]; e.State == ledger.Firing && len(e.Evictions) == 0 && !slices.Contains(need, v.Node) {
				counts["steady"]++
				if r.Rule.Name == "emergency-eviction" {
					counts["steady evicting"]++
				}
			}
		}
	}
}

// someDeliveries delivers each alert of p to all its channels but, one time in three,
// the last: a channel is then owed it.
func someDeliveries(rng *rand.Rand, p *plan.Plan) apply.Deliveries {
	out := apply.Deliveries{}
	for _, n := range p.Nodes {
		for i, c := range n.Changes {
			if c.Kind != plan.KindAlert || c.Alert == nil {
				continue
			}
			chs := c.Alert.Channels
			if len(chs) > 1 && rng.IntN(3) == 0 {
				chs = chs[:len(chs)-1]
			}
			if out[n.Node] == nil {
				out[n.Node] = map[int][]string{}
			}
			out[n.Node][i] = chs
		}
	}
	return out
}
