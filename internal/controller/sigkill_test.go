package controller

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"slices"
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
	k := newKillWorld(t, true)
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
	t.Logf("killed %s into the test", killed.Sub(k.began).Round(time.Millisecond))

	// What the first process did: one node PATCH (taint and ledger, the notification
	// pending), each pod evicted once; no delivery recorded.
	if n := len(k.nodeWrites(t)); n != 1 {
		t.Fatalf("the first controller wrote node %s %d times before the kill, want 1", k.node, n)
	}
	k.wantUndelivered(t, atKill)
	k.wantEvictedOnce(t)

	second := k.startCtl(t)
	k.waitDelivered(t, second)
	k.steady(t, second, atKill, 2) // the held notification, the delivery
	k.wantEvictedOnce(t)
}

// `ngctl controller` is SIGKILLed while it evicts: the node is patched and one pod
// evicted, the other pod's eviction is held by an admission webhook, no notification is
// sent yet. The second process evicts the other pod (once), not the first again, writes
// the node once to record it all, and delivers the notification once.
func TestSIGKILLMidEviction(t *testing.T) {
	k := newKillWorld(t, false)
	gate := newEvictionGate(t, k.c, k.pods[1])
	gate.waitActive(t, k.c, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: k.pods[0]}})
	first := k.startCtl(t)
	select {
	case <-gate.held:
	case <-first.Exited():
		t.Fatalf("the first controller exited:\n%s", first.Output())
	case <-time.After(60 * time.Second):
		t.Fatalf("no eviction of %s within 60s:\n%s", k.pods[1], tail(first.Output()))
	}
	eventually(t, 30*time.Second, "the other pod evicted", func() (bool, string) {
		first.alive(t)
		return len(k.evictions(t, k.pods[0])) == 1, ""
	})
	first.Kill()
	killed := time.Now()
	atKill := k.getNode(k.node)
	gate.releaseHeld()
	t.Logf("killed %s into the test", killed.Sub(k.began).Round(time.Millisecond))

	if n := len(k.nodeWrites(t)); n != 1 {
		t.Fatalf("the first controller wrote node %s %d times before the kill, want 1", k.node, n)
	}
	k.wantUndelivered(t, atKill)
	if got := k.evictions(t, k.pods[1]); len(got) != 0 || len(k.hook.received()) != 0 {
		t.Fatalf("before the kill: %s evicted %d times, %d notifications; want none", k.pods[1], len(got), len(k.hook.received()))
	}

	second := k.startCtl(t)
	k.waitDelivered(t, second)
	k.steady(t, second, atKill, 1)
	k.wantEvictedOnce(t)
	if got := k.evictions(t, k.pods[1]); len(got) == 1 && got[0].Before(killed) {
		t.Errorf("%s evicted at %s, before the kill (%s): the held eviction went through", k.pods[1], got[0], killed)
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

// newKillWorld creates the node, two pods on it, the rule and the webhook, which holds
// its first notification when holdAlert.
func newKillWorld(t *testing.T, holdAlert bool) *killWorld {
	t.Helper()
	name := fmt.Sprintf("sigkill%d", sigkillSeq.Add(1))
	k := &killWorld{world: newWorld(t, fmt.Sprintf("ng_hot{node=%q} 1\n", name+"-a")), rule: name, node: name + "-a",
		hook: newHoldingHook(t, holdAlert), bin: ngctlBinary(t), began: time.Now()}
	k.alerts = webhookConfig(t, k.hook.srv.URL)
	k.world.node(k.node, map[string]string{"group": name})
	for i := range 2 {
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

// wantUndelivered checks the node as the first controller left it: tainted, the rule
// Firing in the ledger with its firing notification pending (no channel has it).
func (k *killWorld) wantUndelivered(t *testing.T, atKill *corev1.Node) {
	t.Helper()
	e := ledgerEntry(t, atKill, k.rule)
	if !hasTaint(atKill, k.rule+"/hot") || e.State != ledger.Firing || e.Notified == nil ||
		e.Notified.Event != ledger.EventFiring || len(e.Notified.Channels) != 0 || e.Notified.At != nil {
		t.Fatalf("node at the kill: taints %v, ledger entry %+v %+v; want tainted, Firing, the firing notification pending",
			atKill.Spec.Taints, e, e.Notified)
	}
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
// rule's state as the first controller wrote them; the webhook received notifications
// requests; three more reconciles send nothing and write no node.
func (k *killWorld) steady(t *testing.T, p *ctlProc, atKill *corev1.Node, notifications int) {
	t.Helper()
	if got := len(k.hook.received()); got != notifications {
		t.Errorf("the webhook received %d requests, want %d", got, notifications)
	}
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
	if got := len(k.hook.received()); got != notifications {
		t.Errorf("steady: %d notifications, want none", got-notifications)
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
// server accepted (201). The planner's server-side dry runs (checking
// PodDisruptionBudgets) evict nothing and are not counted, nor are evictions refused.
func (k *killWorld) wantEvictedOnce(t *testing.T) {
	t.Helper()
	for _, pod := range k.pods {
		if got := k.evictions(t, pod); len(got) != 1 {
			t.Errorf("pod %s: evicted %d times (%v), want once", pod, len(got), got)
		}
	}
}

// evictions are when the API server received the evictions of pod it accepted (no dry
// runs).
func (k *killWorld) evictions(t *testing.T, pod string) []time.Time {
	t.Helper()
	evs := k.audit(t, func(ev testenv.AuditEvent) bool {
		return ev.Verb == "create" && ev.ObjectRef.Resource == "pods" && ev.ObjectRef.Subresource == "eviction" &&
			ev.ObjectRef.Name == pod && ev.ResponseStatus.Code == http.StatusCreated && !ev.DryRunEviction()
	})
	out := make([]time.Time, 0, len(evs))
	for _, ev := range evs {
		out = append(out, ev.RequestReceivedTimestamp)
	}
	return out
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
	v, err := proctest.Scrape(p.metrics, `nodeguardian_reconciles_total{result="success"}`)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// tail is the end of a process's output.
func tail(s string) string {
	const limit = 8000
	if len(s) > limit {
		return "…" + s[len(s)-limit:]
	}
	return s
}
