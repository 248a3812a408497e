package controller

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/nodeguardian/nodeguardian/internal/ledger"
	"github.com/nodeguardian/nodeguardian/internal/notify"
	"github.com/nodeguardian/nodeguardian/internal/proctest"
	"github.com/nodeguardian/nodeguardian/internal/testenv"
)

// sigkillSeq numbers the runs of the SIGKILL tests, so that each run (-count=N) has its
// own node, pods and rule: envtest has no kubelet, so an evicted pod stays Terminating.
var sigkillSeq atomic.Int64

// `ngctl controller` (the binary) is SIGKILLed in the middle of an apply — the node is
// patched (taint, ledger with the notification pending) and its pods evicted, the alert
// webhook holds the notification and never answers it — and a second process is started.
// The second one evicts no pod again (each was evicted once, by the first), does not
// write the node again but for recording the delivery, delivers the notification once,
// and then, steady, sends nothing and writes no node.
func TestSIGKILLMidApply(t *testing.T) {
	k := newKillWorld(t, 2)
	first := k.startCtl(t)
	select {
	case <-k.hook.first:
	case <-first.Exited():
		t.Fatalf("the first controller exited:\n%s", first.Output())
	case <-time.After(60 * time.Second):
		t.Fatalf("no notification within 60s:\n%s", tail(first.Output()))
	}
	first.Kill()
	killed := time.Now()
	atKill := k.getNode(k.node)
	k.hook.releaseHeld()
	t.Logf("killed %s after the start", killed.Sub(k.began).Round(time.Millisecond))

	// What the first process did: one node PATCH (taint and ledger, the notification
	// pending), each pod evicted once; no delivery recorded.
	if n := len(k.nodeWrites(t)); n != 1 {
		t.Fatalf("the first controller wrote node %s %d times before the kill, want 1", k.node, n)
	}
	entry := ledgerEntry(t, atKill, k.rule)
	if !hasTaint(atKill, k.rule+"/hot") || entry.State != ledger.Firing || entry.Notified == nil ||
		entry.Notified.Event != ledger.EventFiring || len(entry.Notified.Channels) != 0 || entry.Notified.At != nil {
		t.Fatalf("node at the kill: taints %v, ledger entry %+v %+v; want tainted, Firing, the firing notification pending",
			atKill.Spec.Taints, entry, entry.Notified)
	}
	k.wantEvictedOnce(t)

	second := k.startCtl(t)
	k.waitDelivered(t, second)
	k.steady(t, second, atKill)
	k.wantEvictedOnce(t)
	if got := k.hook.received(); len(got) != 2 {
		t.Errorf("the webhook received %d requests, want 2 (the held one, the delivery)", len(got))
	}
}

// killWorld is one SIGKILL test: a node with pods, a rule that taints it, evicts its pods
// and alerts a webhook, and the ngctl binary.
type killWorld struct {
	*world
	rule, node string
	pods       []string // in namespace default
	hook       *holdingHook
	alerts     string // the --alert-config file
	bin        string
	began      time.Time
}

// newKillWorld creates the node, its pods, the rule and the webhook.
func newKillWorld(t *testing.T, pods int) *killWorld {
	t.Helper()
	name := fmt.Sprintf("sigkill%d", sigkillSeq.Add(1))
	k := &killWorld{world: newWorld(t, fmt.Sprintf("ng_hot{node=%q} 1\n", name+"-a")), rule: name, node: name + "-a",
		hook: newHoldingHook(t), bin: ngctlBinary(t), began: time.Now()}
	k.alerts = filepath.Join(t.TempDir(), "alerts.yaml")
	if err := os.WriteFile(k.alerts, []byte("webhook:\n  url: "+k.hook.srv.URL+"/hook\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	k.world.node(k.node, map[string]string{"group": name})
	for i := range pods {
		k.pods = append(k.pods, k.pod(t, fmt.Sprintf("%s-web-%d", name, i)))
	}
	k.world.rule(name, fmt.Sprintf(`
nodeSelector: {matchLabels: {group: %[1]s}}
conditions:
- {metric: ng_hot, query: ng_hot, operator: GreaterThan, value: 0.5, duration: 0s}
actions:
- type: taint
  taint: {key: %[1]s/hot, value: "true", effect: NoSchedule}
- type: evict
  evict: {}
- type: alert
  alert: {channels: [webhook]}
monitoring: {checkInterval: 1s, cooldownPeriod: 0s}
maxUnhealthy: "100%%"
`, name))
	return k
}

// pod creates a pod bound to the node (envtest has no scheduler); it is deleted, at
// once, when the test ends.
func (k *killWorld) pod(t *testing.T, name string) string {
	t.Helper()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{NodeName: k.node, Containers: []corev1.Container{{Name: "web", Image: "web"}}},
	}
	if err := k.c.Create(context.Background(), p); err != nil {
		t.Fatalf("create pod %s: %v", name, err)
	}
	t.Cleanup(func() { _ = k.c.Delete(context.Background(), p, client.GracePeriodSeconds(0)) })
	return name
}

// startCtl starts `ngctl controller` on the world, its /metrics on a free port; it is
// stopped (SIGTERM) when the test ends, its output logged when the test failed.
func (k *killWorld) startCtl(t *testing.T) *ctlProc {
	t.Helper()
	addr, err := proctest.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	p, err := proctest.Start(exec.Command(k.bin, "controller", "--kubeconfig", k.env.Kubeconfig,
		"--prometheus-url", k.prom.URL, "--alert-config", k.alerts, "--max-disruptive", "100%",
		"--metrics-addr", addr, "--health-addr", "0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("ngctl controller (metrics %s) output:\n%s", addr, tail(p.Output()))
		}
	})
	return &ctlProc{Process: p, metrics: "http://" + addr + "/metrics"}
}

