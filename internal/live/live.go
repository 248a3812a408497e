// Package live plans against a running cluster: it reads the fleet through
// internal/cluster and the metric windows through internal/metrics, builds the same
// FleetSnapshot an offline plan reads, and runs the one engine on it. A live plan and a
// plan of the snapshot `ngctl snapshot` writes are therefore the same plan.
package live

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/cluster"
	"github.com/nodeguardian/nodeguardian/internal/engine"
	"github.com/nodeguardian/nodeguardian/internal/fleet"
	"github.com/nodeguardian/nodeguardian/internal/metrics"
	"github.com/nodeguardian/nodeguardian/internal/plan"
	"github.com/nodeguardian/nodeguardian/internal/series"
)

// Sources are where a live plan reads from.
type Sources struct {
	// Cluster is the API server: it simulates evictions and, when Reader is nil, reads
	// the fleet.
	Cluster *cluster.Client
	// Reader reads nodes, pods and PodDisruptionBudgets (nil: Cluster), e.g. the
	// controller's informer caches.
	Reader  Reader
	Metrics metrics.Source
	Config  metrics.Config
}

// State is what a live plan was computed from; it is kept to re-plan single nodes on a
// write conflict.
type State struct {
	Snapshot *fleet.Snapshot
	Rules    []*v1.NodeGuardianRule
	Tmpls    []*v1.AlertTemplate
	Opts     engine.Options
	Errors   map[string]string // metric → source error
	Failed   []string          // metrics whose read failed (metrics.Result.Failed): see Incomplete

	data *series.Data // the snapshot's samples, expanded once
}

// Read reads nodes and metric windows at now into a snapshot. Pods and PDBs are read
// later, only for nodes where an eviction is planned.
//
// With Prometheus, the node LIST and the range queries run at the same time (the queries
// do not need the node names; samples of nodes that are not in the fleet are dropped).
func Read(ctx context.Context, src Sources, rules []*v1.NodeGuardianRule, now time.Time) (*fleet.Snapshot, metrics.Result, error) {
	defaulted := make([]*v1.NodeGuardianRule, 0, len(rules))
	for _, r := range rules {
		c := r.DeepCopy()
		c.Default()
		defaulted = append(defaulted, c)
	}
	needs, step, err := metrics.NeedsFor(defaulted, src.Config)
	if err != nil {
		return nil, metrics.Result{}, err
	}
	req := metrics.Request{Needs: needs, Now: now, Step: step}
	nodes, res, err := readConcurrently(ctx, src, req)
	if err != nil {
		return nil, metrics.Result{}, err
	}
	if res.Data == nil {
		res.Data = &series.Data{}
	}
	if res.Data.Errors == nil {
		res.Data.Errors = map[string]string{}
	}
	snap := &fleet.Snapshot{
		APIVersion: fleet.APIVersion, Kind: fleet.Kind,
		Time: metav1.NewTime(now.UTC()), Interval: metav1.Duration{Duration: step},
		Nodes: nodes, Series: fleet.Encode(res.Data, now, step),
	}
	return snap, res, nil
}

// readConcurrently lists the nodes and fetches the metric windows, at the same time when
// the source does not need the node names (Prometheus), else one after the other.
func readConcurrently(ctx context.Context, src Sources, req metrics.Request) ([]corev1.Node, metrics.Result, error) {
	if _, prom := src.Metrics.(*metrics.Prometheus); !prom {
		nodes, err := src.reader().Nodes(ctx)
		if err != nil {
			return nil, metrics.Result{}, err
		}
		req.Nodes = nodeNames(nodes)
		res, err := src.Metrics.Fetch(ctx, req)
		if err != nil {
			return nil, metrics.Result{}, fmt.Errorf("fetch metrics: %w", err)
		}
		return nodes, res, nil
	}
	var (
		res      metrics.Result
		fetchErr error
		done     = make(chan struct{})
	)
	fetchCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(done)
		res, fetchErr = src.Metrics.Fetch(fetchCtx, req)
	}()
	nodes, err := src.reader().Nodes(ctx)
	if err != nil {
		cancel()
	}
	<-done
	if err != nil {
		return nil, metrics.Result{}, err
	}
	if fetchErr != nil {
		return nil, metrics.Result{}, fmt.Errorf("fetch metrics: %w", fetchErr)
	}
	names := nodeNames(nodes)
	if res.Data != nil { // keep the fleet's nodes only, as Request.Nodes would have
		for node := range res.Data.Samples {
			if _, found := slices.BinarySearch(names, node); !found {
				delete(res.Data.Samples, node)
			}
		}
	}
	return nodes, res, nil
}

