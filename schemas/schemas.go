// Package schemas embeds the generated CRDs and JSON Schema so that ngctl, the loader
// and the tests use exactly the files in this folder. Regenerate with `make generate`.
package schemas

import (
	"embed"
	"io/fs"
	"sort"
)

//go:embed crds/*.yaml
var crdFS embed.FS

// JSONSchema is the JSON Schema of rule and alert-template files.
//
//go:embed nodeguardian.schema.json
var JSONSchema []byte

// SchemaURL is the $id under which JSONSchema is registered.
const SchemaURL = "https://nodeguardian.k8s.io/schemas/nodeguardian.schema.json"

// CRDs returns the CRD manifests, sorted by file name.
func CRDs() ([][]byte, error) {
	names, err := fs.Glob(crdFS, "crds/*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([][]byte, 0, len(names))
	for _, n := range names {
		b, err := crdFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}