// waitDelivered waits until the webhook answered a notification 200 and the node's ledger
// records its delivery.
func (k *killWorld) waitDelivered(t *testing.T, p *ctlProc) {
	t.Helper()
	eventually(t, 60*time.Second, "the notification delivered and recorded", func() (bool, string) {
		p.alive(t)
		e := ledgerEntry(t, k.getNode(k.node), k.rule)
		n := e.Notified
		ok := k.hook.answered.Load() == 1 && n != nil && n.At != nil && slices.Equal(n.Channels, []string{"webhook"})
		return ok, fmt.Sprintf("%d answered, notified %+v", k.hook.answered.Load(), n)
	})
	got := k.hook.received()
	last := got[len(got)-1]
	if last.Rule != k.rule || last.Node != k.node || last.Event != notify.EventFiring {
		t.Errorf("delivered %s on %s (%s), want %s on %s (firing)", last.Rule, last.Node, last.Event, k.rule, k.node)
	}
}

// steady checks the second controller after the delivery: its only node write was the one
// recording the delivery (and the pending evictions done), which left the taints and the
// rule's state as the first controller wrote them; three more reconciles send nothing and
// write no node.
func (k *killWorld) steady(t *testing.T, p *ctlProc, atKill *corev1.Node) {
	t.Helper()
	writes := k.nodeWrites(t)
	if len(writes) != 2 {
		t.Errorf("node %s written %d times, want 2 (the first controller's PATCH, the second's record of the delivery): %v",
			k.node, len(writes), writes)
	}
	now := k.getNode(k.node)
	before, after := ledgerEntry(t, atKill, k.rule), ledgerEntry(t, now, k.rule)
	if !slices.EqualFunc(atKill.Spec.Taints, now.Spec.Taints, func(a, b corev1.Taint) bool { return a.MatchTaint(&b) && a.Value == b.Value }) ||
		before.State != after.State || !before.Since.Equal(after.Since) || len(after.Evictions) != 0 {
		t.Errorf("the second controller changed the node beyond recording the delivery:\ntaints %v → %v\nledger %+v → %+v",
			atKill.Spec.Taints, now.Spec.Taints, before, after)
	}
	from := p.reconciles(t)
	eventually(t, 30*time.Second, "three more reconciles", func() (bool, string) {
		p.alive(t)
		return p.reconciles(t) >= from+3, ""
	})
	if got := len(k.nodeWrites(t)); got != len(writes) {
		t.Errorf("steady: %d node writes, want none", got-len(writes))
	}
	if got := len(k.hook.received()); got != 2 {
		t.Errorf("steady: %d notifications, want none", got-2)
	}
}

// nodeWrites are the writes (patch, update) of the test's node in the audit log.
func (k *killWorld) nodeWrites(t *testing.T) []string {
	t.Helper()
	evs := k.audit(t, func(ev testenv.AuditEvent) bool {
		return (ev.Verb == "patch" || ev.Verb == "update") && ev.ObjectRef.Resource == "nodes" && ev.ObjectRef.Name == k.node
	})
	out := make([]string, 0, len(evs))
	for _, ev := range evs {
		out = append(out, fmt.Sprintf("%s %s %s", ev.Verb, ev.RequestURI, ev.RequestReceivedTimestamp.Format(time.StampMicro)))
	}
	return out
}