// nodeNames are the nodes' names, sorted; it also drops what the engine never reads.
func nodeNames(nodes []corev1.Node) []string {
	names := make([]string, len(nodes))
	for i := range nodes {
		names[i] = nodes[i].Name
		leanNode(&nodes[i])
	}
	slices.Sort(names)
	return names
}

// clean drops what makes a snapshot large and says nothing to the engine.
func clean(m *metav1.ObjectMeta) {
	m.ManagedFields = nil
	delete(m.Annotations, corev1.LastAppliedConfigAnnotation)
}

// leanNode keeps of a node what plans read or show — metadata (without managedFields),
// taints, unschedulable, capacity, allocatable and conditions — and drops the bulk of its
// status (images, node info, addresses, volumes), most of a real node's size.
func leanNode(n *corev1.Node) {
	clean(&n.ObjectMeta)
	n.Status = corev1.NodeStatus{Capacity: n.Status.Capacity, Allocatable: n.Status.Allocatable, Conditions: n.Status.Conditions, Phase: n.Status.Phase}
	for i := range n.Status.Conditions {
		n.Status.Conditions[i].Message = ""
	}
}

// leanPod keeps of a pod what eviction filters read: metadata (without managedFields),
// its node, priority and phase.
func leanPod(p *corev1.Pod) {
	clean(&p.ObjectMeta)
	p.Spec = corev1.PodSpec{NodeName: p.Spec.NodeName, Priority: p.Spec.Priority}
	p.Status = corev1.PodStatus{Phase: p.Status.Phase}
}

// Plan computes a live plan: nodes and metrics first, then pods and PDBs for the nodes
// where an eviction is planned, then server-side dry-run evictions so that the plan
// names the PodDisruptionBudget that blocks.
func Plan(ctx context.Context, src Sources, rules []*v1.NodeGuardianRule, tmpls []*v1.AlertTemplate, opts engine.Options) (*plan.Plan, *State, error) {
	snap, res, err := Read(ctx, src, rules, opts.Now)
	if err != nil {
		return nil, nil, err
	}
	warnings := append(res.Warnings, perRuleSourceWarnings(rules, src.Metrics)...)
	// The fetched samples are exactly what the snapshot's series expand to (fleet.Encode
	// is lossless on the query grid); using them saves parsing the notation back.
	st := &State{Snapshot: snap, Rules: rules, Tmpls: tmpls, Opts: opts, Errors: res.Data.Errors, Failed: res.Failed, data: res.Data}
	st.Opts.Interval = snap.Interval.Duration
	st.Opts.Warnings = append(append([]string(nil), opts.Warnings...), warnings...)
	st.Opts.NodeVersions = make(map[string]string, len(snap.Nodes))
	for _, n := range snap.Nodes {
		st.Opts.NodeVersions[n.Name] = n.ResourceVersion
	}
	// The rules are evaluated once; pods and PodDisruptionBudgets are read only for the
	// nodes where an evicting rule may fire, before the plan is computed.
	// Evaluation reads nodes and samples only: the fleet's hash is computed once, below.
	ev, err := engine.Evaluate(st.Rules, st.Tmpls, &engine.Fleet{Nodes: snap.Nodes, Data: st.data}, st.Opts)
	if err != nil {
		return nil, nil, err
	}
	if evicting := ev.MayEvict(); len(evicting) > 0 {
		if snap.Pods, err = src.reader().PodsOn(ctx, evicting); err != nil {
			return nil, nil, err
		}
		for i := range snap.Pods {
			leanPod(&snap.Pods[i])
		}
		if snap.PodDisruptionBudgets, err = src.reader().PDBs(ctx); err != nil {
			return nil, nil, err
		}
	}
	f := st.fleet()
	p := ev.Plan(f, nil)
	if hasEvictions(p) {
		// The API server has the last word on PodDisruptionBudgets: compute the plan again
		// with its answers (the evaluation is kept), so that the plan is complete when the
		// engine returns it.
		refusals, err := src.Cluster.SimulateEvictions(ctx, p)
		if err != nil {
			return nil, nil, err
		}
		if len(refusals) > 0 {
			st.Opts.Refusals = refusals
			p = ev.Plan(f, refusals)
		}
	}
	// The plan records the versions of the nodes it changes: a saved plan is refused when
	// one of them changed since; other nodes' status updates do not make it stale.
	return p, st, nil
}

func (st *State) plan() (*plan.Plan, error) {
	if st.data == nil {
		d, err := st.Snapshot.Data()
		if err != nil {
			return nil, err
		}
		for m, e := range st.Errors {
			d.Errors[m] = e
		}
		st.data = d
	}
	return engine.Plan(st.Rules, st.Tmpls, st.fleet(), st.Opts)
}

