// Package testenv runs a real Kubernetes control plane (kube-apiserver and etcd, through
// controller-runtime's envtest) with the NodeGuardian CRDs installed, for tests.
//
// The binaries come from $KUBEBUILDER_ASSETS or else <repo root>/bin/k8s, which
// `make envtest-assets` fills. When they are missing the tests that need them are
// skipped, unless NODEGUARDIAN_REQUIRE_ENVTEST=1, when they fail.
//
// One control plane per test:
//
//	func TestSomething(t *testing.T) {
//		env := testenv.Start(t)
//		_ = env.Client.Create(ctx, obj)
//	}
//
// One control plane per test binary, started from TestMain:
//
//	func TestMain(m *testing.M) {
//		env, stop, err := testenv.StartShared()
//		if err != nil && !errors.Is(err, testenv.ErrAssetsMissing) {
//			fmt.Fprintln(os.Stderr, err)
//			os.Exit(1)
//		}
//		shared = env // nil when the binaries are missing
//		code := m.Run()
//		stop()
//		os.Exit(code)
//	}
//
//	func TestSomething(t *testing.T) {
//		env := testenv.Need(t, shared) // skips (or fails) when shared is nil
//		...
//	}
//
// Every NodeGuardian kind is cluster-scoped, so tests sharing a control plane must use
// distinct object names.
package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/schemas"
)

// Environment variables read by this package.
const (
	// EnvAssets names the directory holding kube-apiserver and etcd.
	EnvAssets = "KUBEBUILDER_ASSETS"
	// EnvRequire, when "1", turns a skip for missing binaries into a failure.
	EnvRequire = "NODEGUARDIAN_REQUIRE_ENVTEST"
	// envStartTimeout is envtest's own start-timeout override; when set it wins over
	// DefaultStartTimeout.
	envStartTimeout = "KUBEBUILDER_CONTROLPLANE_START_TIMEOUT"
)

// DefaultStartTimeout bounds the start of each control-plane process. envtest's default
// (20s) is tight on a small, busy machine.
const DefaultStartTimeout = 90 * time.Second

// establishedTimeout bounds the wait for the CRDs to become Established.
const establishedTimeout = 30 * time.Second

// ErrAssetsMissing reports that kube-apiserver or etcd could not be found.
var ErrAssetsMissing = errors.New("envtest binaries missing: run `make envtest-assets` (or set " + EnvAssets + ")")

// Env is a running control plane with the NodeGuardian CRDs installed and Established.
type Env struct {
	// Config reaches the API server as a system:masters user.
	Config *rest.Config
	// Client is a controller-runtime client whose scheme knows api/v1, the core
	// Kubernetes kinds and apiextensions.k8s.io/v1.
	Client client.Client
	// Scheme is the scheme of Client.
	Scheme *runtime.Scheme
	// Kubeconfig is the path of a kubeconfig file for the control plane, for CLI tests.
	// It is removed when the control plane stops.
	Kubeconfig string
	// AssetsDir is the directory the binaries were taken from.
	AssetsDir string
	// StartupTime is how long starting the control plane and installing the CRDs took.
	StartupTime time.Duration
}

// Start starts kube-apiserver and etcd with the NodeGuardian CRDs installed and
// Established, and stops them with t.Cleanup.
//
// Binaries come from $KUBEBUILDER_ASSETS or else <repo root>/bin/k8s (the repo root is
// found by walking up to go.mod). If they are missing the test is skipped with a
// message saying to run `make envtest-assets`, unless NODEGUARDIAN_REQUIRE_ENVTEST=1,
// in which case it fails.
func Start(t testing.TB) *Env {
	t.Helper()
	return StartWith(t, Options{})
}

// Need returns env, which a TestMain got from StartShared, or skips the test with the
// `make envtest-assets` message when env is nil (fails instead when
// NODEGUARDIAN_REQUIRE_ENVTEST=1).
func Need(t testing.TB, env *Env) *Env {
	t.Helper()
	if env == nil {
		skipOrFail(t, ErrAssetsMissing)
	}
	return env
}

