package ruletest

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nodeguardian/nodeguardian/internal/apply"
	"github.com/nodeguardian/nodeguardian/internal/engine"
	"github.com/nodeguardian/nodeguardian/internal/fleet"
	"github.com/nodeguardian/nodeguardian/internal/load"
	"github.com/nodeguardian/nodeguardian/internal/plan"
	"github.com/nodeguardian/nodeguardian/internal/series"
)

// Run runs every test of f and reports the outcome. Apart from reading the rule files
// it is pure: time is simulated, from Epoch on.
//
// Each test steps the engine from Epoch to its last expectation, one interval at a time:
// at every step it plans against the in-memory fleet and every sample (the evaluator
// ignores samples after the step's instant), applies the plan to the fleet as the
// controller would, and records the alerts sent and the pods evicted. At the instant of
// an expectation it compares the fleet, the plan's rule status and what was recorded
// since the previous expectation.
func Run(ctx context.Context, f *File) Report {
	rep := Report{File: f.Path}
	set, diags := load.Paths(f.RuleFiles, nil)
	if diags.HasErrors() {
		rep.Err = fmt.Errorf("rule files: %w", diags.Errors())
		return rep
	}
	if len(set.Rules) == 0 {
		rep.Err = fmt.Errorf("rule files: no NodeGuardianRule in %v", f.RuleFiles)
		return rep
	}
	for _, t := range f.Tests {
		rep.Tests = append(rep.Tests, runTest(ctx, set, t))
	}
	return rep
}

// runTest steps one test through time.
func runTest(ctx context.Context, set *load.Set, t Test) TestResult {
	res := TestResult{Name: t.Name, Line: t.Line}
	if len(t.Expect) == 0 {
		res.Failures = []string{"the test expects nothing"}
		return res
	}
	if res.Failures = unknownRules(set, t); len(res.Failures) > 0 {
		return res
	}
	last := t.Expect[len(t.Expect)-1].At
	steps, err := stepCount(t.Interval, last)
	if err != nil {
		res.Failures = []string{err.Error()}
		return res
	}
	s := newSimulation(t)
	next := 0
	var seen events
	for step := range steps {
		at := time.Duration(step) * t.Interval
		if err := ctx.Err(); err != nil {
			res.Failures = append(res.Failures, fmt.Sprintf("at %s: interrupted: %v", FormatOffset(at), err))
			return res
		}
		p, ev, err := s.step(set, Epoch().Add(at), t.Interval)
		if err != nil {
			res.Failures = append(res.Failures, fmt.Sprintf("at %s: %v", FormatOffset(at), err))
			return res
		}
		seen.alerts = append(seen.alerts, ev.alerts...)
		seen.evictions = append(seen.evictions, ev.evictions...)
		if next < len(t.Expect) && t.Expect[next].At == at {
			e := t.Expect[next]
			res.Failures = append(res.Failures, check(e, p, s.snap.Nodes, seen)...)
			seen = events{}
			next++
		}
	}
	if next < len(t.Expect) {
		res.Failures = append(res.Failures, fmt.Sprintf("expectation at %s: not a step of the interval %s", FormatOffset(t.Expect[next].At), t.Interval))
	}
	return res
}

// stepCount is how many evaluations reach last at the given interval: last/interval + 1.
// It refuses intervals outside (0, series.MaxInterval] and more than MaxSteps steps (Parse
// never gives such a test; a File built in code may), so that no step time overflows.
func stepCount(interval, last time.Duration) (int, error) {
	if interval <= 0 || interval > series.MaxInterval {
		return 0, fmt.Errorf("interval %s: must be positive and at most %s", interval, series.MaxInterval)
	}
	if last < 0 || last/interval >= MaxSteps {
		return 0, fmt.Errorf("last expectation at %s: at an interval of %s takes more than %d evaluations", FormatOffset(last), interval, MaxSteps)
	}
	return int(last/interval) + 1, nil
}

// unknownRules reports the rules the test's expectations name that are not loaded.
func unknownRules(set *load.Set, t Test) []string {
	loaded := map[string]bool{}
	for _, r := range set.Rules {
		loaded[r.Name] = true
	}
	named := map[string]bool{}
	for _, e := range t.Expect {
		for r := range e.Rules {
			named[r] = true
		}
		for _, a := range e.Alerts {
			named[a.Rule] = true
		}
	}
	var out []string
	for _, r := range sortedKeys(named) {
		if !loaded[r] {
			out = append(out, fmt.Sprintf("rule %q is not in the rule files", r))
		}
	}
	return out
}

// events is what happened in a window: alerts sent and pods evicted ("namespace/name").
type events struct {
	alerts    []AlertExpectation
	evictions []string
}

// simulation is the in-memory fleet of one test and all its samples.
type simulation struct {
	snap *fleet.Snapshot
	data *series.Data
}