// wantEvictedOnce checks that each pod was evicted exactly once: one eviction the API
// server accepted (201), and no other eviction request. The planner's server-side dry
// runs (checking PodDisruptionBudgets) evict nothing and are not counted.
func (k *killWorld) wantEvictedOnce(t *testing.T) {
	t.Helper()
	for _, pod := range k.pods {
		evs := k.audit(t, func(ev testenv.AuditEvent) bool {
			return ev.Verb == "create" && ev.ObjectRef.Resource == "pods" && ev.ObjectRef.Subresource == "eviction" &&
				ev.ObjectRef.Name == pod && !ev.DryRunEviction()
		})
		var codes []int
		for _, ev := range evs {
			codes = append(codes, ev.ResponseStatus.Code)
		}
		if !slices.Equal(codes, []int{http.StatusCreated}) {
			t.Errorf("pod %s: eviction requests answered %v, want one, 201", pod, codes)
		}
	}
}

// audit reads the shared control plane's audit log since the test began, the events about
// an object (ObjectRef set) that keep keeps.
func (k *killWorld) audit(t *testing.T, keep func(testenv.AuditEvent) bool) []testenv.AuditEvent {
	t.Helper()
	evs, err := testenv.ReadAudit(auditLog, func(ev testenv.AuditEvent) bool {
		return ev.ObjectRef != nil && ev.ResponseStatus != nil && !ev.RequestReceivedTimestamp.Before(k.began) && keep(ev)
	})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// ledgerEntry is the rule's entry in the node's ledger (an empty one when none).
func ledgerEntry(t *testing.T, n *corev1.Node, rule string) ledger.Entry {
	t.Helper()
	l, err := ledger.Read(n)
	if err != nil {
		t.Fatalf("node %s: %v", n.Name, err)
	}
	if l == nil || l.Rules[rule] == nil {
		return ledger.Entry{}
	}
	return *l.Rules[rule]
}

// ctlProc is a running `ngctl controller`.
type ctlProc struct {
	*proctest.Process
	metrics string // its /metrics URL
}

// alive fails the test when the process has exited.
func (p *ctlProc) alive(t *testing.T) {
	t.Helper()
	select {
	case <-p.Exited():
		t.Fatalf("ngctl controller exited:\n%s", tail(p.Output()))
	default:
	}
}

// reconciles is nodeguardian_reconciles_total{result="success"} on its /metrics (0 while
// it does not answer).
func (p *ctlProc) reconciles(t *testing.T) float64 {
	t.Helper()
	const series = `nodeguardian_reconciles_total{result="success"} `
	resp, err := http.Get(p.metrics)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), series); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				t.Fatalf("%s: %v", p.metrics, err)
			}
			return v
		}
	}
	return 0
}

// tail is the end of a process's output.
func tail(s string) string {
	const limit = 8000
	if len(s) > limit {
		return "…" + s[len(s)-limit:]
	}
	return s
}

// holdingHook is an alert webhook that holds its first request and never answers it
// (until releaseHeld, or its client is gone); it answers every later one 200.
type holdingHook struct {
	srv      *httptest.Server
	first    chan struct{} // closed when the first request arrived
	release  chan struct{}
	answered atomic.Int64 // requests answered 200

	mu       sync.Mutex
	payloads []notify.WebhookPayload
	once     sync.Once
}

func newHoldingHook(t *testing.T) *holdingHook {
	h := &holdingHook{first: make(chan struct{}), release: make(chan struct{})}
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(func() {
		h.releaseHeld()
		h.srv.Close()
	})
	return h
}

func (h *holdingHook) serve(rw http.ResponseWriter, r *http.Request) {
	var p notify.WebhookPayload
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.payloads = append(h.payloads, p)
	held := len(h.payloads) == 1
	h.mu.Unlock()
	if held {
		close(h.first)
		select {
		case <-h.release:
		case <-r.Context().Done():
		}
		panic(http.ErrAbortHandler) // never answered: the connection is dropped
	}
	h.answered.Add(1)
	rw.WriteHeader(http.StatusOK)
}

// releaseHeld lets the held request end (unanswered); it may be called more than once.
func (h *holdingHook) releaseHeld() { h.once.Do(func() { close(h.release) }) }

// received are the payloads of every request so far, in order.
func (h *holdingHook) received() []notify.WebhookPayload {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.payloads)
}
