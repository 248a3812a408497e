package render

import (
	"testing"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
)

// Hooks for the external round-trip test (package render_test, which may import the
// loader without an import cycle).

// ExamplesDir is examplesDir.
const ExamplesDir = examplesDir

// EveryFieldRule is everyFieldRule.
func EveryFieldRule() *v1.NodeGuardianRule { return everyFieldRule() }

// EveryFieldTemplate is everyFieldTemplate.
func EveryFieldTemplate() *v1.AlertTemplate { return everyFieldTemplate() }

// MinimalRule is minimalRule.
func MinimalRule() *v1.NodeGuardianRule { return minimalRule() }

// ListExamples is exampleNames.
func ListExamples(t *testing.T) []string { return exampleNames(t) }

// NormalizeVariables is normalizeVariables.
func NormalizeVariables(t *testing.T, templates ...*v1.AlertTemplate) {
	normalizeVariables(t, templates...)
}
