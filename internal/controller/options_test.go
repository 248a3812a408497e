package controller

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/fluxcd/pkg/runtime/leaderelection"
)

// The Lease's namespace defaults to $RUNTIME_NAMESPACE (Flux's convention, set from the
// downward API by deploy/), else the service account's namespace file, else "" (then
// leader election is refused without --leader-election-namespace).
func TestDefaultNamespace(t *testing.T) {
	dir := t.TempDir()
	sa := filepath.Join(dir, "namespace")
	if err := os.WriteFile(sa, []byte("from-sa\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "RUNTIME_NAMESPACE" {
				return v
			}
			return ""
		}
	}
	for _, tc := range []struct {
		name, env, file, want string
	}{
		{"RUNTIME_NAMESPACE first", "from-env", sa, "from-env"},
		{"the service account's namespace", "", sa, "from-sa"},
		{"neither", "", filepath.Join(dir, "absent"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := namespaceFrom(env(tc.env), tc.file); got != tc.want {
				t.Errorf("namespace = %q, want %q", got, tc.want)
			}
		})
	}
}

// withDefaults takes the namespace from the environment unless one is given.
func TestWithDefaultsNamespace(t *testing.T) {
	t.Setenv("RUNTIME_NAMESPACE", "flux-style")
	if got := (Options{}).withDefaults().LeaderElectionNamespace; got != "flux-style" {
		t.Errorf("default Lease namespace = %q, want $RUNTIME_NAMESPACE", got)
	}
	if got := (Options{LeaderElectionNamespace: "given"}).withDefaults().LeaderElectionNamespace; got != "given" {
		t.Errorf("given Lease namespace = %q, want it kept", got)
	}
	t.Setenv("RUNTIME_NAMESPACE", "")
	if _, err := os.Stat(serviceAccountNamespace); err == nil {
		t.Skip("running in a pod: the service account's namespace is set")
	}
	_, _, err := build(nil, Options{LeaderElection: leaderelection.Options{Enable: true}})
	if err == nil || !contains(err.Error(), "RUNTIME_NAMESPACE") {
		t.Errorf("leader election without a namespace: err = %v, want one naming $RUNTIME_NAMESPACE", err)
	}
}
