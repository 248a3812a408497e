package live

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/rest"

	"github.com/nodeguardian/nodeguardian/internal/cluster"
	"github.com/nodeguardian/nodeguardian/internal/engine"
	"github.com/nodeguardian/nodeguardian/internal/load"
	"github.com/nodeguardian/nodeguardian/internal/metrics"
	"github.com/nodeguardian/nodeguardian/internal/plan"
	"github.com/nodeguardian/nodeguardian/internal/promtest"
	"github.com/nodeguardian/nodeguardian/internal/testenv"
)

// pairHotRule taints nodes whose load is over threshold; at most half of them at once.
const pairHotRule = `apiVersion: nodeguardian.k8s.io/v1
kind: NodeGuardianRule
metadata:
  name: hot
spec:
  conditions:
    - metric: cpuLoadRatio
      operator: GreaterThan
      value: %s
      duration: 2m
  maxUnhealthy: "50%%"
  actions:
    - type: taint
      taint:
        key: nodeguardian/hot
        value: "true"
        effect: NoSchedule
`

// pairEvictRule taints a node whose memory is nearly exhausted NoExecute and evicts
// its pods.
const pairEvictRule = `apiVersion: nodeguardian.k8s.io/v1
kind: NodeGuardianRule
metadata:
  name: memory-evict
spec:
  conditions:
    - metric: memoryUtilizationPercent
      operator: GreaterThan
      value: 95
      duration: 2m
  maxUnhealthy: "100%"
  actions:
    - type: taint
      taint:
        key: nodeguardian/memory
        value: "true"
        effect: NoExecute
    - type: evict
      evict:
        maxPods: 5
`

// pairLoads are the load of each node of the pair fleet (node-00000 …): over 1.5 on
// nodes 3 and 4, over 1.0 on nodes 1, 2, 3, 4 and 5. Node 4's memory is at 97 %, the
// others' at 50 %.
var pairLoads = []float64{0.4, 1.2, 1.3, 1.8, 2.0, 1.1, 0.3, 0.5}

// pairSamples is 15 minutes of load and memory every 15s per node, ending at now.
func pairSamples(now time.Time) []promtest.Sample {
	var out []promtest.Sample
	for i, load := range pairLoads {
		node := benchNodeName(i)
		mem := 50.0
		if i == 4 {
			mem = 97
		}
		for k := 0; k <= 60; k++ {
			at := now.Add(-time.Duration(60-k) * 15 * time.Second)
			out = append(out,
				promtest.Sample{Metric: "pair_load", Labels: map[string]string{"node": node}, Value: load, T: at},
				promtest.Sample{Metric: "pair_memory", Labels: map[string]string{"node": node}, Value: mem, T: at})
		}
	}
	return out
}

// requestCounter is an http.RoundTripper that records every API request as
// "VERB path?query".
type requestCounter struct {
	next http.RoundTripper
	mu   *sync.Mutex
	reqs *[]string
}

func (c requestCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	line := r.Method + " " + r.URL.Path
	if r.URL.RawQuery != "" {
		line += "?" + r.URL.RawQuery
	}
	*c.reqs = append(*c.reqs, line)
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

// apiRequests counts requests to the API server through the configs it wraps.
type apiRequests struct {
	mu   sync.Mutex
	reqs []string
}

func (a *apiRequests) wrap(cfg *rest.Config) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return requestCounter{next: rt, mu: &a.mu, reqs: &a.reqs}
	})
	return cfg
}

// take returns the requests recorded since the last take, sorted, and forgets them.
func (a *apiRequests) take() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := slices.Sorted(slices.Values(a.reqs))
	a.reqs = nil
	return out
}

// matching returns the requests whose path is exactly path (a LIST of a collection,
// not a GET of one of its objects).
func matching(reqs []string, verb, path string) []string {
	var out []string
	for _, r := range reqs {
		p, _, _ := strings.Cut(strings.TrimPrefix(r, verb+" "), "?")
		if strings.HasPrefix(r, verb+" ") && p == path {
			out = append(out, r)
		}
	}
	return out
}

// pairRuleSet loads rule documents.
func pairRuleSet(t *testing.T, docs ...string) RuleSet {
	t.Helper()
	set, diags := load.YAML("rules.yaml", []byte(strings.Join(docs, "---\n")))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return RuleSet{Rules: set.Rules, Tmpls: set.Templates}
}

