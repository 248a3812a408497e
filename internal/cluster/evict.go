package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// evictWorkers bounds the concurrent evictions on one node.
const evictWorkers = 8

// evictResult is what evicting the planned pods of one node did.
type evictResult struct {
	evicted int
	done    map[string]bool // the pods evicted or no longer on the node, by podID
	blocked []string
	skipped []string
	err     error
}

// podOutcome is what evicting one pod did: evicted, blocked by a PodDisruptionBudget
// (blockedBy: "ns/pdb", or "" when it could not be named), gone, or failed.
type podOutcome struct {
	evicted, gone bool
	blocked       bool
	blockedBy     string
	err           error
}

// plannedPod is one pod a node plan evicts, with how its eviction change says to.
type plannedPod struct {
	plan.PodEviction
	grace   *int64        // the termination grace period; nil: the pod's own
	timeout time.Duration // how long refusals are retried; 0: ApplyOptions.EvictionTimeout
}

// plannedEvictions returns the pods a node plan evicts (not dry-run), in plan order,
// each once (with the first change's settings that names it).
func plannedEvictions(np plan.NodePlan) []plannedPod {
	seen := map[string]bool{}
	var out []plannedPod
	for _, ch := range np.Changes {
		if ch.DryRun || ch.Kind != plan.KindEvict {
			continue
		}
		for _, pe := range ch.Pods {
			if id := podID(pe.Namespace, pe.Name); !seen[id] {
				seen[id] = true
				out = append(out, plannedPod{PodEviction: pe, grace: ch.GracePeriodSeconds, timeout: time.Duration(ch.TimeoutSeconds) * time.Second})
			}
		}
	}
	return out
}

// evictOnNode evicts the planned pods of one node: the pods still on the node are listed
// (one paginated LIST, field selector spec.nodeName), those the plan chose and that can
// still be evicted are kept (evictable: never DaemonSet or mirror pods, never terminating
// or finished ones), then each is evicted through the policy/v1 Eviction API — never
// deleted — with refusals retried until o.EvictionTimeout. Pods the plan already found
// blocked by a PodDisruptionBudget are reported, not tried.
func (c *Client) evictOnNode(ctx context.Context, node string, pods []plannedPod, o ApplyOptions) evictResult {
	res := evictResult{done: map[string]bool{}}
	var order []string
	how := map[string]plannedPod{}
	for _, pe := range pods {
		id := podID(pe.Namespace, pe.Name)
		if pe.BlockedBy != "" {
			res.blocked = append(res.blocked, blockedMessage(id, qualifyPDB(pe.Namespace, pe.BlockedBy)))
			continue
		}
		order = append(order, id)
		how[id] = pe
	}
	if len(order) == 0 {
		return res
	}
	list, err := c.podsOn(ctx, node)
	if err != nil {
		res.err = fmt.Errorf("node %s: list pods to evict: %w", node, err)
		return res
	}
	onNode := map[string]corev1.Pod{}
	for _, p := range list {
		if evictable(p) {
			onNode[podID(p.Namespace, p.Name)] = p
		}
	}
	var queue []corev1.Pod
	for _, id := range order {
		if p, ok := onNode[id]; ok {
			queue = append(queue, p)
		} else {
			res.done[id] = true
			res.skipped = append(res.skipped, fmt.Sprintf("%s: evict %s: not evicted: no longer on the node, terminating, finished, or a DaemonSet or mirror pod", node, id))
		}
	}
	outcomes := make([]podOutcome, len(queue))
	forEach(len(queue), evictWorkers, func(i int) {
		outcomes[i] = c.evictPod(ctx, queue[i], how[podID(queue[i].Namespace, queue[i].Name)], o)
	})
	var failed []error
	for i, out := range outcomes {
		id := podID(queue[i].Namespace, queue[i].Name)
		switch {
		case out.evicted:
			res.evicted++
			res.done[id] = true
		case out.gone:
			res.done[id] = true
		case out.blocked:
			res.blocked = append(res.blocked, blockedMessage(id, out.blockedBy))
		case out.err != nil:
			failed = append(failed, fmt.Errorf("evict %s: %w", id, out.err))
		}
	}
	if len(failed) > 0 {
		res.err = fmt.Errorf("node %s: %w", node, errors.Join(failed...))
	}
	return res
}

// evictable reports whether a pod on the node can still be evicted: not one the planner
// never evicts (plan.NeverEvicted: finished, mirror or DaemonSet pods), nor terminating.
func evictable(p corev1.Pod) bool {
	return p.DeletionTimestamp == nil && !plan.NeverEvicted(&p)
}

// evictPodOnce asks the policy/v1 Eviction API to evict one pod with the grace period
// given (nil: its own terminationGracePeriodSeconds); dryRun makes it a server-side dry
// run (nothing evicted).
func (c *Client) evictPodOnce(ctx context.Context, namespace, name string, grace *int64, dryRun bool) error {
	ev := &policyv1.Eviction{
		ObjectMeta:    metav1.ObjectMeta{Namespace: namespace, Name: name},
		DeleteOptions: &metav1.DeleteOptions{GracePeriodSeconds: grace},
	}
	if dryRun {
		ev.DeleteOptions.DryRun = []string{metav1.DryRunAll}
	}
	return c.evict.PolicyV1().Evictions(namespace).Evict(ctx, ev)
}

