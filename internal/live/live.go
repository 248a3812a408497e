// Package live plans against a running cluster: it reads the fleet through
// internal/cluster and the metric windows through internal/metrics, builds the same
// FleetSnapshot an offline plan reads, and runs the one engine on it. A live plan and a
// plan of the snapshot `ngctl snapshot` writes are therefore the same plan.
package live

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
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

// State is what a live plan was computed from: it is kept to re-plan single nodes on a
// write conflict, to check a saved plan, and to be written as a snapshot (`ngctl
// snapshot`, Snapshot).
type State struct {
	// Fleet holds the nodes (lean: fleet.LeanNode), the pods and PodDisruptionBudgets
	// read for the nodes where an eviction may be planned (Fleet.PodsOf), and the metric
	// samples.
	Fleet    *engine.Fleet
	Time     time.Time     // the evaluation instant (UTC)
	Interval time.Duration // the query step: the samples' spacing
	Rules    []*v1.NodeGuardianRule
	Tmpls    []*v1.AlertTemplate
	Opts     engine.Options
	Failed   []string // metrics whose read failed (metrics.Result.Failed): see Incomplete
}

// read lists the nodes and fetches the metric windows the rules need at now; the
// samples of nodes not in the fleet are dropped. Pods and PDBs are read later, only for
// nodes where an eviction may be planned.
//
// With Prometheus, the node LIST and the range queries run at the same time (the queries
// do not need the node names).
func read(ctx context.Context, src Sources, rules []*v1.NodeGuardianRule, now time.Time) ([]corev1.Node, metrics.Result, time.Duration, error) {
	defaulted := make([]*v1.NodeGuardianRule, 0, len(rules))
	for _, r := range rules {
		c := r.DeepCopy()
		c.Default()
		defaulted = append(defaulted, c)
	}
	needs, step, err := metrics.NeedsFor(defaulted, src.Config)
	if err != nil {
		return nil, metrics.Result{}, 0, err
	}
	req := metrics.Request{Needs: needs, Now: now, Step: step}
	nodes, res, err := readConcurrently(ctx, src, req)
	if err != nil {
		return nil, metrics.Result{}, 0, err
	}
	slices.SortFunc(nodes, func(a, b corev1.Node) int { return strings.Compare(a.Name, b.Name) })
	if res.Data == nil {
		res.Data = &series.Data{}
	}
	if res.Data.Samples == nil {
		res.Data.Samples = map[string]map[string][]series.Sample{}
	}
	if res.Data.Errors == nil {
		res.Data.Errors = map[string]string{}
	}
	return nodes, res, step, nil
}

// readConcurrently lists the nodes and fetches the metric windows, at the same time when
// the source does not need the node names (Prometheus), else one after the other.
func readConcurrently(ctx context.Context, src Sources, req metrics.Request) ([]corev1.Node, metrics.Result, error) {
	if metrics.NeedsNodes(src.Metrics, req) {
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
		fleet.LeanNode(&nodes[i]) // a Reader may hand them whole
	}
	slices.Sort(names)
	return names
}

// Plan computes a live plan: nodes and metrics first, then pods and PDBs for the nodes
// where an eviction is planned, then server-side dry-run evictions so that the plan
// names the PodDisruptionBudget that blocks. The rules are evaluated once, and the plan
// is complete when the engine returns it.
func Plan(ctx context.Context, src Sources, rules []*v1.NodeGuardianRule, tmpls []*v1.AlertTemplate, opts engine.Options) (*plan.Plan, *State, error) {
	nodes, res, step, err := read(ctx, src, rules, opts.Now)
	if err != nil {
		return nil, nil, err
	}
	st := newState(nodes, res, step, rules, tmpls, opts)
	// Evaluation reads nodes and samples only; pods and PodDisruptionBudgets are read
	// only for the nodes where an evicting rule may fire, before the plan is computed.
	ev, err := engine.Evaluate(st.Rules, st.Tmpls, st.Fleet, st.Opts)
	if err != nil {
		return nil, nil, err
	}
	if err := st.readPods(ctx, src, ev.NeedPods()); err != nil {
		return nil, nil, err
	}
	st.Fleet.Hash = st.hash()
	p, refusals, err := planWithRefusals(ctx, src, ev, st)
	if err != nil {
		return nil, nil, err
	}
	st.Opts.Refusals = refusals // a re-plan on a write conflict keeps the API server's answers
	return p, st, nil
}

