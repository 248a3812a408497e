package deploy

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/nodeguardian/nodeguardian/internal/testenv"
)

// rbacKinds are the kinds of the base that make up the controller's identity.
var rbacKinds = map[string]bool{
	"Namespace": true, "ServiceAccount": true, "ClusterRole": true,
	"ClusterRoleBinding": true, "Role": true, "RoleBinding": true,
}

// check is one access review: may the subject do verb on group/resource[/sub] in
// namespace ("" for cluster-scoped or all namespaces)?
type check struct {
	verb, group, resource, subresource, namespace string
	allowed                                       bool
}

func (c check) String() string {
	r := c.resource
	if c.subresource != "" {
		r += "/" + c.subresource
	}
	ns := c.namespace
	if ns == "" {
		ns = "*"
	}
	return fmt.Sprintf("%s %s.%s in %s", c.verb, r, c.group, ns)
}

// review asks the API server, as the client's (impersonated) user, whether c is allowed.
func review(ctx context.Context, cs kubernetes.Interface, c check) (bool, error) {
	ssar := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Verb: c.verb, Group: c.group, Resource: c.resource, Subresource: c.subresource, Namespace: c.namespace,
		},
	}}
	got, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, ssar, metav1.CreateOptions{})
	if err != nil {
		return false, err
	}
	return got.Status.Allowed, nil
}

// controllerChecks is every access the controller needs (from the same table the
// static test holds) and some it must not have.
func controllerChecks() []check {
	var out []check
	for _, a := range expand(controllerClusterAccess) {
		res, sub := splitResource(a.resource)
		out = append(out, check{a.verb, a.group, res, sub, "", true})
		if res == "pods" || res == "events" || res == "poddisruptionbudgets" {
			out = append(out, check{a.verb, a.group, res, sub, "default", true})
		}
	}
	for _, a := range expand(controllerNamespaceAccess) {
		res, sub := splitResource(a.resource)
		out = append(out, check{a.verb, a.group, res, sub, Namespace, true})
		// Never in another namespace, nor cluster-wide.
		out = append(out, check{a.verb, a.group, res, sub, "kube-system", false})
		out = append(out, check{a.verb, a.group, res, sub, "", false})
	}
	return append(out,
		check{"delete", "", "nodes", "", "", false},
		check{"update", "", "nodes", "", "", false},
		check{"create", "", "nodes", "", "", false},
		check{"patch", "", "nodes", "status", "", false},
		check{"create", "", "pods", "", "default", false},
		check{"delete", "", "pods", "", "default", false},
		check{"get", "", "pods", "", "default", false},
		check{"get", "apps", "daemonsets", "", "default", false},
		check{"list", "apps", "daemonsets", "", "", false},
		check{"update", "apps", "daemonsets", "", "default", false},
		check{"get", "apps", "deployments", "", "default", false},
		check{"get", "", "nodes", "proxy", "", false},
		check{"get", "metrics.k8s.io", "pods", "", "default", false},
		check{"get", "", "secrets", "", "kube-system", false},
		check{"delete", "", "secrets", "", Namespace, false},
		check{"create", "", "secrets", "", Namespace, false},
		check{"list", "", "configmaps", "", "", false},
		check{"delete", "coordination.k8s.io", "leases", "", Namespace, false},
		check{"create", "nodeguardian.k8s.io", "nodeguardianrules", "", "", false},
		check{"update", "nodeguardian.k8s.io", "nodeguardianrules", "", "", false},
		check{"patch", "nodeguardian.k8s.io", "nodeguardianrules", "", "", false},
		check{"delete", "nodeguardian.k8s.io", "alerttemplates", "", "", false},
		check{"delete", "", "events", "", "default", false},
		check{"create", "rbac.authorization.k8s.io", "clusterrolebindings", "", "", false},
		check{"escalate", "rbac.authorization.k8s.io", "clusterroles", "", "", false},
		check{"impersonate", "", "users", "", "", false},
		check{"create", "apiextensions.k8s.io", "customresourcedefinitions", "", "", false},
	)
}

// readonlyChecks: a CI identity bound to nodeguardian-readonly reads, never writes.
func readonlyChecks() []check {
	var out []check
	for _, a := range expand(readonlyAccess) {
		out = append(out, check{a.verb, a.group, a.resource, "", "", true})
	}
	return append(out,
		check{"patch", "", "nodes", "", "", false},
		check{"create", "", "pods", "eviction", "default", false},
		check{"watch", "", "nodes", "", "", false},
		check{"get", "", "secrets", "", "", false},
		check{"update", "nodeguardian.k8s.io", "nodeguardianrules", "status", "", false},
	)
}

