package deploy

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/nodeguardian/nodeguardian/schemas"
)

var (
	buildOnce sync.Once
	built     []*unstructured.Unstructured
	buildErr  error
)

// objects returns the built base, built once per test binary.
func objects(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	buildOnce.Do(func() { built, buildErr = Build() })
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

// object returns the built object of that kind and name, converted to into.
func object(t *testing.T, kind, namespace, name string, into any) {
	t.Helper()
	for _, o := range objects(t) {
		if o.GetKind() == kind && o.GetNamespace() == namespace && o.GetName() == name {
			if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(o.Object, into, true); err != nil {
				t.Fatalf("%s %s/%s: %v", kind, namespace, name, err)
			}
			return
		}
	}
	t.Fatalf("the base has no %s %s/%s", kind, namespace, name)
}

func TestBuildHasExactlyTheseObjects(t *testing.T) {
	want := []string{
		"v1/Namespace //nodeguardian-system",
		"apiextensions.k8s.io/v1/CustomResourceDefinition //alerttemplates.nodeguardian.k8s.io",
		"apiextensions.k8s.io/v1/CustomResourceDefinition //nodeguardianrules.nodeguardian.k8s.io",
		"v1/ServiceAccount nodeguardian-system/nodeguardian-controller",
		"rbac.authorization.k8s.io/v1/ClusterRole //nodeguardian-controller",
		"rbac.authorization.k8s.io/v1/ClusterRoleBinding //nodeguardian-controller",
		"rbac.authorization.k8s.io/v1/Role nodeguardian-system/nodeguardian-controller",
		"rbac.authorization.k8s.io/v1/RoleBinding nodeguardian-system/nodeguardian-controller",
		"rbac.authorization.k8s.io/v1/ClusterRole //nodeguardian-readonly",
		"v1/ConfigMap nodeguardian-system/nodeguardian-config",
		"v1/ConfigMap nodeguardian-system/nodeguardian-alerts",
		"v1/Secret nodeguardian-system/nodeguardian-alert-secrets",
		"apps/v1/Deployment nodeguardian-system/nodeguardian-controller",
		"v1/Service nodeguardian-system/nodeguardian-controller-metrics",
	}
	var got []string
	for _, o := range objects(t) {
		ns := o.GetNamespace()
		if ns == "" {
			ns = "/"
		}
		got = append(got, o.GetAPIVersion()+"/"+o.GetKind()+" "+ns+"/"+o.GetName())
	}
	slices.Sort(want)
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
}

// TestCRDCopiesAreIdentical: deploy/crds is what `make generate` copies from
// schemas/crds, byte for byte, and nothing else.
func TestCRDCopiesAreIdentical(t *testing.T) {
	src, err := filepath.Glob(filepath.Join("..", "schemas", "crds", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dst, err := filepath.Glob(filepath.Join("crds", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	base := func(paths []string) []string {
		out := make([]string, len(paths))
		for i, p := range paths {
			out[i] = filepath.Base(p)
		}
		return out
	}
	if diff := cmp.Diff(base(src), base(dst)); diff != "" || len(src) == 0 {
		t.Fatalf("deploy/crds and schemas/crds hold different files (-schemas +deploy):\n%s\nrun `make generate`", diff)
	}
	for _, p := range src {
		a, errA := os.ReadFile(p)
		b, errB := os.ReadFile(filepath.Join("crds", filepath.Base(p)))
		if errA != nil || errB != nil {
			t.Fatal(errA, errB)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("deploy/crds/%s differs from schemas/crds: run `make generate`", filepath.Base(p))
		}
	}
}

// TestBuiltCRDsAreTheSchemas: kustomize changes nothing in the CRDs.
func TestBuiltCRDsAreTheSchemas(t *testing.T) {
	docs, err := schemas.CRDs()
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range docs {
		var want apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(doc, &want); err != nil {
			t.Fatal(err)
		}
		var got apiextensionsv1.CustomResourceDefinition
		object(t, "CustomResourceDefinition", "", want.Name, &got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("CRD %s (-schemas +built):\n%s", want.Name, diff)
		}
	}
}

func TestDeployment(t *testing.T) {
	var d appsv1.Deployment
	object(t, "Deployment", Namespace, "nodeguardian-controller", &d)
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
		t.Errorf("replicas = %v, want 2", d.Spec.Replicas)
	}
	pod := d.Spec.Template.Spec
	if pod.ServiceAccountName != ServiceAccount {
		t.Errorf("serviceAccountName = %q, want %q", pod.ServiceAccountName, ServiceAccount)
	}
	if psc := pod.SecurityContext; psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot ||
		psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext = %+v, want runAsNonRoot and seccomp RuntimeDefault", psc)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	if c.Image != "ghcr.io/nodeguardian/ngctl:latest" {
		t.Errorf("image = %q", c.Image)
	}
	for _, arg := range []string{"controller", "--enable-leader-election", "--metrics-addr=:8080",
		"--health-addr=:9440", "--alert-config=/etc/nodeguardian/alerts/config.yaml"} {
		if !slices.Contains(c.Args, arg) {
			t.Errorf("args %q lack %q", c.Args, arg)
		}
	}
	if len(c.Args) == 0 || c.Args[0] != "controller" {
		t.Errorf("args %q: the first must be the command, controller", c.Args)
	}

	sc := c.SecurityContext
	checks := []struct {
		name string
		ok   bool
	}{
		{"runAsNonRoot", sc != nil && sc.RunAsNonRoot != nil && *sc.RunAsNonRoot},
		{"readOnlyRootFilesystem", sc != nil && sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem},
		{"allowPrivilegeEscalation false", sc != nil && sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation},
		{"capabilities drop ALL, add none", sc != nil && sc.Capabilities != nil &&
			slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) && len(sc.Capabilities.Add) == 0},
		{"seccompProfile RuntimeDefault", sc != nil && sc.SeccompProfile != nil && sc.SeccompProfile.Type == corev1.SeccompProfileTypeRuntimeDefault},
		{"privileged unset", sc != nil && (sc.Privileged == nil || !*sc.Privileged)},
		{"requests and limits", !c.Resources.Requests.Cpu().IsZero() && !c.Resources.Requests.Memory().IsZero() &&
			!c.Resources.Limits.Cpu().IsZero() && !c.Resources.Limits.Memory().IsZero()},
		{"memory limit ≥ the 100 MiB goal", c.Resources.Limits.Memory().Value() >= 100<<20},
		{"no hostNetwork/hostPID", !pod.HostNetwork && !pod.HostPID && !pod.HostIPC},
	}
	for _, ch := range checks {
		if !ch.ok {
			t.Errorf("container %s: want %s; securityContext %+v, resources %+v", c.Name, ch.name, sc, c.Resources)
		}
	}

	probes := []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{
		{"liveness", c.LivenessProbe, "/healthz"},
		{"readiness", c.ReadinessProbe, "/readyz"},
	}
	for _, p := range probes {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("%s probe: want an HTTP GET %s", p.name, p.path)
			continue
		}
		port := p.probe.HTTPGet.Port.String()
		if p.probe.HTTPGet.Path != p.path || (port != "9440" && port != "healthz") {
			t.Errorf("%s probe = GET %s on %s, want %s on 9440", p.name, p.probe.HTTPGet.Path, port, p.path)
		}
	}
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if diff := cmp.Diff(map[string]int32{"http-metrics": 8080, "healthz": 9440}, ports); diff != "" {
		t.Errorf("container ports (-want +got):\n%s", diff)
	}

	env := map[string]*corev1.EnvVarSource{}
	for _, e := range c.Env {
		env[e.Name] = e.ValueFrom
	}
	if src := env["RUNTIME_NAMESPACE"]; src == nil || src.FieldRef == nil || src.FieldRef.FieldPath != "metadata.namespace" {
		t.Errorf("RUNTIME_NAMESPACE must come from the downward API (metadata.namespace): %+v", src)
	}
	if src := env["PROMETHEUS_URL"]; src == nil || src.ConfigMapKeyRef == nil || src.ConfigMapKeyRef.Name != "nodeguardian-config" {
		t.Errorf("PROMETHEUS_URL must come from the ConfigMap nodeguardian-config: %+v", src)
	} else {
		var cm corev1.ConfigMap
		object(t, "ConfigMap", Namespace, "nodeguardian-config", &cm)
		if _, ok := cm.Data[src.ConfigMapKeyRef.Key]; !ok {
			t.Errorf("ConfigMap nodeguardian-config has no key %s", src.ConfigMapKeyRef.Key)
		}
	}

	// The alert config: a required ConfigMap volume; its secrets: an optional Secret.
	mounts := map[string]corev1.VolumeMount{}
	for _, m := range c.VolumeMounts {
		mounts[m.Name] = m
	}
	var config, secrets *corev1.Volume
	for i, v := range pod.Volumes {
		switch {
		case v.ConfigMap != nil && v.ConfigMap.Name == "nodeguardian-alerts":
			config = &pod.Volumes[i]
		case v.Secret != nil && v.Secret.SecretName == "nodeguardian-alert-secrets":
			secrets = &pod.Volumes[i]
		case v.Secret != nil:
			t.Errorf("volume %s mounts the Secret %s: only nodeguardian-alert-secrets expected", v.Name, v.Secret.SecretName)
		}
	}
	if config == nil || (config.ConfigMap.Optional != nil && *config.ConfigMap.Optional) {
		t.Errorf("want the ConfigMap nodeguardian-alerts as a required volume: %+v", config)
	} else if m, ok := mounts[config.Name]; !ok || m.MountPath != "/etc/nodeguardian/alerts" || !m.ReadOnly {
		t.Errorf("the alerts ConfigMap must be mounted read-only at /etc/nodeguardian/alerts: %+v", c.VolumeMounts)
	}
	if secrets == nil || secrets.Secret.Optional == nil || !*secrets.Secret.Optional {
		t.Errorf("want the Secret nodeguardian-alert-secrets as an optional volume: %+v", secrets)
	} else if m, ok := mounts[secrets.Name]; !ok || m.MountPath != "/etc/nodeguardian/secrets" || !m.ReadOnly {
		t.Errorf("the alert secrets must be mounted read-only at /etc/nodeguardian/secrets: %+v", c.VolumeMounts)
	}
}

func TestMetricsService(t *testing.T) {
	var s corev1.Service
	object(t, "Service", Namespace, "nodeguardian-controller-metrics", &s)
	if len(s.Spec.Ports) != 1 || s.Spec.Ports[0].Name != "http-metrics" || s.Spec.Ports[0].Port != 8080 {
		t.Errorf("ports = %+v, want one, http-metrics 8080", s.Spec.Ports)
	}
	var d appsv1.Deployment
	object(t, "Deployment", Namespace, "nodeguardian-controller", &d)
	for k, v := range s.Spec.Selector {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("the Service selects %s=%s, which the controller's pods do not carry", k, v)
		}
	}
	if len(s.Spec.Selector) == 0 {
		t.Error("the Service selects nothing")
	}
}

