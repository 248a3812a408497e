// Package schemagen turns the generated CRDs into a JSON Schema for rule files: the same
// structural schema, made strict (unknown fields are errors) and free of Kubernetes
// extensions, so editors and the loader check files exactly as the API server would.
package schemagen

import (
	"encoding/json"
	"fmt"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// SchemaID is the $id of the generated schema.
const SchemaID = "https://nodeguardian.k8s.io/schemas/nodeguardian.schema.json"

// FromCRDs builds the JSON Schema document from CRD manifests (YAML).
func FromCRDs(manifests ...[]byte) ([]byte, error) {
	defs := map[string]any{}
	var kinds []any
	var branches []any
	for _, m := range manifests {
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(m, &crd); err != nil {
			return nil, fmt.Errorf("read CRD: %w", err)
		}
		if len(crd.Spec.Versions) != 1 || crd.Spec.Versions[0].Schema == nil {
			return nil, fmt.Errorf("CRD %s: want exactly one version with a schema", crd.Name)
		}
		v := crd.Spec.Versions[0]
		raw, err := json.Marshal(v.Schema.OpenAPIV3Schema)
		if err != nil {
			return nil, fmt.Errorf("CRD %s: %w", crd.Name, err)
		}
		var s map[string]any
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("CRD %s: %w", crd.Name, err)
		}
		kind := crd.Spec.Names.Kind
		apiVersion := crd.Spec.Group + "/" + v.Name
		strict(s)
		props := s["properties"].(map[string]any)
		props["apiVersion"] = map[string]any{"const": apiVersion}
		props["kind"] = map[string]any{"const": kind}
		props["metadata"] = metadataSchema()
		s["required"] = appendUnique(s["required"], "apiVersion", "kind", "metadata")
		defs[kind] = s
		kinds = append(kinds, kind)
		branches = append(branches, map[string]any{
			"if":   map[string]any{"properties": map[string]any{"kind": map[string]any{"const": kind}}, "required": []any{"kind"}},
			"then": map[string]any{"$ref": "#/$defs/" + kind},
		})
	}
	doc := map[string]any{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"$id":         SchemaID,
		"title":       "NodeGuardian rules and alert templates",
		"description": "Generated from api/v1 by `make generate`; do not edit.",
		"type":        "object",
		"required":    []any{"apiVersion", "kind"},
		"properties":  map[string]any{"kind": map[string]any{"enum": kinds}},
		"allOf":       branches,
		"$defs":       defs,
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// strict rewrites a structural schema in place: objects with properties reject unknown
// fields, int-or-string becomes a JSON Schema union, Kubernetes extensions go.
func strict(s map[string]any) {
	if s["x-kubernetes-int-or-string"] == true {
		delete(s, "anyOf")
		s["type"] = []any{"integer", "string"}
	}
	preserve := s["x-kubernetes-preserve-unknown-fields"] == true
	for k := range s {
		if len(k) > 2 && k[:2] == "x-" {
			delete(s, k)
		}
	}
	if props, ok := s["properties"].(map[string]any); ok {
		for _, p := range props {
			strict(p.(map[string]any))
		}
		if !preserve {
			s["additionalProperties"] = false
		}
	}
	if ap, ok := s["additionalProperties"].(map[string]any); ok {
		strict(ap)
	}
	if items, ok := s["items"].(map[string]any); ok {
		strict(items)
	}
}

func metadataSchema() map[string]any {
	str := map[string]any{"type": "string"}
	return map[string]any{
		"type":     "object",
		"required": []any{"name"},
		"properties": map[string]any{
			"name":        map[string]any{"type": "string", "minLength": 1, "maxLength": 253},
			"labels":      map[string]any{"type": "object", "additionalProperties": str},
			"annotations": map[string]any{"type": "object", "additionalProperties": str},
		},
	}
}

func appendUnique(list any, names ...string) []any {
	out, _ := list.([]any)
	seen := map[any]bool{}
	for _, v := range out {
		seen[v] = true
	}
	for _, n := range names {
		if !seen[n] {
			out = append(out, n)
		}
	}
	return out
}