// TestPlanPairLive runs PlanPair on a real API server and a real Prometheus: two
// versions of a rule set (the head lowers a threshold and adds an evicting rule) are
// planned on one read of the fleet, and each plan is the plan live.Plan computes for
// its version alone at the same instant.
func TestPlanPairLive(t *testing.T) {
	env := testenv.Start(t)
	now := time.Now().UTC().Truncate(time.Minute).Add(-15 * time.Minute)
	prom := promtest.Start(t, promtest.Options{Samples: pairSamples(now)})
	createBenchNodes(t, env, len(pairLoads))
	ctx := context.Background()
	for _, p := range []struct{ name, node, app string }{
		{"web-1", benchNodeName(4), "web"}, {"batch-1", benchNodeName(4), "batch"}, {"other-1", benchNodeName(1), "other"},
	} {
		must(t, env.Client.Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: p.name, Labels: map[string]string{"app": p.app}},
			Spec:       corev1.PodSpec{NodeName: p.node, Containers: []corev1.Container{{Name: "c", Image: "registry.example/app:1"}}},
		}))
	}
	minOne := intstr.FromInt32(1)
	pdb := &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "guard"},
		Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &minOne,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}}
	must(t, env.Client.Create(ctx, pdb))
	// No controller-manager runs in envtest: write the status the disruption controller would.
	pdb.Status = policyv1.PodDisruptionBudgetStatus{ObservedGeneration: pdb.Generation, DisruptionsAllowed: 0,
		CurrentHealthy: 1, DesiredHealthy: 1, ExpectedPods: 1}
	must(t, env.Client.Status().Update(ctx, pdb))

	var counted apiRequests
	cl, err := cluster.New(counted.wrap(env.Config))
	must(t, err)
	cfg := metrics.Config{NodeLabel: "node", Queries: map[string]string{"cpuLoadRatio": "pair_load", "memoryUtilizationPercent": "pair_memory"}}
	msrc, err := metrics.NewPrometheus(metrics.PrometheusOptions{URL: prom.URL}, cfg)
	must(t, err)
	src := Sources{Cluster: cl, Metrics: msrc, Config: cfg}
	all := intstr.FromString("100%")
	opts := engine.Options{Now: now, MaxDisruptive: &all, Source: "cluster"}

	base := pairRuleSet(t, fmt.Sprintf(pairHotRule, "1.5"))
	head := pairRuleSet(t, fmt.Sprintf(pairHotRule, "1.0"), pairEvictRule)

	counted.take()
	prom.ResetCounts()
	bp, hp, st, err := PlanPair(ctx, src, base, head, opts)
	must(t, err)
	pairReqs := counted.take()
	pairQueries := prom.QueryCount("/api/v1/query_range")

	t.Run("one read of the fleet", func(t *testing.T) {
		if got := matching(pairReqs, "GET", "/api/v1/nodes"); len(got) != 1 {
			t.Errorf("node LISTs: %q, want one", got)
		}
		pods := matching(pairReqs, "GET", "/api/v1/pods")
		if len(pods) != 1 || !strings.Contains(pods[0], "spec.nodeName%3D"+benchNodeName(4)) {
			t.Errorf("pod LISTs: %q, want one, of %s (the only node where a rule may evict)", pods, benchNodeName(4))
		}
		if got := matching(pairReqs, "GET", "/apis/policy/v1/poddisruptionbudgets"); len(got) != 1 {
			t.Errorf("PodDisruptionBudget LISTs: %q, want one", got)
		}
		if pairQueries != 2 {
			t.Errorf("%d range queries, want 2 (load and memory, once each for both versions)", pairQueries)
		}
		if len(st.Fleet.Nodes) != len(pairLoads) || len(st.Fleet.Pods) != 2 || len(st.Fleet.PDBs) != 1 {
			t.Errorf("state: %d nodes, %d pods, %d PDBs; want %d, 2, 1", len(st.Fleet.Nodes), len(st.Fleet.Pods), len(st.Fleet.PDBs), len(pairLoads))
		}
	})

	t.Run("same fleet, same instant", func(t *testing.T) {
		if bp.Inputs.FleetHash == "" || bp.Inputs.FleetHash != hp.Inputs.FleetHash || bp.Inputs.FleetHash != st.Fleet.Hash {
			t.Errorf("fleet hashes: base %q, head %q, state %q; want one", bp.Inputs.FleetHash, hp.Inputs.FleetHash, st.Fleet.Hash)
		}
		if !bp.CreatedAt.Equal(now) || !hp.CreatedAt.Equal(now) {
			t.Errorf("created at %s and %s, want %s", bp.CreatedAt, hp.CreatedAt, now)
		}
		if bp.Inputs.RulesHash == hp.Inputs.RulesHash {
			t.Error("both versions have the same rules hash")
		}
	})

	t.Run("the head taints the extra nodes and evicts", func(t *testing.T) {
		n := benchNodeName
		if got, want := taintedBy(bp, "nodeguardian/hot"), []string{n(3), n(4)}; !slices.Equal(got, want) {
			t.Errorf("base taints %v, want %v", got, want)
		}
		// Five nodes are over 1.0; maxUnhealthy 50%% of 8 lets four fire, by name.
		if got, want := taintedBy(hp, "nodeguardian/hot"), []string{n(1), n(2), n(3), n(4)}; !slices.Equal(got, want) {
			t.Errorf("head taints %v, want %v", got, want)
		}
		if len(hp.Deferred) != 1 || hp.Deferred[0].Node != n(5) || hp.Deferred[0].Code != plan.CodeRuleBudget {
			t.Errorf("head deferred %+v, want %s by the rule's budget", hp.Deferred, n(5))
		}
		if got, want := taintedBy(hp, "nodeguardian/memory"), []string{n(4)}; !slices.Equal(got, want) {
			t.Errorf("head taints %v NoExecute, want %v", got, want)
		}
		if got, want := evictions(hp), []string{"default/batch-1", "default/web-1 blocked by default/guard"}; !slices.Equal(got, want) {
			t.Errorf("head evicts %q, want %q", got, want)
		}
		if got := evictions(bp); len(got) != 0 {
			t.Errorf("base evicts %q, want nothing", got)
		}
	})

	t.Run("each plan is its version's live plan", func(t *testing.T) {
		// The head needs all the base reads (its metrics and the pods of the node where
		// it evicts): its plan alone is the same plan, ID and fleet hash included, read
		// with the same requests.
		alone, _, err := Plan(ctx, src, head.Rules, head.Tmpls, opts)
		must(t, err)
		if got, want := planJSON(t, hp), planJSON(t, alone); got != want {
			t.Errorf("head: the pair's plan differs from live.Plan's\npair:  %s\nalone: %s", got, want)
		}
		if got := counted.take(); !slices.Equal(got, pairReqs) {
			t.Errorf("head alone sent %q;\nthe pair sent %q", got, pairReqs)
		}
		// The base alone reads no memory samples and no pods: its fleet hash (and so its
		// ID) identifies less than the pair's; everything else is the same.
		alone, _, err = Plan(ctx, src, base.Rules, base.Tmpls, opts)
		must(t, err)
		if alone.Inputs.FleetHash == bp.Inputs.FleetHash {
			t.Error("base alone: the same fleet hash as the pair, which also read pods and memory")
		}
		if got, want := planJSON(t, bp, "fleetHash", "id"), planJSON(t, alone, "fleetHash", "id"); got != want {
			t.Errorf("base: the pair's plan differs from live.Plan's\npair:  %s\nalone: %s", got, want)
		}
		if got := counted.take(); len(matching(got, "GET", "/api/v1/pods")) != 0 || len(matching(got, "GET", "/api/v1/nodes")) != 1 {
			t.Errorf("base alone sent %q; want one node LIST and no pod LIST", got)
		}
	})
}