// newState is the state of a plan of rules over what was read.
func newState(nodes []corev1.Node, res metrics.Result, step time.Duration, rules []*v1.NodeGuardianRule, tmpls []*v1.AlertTemplate, opts engine.Options) *State {
	st := &State{Fleet: &engine.Fleet{Nodes: nodes, Data: res.Data}, Time: opts.Now.UTC(), Interval: step,
		Rules: rules, Tmpls: tmpls, Opts: opts, Failed: res.Failed}
	st.Opts.Interval = step
	st.Opts.Warnings = slices.Clone(opts.Warnings)
	for _, w := range res.Warnings {
		st.Opts.Warnings = append(st.Opts.Warnings, plan.Warning{Code: plan.CodeMetricSource, Message: w})
	}
	// The plan records the versions of the nodes it changes: a saved plan is refused when
	// one of them changed since; other nodes' status updates do not make it stale.
	st.Opts.NodeVersions = make(map[string]string, len(nodes))
	for _, n := range nodes {
		st.Opts.NodeVersions[n.Name] = n.ResourceVersion
	}
	return st
}

// Snapshot is the state as a FleetSnapshot (`ngctl snapshot`): planning it offline gives
// the live plan's changes. The series are encoded only here.
func (st *State) Snapshot() *fleet.Snapshot {
	f := st.Fleet
	return &fleet.Snapshot{
		APIVersion: fleet.APIVersion, Kind: fleet.Kind,
		Time: metav1.NewTime(st.Time), Interval: metav1.Duration{Duration: st.Interval},
		Nodes: f.Nodes, Pods: f.Pods, PodDisruptionBudgets: f.PDBs,
		Series: fleet.Encode(f.Data, st.Time, st.Interval),
	}
}

// hash identifies a live fleet by what a live object's resourceVersion already
// identifies, plus the metric samples and errors: far cheaper than hashing whole
// objects.
func (st *State) hash() string {
	f := st.Fleet
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", st.Time.Format(time.RFC3339Nano), st.Interval)
	for _, n := range f.Nodes {
		fmt.Fprintf(h, "node %s %s\n", n.Name, n.ResourceVersion)
	}
	for _, p := range f.Pods {
		fmt.Fprintf(h, "pod %s/%s %s\n", p.Namespace, p.Name, p.ResourceVersion)
	}
	for _, p := range f.PDBs {
		fmt.Fprintf(h, "pdb %s/%s %s\n", p.Namespace, p.Name, p.ResourceVersion)
	}
	for _, n := range f.PodsOf {
		fmt.Fprintf(h, "pods-of %s\n", n)
	}
	var buf []byte
	for _, node := range slices.Sorted(maps.Keys(f.Data.Samples)) {
		byMetric := f.Data.Samples[node]
		for _, m := range slices.Sorted(maps.Keys(byMetric)) {
			buf = fmt.Appendf(buf[:0], "series %s %s %d\n", node, m, len(byMetric[m]))
			for _, smp := range byMetric[m] {
				buf = binary.LittleEndian.AppendUint64(buf, uint64(smp.T.UnixNano()))
				buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(smp.V))
			}
			h.Write(buf)
		}
	}
	for _, m := range slices.Sorted(maps.Keys(f.Data.Errors)) {
		fmt.Fprintf(h, "error %s %q\n", m, f.Data.Errors[m])
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
	for i := range st.Fleet.Nodes {
		if n := &st.Fleet.Nodes[i]; want[n.Name] {
			nodes[n.Name] = n.DeepCopy()
		}
	}
	return func(name string) *corev1.Node { return nodes[name] }
}

// Replan plans one node again after it changed under us (a write conflict), with the
// same metrics; it returns the node's changes now (an empty NodePlan when none). It is
// not safe for concurrent use.
func (st *State) Replan(_ context.Context, node *corev1.Node) (*plan.NodePlan, error) {
	n := node.DeepCopy()
	fleet.LeanNode(n)
	i, found := slices.BinarySearchFunc(st.Fleet.Nodes, n.Name, func(a corev1.Node, name string) int { return strings.Compare(a.Name, name) })
	if !found {
		return nil, fmt.Errorf("replan: node %s is not in the fleet", n.Name)
	}
	st.Fleet.Nodes[i] = *n
	st.Opts.NodeVersions[n.Name] = n.ResourceVersion
	st.Fleet.Hash = st.hash()
	p, err := engine.Plan(st.Rules, st.Tmpls, st.Fleet, st.Opts)
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
