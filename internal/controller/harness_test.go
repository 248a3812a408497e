package controller

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/yaml"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/ledger"
	"github.com/nodeguardian/nodeguardian/internal/promtest"
	"github.com/nodeguardian/nodeguardian/internal/testenv"
)

// sharedEnv is the control plane all tests of the package share (TestMain), and
// auditLog its API server's audit log (testenv.ReadAudit).
var (
	sharedEnv *testenv.Env
	auditLog  string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "controller-audit-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "controller tests:", err)
		os.Exit(1)
	}
	auditLog = filepath.Join(dir, "audit.log")
	env, stop, err := testenv.StartSharedWith(testenv.Options{AuditLogPath: auditLog})
	if err != nil {
		fmt.Fprintln(os.Stderr, "controller tests: no control plane:", err)
	}
	sharedEnv = env
	code := m.Run()
	stop()
	_ = os.RemoveAll(dir)
	if ngctlPath != "" {
		_ = os.RemoveAll(filepath.Dir(ngctlPath))
	}
	os.Exit(code)
}

// world is one test's cluster view, Prometheus with a live exporter, and counters of the
// controller's requests.
type world struct {
	t    *testing.T
	env  *testenv.Env
	c    client.Client
	prom *promtest.Server
	exp  *promtest.Exporter
	// nodeWrites counts the PATCH/PUT/POST requests to nodes of the managers started
	// by start (all of them).
	nodeWrites atomic.Int64
	// lists counts their LIST requests (a GET of a collection that is not a watch) and
	// writes their writes of anything but Events and Leases; requests notes both.
	lists, writes atomic.Int64
	reqMu         sync.Mutex
	requests      []string
}

func newWorld(t *testing.T, metrics string) *world {
	t.Helper()
	env := testenv.Need(t, sharedEnv)
	exp := promtest.NewExporter(t, metrics)
	prom := promtest.Start(t, promtest.Options{ScrapeTargets: []string{exp.Addr()}})
	return &world{t: t, env: env, c: env.Client, prom: prom, exp: exp}
}

// countingTransport counts the world's node writes, LISTs and other writes.
type countingTransport struct {
	next http.RoundTripper
	w    *world
}

func (c countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet && strings.Contains(req.URL.Path, "/api/v1/nodes") {
		c.w.nodeWrites.Add(1)
	}
	switch {
	case isList(req):
		c.w.lists.Add(1)
		c.w.note("LIST " + req.URL.RequestURI())
	case req.Method != http.MethodGet && !strings.Contains(req.URL.Path, "/events") && !strings.Contains(req.URL.Path, "/leases"):
		c.w.writes.Add(1)
		c.w.note(req.Method + " " + req.URL.RequestURI())
	}
	return c.next.RoundTrip(req)
}

// isList reports whether req is a LIST: a GET, not a watch, of a collection — after
// /api/v1 or /apis/GROUP/VERSION, "RESOURCE" or "namespaces/NS/RESOURCE" (an odd number
// of segments), not "RESOURCE/NAME".
func isList(req *http.Request) bool {
	if req.Method != http.MethodGet || req.URL.Query().Get("watch") == "true" || req.URL.Query().Get("watch") == "1" {
		return false
	}
	parts := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	var rest []string
	switch {
	case len(parts) >= 2 && parts[0] == "api":
		rest = parts[2:]
	case len(parts) >= 3 && parts[0] == "apis":
		rest = parts[3:]
	default:
		return false
	}
	return len(rest)%2 == 1
}

// note records a counted request.
func (w *world) note(r string) {
	w.reqMu.Lock()
	defer w.reqMu.Unlock()
	w.requests = append(w.requests, r)
}

// requestsSince are the requests noted after the first n.
func (w *world) requestsSince(n int) []string {
	w.reqMu.Lock()
	defer w.reqMu.Unlock()
	return slices.Clone(w.requests[min(n, len(w.requests)):])
}

// noted is how many requests were noted.
func (w *world) noted() int {
	w.reqMu.Lock()
	defer w.reqMu.Unlock()
	return len(w.requests)
}

