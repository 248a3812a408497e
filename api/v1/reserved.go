package v1

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/intstr"
)

// Control keys: NodeGuardian's own keys on nodes. No rule may set them and no ledger may
// claim them.
const (
	// ExcludeLabel on a node keeps every rule away from it.
	ExcludeLabel = "nodeguardian.k8s.io/exclude"
	// LedgerAnnotation holds a node's ownership ledger.
	LedgerAnnotation = "nodeguardian.k8s.io/ledger"
)

// KeyKind is what a key names on a node: a taint, a label or an annotation. Which
// reserved keys a rule may use depends on it (IsReservedKey).
type KeyKind string

// The kinds of keys on a node.
const (
	TaintKey      KeyKind = "taint"
	LabelKey      KeyKind = "label"
	AnnotationKey KeyKind = "annotation"
)

// AllowedReservedTaintKeys are taint keys in a reserved domain that a rule may
// legitimately own: node.kubernetes.io/out-of-service is the taint an operator (or a
// remediator) sets for non-graceful node shutdown, so that stateful pods move off a node
// that is down. They are taint keys only: as a label or annotation key they are reserved
// like every other key of their domain.
var AllowedReservedTaintKeys = []string{
	"node.kubernetes.io/out-of-service",
}

// ReservedKeyPattern is the regular expression (RE2, as CEL's matches() reads it) of keys
// in a reserved domain: kubernetes.io and k8s.io and every subdomain of them (which
// includes NodeGuardian's own nodeguardian.k8s.io), in any case like IsReservedKey. It
// has no backslash so that it can be written unchanged in the CRD's CEL rules (the
// +kubebuilder:validation:XValidation markers of api/v1, checked by a test in schemas).
const ReservedKeyPattern = `(?i)^([^/]*[.])?(kubernetes|k8s)[.]io/`

// IsReservedKey reports whether NodeGuardian must never set, change or remove a taint,
// label or annotation (kind) with this key, whatever a rule or a ledger says: keys under
// kubernetes.io/ and k8s.io/ and their subdomains (node.kubernetes.io/,
// node-role.kubernetes.io/, nodeguardian.k8s.io/, …), except AllowedReservedTaintKeys
// as taint keys.
func IsReservedKey(kind KeyKind, key string) bool {
	prefix, _, ok := strings.Cut(key, "/")
	if !ok {
		return false
	}
	prefix = strings.ToLower(prefix)
	reserved := false
	for _, d := range []string{"kubernetes.io", "k8s.io"} {
		if prefix == d || strings.HasSuffix(prefix, "."+d) {
			reserved = true
		}
	}
	if !reserved {
		return false
	}
	return kind != TaintKey || !slices.Contains(AllowedReservedTaintKeys, key)
}

// ParseBudget parses a budget as a person writes it on the command line: a non-negative
// integer ("3") or a whole percentage from 0% to 100% ("30%"). "0" and "0%" allow none.
// Anything else ("-5", "abc", "2.5", "30 %", "150%") is an error.
func ParseBudget(s string) (intstr.IntOrString, error) {
	if num, ok := strings.CutSuffix(s, "%"); ok {
		n, err := parseDigits(num)
		if err != nil || n > 100 {
			return intstr.IntOrString{}, fmt.Errorf("%q is not a percentage from 0%% to 100%%", s)
		}
		return intstr.FromString(s), nil
	}
	n, err := parseDigits(s)
	switch {
	case errors.Is(err, strconv.ErrRange) || err == nil && n > math.MaxInt32:
		return intstr.IntOrString{}, fmt.Errorf("%q is too large: at most %d nodes (or a percentage such as \"30%%\")", s, math.MaxInt32)
	case err != nil:
		return intstr.IntOrString{}, fmt.Errorf("%q is not a non-negative whole number of nodes or a percentage such as \"30%%\"", s)
	}
	return intstr.FromInt32(int32(n)), nil
}

// ValidateBudget checks a budget read from a file (spec.maxUnhealthy) as the CRD's CEL
// rule does: a non-negative integer, or a string that is a percentage from 0% to 100%.
// Unlike ParseBudget (a flag, always a string), a count in a string ("3") is refused:
// the API server refuses it too.
func ValidateBudget(v intstr.IntOrString) error {
	if v.Type == intstr.Int {
		if v.IntVal < 0 {
			return fmt.Errorf("%d is negative", v.IntVal)
		}
		return nil
	}
	if !strings.HasSuffix(v.StrVal, "%") {
		return fmt.Errorf("%q is a string but not a percentage such as \"30%%\" (write a count as a number, without quotes)", v.StrVal)
	}
	_, err := ParseBudget(v.StrVal)
	return err
}

// parseDigits accepts only ASCII digits (no sign, space, dot or exponent).
func parseDigits(s string) (uint64, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("not digits: %q", s)
	}
	return strconv.ParseUint(s, 10, 64)
}
