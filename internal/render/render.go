// Package render writes NodeGuardian rules and alert templates as canonical HCL (the
// format of docs/hcl-format.md) or as a stream of YAML manifests, and formats HCL files.
//
// Both formats are generated from one format-neutral tree built from the API types by
// their JSON field names and order, so every field of the API is rendered, in the same
// order, by both.
package render

import (
	"errors"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/srclimit"
)

// HCL renders rules and templates as canonical HCL (hclwrite, then hclwrite.Format):
// one `rule "name"` block per rule, then one `alert_template "name"` block per template.
// Unset and empty optional fields are left out.
func HCL(rules []*v1.NodeGuardianRule, templates []*v1.AlertTemplate) ([]byte, error) {
	objs, err := objects(rules, templates)
	if err != nil {
		return nil, fmt.Errorf("render HCL: %w", err)
	}
	src, err := writeHCL(objs)
	if err != nil {
		return nil, fmt.Errorf("render HCL: %w", err)
	}
	if err := srclimit.CheckHCL("rendered.hcl", src); err != nil {
		return nil, fmt.Errorf("render HCL: %w", err)
	}
	out := hclwrite.Format(src)
	if _, diags := hclsyntax.ParseConfig(out, "rendered.hcl", hcl.InitialPos); diags.HasErrors() {
		return nil, fmt.Errorf("render HCL: output does not parse: %w", diagsError(diags))
	}
	return out, nil
}

// YAML renders rules and templates as a multi-document YAML stream of manifests
// (apiVersion nodeguardian.k8s.io/v1, kind, metadata with name, labels and annotations,
// spec; no status and no empty fields), rules first, with "---" between documents.
func YAML(rules []*v1.NodeGuardianRule, templates []*v1.AlertTemplate) ([]byte, error) {
	objs, err := objects(rules, templates)
	if err != nil {
		return nil, fmt.Errorf("render YAML: %w", err)
	}
	out, err := writeYAML(objs)
	if err != nil {
		return nil, fmt.Errorf("render YAML: %w", err)
	}
	return out, nil
}

// FormatHCL returns the canonical formatting of an HCL file; a syntax error, or a file
// over srclimit's size or nesting limits, is returned as an error naming file:line:col.
func FormatHCL(file string, src []byte) ([]byte, error) {
	if err := srclimit.CheckHCL(file, src); err != nil {
		return nil, err
	}
	if _, diags := hclsyntax.ParseConfig(src, file, hcl.InitialPos); diags.HasErrors() {
		return nil, diagsError(diags)
	}
	return hclwrite.Format(src), nil
}

// diagsError joins the error diagnostics, each as "file:line:col: summary; detail".
func diagsError(diags hcl.Diagnostics) error {
	var errs []error
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += "; " + d.Detail
		}
		if d.Subject != nil {
			msg = fmt.Sprintf("%s:%d:%d: %s", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, msg)
		}
		errs = append(errs, errors.New(msg))
	}
	return errors.Join(errs...)
}