// access is one (apiGroup, resource, verb) a role grants.
type access struct{ group, resource, verb string }

func (a access) String() string { return a.group + "/" + a.resource + ":" + a.verb }

// grants flattens rules to their accesses, failing on wildcards, resourceNames and
// nonResourceURLs, which no NodeGuardian role needs.
func grants(t *testing.T, role string, rules []rbacv1.PolicyRule) []access {
	t.Helper()
	var out []access
	for _, r := range rules {
		if len(r.ResourceNames) > 0 || len(r.NonResourceURLs) > 0 {
			t.Errorf("%s: rule %+v: no resourceNames or nonResourceURLs expected", role, r)
		}
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					if g == "*" || res == "*" || v == "*" || strings.Contains(res, "*") {
						t.Errorf("%s: wildcard in rule %+v", role, r)
					}
					out = append(out, access{g, res, v})
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b access) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// expand lists every verb of each (group, resources) row.
func expand(rows []rbacv1.PolicyRule) []access {
	var out []access
	for _, r := range rows {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					out = append(out, access{g, res, v})
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b access) int { return strings.Compare(a.String(), b.String()) })
	return out
}

func rule(group string, resources []string, verbs ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{APIGroups: []string{group}, Resources: resources, Verbs: verbs}
}

// controllerClusterAccess is everything `ngctl controller` may do cluster-wide.
var controllerClusterAccess = []rbacv1.PolicyRule{
	rule("", []string{"nodes"}, "get", "list", "watch", "patch"),
	rule("", []string{"pods"}, "list", "watch"),
	rule("", []string{"pods/eviction"}, "create"),
	rule("metrics.k8s.io", []string{"nodes"}, "list"),
	rule("policy", []string{"poddisruptionbudgets"}, "list", "watch"),
	rule("", []string{"events"}, "create", "patch"),
	rule("events.k8s.io", []string{"events"}, "create", "patch"),
	rule("nodeguardian.k8s.io", []string{"nodeguardianrules", "alerttemplates"}, "get", "list", "watch"),
	rule("nodeguardian.k8s.io", []string{"nodeguardianrules/status"}, "patch"),
}