// evictPod evicts one pod through the policy/v1 Eviction API with the planned grace
// period, retrying refusals (429) every o.EvictionRetryDelay until the planned timeout
// (o.EvictionTimeout when the plan sets none).
func (c *Client) evictPod(ctx context.Context, pod corev1.Pod, how plannedPod, o ApplyOptions) podOutcome {
	if how.timeout > 0 {
		o.EvictionTimeout = how.timeout
	}
	deadline := time.Now().Add(o.EvictionTimeout)
	pctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	var refused error
	for {
		err := c.evictPodOnce(pctx, pod.Namespace, pod.Name, how.grace, false)
		switch {
		case err == nil:
			return podOutcome{evicted: true}
		case apierrors.IsNotFound(err):
			return podOutcome{gone: true}
		case apierrors.IsTooManyRequests(err):
			refused = err
		case ctx.Err() != nil:
			return podOutcome{err: ctx.Err()}
		case pctx.Err() != nil && refused != nil:
			return timedOut(pod.Namespace, refused, o.EvictionTimeout)
		default:
			return podOutcome{err: err}
		}
		wait := min(o.EvictionRetryDelay, time.Until(deadline))
		if wait <= 0 {
			return timedOut(pod.Namespace, refused, o.EvictionTimeout)
		}
		select {
		case <-ctx.Done():
			return podOutcome{err: ctx.Err()}
		case <-time.After(wait):
		}
		if time.Until(deadline) <= 0 {
			return timedOut(pod.Namespace, refused, o.EvictionTimeout)
		}
	}
}

// timedOut is the outcome of a pod whose evictions were refused until the timeout:
// blocked when a PodDisruptionBudget refused it, an error otherwise.
func timedOut(namespace string, refused error, timeout time.Duration) podOutcome {
	if pdb, ok := blockingPDB(refused, namespace); ok {
		return podOutcome{blocked: true, blockedBy: pdb}
	}
	return podOutcome{err: fmt.Errorf("refused until the %s timeout: %w", timeout, refused)}
}

// budgetName finds the PodDisruptionBudget's name in the API server's eviction refusals:
// "The disruption budget web needs 2 healthy pods and has 2 currently", "The disruption
// budget web is still being processed by the server."
var budgetName = regexp.MustCompile(`(?i)disruption budget (\S+?)\.?(?:\s|$)`)

// blockingPDB reports whether err is an eviction refused because of a
// PodDisruptionBudget, and names it "ns/pdb" ("" when the refusal does not say which).
func blockingPDB(err error, namespace string) (string, bool) {
	var st apierrors.APIStatus
	if !errors.As(err, &st) || st.Status().Code != http.StatusTooManyRequests {
		return "", false
	}
	s := st.Status()
	pdb := false
	var texts []string
	if s.Details != nil {
		for _, cause := range s.Details.Causes {
			if cause.Type == policyv1.DisruptionBudgetCause {
				pdb = true
				texts = append(texts, cause.Message)
			}
		}
	}
	if strings.Contains(strings.ToLower(s.Message), "disruption budget") {
		pdb = true
		texts = append(texts, s.Message)
	}
	if !pdb {
		return "", false
	}
	for _, t := range texts {
		if m := budgetName.FindStringSubmatch(t); m != nil {
			return namespace + "/" + m[1], true
		}
	}
	return "", true
}

// blockedMessage is an ApplyResult.Blocked entry.
func blockedMessage(pod, pdb string) string {
	if pdb == "" {
		return pod + ": blocked by a PodDisruptionBudget"
	}
	return pod + ": blocked by PDB " + pdb
}

// qualifyPDB returns the plan's BlockedBy as "ns/pdb" (the planner writes it so; a bare
// name is taken to be in the pod's namespace).
func qualifyPDB(namespace, blockedBy string) string {
	if strings.Contains(blockedBy, "/") || blockedBy == "PodDisruptionBudget" {
		return blockedBy
	}
	return namespace + "/" + blockedBy
}

// podID is "namespace/name", an empty namespace being "default".
func podID(namespace, name string) string {
	if namespace == "" {
		namespace = metav1.NamespaceDefault
	}
	return namespace + "/" + name
}

// forEach runs f(0..n-1) on at most workers goroutines and waits for them.
func forEach(n, workers int, f func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for i := range next {
				f(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// dropRetryAfter removes Retry-After from 429 answers to eviction requests. client-go
// would otherwise sleep and retry inside the call (up to 10 times): Apply and
// SimulateEvictions need the refusal at once, to retry on their own deadline and to
// name the PodDisruptionBudget.
type dropRetryAfter struct{ next http.RoundTripper }

// RoundTrip implements http.RoundTripper.
func (d dropRetryAfter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := d.next.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests && strings.HasSuffix(req.URL.Path, "/eviction") {
		resp.Header.Del("Retry-After")
	}
	return resp, err
}