// StartShared starts a control plane like Start, for use from TestMain: the caller must
// call stop (which is never nil, and safe to call more than once) when done. When the
// binaries are missing the error wraps ErrAssetsMissing, whatever
// NODEGUARDIAN_REQUIRE_ENVTEST says; hand the nil Env to Need in each test to skip or
// fail it.
func StartShared() (env *Env, stop func(), err error) {
	return StartSharedWith(Options{})
}

// Options tune a control plane started with StartWith or StartSharedWith. The zero value
// starts the same control plane as Start.
type Options struct {
	// AuditLogPath, when set, makes kube-apiserver write an audit log there: one JSON
	// event per line (audit.k8s.io/v1 Event), at level Metadata for every request but
	// evictions, logged at level Request (their body: AuditEvent.DryRunEviction), and
	// only at the ResponseComplete and Panic stages, so that each request the server
	// answered is one line. The file is written as requests complete (the log backend's
	// blocking mode); read it with ReadAudit.
	AuditLogPath string
}

// StartWith is Start with options.
func StartWith(t testing.TB, o Options) *Env {
	t.Helper()
	env, stop, err := StartSharedWith(o)
	if errors.Is(err, ErrAssetsMissing) {
		skipOrFail(t, err)
		return nil
	}
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(stop)
	t.Logf("testenv: control plane from %s ready in %s", env.AssetsDir, env.StartupTime.Round(time.Millisecond))
	return env
}

// StartSharedWith is StartShared with options.
func StartSharedWith(o Options) (env *Env, stop func(), err error) {
	noop := func() {}
	dir, err := AssetsDir()
	if err != nil {
		return nil, noop, err
	}
	crds, err := CRDs()
	if err != nil {
		return nil, noop, err
	}
	scheme, err := NewScheme()
	if err != nil {
		return nil, noop, err
	}

	tmp, err := os.MkdirTemp("", "nodeguardian-testenv-")
	if err != nil {
		return nil, noop, fmt.Errorf("kubeconfig directory: %w", err)
	}
	var audit *auditArgs
	if o.AuditLogPath != "" {
		policy := filepath.Join(tmp, "audit-policy.yaml")
		if err := os.WriteFile(policy, []byte(auditPolicy), 0o600); err != nil {
			_ = os.RemoveAll(tmp)
			return nil, noop, fmt.Errorf("write audit policy: %w", err)
		}
		audit = &auditArgs{policy: policy, log: o.AuditLogPath}
	}

	began := time.Now()
	te, cfg, err := startControlPlane(dir, scheme, crds, audit)
	if err != nil {
		_ = os.RemoveAll(tmp)
		return nil, noop, err
	}

	var once sync.Once
	stop = func() {
		once.Do(func() {
			if err := te.Stop(); err != nil {
				fmt.Fprintf(os.Stderr, "testenv: stop control plane: %v\n", err)
			}
			_ = os.RemoveAll(tmp)
		})
	}

	kubeconfig := filepath.Join(tmp, "kubeconfig")
	if err := os.WriteFile(kubeconfig, te.KubeConfig, 0o600); err != nil {
		stop()
		return nil, noop, fmt.Errorf("write kubeconfig: %w", err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		stop()
		return nil, noop, fmt.Errorf("client: %w", err)
	}
	if err := ready(c, crds); err != nil {
		stop()
		return nil, noop, err
	}
	return &Env{
		Config:      cfg,
		Client:      c,
		Scheme:      scheme,
		Kubeconfig:  kubeconfig,
		AssetsDir:   dir,
		StartupTime: time.Since(began),
	}, stop, nil
}

// NewScheme returns a new scheme with api/v1, the core Kubernetes kinds and
// apiextensions.k8s.io/v1.
func NewScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		clientgoscheme.AddToScheme,
		apiextensionsv1.AddToScheme,
		v1.AddToScheme,
	} {
		if err := add(s); err != nil {
			return nil, fmt.Errorf("build scheme: %w", err)
		}
	}
	return s, nil
}

