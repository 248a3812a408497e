package controller

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fluxcd/pkg/runtime/conditions"
	"github.com/fluxcd/pkg/runtime/leaderelection"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"

	"github.com/nodeguardian/nodeguardian/deploy"
)

// rbacKinds are the objects of deploy/ that make up the controller's identity.
var rbacKinds = map[string]bool{"Namespace": true, "ServiceAccount": true, "ClusterRole": true,
	"ClusterRoleBinding": true, "Role": true, "RoleBinding": true}

// installRBAC creates deploy/'s Namespace, ServiceAccount and RBAC.
func installRBAC(t *testing.T, w *world) {
	t.Helper()
	objs, err := deploy.Build()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if !rbacKinds[o.GetKind()] || o.GetName() != deploy.ServiceAccount && o.GetKind() != "Namespace" {
			continue
		}
		if err := w.c.Create(context.Background(), o); err != nil && !(o.GetKind() == "Namespace" && apierrors.IsAlreadyExists(err)) {
			t.Fatalf("create %s %s: %v", o.GetKind(), o.GetName(), err)
		}
		if o.GetKind() != "Namespace" { // a namespace deletion never ends on envtest
			t.Cleanup(func() { _ = w.c.Delete(context.Background(), o) })
		}
	}
}

// shippedAlertConfig writes config.yaml of deploy/'s ConfigMap nodeguardian-alerts (the
// Deployment's --alert-config) to a temporary file and returns its path.
func shippedAlertConfig(t *testing.T) string {
	t.Helper()
	objs, err := deploy.Build()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if o.GetKind() == "ConfigMap" && o.GetName() == "nodeguardian-alerts" {
			data, _, err := unstructured.NestedString(o.Object, "data", "config.yaml")
			if err != nil || data == "" {
				t.Fatalf("ConfigMap nodeguardian-alerts: no config.yaml (%v)", err)
			}
			file := filepath.Join(t.TempDir(), "config.yaml")
			if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
				t.Fatal(err)
			}
			return file
		}
	}
	t.Fatal("deploy/ has no ConfigMap nodeguardian-alerts")
	return ""
}

// The controller runs as deploy/'s ServiceAccount, with leader election in its namespace:
// the ClusterRole and Role grant everything it does (caches, status, Events, the Lease,
// node patches, the pod and PDB reads of an evicting rule), with deploy/'s alert config.
func TestRunsWithDeployRBAC(t *testing.T) {
	w := newWorld(t, "ng_hot{node=\"rbac-a\"} 1\n")
	installRBAC(t, w)
	w.node("rbac-a", map[string]string{"group": "rbac"})
	w.rule("rbac", hotRule("rbac", "ng_hot", ""))
	w.rule("rbac-evict", `
nodeSelector: {matchLabels: {group: rbac}}
conditions:
- {metric: ng_hot, query: ng_hot, operator: GreaterThan, value: 0.5, duration: 0s}
actions:
- type: evict
  evict: {}
monitoring: {checkInterval: 1s, cooldownPeriod: 0s}
maxUnhealthy: "100%"
`)
	cfg := rest.CopyConfig(w.env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: deploy.ServiceAccountUser}
	run := w.startWith(cfg, Options{LeaderElectionNamespace: deploy.Namespace, AlertConfig: shippedAlertConfig(t), LeaderElection: leaderelection.Options{
		Enable: true, ReleaseOnCancel: true, LeaseDuration: 3 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 200 * time.Millisecond,
	}})
	eventually(t, 30*time.Second, "tainted, status Ready, Events written", func() (bool, string) {
		r, e := w.getRule("rbac"), w.getRule("rbac-evict")
		ok := hasTaint(w.getNode("rbac-a"), "rbac/hot") && conditions.IsReady(r) && conditions.IsReady(e) &&
			hasEvent(w.eventsOf("NodeGuardianRule", "rbac"), EventFired)
		return ok, describe(r) + " / " + describe(e)
	})
	if got := run.reconciles(); got == 0 {
		t.Fatal("no reconcile")
	}
	if errs := testutilValue(run.r.m.reconciles.WithLabelValues("error")); errs != 0 {
		t.Errorf("%v reconciles failed", errs)
	}
}