// taintedBy lists the nodes p adds the taint key to.
func taintedBy(p *plan.Plan, key string) []string {
	var out []string
	for _, n := range p.Nodes {
		for _, c := range n.Changes {
			if c.Kind == plan.KindTaint && c.Op == plan.OpAdd && c.Key == key {
				out = append(out, n.Node)
			}
		}
	}
	return out
}

// evictions lists the pods p evicts, "ns/name" or "ns/name blocked by PDB".
func evictions(p *plan.Plan) []string {
	var out []string
	for _, n := range p.Nodes {
		for _, c := range n.Changes {
			if c.Kind != plan.KindEvict {
				continue
			}
			for _, pe := range c.Pods {
				s := pe.Namespace + "/" + pe.Name
				if pe.BlockedBy != "" {
					s += " blocked by " + pe.BlockedBy
				}
				out = append(out, s)
			}
		}
	}
	slices.Sort(out)
	return out
}

// planJSON is the plan as JSON with the named fields of the plan and of its inputs
// blanked ("id", "fleetHash").
func planJSON(t *testing.T, p *plan.Plan, blank ...string) string {
	t.Helper()
	c := *p
	for _, f := range blank {
		switch f {
		case "id":
			c.ID = ""
		case "fleetHash":
			c.Inputs.FleetHash = ""
		default:
			t.Fatalf("planJSON: cannot blank %q", f)
		}
	}
	var b bytes.Buffer
	must(t, plan.RenderJSON(&b, &c))
	var v any
	must(t, json.Unmarshal(b.Bytes(), &v))
	out, err := json.Marshal(v)
	must(t, err)
	return string(out)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