// controllerNamespaceAccess is what it may do in its own namespace only.
var controllerNamespaceAccess = []rbacv1.PolicyRule{
	rule("coordination.k8s.io", []string{"leases"}, "get", "list", "watch", "create", "update", "patch"),
	rule("", []string{"secrets"}, "get", "list", "watch"),
}

// readonlyAccess is what a CI plan reads.
var readonlyAccess = []rbacv1.PolicyRule{
	rule("", []string{"nodes", "pods"}, "get", "list"),
	rule("policy", []string{"poddisruptionbudgets"}, "get", "list"),
	rule("nodeguardian.k8s.io", []string{"nodeguardianrules", "alerttemplates"}, "get", "list"),
	rule("metrics.k8s.io", []string{"nodes"}, "list"),
}

func TestRolesAreExactlyLeastPrivilege(t *testing.T) {
	cases := []struct {
		kind, namespace, name string
		want                  []rbacv1.PolicyRule
	}{
		{"ClusterRole", "", "nodeguardian-controller", controllerClusterAccess},
		{"Role", Namespace, "nodeguardian-controller", controllerNamespaceAccess},
		{"ClusterRole", "", "nodeguardian-readonly", readonlyAccess},
	}
	for _, tc := range cases {
		t.Run(tc.kind+"/"+tc.name, func(t *testing.T) {
			var rules []rbacv1.PolicyRule
			if tc.kind == "Role" {
				var r rbacv1.Role
				object(t, tc.kind, tc.namespace, tc.name, &r)
				rules = r.Rules
			} else {
				var r rbacv1.ClusterRole
				object(t, tc.kind, tc.namespace, tc.name, &r)
				if r.AggregationRule != nil {
					t.Errorf("aggregationRule %+v: not expected", r.AggregationRule)
				}
				rules = r.Rules
			}
			if diff := cmp.Diff(expand(tc.want), grants(t, tc.name, rules), cmp.Comparer(func(a, b access) bool { return a == b })); diff != "" {
				t.Errorf("%s %s grants (-want +got):\n%s", tc.kind, tc.name, diff)
			}
		})
	}
}

