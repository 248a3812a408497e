package v1

import (
	"regexp"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
)

// reservedKeyCases maps keys to whether they are reserved.
var reservedKeyCases = map[string]bool{
	"kubernetes.io/hostname":                   true,
	"node.kubernetes.io/unreachable":           true,
	"node-role.kubernetes.io/worker":           true,
	"k8s.io/x":                                 true,
	"nodeguardian.k8s.io/exclude":              true,
	"nodeguardian.k8s.io/ledger":               true,
	"Node.Kubernetes.IO/unreachable":           true,
	"node.kubernetes.io/out-of-service":        false,
	"nodeguardian/high-load":                   false,
	"nodeguardian.io/status":                   false,
	"example.com/kubernetes.io":                false,
	"notkubernetes.io/x":                       false,
	"plain":                                    false,
	"kubernetes.io":                            false,
	"volumes.kubernetes.io/controller-managed": true,
	"a.b.k8s.io/c":                             true,
	"k8s.io.example.com/x":                     false,
	"example.com/x.k8s.io/y":                   false,
}

func TestIsReservedKey(t *testing.T) {
	for key, want := range reservedKeyCases {
		if got := IsReservedKey(key); got != want {
			t.Errorf("IsReservedKey(%q) = %v, want %v", key, got, want)
		}
	}
}

// TestReservedKeyPatternAgreesWithIsReservedKey checks the CRD's CEL form of the rule,
// "!key.matches(ReservedKeyPattern) || key in AllowedReservedKeys", against IsReservedKey.
func TestReservedKeyPatternAgreesWithIsReservedKey(t *testing.T) {
	re := regexp.MustCompile(ReservedKeyPattern)
	for key, want := range reservedKeyCases {
		got := re.MatchString(key) && !slices.Contains(AllowedReservedKeys, key)
		if got != want {
			t.Errorf("pattern on %q: reserved = %v, want %v", key, got, want)
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
