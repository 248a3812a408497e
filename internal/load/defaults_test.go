package load

import (
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/intstr"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
)

// prototypeYAML is a rule as written for the prototype: it relies on the prototype
// CRD's defaults (condition durations, the taint, the namespaces an eviction spares) and
// writes empty strings for durations it leaves to their defaults.
const prototypeYAML = `apiVersion: nodeguardian.k8s.io/v1
kind: NodeGuardianRule
metadata:
  name: prototype-defaults
spec:
  conditions:
    - metric: cpuLoadRatio
      operator: GreaterThan
      value: 1.5
    - metric: memoryUtilizationPercent
      operator: GreaterThan
      value: 90
      duration: ""
    - metric: diskUtilizationPercent
      operator: GreaterThan
      value: 90
      duration: 0s
  actions:
    - type: taint
      taint: {}
    - type: taint
      taint: {key: nodeguardian/empty-value, value: "", effect: NoExecute}
    - type: evict
      evict: {}
    - type: evict
      evict: {excludeNamespaces: []}
  recoveryConditions:
    - metric: cpuLoadRatio
      operator: LessThan
      value: 0.8
  monitoring:
    checkInterval: ""
    cooldownPeriod: ""
`

// prototypeHCL is prototypeYAML in HCL.
const prototypeHCL = `rule "prototype-defaults" {
  condition {
    metric   = "cpuLoadRatio"
    operator = "GreaterThan"
    value    = 1.5
  }
  condition {
    metric   = "memoryUtilizationPercent"
    operator = "GreaterThan"
    value    = 90
    duration = ""
  }
  condition {
    metric   = "diskUtilizationPercent"
    operator = "GreaterThan"
    value    = 90
    duration = "0s"
  }
  action {
    type = "taint"
    taint {}
  }
  action {
    type = "taint"
    taint {
      key    = "nodeguardian/empty-value"
      value  = ""
      effect = "NoExecute"
    }
  }
  action {
    type = "evict"
    evict {}
  }
  action {
    type = "evict"
    evict {
      exclude_namespaces = []
    }
  }
  recovery_condition {
    metric   = "cpuLoadRatio"
    operator = "LessThan"
    value    = 0.8
  }
  monitoring {
    check_interval  = ""
    cooldown_period = ""
  }
}
`

// TestPrototypeDefaults loads a rule that relies on the prototype CRD's defaults and
// checks what Default makes of it: what the prototype's API server stored.
func TestPrototypeDefaults(t *testing.T) {
	for _, tt := range []struct {
		name string
		load func(string, []byte) (*Set, Diagnostics)
		src  string
	}{
		{"yaml", YAML, prototypeYAML},
		{"hcl", HCL, prototypeHCL},
	} {
		t.Run(tt.name, func(t *testing.T) {
			set, ds := tt.load("prototype."+tt.name, []byte(tt.src))
			if len(ds) > 0 {
				t.Fatalf("diagnostics:\n%s", ds.Error())
			}
			if len(set.Rules) != 1 {
				t.Fatalf("got %d rules", len(set.Rules))
			}
			written := set.Rules[0]
			if written.Spec.Conditions[0].Duration != nil || written.Spec.Conditions[1].Duration != nil {
				t.Errorf("an absent or empty duration must be read as unset: %+v", written.Spec.Conditions)
			}
			if got := written.Spec.Actions[3].Evict.ExcludeNamespaces; got == nil || len(got) != 0 {
				t.Errorf("excludeNamespaces: [] must be read as an empty, non-nil list, got %#v", got)
			}
			r := written.DeepCopy()
			r.Default()
			s := r.Spec
			for i, want := range []time.Duration{5 * time.Minute, 5 * time.Minute, 0} {
				if got := s.Conditions[i].DurationValue(); got != want {
					t.Errorf("conditions[%d].duration = %v, want %v", i, got, want)
				}
			}
			if got := s.RecoveryConditions[0].DurationValue(); got != 5*time.Minute {
				t.Errorf("recoveryConditions[0].duration = %v, want 5m", got)
			}
			if got := s.Monitoring.CheckInterval.Duration; got != time.Minute {
				t.Errorf("checkInterval = %v, want 1m", got)
			}
			if got := s.Cooldown(); got != 5*time.Minute {
				t.Errorf("cooldownPeriod = %v, want 5m", got)
			}
			taint := s.Actions[0].Taint
			if taint.Key != "nodeguardian/rule-triggered" || taint.TaintValue() != "true" || taint.Effect != "NoSchedule" {
				t.Errorf("taint {} = %s=%s:%s, want nodeguardian/rule-triggered=true:NoSchedule", taint.Key, taint.TaintValue(), taint.Effect)
			}
			if v := s.Actions[1].Taint.TaintValue(); v != "" {
				t.Errorf(`an explicit value "" must stay empty, got %q`, v)
			}
			if got := s.Actions[2].Evict.ExcludeNamespaces; !slices.Equal(got, []string{"kube-system", "kube-public"}) {
				t.Errorf("evict {} excludes %v, want [kube-system kube-public]", got)
			}
			if got := s.Actions[3].Evict.ExcludeNamespaces; got == nil || len(got) != 0 {
				t.Errorf("excludeNamespaces: [] must stay empty after Default, got %#v", got)
			}
		})
	}
}

// TestObjects checks rules read from a cluster, which an older CRD may have let in.
func TestObjects(t *testing.T) {
	set, ds := YAML("prototype.yaml", []byte(prototypeYAML))
	if ds.HasErrors() {
		t.Fatal(ds.Error())
	}
	ok := set.Rules[0]
	bad := ok.DeepCopy()
	bad.Name = "reserved"
	bad.Spec.Actions[0].Taint.Key = "node.kubernetes.io/unschedulable"
	over := ok.DeepCopy()
	over.Name = "over-budget"
	budget := intstr.FromString("150%")
	over.Spec.MaxUnhealthy = &budget
	ds = Objects("cluster", []*v1.NodeGuardianRule{ok, bad, over}, nil)
	want := []string{
		`cluster NodeGuardianRule/reserved: error: spec.actions[0].taint.key: taint key "node.kubernetes.io/unschedulable" is reserved`,
		`cluster NodeGuardianRule/over-budget: error: spec.maxUnhealthy: must be a non-negative integer or a percentage from 0% to 100%`,
	}
	errs := ds.Errors()
	if len(errs) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%s", len(errs), len(want), ds.Error())
	}
	for _, w := range want {
		if !strings.Contains(ds.Error(), w) {
			t.Errorf("no error %q in:\n%s", w, ds.Error())
		}
	}
}
