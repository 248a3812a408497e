// Package deploy holds the kustomize base that installs the NodeGuardian controller
// (the YAML files in this folder) and builds it as `kubectl kustomize deploy` does, for
// tests and tools. crds/ holds copies of schemas/crds that `make generate` refreshes.
package deploy

import (
	"embed"
	"fmt"
	"io/fs"
	"path"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

//go:embed *.yaml crds/*.yaml
var files embed.FS

// Namespace is the namespace the base installs the controller into.
const Namespace = "nodeguardian-system"

// ServiceAccount is the controller's ServiceAccount name, in Namespace.
const ServiceAccount = "nodeguardian-controller"

// ServiceAccountUser is the user name the API server gives ServiceAccount's tokens.
const ServiceAccountUser = "system:serviceaccount:" + Namespace + ":" + ServiceAccount

// Build renders the kustomize base with the kustomize API (the engine of
// `kubectl kustomize`), from the files embedded in this package, and returns its
// objects in kustomize's output order.
func Build() ([]*unstructured.Unstructured, error) {
	mem := filesys.MakeFsInMemory()
	const root = "/deploy"
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		return mem.WriteFile(path.Join(root, p), b)
	})
	if err != nil {
		return nil, fmt.Errorf("deploy: copy the base: %w", err)
	}
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(mem, root)
	if err != nil {
		return nil, fmt.Errorf("deploy: kustomize build: %w", err)
	}
	out := make([]*unstructured.Unstructured, 0, rm.Size())
	for _, r := range rm.Resources() {
		m, err := r.Map()
		if err != nil {
			return nil, fmt.Errorf("deploy: %s: %w", r.CurId(), err)
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
	return out, nil
}