// fleet is the engine's view of the state's snapshot and samples (st.data must be set).
func (st *State) fleet() *engine.Fleet {
	s := st.Snapshot
	return &engine.Fleet{Nodes: s.Nodes, Pods: s.Pods, PDBs: s.PodDisruptionBudgets, Data: st.data, Hash: hash(s)}
}

// hash identifies a live fleet by what a live object's resourceVersion already
// identifies, plus the metric series: far cheaper than hashing whole objects.
func hash(s *fleet.Snapshot) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", s.Time.UTC().Format(time.RFC3339Nano), s.Interval.Duration)
	for _, n := range s.Nodes {
		fmt.Fprintf(h, "node %s %s\n", n.Name, n.ResourceVersion)
	}
	for _, p := range s.Pods {
		fmt.Fprintf(h, "pod %s/%s %s\n", p.Namespace, p.Name, p.ResourceVersion)
	}
	for _, p := range s.PodDisruptionBudgets {
		fmt.Fprintf(h, "pdb %s/%s %s\n", p.Namespace, p.Name, p.ResourceVersion)
	}
	nodes := make([]string, 0, len(s.Series))
	for n := range s.Series {
		nodes = append(nodes, n)
	}
	sort.Strings(nodes)
	for _, n := range nodes {
		ms := make([]string, 0, len(s.Series[n]))
		for m := range s.Series[n] {
			ms = append(ms, m)
		}
		sort.Strings(ms)
		for _, m := range ms {
			fmt.Fprintf(h, "series %s %s %s\n", n, m, s.Series[n][m])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Planned returns the nodes p changes as the plan read them, copied now, for
// cluster.ApplyOptions.Planned: the function is safe for concurrent use, also while
// Replan runs.
func (st *State) Planned(p *plan.Plan) func(name string) *corev1.Node {
	want := make(map[string]bool, len(p.Nodes))
	for _, np := range p.Nodes {
		want[np.Node] = true
	}
	nodes := make(map[string]*corev1.Node, len(want))
	for i := range st.Snapshot.Nodes {
		if n := &st.Snapshot.Nodes[i]; want[n.Name] {
			nodes[n.Name] = n.DeepCopy()
		}
	}
	return func(name string) *corev1.Node { return nodes[name] }
}

// Replan plans one node again after it changed under us (a write conflict), with the
// same metrics; it returns the node's changes now (an empty NodePlan when none).
func (st *State) Replan(_ context.Context, node *corev1.Node) (*plan.NodePlan, error) {
	n := node.DeepCopy()
	leanNode(n)
	replaced := false
	for i := range st.Snapshot.Nodes {
		if st.Snapshot.Nodes[i].Name == n.Name {
			st.Snapshot.Nodes[i] = *n
			replaced = true
		}
	}
	if !replaced {
		return nil, fmt.Errorf("replan: node %s is not in the fleet", n.Name)
	}
	st.Opts.NodeVersions[n.Name] = n.ResourceVersion
	p, err := st.plan()
	if err != nil {
		return nil, fmt.Errorf("replan node %s: %w", n.Name, err)
	}
	for i := range p.Nodes {
		if p.Nodes[i].Node == n.Name {
			return &p.Nodes[i], nil
		}
	}
	return &plan.NodePlan{Node: n.Name, ResourceVersion: n.ResourceVersion}, nil
}

// hasEvictions reports whether the plan evicts any pod it did not find blocked (dry-run
// rules' included: their plan shows what the API server would say too).
func hasEvictions(p *plan.Plan) bool {
	for _, n := range p.Nodes {
		for _, c := range n.Changes {
			if c.Kind == plan.KindEvict && slices.ContainsFunc(c.Pods, func(pe plan.PodEviction) bool { return pe.BlockedBy == "" }) {
				return true
			}
		}
	}
	return false
}

// perRuleSourceWarnings says which rules ask for metrics-server while the run uses
// another source: one run reads one source, so the field cannot be honoured per rule yet.
func perRuleSourceWarnings(rules []*v1.NodeGuardianRule, src metrics.Source) []string {
	if _, ok := src.(*metrics.MetricsServer); ok {
		return nil
	}
	var out []string
	for _, r := range rules {
		if ms := r.Spec.Monitoring.MetricsSource; ms != nil && ms.UseMetricsServer {
			out = append(out, fmt.Sprintf("rule %s sets monitoring.metricsSource.useMetricsServer, but this run reads Prometheus: "+
				"the metric source is chosen per run (--metrics-source), so its metrics come from Prometheus", r.Name))
		}
	}
	return out
}
