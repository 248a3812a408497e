package v1

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
)

// reservedKeyCases maps keys to whether they are reserved as a taint, a label and an
// annotation key.
var reservedKeyCases = map[string][3]bool{
	"kubernetes.io/hostname":                   {true, true, true},
	"node.kubernetes.io/unreachable":           {true, true, true},
	"node-role.kubernetes.io/worker":           {true, true, true},
	"k8s.io/x":                                 {true, true, true},
	"nodeguardian.k8s.io/exclude":              {true, true, true},
	"nodeguardian.k8s.io/ledger":               {true, true, true},
	"Node.Kubernetes.IO/unreachable":           {true, true, true},
	"volumes.kubernetes.io/controller-managed": {true, true, true},
	"a.b.k8s.io/c":                             {true, true, true},
	// The one allowed key is a taint key only (issue 7), and only as written.
	"node.kubernetes.io/out-of-service": {false, true, true},
	"Node.Kubernetes.IO/out-of-service": {true, true, true},
	"nodeguardian/high-load":            {false, false, false},
	"nodeguardian.io/status":            {false, false, false},
	"example.com/kubernetes.io":         {false, false, false},
	"notkubernetes.io/x":                {false, false, false},
	"plain":                             {false, false, false},
	"kubernetes.io":                     {false, false, false},
	"k8s.io.example.com/x":              {false, false, false},
	"example.com/x.k8s.io/y":            {false, false, false},
}

// keyKinds are the kinds in the order of reservedKeyCases' values.
var keyKinds = [3]KeyKind{TaintKey, LabelKey, AnnotationKey}

func TestIsReservedKey(t *testing.T) {
	for key, want := range reservedKeyCases {
		for i, kind := range keyKinds {
			if got := IsReservedKey(kind, key); got != want[i] {
				t.Errorf("IsReservedKey(%s, %q) = %v, want %v", kind, key, got, want[i])
			}
		}
	}
}

// TestReservedKeyPatternAgreesWithIsReservedKey checks the CRD's CEL forms of the rule —
// "!key.matches(ReservedKeyPattern) || key in AllowedReservedTaintKeys" for taint keys,
// "!key.matches(ReservedKeyPattern)" for label and annotation keys — against IsReservedKey.
func TestReservedKeyPatternAgreesWithIsReservedKey(t *testing.T) {
	re := regexp.MustCompile(ReservedKeyPattern)
	for key, want := range reservedKeyCases {
		for i, kind := range keyKinds {
			got := re.MatchString(key) && (kind != TaintKey || !slices.Contains(AllowedReservedTaintKeys, key))
			if got != want[i] {
				t.Errorf("pattern on %s key %q: reserved = %v, want %v", kind, key, got, want[i])
			}
		}
	}
}

func TestParseBudget(t *testing.T) {
	good := map[string]intstr.IntOrString{
		"0": intstr.FromInt32(0), "0%": intstr.FromString("0%"), "3": intstr.FromInt32(3),
		"30%": intstr.FromString("30%"), "100%": intstr.FromString("100%"),
	}
	for in, want := range good {
		got, err := ParseBudget(in)
		if err != nil || got != want {
			t.Errorf("ParseBudget(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-5", "abc", "2.5", "30 %", " 30%", "150%", "%", "+3", "1e3", "99999999999"} {
		if got, err := ParseBudget(in); err == nil {
			t.Errorf("ParseBudget(%q) = %v, want an error", in, got)
		}
	}
	// Too large is said as such (issue 7: "not a non-negative whole number").
	for _, in := range []string{"99999999999999999999", "2147483648"} {
		if _, err := ParseBudget(in); err == nil || !strings.Contains(err.Error(), "is too large: at most 2147483647 nodes") {
			t.Errorf("ParseBudget(%q) = %v, want too large", in, err)
		}
	}
	if err := ValidateBudget(intstr.FromString("101%")); err == nil {
		t.Error("ValidateBudget(101%) passed")
	}
	if err := ValidateBudget(intstr.FromInt32(-1)); err == nil {
		t.Error("ValidateBudget(-1) passed")
	}
	// A count in a string is a valid flag (ParseBudget) but not a valid spec.maxUnhealthy:
	// the CRD's CEL rule refuses it (issue 7).
	for _, v := range []intstr.IntOrString{intstr.FromString("3"), intstr.FromString("0"), intstr.FromString("")} {
		if err := ValidateBudget(v); err == nil {
			t.Errorf("ValidateBudget(%q) passed", v.StrVal)
		}
	}
	for _, v := range []intstr.IntOrString{intstr.FromInt32(3), intstr.FromString("30%"), intstr.FromString("0%"), intstr.FromString("100%")} {
		if err := ValidateBudget(v); err != nil {
			t.Errorf("ValidateBudget(%s) = %v", v.String(), err)
		}
	}
}