// running is a started manager.
type running struct {
	mgr    manager.Manager
	r      *Reconciler
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// stop stops the manager and waits for it (once).
func (r *running) stop(t *testing.T) {
	t.Helper()
	r.once.Do(func() {
		r.cancel()
		select {
		case r.err = <-r.done:
		case <-time.After(30 * time.Second):
			r.err = fmt.Errorf("manager did not stop within 30s")
		}
	})
	if r.err != nil {
		t.Errorf("manager: %v", r.err)
	}
}

// reconciles is how many reconciles completed.
func (r *running) reconciles() float64 {
	return testutil.ToFloat64(r.r.m.reconciles.WithLabelValues("success"))
}

// start builds and starts a manager with opts (metrics on a fresh registry, no
// listeners); it is stopped when the test ends.
func (w *world) start(opts Options) *running {
	w.t.Helper()
	return w.startWith(w.env.Config, opts)
}

// startWith is start with another client configuration (e.g. impersonating).
func (w *world) startWith(base *rest.Config, opts Options) *running {
	w.t.Helper()
	cfg := rest.CopyConfig(base)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return countingTransport{next: rt, w: w} })
	opts.MetricsAddr, opts.HealthAddr = "0", "0"
	opts.Prometheus.URL = w.prom.URL
	if opts.Registerer == nil {
		opts.Registerer = prometheus.NewRegistry()
	}
	mgr, r, err := build(cfg, opts)
	if err != nil {
		w.t.Fatalf("build: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	run := &running{mgr: mgr, r: r, cancel: cancel, done: make(chan error, 1)}
	go func() { run.done <- mgr.Start(ctx) }()
	w.t.Cleanup(func() { run.stop(w.t) })
	return run
}

// node creates a node with labels; it is deleted when the test ends.
func (w *world) node(name string, labels map[string]string) {
	w.t.Helper()
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	if err := w.c.Create(context.Background(), n); err != nil {
		w.t.Fatalf("create node %s: %v", name, err)
	}
	w.t.Cleanup(func() { _ = w.c.Delete(context.Background(), n) })
}

// rule creates a rule from YAML (its spec); it is deleted when the test ends.
func (w *world) rule(name, spec string) *v1.NodeGuardianRule {
	w.t.Helper()
	r := &v1.NodeGuardianRule{}
	if err := yaml.Unmarshal([]byte(spec), &r.Spec); err != nil {
		w.t.Fatalf("rule %s: %v", name, err)
	}
	r.Name = name
	if err := w.c.Create(context.Background(), r); err != nil {
		w.t.Fatalf("create rule %s: %v", name, err)
	}
	w.t.Cleanup(func() { _ = w.c.Delete(context.Background(), r) })
	return r
}

// getNode reads a node.
func (w *world) getNode(name string) *corev1.Node {
	w.t.Helper()
	n := &corev1.Node{}
	if err := w.c.Get(context.Background(), client.ObjectKey{Name: name}, n); err != nil {
		w.t.Fatalf("get node %s: %v", name, err)
	}
	return n
}

// getRule reads a rule.
func (w *world) getRule(name string) *v1.NodeGuardianRule {
	w.t.Helper()
	r := &v1.NodeGuardianRule{}
	if err := w.c.Get(context.Background(), client.ObjectKey{Name: name}, r); err != nil && !apierrors.IsNotFound(err) {
		w.t.Fatalf("get rule %s: %v", name, err)
	}
	return r
}

// eventually polls cond every 100ms until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s; last: %s", what, within, last)
}

func hasTaint(n *corev1.Node, key string) bool {
	for _, t := range n.Spec.Taints {
		if t.Key == key {
			return true
		}
	}
	return false
}

// ledgerState is rule's state in the node's ledger ("" when none).
func ledgerState(n *corev1.Node, rule string) string {
	l, err := ledger.Read(n)
	if err != nil || l == nil || l.Rules[rule] == nil {
		return ""
	}
	return string(l.Rules[rule].State)
}

// hotRule is a rule on nodes labelled group=<group> firing when ng_hot > 0.5 (the last
// sample), checked every second, tainting <group>/hot.
func hotRule(group, query string, extra string) string {
	return fmt.Sprintf(`
nodeSelector: {matchLabels: {group: %s}}
conditions:
- {metric: ng_hot, query: %q, operator: GreaterThan, value: 0.5, duration: 0s}
actions:
- type: taint
  taint: {key: %s/hot, value: "true", effect: NoSchedule}
monitoring: {checkInterval: 1s, cooldownPeriod: 0s}
maxUnhealthy: "100%%"
%s`, group, query, group, extra)
}

// webhookConfig writes an --alert-config file whose webhook channel posts to
// baseURL/hook, and returns its path.
func webhookConfig(t *testing.T, baseURL string) string {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "alerts.yaml")
	if err := os.WriteFile(cfg, []byte("webhook:\n  url: "+baseURL+"/hook\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// ledgerKey is the ownership ledger annotation.
const ledgerKey = ledger.Annotation

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// testutilValue reads a counter.
func testutilValue(c prometheus.Collector) float64 { return testutil.ToFloat64(c) }

// heartbeat is a kubelet-style status update: the Ready condition, refreshed.
func heartbeat() corev1.NodeCondition {
	now := metav1.Now()
	return corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
		Message: "kubelet is posting ready status", LastHeartbeatTime: now, LastTransitionTime: now}
}
