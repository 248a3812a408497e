package render

import (
	"bytes"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
)

// writeYAML renders the objects as a YAML stream, one manifest per document.
func writeYAML(objs []object) ([]byte, error) {
	var buf bytes.Buffer
	if len(objs) == 0 {
		return buf.Bytes(), nil // the encoder cannot close a stream without documents
	}
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	for _, o := range objs {
		if err := enc.Encode(manifest(o)); err != nil {
			return nil, fmt.Errorf("%s %q: %w", o.kind, o.name, err)
		}
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("finish YAML stream: %w", err)
	}
	return buf.Bytes(), nil
}

// manifest builds the document of one object: apiVersion, kind, metadata and spec.
func manifest(o object) *yaml.Node {
	meta := &node{kind: kindObject, fields: []field{{name: "name", value: &node{kind: kindString, text: o.name}}}}
	if o.labels != nil {
		meta.fields = append(meta.fields, field{name: "labels", value: o.labels})
	}
	if o.annotations != nil {
		meta.fields = append(meta.fields, field{name: "annotations", value: o.annotations})
	}
	doc := &node{kind: kindObject, fields: []field{
		{name: "apiVersion", value: &node{kind: kindString, text: v1.APIVersion}},
		{name: "kind", value: &node{kind: kindString, text: o.kind}},
		{name: "metadata", value: meta},
		{name: "spec", value: o.spec},
	}}
	return yamlNode(doc)
}

// yamlNode converts a tree node. Strings are tagged so that the encoder quotes those
// that would otherwise read back as another type ("true", "1.5"); numbers, booleans
// and null are left untagged so they print plainly.
func yamlNode(n *node) *yaml.Node {
	switch n.kind {
	case kindString:
		return yamlString(n.text)
	case kindNumber, kindBool:
		return &yaml.Node{Kind: yaml.ScalarNode, Value: n.text}
	case kindNull:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	case kindList:
		seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, item := range n.items {
			seq.Content = append(seq.Content, yamlNode(item))
		}
		return seq
	}
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, f := range n.fields {
		m.Content = append(m.Content, yamlString(f.name), yamlNode(f.value))
	}
	return m
}

// yamlString is a string scalar. The encoder quotes strings that YAML 1.2 would read as
// another type; those that only YAML 1.1 readers (sigs.k8s.io/yaml, goyaml.v2) would
// misread, such as yes, off or 1:20, are quoted here.
func yamlString(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if yaml11NonString(s) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// yaml11NonString reports whether a plain scalar s is a boolean or a sexagesimal
// number in YAML 1.1.
func yaml11NonString(s string) bool {
	switch s {
	case "y", "Y", "yes", "Yes", "YES", "on", "On", "ON",
		"n", "N", "no", "No", "NO", "off", "Off", "OFF":
		return true
	}
	if !strings.Contains(s, ":") {
		return false
	}
	return strings.Trim(s, "0123456789:._+-") == ""
}