// CRDs decodes the CRDs embedded in package schemas.
func CRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	docs, err := schemas.CRDs()
	if err != nil {
		return nil, fmt.Errorf("read embedded CRDs: %w", err)
	}
	out := make([]*apiextensionsv1.CustomResourceDefinition, 0, len(docs))
	for i, doc := range docs {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(doc, crd); err != nil {
			return nil, fmt.Errorf("decode embedded CRD %d: %w", i, err)
		}
		out = append(out, crd)
	}
	if len(out) == 0 {
		return nil, errors.New("no CRDs embedded in package schemas")
	}
	return out, nil
}

// WaitEstablished waits until every CRD named in crds has the conditions Established
// and NamesAccepted true on the server.
func WaitEstablished(ctx context.Context, c client.Client, crds []*apiextensionsv1.CustomResourceDefinition) error {
	for _, want := range crds {
		var last *apiextensionsv1.CustomResourceDefinition
		err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			got := &apiextensionsv1.CustomResourceDefinition{}
			if err := c.Get(ctx, types.NamespacedName{Name: want.Name}, got); err != nil {
				return false, nil //nolint:nilerr // not created yet: keep polling
			}
			last = got
			return IsEstablished(got), nil
		})
		if err != nil {
			return fmt.Errorf("CRD %s not Established (conditions %s): %w", want.Name, conditionSummary(last), err)
		}
	}
	return nil
}

