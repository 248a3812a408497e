package controller

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/nodeguardian/nodeguardian/internal/notify"
)

// holdingHook is an alert webhook that answers requests 200, but for the first when it
// holds: that one it holds and never answers (until releaseHeld, or its client is gone).
type holdingHook struct {
	srv      *httptest.Server
	hold     bool
	first    chan struct{} // closed when the first request arrived
	release  chan struct{}
	answered atomic.Int64 // requests answered 200

	mu       sync.Mutex
	payloads []notify.WebhookPayload
	once     sync.Once
}

func newHoldingHook(t *testing.T, hold bool) *holdingHook {
	h := &holdingHook{hold: hold, first: make(chan struct{}), release: make(chan struct{})}
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
	first := len(h.payloads) == 1
	h.mu.Unlock()
	if first {
		close(h.first)
	}
	if first && h.hold {
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

// evictionGate is a validating admission webhook on pods/eviction, installed in the shared
// control plane for one test: it holds the first real (not dry-run) eviction of one pod
// until releaseHeld, then refuses it, and allows every other request.
type evictionGate struct {
	srv     *httptest.Server
	pod     string
	seen    atomic.Int64  // requests reviewed
	held    chan struct{} // closed when the eviction of pod is held
	release chan struct{}
	once    sync.Once // the hold
	done    sync.Once // the release
}

// newEvictionGate installs the gate for the evictions of pod (in any namespace); it is
// removed when the test ends.
func newEvictionGate(t *testing.T, c client.Client, pod string) *evictionGate {
	t.Helper()
	g := &evictionGate{pod: pod, held: make(chan struct{}), release: make(chan struct{})}
	g.srv = httptest.NewTLSServer(http.HandlerFunc(g.serve))
	url := g.srv.URL + "/validate"
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: g.srv.Certificate().Raw})
	ignore, none, timeout := admissionregistrationv1.Ignore, admissionregistrationv1.SideEffectClassNone, int32(30)
	cfg := &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: pod + "-gate"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:         "evictions.sigkill.nodeguardian.test",
			ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: ca},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods/eviction"}},
			}},
			FailurePolicy: &ignore, SideEffects: &none, TimeoutSeconds: &timeout, AdmissionReviewVersions: []string{"v1"},
		}},
	}
	if err := c.Create(context.Background(), cfg); err != nil {
		t.Fatalf("create the eviction gate: %v", err)
	}
	t.Cleanup(func() {
		_ = c.Delete(context.Background(), cfg)
		g.releaseHeld()
		g.srv.Close()
	})
	return g
}

func (g *evictionGate) serve(rw http.ResponseWriter, r *http.Request) {
	var review admissionv1.AdmissionReview
	if err := json.NewDecoder(r.Body).Decode(&review); err != nil || review.Request == nil {
		http.Error(rw, "not an AdmissionReview", http.StatusBadRequest)
		return
	}
	g.seen.Add(1)
	var ev policyv1.Eviction
	_ = json.Unmarshal(review.Request.Object.Raw, &ev)
	dryRun := ev.DeleteOptions != nil && len(ev.DeleteOptions.DryRun) > 0
	allowed := true
	if review.Request.Name == g.pod && !dryRun && g.hold() {
		select {
		case <-g.release:
		case <-r.Context().Done():
		}
		allowed = false
	}
	review.Response = &admissionv1.AdmissionResponse{UID: review.Request.UID, Allowed: allowed}
	if !allowed {
		review.Response.Result = &metav1.Status{Message: "held by the test, then refused"}
	}
	review.Request = nil
	rw.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(rw).Encode(review)
}

// hold reports whether this eviction is the one to hold: the first.
func (g *evictionGate) hold() bool {
	first := false
	g.once.Do(func() { first = true; close(g.held) })
	return first
}

// releaseHeld refuses the held eviction (if any, and still waiting); later ones are
// allowed.
func (g *evictionGate) releaseHeld() { g.done.Do(func() { close(g.release) }) }

// waitActive waits until the API server calls the gate: it dry-runs evictions of pod
// (another pod than the gated one) until the gate has seen one.
func (g *evictionGate) waitActive(t *testing.T, c client.Client, pod *corev1.Pod) {
	t.Helper()
	dry := &policyv1.Eviction{DeleteOptions: &metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}}}
	eventually(t, 30*time.Second, "the eviction gate called", func() (bool, string) {
		err := c.SubResource("eviction").Create(context.Background(), pod, dry)
		return g.seen.Load() > 0, fmt.Sprintf("dry-run eviction: %v", err)
	})
}