// splitResource splits "pods/eviction" into its resource and subresource.
func splitResource(r string) (resource, subresource string) {
	resource, subresource, _ = strings.Cut(r, "/")
	return resource, subresource
}

// TestRBACOnAPIServer applies the base's Namespace, ServiceAccount and RBAC to a real
// kube-apiserver and asks it, as the controller's ServiceAccount (impersonated), what
// that identity may do.
func TestRBACOnAPIServer(t *testing.T) {
	env := testenv.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, o := range objects(t) {
		if rbacKinds[o.GetKind()] {
			if err := env.Client.Create(ctx, o.DeepCopy()); err != nil {
				t.Fatalf("create %s %s: %v", o.GetKind(), o.GetName(), err)
			}
		}
	}
	// A CI identity bound to the read-only ClusterRole, as docs/gitops.md shows.
	ci := "ci-plan"
	if err := env.Client.Create(ctx, readonlyBinding(ci)); err != nil {
		t.Fatal(err)
	}

	subjects := []struct {
		name   string
		user   string
		checks []check
	}{
		{"controller", ServiceAccountUser, controllerChecks()},
		{"readonly", ci, readonlyChecks()},
	}
	for _, s := range subjects {
		t.Run(s.name, func(t *testing.T) {
			cs := impersonate(t, env.Config, s.user)
			// The authorizer learns of new roles through its informers: wait for the first
			// allowed check before trusting a denial.
			first := s.checks[0]
			if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true,
				func(ctx context.Context) (bool, error) { return review(ctx, cs, first) }); err != nil {
				t.Fatalf("%s: %s never allowed: %v", s.user, first, err)
			}
			for _, c := range s.checks {
				got, err := review(ctx, cs, c)
				if err != nil {
					t.Fatalf("%s: %v", c, err)
				}
				if got != c.allowed {
					t.Errorf("%s may %s = %v, want %v", s.user, c, got, c.allowed)
				}
			}
		})
	}

	// The same answers for real requests.
	t.Run("calls", func(t *testing.T) {
		cs := impersonate(t, env.Config, ServiceAccountUser)
		if _, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{Limit: 1}); err != nil {
			t.Errorf("list nodes: %v", err)
		}
		if _, err := cs.PolicyV1().PodDisruptionBudgets("").List(ctx, metav1.ListOptions{Limit: 1}); err != nil {
			t.Errorf("list PodDisruptionBudgets: %v", err)
		}
		// A pod's eviction in a namespace: answered (NotFound: no such pod), not Forbidden.
		ev := &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: "absent", Namespace: "default"}}
		if err := cs.PolicyV1().Evictions("default").Evict(ctx, ev); !apierrors.IsNotFound(err) {
			t.Errorf("evict a pod: err = %v, want NotFound", err)
		}
		lease := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "nodeguardian-leader-test", Namespace: Namespace}}
		if _, err := cs.CoordinationV1().Leases(Namespace).Create(ctx, lease, metav1.CreateOptions{}); err != nil {
			t.Errorf("create a Lease in %s: %v", Namespace, err)
		}
		if _, err := cs.CoordinationV1().Leases("default").Create(ctx, lease, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
			t.Errorf("create a Lease in default: err = %v, want Forbidden", err)
		}
		if _, err := cs.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
			t.Errorf("list Secrets in kube-system: err = %v, want Forbidden", err)
		}
		if err := cs.CoreV1().Nodes().Delete(ctx, "any", metav1.DeleteOptions{}); !apierrors.IsForbidden(err) {
			t.Errorf("delete a node: err = %v, want Forbidden", err)
		}
	})
}

// impersonate returns a clientset that acts as user.
func impersonate(t *testing.T, cfg *rest.Config, user string) kubernetes.Interface {
	t.Helper()
	c := rest.CopyConfig(cfg)
	c.Impersonate = rest.ImpersonationConfig{UserName: user}
	cs, err := kubernetes.NewForConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// readonlyBinding binds nodeguardian-readonly to user.
func readonlyBinding(user string) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "nodeguardian-ci"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "nodeguardian-readonly"},
		Subjects:   []rbacv1.Subject{{APIGroup: "rbac.authorization.k8s.io", Kind: "User", Name: user}},
	}
}