func TestSecretsAndLeasesOnlyInTheNamespace(t *testing.T) {
	var cr rbacv1.ClusterRole
	object(t, "ClusterRole", "", "nodeguardian-controller", &cr)
	for _, a := range grants(t, cr.Name, cr.Rules) {
		if a.resource == "secrets" || a.resource == "leases" || a.resource == "configmaps" {
			t.Errorf("the ClusterRole grants %s: only the namespaced Role may", a)
		}
	}
}

func TestReadonlyClusterRoleWritesNothingAndIsUnbound(t *testing.T) {
	var cr rbacv1.ClusterRole
	object(t, "ClusterRole", "", "nodeguardian-readonly", &cr)
	for _, a := range grants(t, cr.Name, cr.Rules) {
		if !slices.Contains([]string{"get", "list", "watch"}, a.verb) {
			t.Errorf("read-only ClusterRole grants %s", a)
		}
		if strings.Contains(a.resource, "/") || a.resource == "secrets" {
			t.Errorf("read-only ClusterRole grants %s: no subresources or secrets", a)
		}
	}
	for _, o := range objects(t) {
		if ref, _, _ := unstructured.NestedString(o.Object, "roleRef", "name"); ref == cr.Name {
			t.Errorf("%s %s binds %s: the base must leave it unbound", o.GetKind(), o.GetName(), cr.Name)
		}
	}
}