// warmUp lists every kind the CRDs define, in parallel. The first request for a new
// custom resource gets a 429 ("storage is (re)initializing") while the API server's watch
// cache starts, and the client retries after a second; doing it here keeps that second
// out of the tests.
func warmUp(ctx context.Context, c client.Client, crds []*apiextensionsv1.CustomResourceDefinition) error {
	var lists []*metav1.PartialObjectMetadataList
	for _, crd := range crds {
		for _, ver := range crd.Spec.Versions {
			if ver.Served {
				l := &metav1.PartialObjectMetadataList{}
				l.SetGroupVersionKind(schema.GroupVersionKind{Group: crd.Spec.Group, Version: ver.Name, Kind: crd.Spec.Names.ListKind})
				lists = append(lists, l)
			}
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, len(lists))
	for i, l := range lists {
		wg.Go(func() {
			if err := c.List(ctx, l, client.Limit(1)); err != nil {
				errs[i] = fmt.Errorf("warm up %s: %w", l.GroupVersionKind(), err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// createDelay is how long after a CRD becomes Established the API server holds every
// create of its resources for two seconds (apiextensions-apiserver's crdHandler, "so
// that in HA environments ... a followup get, update, delete" does not 404).
const createDelay = 2 * time.Second

// waitCreateDelay returns once creates of the CRDs' resources are no longer delayed, so
// that the first create in a test does not take two extra seconds.
func waitCreateDelay(ctx context.Context, c client.Client, crds []*apiextensionsv1.CustomResourceDefinition) error {
	var latest time.Time
	for _, want := range crds {
		got := &apiextensionsv1.CustomResourceDefinition{}
		if err := c.Get(ctx, types.NamespacedName{Name: want.Name}, got); err != nil {
			return fmt.Errorf("get CRD %s: %w", want.Name, err)
		}
		for _, cond := range got.Status.Conditions {
			if cond.Type == apiextensionsv1.Established && cond.LastTransitionTime.After(latest) {
				latest = cond.LastTransitionTime.Time
			}
		}
	}
	// The server compares with the same second-truncated timestamp; the margin covers
	// clock reads on either side.
	d := time.Until(latest.Add(createDelay + 100*time.Millisecond))
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for the CRDs' create delay: %w", ctx.Err())
	}
}

// IsEstablished reports whether crd has Established and NamesAccepted true.
func IsEstablished(crd *apiextensionsv1.CustomResourceDefinition) bool {
	established, accepted := false, false
	for _, c := range crd.Status.Conditions {
		switch {
		case c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue:
			established = true
		case c.Type == apiextensionsv1.NamesAccepted && c.Status == apiextensionsv1.ConditionTrue:
			accepted = true
		}
	}
	return established && accepted
}

func conditionSummary(crd *apiextensionsv1.CustomResourceDefinition) string {
	if crd == nil {
		return "<not found>"
	}
	out := ""
	for _, c := range crd.Status.Conditions {
		out += fmt.Sprintf("[%s=%s %s: %s]", c.Type, c.Status, c.Reason, c.Message)
	}
	return out
}

// AssetsDir returns the directory holding kube-apiserver and etcd: $KUBEBUILDER_ASSETS
// when set, else <repo root>/bin/k8s. The error wraps ErrAssetsMissing when either
// binary is absent.
func AssetsDir() (string, error) {
	dir := os.Getenv(EnvAssets)
	if dir == "" {
		root, err := RepoRoot()
		if err != nil {
			return "", fmt.Errorf("%w: %w", ErrAssetsMissing, err)
		}
		dir = filepath.Join(root, "bin", "k8s")
	}
	for _, name := range []string{"kube-apiserver", "etcd"} {
		p := filepath.Join(dir, name)
		fi, err := os.Stat(p)
		if err != nil {
			return "", fmt.Errorf("%w: %w", ErrAssetsMissing, err)
		}
		if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
			return "", fmt.Errorf("%w: %s is not an executable file", ErrAssetsMissing, p)
		}
	}
	return dir, nil
}

// RepoRoot returns the nearest directory at or above the working directory that holds
// a go.mod file.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

func skipOrFail(t testing.TB, err error) {
	t.Helper()
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf("testenv: %v (%s=1)", err, EnvRequire)
	}
	t.Skipf("testenv: %v; skipping (set %s=1 to fail instead)", err, EnvRequire)
}

// startControlPlane starts kube-apiserver and etcd from dir with the CRDs installed.
func startControlPlane(dir string, scheme *runtime.Scheme, crds []*apiextensionsv1.CustomResourceDefinition, audit *auditArgs) (*envtest.Environment, *rest.Config, error) {
	te := &envtest.Environment{Scheme: scheme, CRDs: crds}
	te.ControlPlane.GetAPIServer().Path = filepath.Join(dir, "kube-apiserver")
	if audit != nil {
		te.ControlPlane.GetAPIServer().Configure().
			Set("audit-policy-file", audit.policy).
			Set("audit-log-path", audit.log).
			Set("audit-log-format", "json").
			Set("audit-log-mode", "blocking")
	}
	te.ControlPlane.Etcd = &envtest.Etcd{Path: filepath.Join(dir, "etcd")}
	if os.Getenv(envStartTimeout) == "" {
		te.ControlPlaneStartTimeout = DefaultStartTimeout
	}
	cfg, err := te.Start()
	if err != nil {
		// Start may leave processes behind when it fails after the control plane is up.
		_ = te.Stop()
		return nil, nil, fmt.Errorf("start control plane from %s: %w", dir, err)
	}
	return te, cfg, nil
}

// ready waits until the CRDs are Established and their first create and list are fast.
func ready(c client.Client, crds []*apiextensionsv1.CustomResourceDefinition) error {
	ctx, cancel := context.WithTimeout(context.Background(), establishedTimeout)
	defer cancel()
	if err := WaitEstablished(ctx, c, crds); err != nil {
		return err
	}
	if err := warmUp(ctx, c, crds); err != nil {
		return err
	}
	return waitCreateDelay(ctx, c, crds)
}