// newSimulation builds the test's fleet and places its samples in time.
func newSimulation(t Test) *simulation {
	s := &simulation{
		snap: &fleet.Snapshot{APIVersion: fleet.APIVersion, Kind: fleet.Kind, Interval: metav1.Duration{Duration: t.Interval}},
		data: &series.Data{Samples: map[string]map[string][]series.Sample{}, Errors: map[string]string{}},
	}
	for _, n := range t.Nodes {
		s.snap.Nodes = append(s.snap.Nodes, n.object())
	}
	for _, p := range t.Pods {
		s.snap.Pods = append(s.snap.Pods, p.object())
	}
	for _, b := range t.PDBs {
		s.snap.PodDisruptionBudgets = append(s.snap.PodDisruptionBudgets, b.object())
	}
	for _, node := range sortedKeys(t.Series) {
		for _, metric := range sortedKeys(t.Series[node]) {
			var samples []series.Sample
			for i, v := range t.Series[node][metric] {
				if !v.Missing {
					samples = append(samples, series.Sample{T: Epoch().Add(time.Duration(i) * t.Interval), V: v.V})
				}
			}
			if len(samples) > 0 {
				s.data.Add(node, metric, samples...)
			}
		}
	}
	return s
}

// step plans at now, applies the plan to the fleet and returns it with what it did.
func (s *simulation) step(set *load.Set, now time.Time, interval time.Duration) (*plan.Plan, events, error) {
	s.snap.Time = metav1.NewTime(now)
	f := &engine.Fleet{
		Nodes: s.snap.Nodes, Pods: s.snap.Pods, PDBs: s.snap.PodDisruptionBudgets,
		Data: s.data, Hash: s.snap.Hash(),
	}
	p, err := engine.Plan(set.Rules, set.Templates, f, engine.Options{Now: now, Interval: interval, Source: "ruletest"})
	if err != nil {
		return nil, events{}, fmt.Errorf("engine: %w", err)
	}
	before := podIDs(s.snap.Pods)
	r, err := apply.ToSnapshot(p, s.snap)
	if err != nil {
		return nil, events{}, fmt.Errorf("apply: %w", err)
	}
	var ev events
	for _, a := range r.Alerts {
		ev.alerts = append(ev.alerts, AlertExpectation{Rule: a.Rule, Node: a.Node, Event: a.Event, Template: a.Template, SentSubject: a.Subject, SentChannels: a.Channels})
	}
	after := podIDs(s.snap.Pods)
	for _, id := range sortedKeys(before) {
		if !after[id] {
			ev.evictions = append(ev.evictions, id)
		}
	}
	return p, ev, nil
}

func podIDs(pods []corev1.Pod) map[string]bool {
	out := make(map[string]bool, len(pods))
	for _, p := range pods {
		ns := p.Namespace
		if ns == "" {
			ns = DefaultNamespace
		}
		out[ns+"/"+p.Name] = true
	}
	return out
}

// object is the Node the test describes.
func (n Node) object() corev1.Node {
	return corev1.Node{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Node"},
		ObjectMeta: metav1.ObjectMeta{Name: n.Name, Labels: cloneMap(n.Labels), Annotations: cloneMap(n.Annotations)},
		Spec:       corev1.NodeSpec{Taints: append([]corev1.Taint(nil), n.Taints...), Unschedulable: n.Unschedulable},
	}
}

// object is the running Pod the test describes.
func (p Pod) object() corev1.Pod {
	prio := p.Priority
	pod := corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name: p.Name, Namespace: p.Namespace, Labels: cloneMap(p.Labels), Annotations: cloneMap(p.Annotations),
		},
		Spec: corev1.PodSpec{
			NodeName: p.Node, Priority: &prio,
			Containers: []corev1.Container{{Name: "main", Image: "registry.example/app:1"}},
		},
		Status: corev1.PodStatus{Phase: corev1.PodRunning},
	}
	if p.DaemonSet {
		controller := true
		pod.OwnerReferences = []metav1.OwnerReference{{
			APIVersion: appsv1.SchemeGroupVersion.String(), Kind: "DaemonSet", Name: p.Name,
			UID: "00000000-0000-0000-0000-000000000000", Controller: &controller,
		}}
	}
	return pod
}

// object is the PodDisruptionBudget the test describes.
func (b PDB) object() policyv1.PodDisruptionBudget {
	return policyv1.PodDisruptionBudget{
		TypeMeta:   metav1.TypeMeta{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"},
		ObjectMeta: metav1.ObjectMeta{Name: b.Name, Namespace: b.Namespace},
		Spec:       policyv1.PodDisruptionBudgetSpec{Selector: &metav1.LabelSelector{MatchLabels: cloneMap(b.MatchLabels)}},
		Status:     policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: b.DisruptionsAllowed},
	}
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