func TestBindingsNameTheControllerServiceAccount(t *testing.T) {
	cases := []struct{ kind, namespace, roleKind string }{
		{"ClusterRoleBinding", "", "ClusterRole"},
		{"RoleBinding", Namespace, "Role"},
	}
	for _, tc := range cases {
		t.Run(tc.kind, func(t *testing.T) {
			var b rbacv1.RoleBinding // a ClusterRoleBinding has the same fields
			object(t, tc.kind, tc.namespace, "nodeguardian-controller", &b)
			want := []rbacv1.Subject{{Kind: "ServiceAccount", Name: ServiceAccount, Namespace: Namespace}}
			if diff := cmp.Diff(want, b.Subjects); diff != "" {
				t.Errorf("subjects (-want +got):\n%s", diff)
			}
			if b.RoleRef.Kind != tc.roleKind || b.RoleRef.Name != "nodeguardian-controller" {
				t.Errorf("roleRef = %+v", b.RoleRef)
			}
		})
	}
}

// The base creates the Secret of the alert channels' secret files empty, and Flux
// creates it once and never writes it again (ssa: IfNotPresent): the values people put
// in it are never overwritten by a reconcile, and the base holds no secret.
func TestAlertSecretsCreatedEmptyOnce(t *testing.T) {
	var s corev1.Secret
	object(t, "Secret", Namespace, "nodeguardian-alert-secrets", &s)
	if len(s.Data) != 0 || len(s.StringData) != 0 {
		t.Errorf("the base's Secret holds data: %d keys, %d string keys", len(s.Data), len(s.StringData))
	}
	if got := s.Annotations["kustomize.toolkit.fluxcd.io/ssa"]; got != "IfNotPresent" {
		t.Errorf("annotation kustomize.toolkit.fluxcd.io/ssa = %q, want IfNotPresent", got)
	}
	if s.Type != corev1.SecretTypeOpaque {
		t.Errorf("type %q, want Opaque", s.Type)
	}
}

// terminationGracePeriodSeconds bounds how long SIGTERM lets an apply run: the
// Deployment's value is the one docs/controller.md gives.
func TestGracePeriodDocumented(t *testing.T) {
	var d appsv1.Deployment
	object(t, "Deployment", Namespace, "nodeguardian-controller", &d)
	g := d.Spec.Template.Spec.TerminationGracePeriodSeconds
	if g == nil || *g < 60 {
		t.Fatalf("terminationGracePeriodSeconds = %v, want at least 60 (an apply's evictions and alert retries)", g)
	}
	doc, err := os.ReadFile(filepath.Join("..", "docs", "controller.md"))
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("`terminationGracePeriodSeconds: %d`", *g); !strings.Contains(string(doc), want) {
		t.Errorf("docs/controller.md does not give the Deployment's %s", want)
	}
}
