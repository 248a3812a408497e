package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/nodeguardian/nodeguardian/internal/testenv"
)

// shared is the control plane of this test binary (nil when the binaries are missing).
var shared *testenv.Env

func TestMain(m *testing.M) {
	env, stop, err := testenv.StartShared()
	if err != nil && !errors.Is(err, testenv.ErrAssetsMissing) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	shared = env
	code := m.Run()
	stop()
	os.Exit(code)
}

// request is one HTTP request a Client sent.
type request struct {
	Method, Path, Query string
}

// recorder is a rest.Config transport wrapper that records every request and can run a
// hook before a request is sent.
type recorder struct {
	mu     sync.Mutex
	reqs   []request
	before func(*http.Request)
}

func (r *recorder) wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		r.mu.Lock()
		r.reqs = append(r.reqs, request{req.Method, req.URL.Path, req.URL.RawQuery})
		hook := r.before
		r.mu.Unlock()
		if hook != nil {
			hook(req)
		}
		return next.RoundTrip(req)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// reset forgets the requests recorded so far.
func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = nil
}

// setBefore sets the hook run before each request.
func (r *recorder) setBefore(f func(*http.Request)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.before = f
}

// matching returns the recorded requests with the method ("" = any) whose path
// contains part.
func (r *recorder) matching(method, part string) []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []request
	for _, q := range r.reqs {
		if (method == "" || q.Method == method) && strings.Contains(q.Path, part) {
			out = append(out, q)
		}
	}
	return out
}

// fixture is a Client under test with its request recorder, and an admin clientset
// that sets up the cluster (its requests are not recorded).
type fixture struct {
	c     *Client
	rec   *recorder
	admin kubernetes.Interface
	env   *testenv.Env
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	env := testenv.Need(t, shared)
	rec := &recorder{}
	cfg := rest.CopyConfig(env.Config)
	cfg.QPS, cfg.Burst = 1000, 1000
	admin, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Wrap(rec.wrap)
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{c: c, rec: rec, admin: admin, env: env}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// createNode creates a node (deleted when the test ends) and returns it as stored.
func (f *fixture) createNode(t *testing.T, name string, mutate ...func(*corev1.Node)) *corev1.Node {
	t.Helper()
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	for _, m := range mutate {
		m(n)
	}
	got, err := f.admin.CoreV1().Nodes().Create(context.Background(), n, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create node %s: %v", name, err)
	}
	t.Cleanup(func() {
		err := f.admin.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete node %s: %v", name, err)
		}
	})
	return got
}

// getNode reads a node with the admin client.
func (f *fixture) getNode(t *testing.T, name string) *corev1.Node {
	t.Helper()
	n, err := f.admin.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get node %s: %v", name, err)
	}
	return n
}

// touchNode changes a node behind the Client's back: it sets a label.
func (f *fixture) touchNode(t *testing.T, name, key, value string) {
	t.Helper()
	body := fmt.Sprintf(`{"metadata":{"labels":{%q:%q}}}`, key, value)
	_, err := f.admin.CoreV1().Nodes().Patch(context.Background(), name, types.MergePatchType, []byte(body), metav1.PatchOptions{})
	if err != nil {
		t.Errorf("touch node %s: %v", name, err)
	}
}

// createNamespace creates a namespace, deleted when the test ends (envtest has no
// namespace controller: what is in it stays, so tests use distinct names).
func (f *fixture) createNamespace(t *testing.T, name string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := f.admin.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = f.admin.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
}

func withLabels(kv ...string) func(*corev1.Node) {
	return func(n *corev1.Node) {
		if n.Labels == nil {
			n.Labels = map[string]string{}
		}
		for i := 0; i+1 < len(kv); i += 2 {
			n.Labels[kv[i]] = kv[i+1]
		}
	}
}

func withAnnotations(kv ...string) func(*corev1.Node) {
	return func(n *corev1.Node) {
		if n.Annotations == nil {
			n.Annotations = map[string]string{}
		}
		for i := 0; i+1 < len(kv); i += 2 {
			n.Annotations[kv[i]] = kv[i+1]
		}
	}
}

func withTaints(ts ...corev1.Taint) func(*corev1.Node) {
	return func(n *corev1.Node) { n.Spec.Taints = append(n.Spec.Taints, ts...) }
}

func cordoned(n *corev1.Node) { n.Spec.Unschedulable = true }

func taint(key, value string, effect corev1.TaintEffect) corev1.Taint {
	return corev1.Taint{Key: key, Value: value, Effect: effect}
}
