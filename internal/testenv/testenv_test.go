package testenv_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/testenv"
)

func TestAssetsDir(t *testing.T) {
	empty := t.TempDir()
	withBinaries := t.TempDir()
	for _, name := range []string{"kube-apiserver", "etcd"} {
		if err := os.WriteFile(filepath.Join(withBinaries, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	notExecutable := t.TempDir()
	for _, name := range []string{"kube-apiserver", "etcd"} {
		if err := os.WriteFile(filepath.Join(notExecutable, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name        string
		dir         string
		wantMissing bool
	}{
		{name: "empty directory", dir: empty, wantMissing: true},
		{name: "no such directory", dir: filepath.Join(empty, "nope"), wantMissing: true},
		{name: "not executable", dir: notExecutable, wantMissing: true},
		{name: "both binaries", dir: withBinaries},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(testenv.EnvAssets, tt.dir)
			got, err := testenv.AssetsDir()
			if tt.wantMissing {
				if !errors.Is(err, testenv.ErrAssetsMissing) {
					t.Fatalf("AssetsDir() = %q, %v; want an error wrapping ErrAssetsMissing", got, err)
				}
				return
			}
			if err != nil || got != tt.dir {
				t.Fatalf("AssetsDir() = %q, %v; want %q, nil", got, err, tt.dir)
			}
		})
	}
}

func TestRepoRoot(t *testing.T) {
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "api", "v1")); err != nil {
		t.Fatalf("RepoRoot() = %q, which has no api/v1: %v", root, err)
	}
}

func TestCRDs(t *testing.T) {
	crds, err := testenv.CRDs()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, c := range crds {
		got[c.Spec.Names.Kind] = true
	}
	for _, kind := range []string{v1.KindRule, v1.KindAlertTemplate} {
		if !got[kind] {
			t.Errorf("CRDs() has no CRD for kind %s", kind)
		}
	}
}

func TestEnvtestStart(t *testing.T) {
	env := testenv.Start(t)
	ctx := context.Background()

	crds := &apiextensionsv1.CustomResourceDefinitionList{}
	if err := env.Client.List(ctx, crds); err != nil {
		t.Fatalf("list CRDs: %v", err)
	}
	for _, crd := range crds.Items {
		if !testenv.IsEstablished(&crd) {
			t.Errorf("CRD %s is not Established", crd.Name)
		}
	}
	tests := []struct {
		name string
		list client.ObjectList
	}{
		{name: "rules", list: &v1.NodeGuardianRuleList{}},
		{name: "alert templates", list: &v1.AlertTemplateList{}},
		{name: "nodes", list: &corev1.NodeList{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := env.Client.List(ctx, tt.list); err != nil {
				t.Fatalf("list: %v", err)
			}
		})
	}

	t.Run("kubeconfig", func(t *testing.T) {
		cfg, err := clientcmd.BuildConfigFromFlags("", env.Kubeconfig)
		if err != nil {
			t.Fatalf("load %s: %v", env.Kubeconfig, err)
		}
		c, err := client.New(cfg, client.Options{Scheme: env.Scheme})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.List(ctx, &v1.NodeGuardianRuleList{}); err != nil {
			t.Fatalf("list rules through the kubeconfig: %v", err)
		}
	})
}
