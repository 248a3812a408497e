package load

import (
	"strings"
	"unicode"
)

// The HCL format (docs/hcl-format.md) spells the YAML field names in snake_case, writes
// lists of objects as one singular block per item and nested objects as blocks. These
// functions hold that mapping; they are switches rather than maps so that the package
// has no mutable state.

// listField is the list field that blocks of the given type fill, or "".
func listField(block string) string {
	switch block {
	case "condition":
		return "conditions"
	case "recovery_condition":
		return "recoveryConditions"
	case "action":
		return "actions"
	case "recovery_action":
		return "recoveryActions"
	case "match_expression":
		return "matchExpressions"
	}
	return ""
}

// listBlock is the block type that fills a list field, or "".
func listBlock(field string) string {
	switch field {
	case "conditions":
		return "condition"
	case "recoveryConditions":
		return "recovery_condition"
	case "actions":
		return "action"
	case "recoveryActions":
		return "recovery_action"
	case "matchExpressions":
		return "match_expression"
	}
	return ""
}

// isObjectBlock reports whether the HCL name is a nested object, written as a block.
func isObjectBlock(name string) bool {
	switch name {
	case "node_selector", "monitoring", "metrics_source", "metadata", "taint", "label",
		"annotation", "evict", "drain", "cordon", "uncordon", "alert", "pod_selector":
		return true
	}
	return false
}

// isMapAttribute reports whether the HCL name is a map of user data, written as an
// attribute holding an object whose keys are kept verbatim.
func isMapAttribute(name string) bool {
	switch name {
	case "match_labels", "labels", "annotations", "variables":
		return true
	}
	return false
}

// isBlockField reports whether a YAML field is written as blocks in HCL.
func isBlockField(field string) bool {
	return listBlock(field) != "" || isObjectBlock(hclName(field))
}

// hclName is the HCL spelling of a YAML field name.
func hclName(field string) string {
	if b := listBlock(field); b != "" {
		return b
	}
	if field == "prometheusURL" {
		return "prometheus_url"
	}
	var b strings.Builder
	for _, r := range field {
		if unicode.IsUpper(r) {
			b.WriteByte('_')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// fieldName is the YAML field name of an HCL attribute or block name (not a list block).
func fieldName(name string) string {
	if name == "prometheus_url" {
		return "prometheusURL"
	}
	var b strings.Builder
	upper := false
	for _, r := range name {
		switch {
		case r == '_':
			upper = true
		case upper:
			b.WriteRune(unicode.ToUpper(r))
			upper = false
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// pluralBlock returns the singular block type when name is the plural of a list of
// blocks (a common mistake: "conditions" instead of one "condition" per item), or "".
func pluralBlock(name string) string {
	return listBlock(fieldName(name))
}
