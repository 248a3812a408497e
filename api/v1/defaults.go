package v1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Default values, the same as the CRD's defaults (a test compares them with the API
// server's). Most are the prototype's CRD defaults: files written for it keep their
// meaning (docs/rules.md, "Defaults").
const (
	DefaultConditionDuration = 5 * time.Minute
	DefaultCheckInterval     = 60 * time.Second
	DefaultCooldownPeriod    = 5 * time.Minute
	DefaultPriority          = int32(100)
	DefaultMaxPods           = int32(10)
	DefaultMaxUnhealthy      = "20%"
	DefaultTaintKey          = "nodeguardian/rule-triggered"
	DefaultTaintValue        = "true"
	DefaultTaintEffect       = TaintEffect("NoSchedule")
)

// DefaultExcludeNamespaces are the namespaces an evict action leaves alone when it does
// not list its own. It returns a new slice on every call.
func DefaultExcludeNamespaces() []string { return []string{"kube-system", "kube-public"} }

// Default fills unset fields of the rule with their defaults, as the API server would.
// A duration written as "" is unset.
func (r *NodeGuardianRule) Default() {
	s := &r.Spec
	if s.ConditionLogic == "" {
		s.ConditionLogic = LogicAnd
	}
	if s.RecoveryConditionLogic == "" {
		s.RecoveryConditionLogic = LogicAnd
	}
	if s.MaxUnhealthy == nil {
		v := intstr.FromString(DefaultMaxUnhealthy)
		s.MaxUnhealthy = &v
	}
	for _, conds := range [][]Condition{s.Conditions, s.RecoveryConditions} {
		for i := range conds {
			if conds[i].Duration == nil {
				conds[i].Duration = &metav1.Duration{Duration: DefaultConditionDuration}
			}
		}
	}
	if s.Monitoring.CheckInterval.Duration == 0 {
		s.Monitoring.CheckInterval = metav1.Duration{Duration: DefaultCheckInterval}
	}
	if s.Monitoring.CooldownPeriod == nil {
		s.Monitoring.CooldownPeriod = &metav1.Duration{Duration: DefaultCooldownPeriod}
	}
	if s.Metadata.Priority == nil {
		p := DefaultPriority
		s.Metadata.Priority = &p
	}
	if s.Metadata.Enabled == nil {
		t := true
		s.Metadata.Enabled = &t
	}
	for i := range s.Actions {
		a := &s.Actions[i]
		defaultTaint(a.Taint)
		defaultEvict(a.Evict)
		defaultAlert(a.Alert)
	}
	for i := range s.RecoveryActions {
		defaultAlert(s.RecoveryActions[i].Alert)
	}
}

func defaultTaint(t *TaintSpec) {
	if t == nil {
		return
	}
	if t.Key == "" {
		t.Key = DefaultTaintKey
	}
	if t.Value == nil {
		v := DefaultTaintValue
		t.Value = &v
	}
	if t.Effect == "" {
		t.Effect = DefaultTaintEffect
	}
}

func defaultEvict(e *EvictAction) {
	if e == nil {
		return
	}
	if e.MaxPods == 0 {
		e.MaxPods = DefaultMaxPods
	}
	if e.ExcludeNamespaces == nil {
		e.ExcludeNamespaces = DefaultExcludeNamespaces()
	}
}

func defaultAlert(a *AlertAction) {
	if a != nil && a.Enabled == nil {
		t := true
		a.Enabled = &t
	}
}

// Active reports whether the rule is enabled and not suspended.
func (s *NodeGuardianRuleSpec) Active() bool {
	enabled := s.Metadata.Enabled == nil || *s.Metadata.Enabled
	return enabled && !s.Suspend
}

// PriorityValue is the rule's priority with the default applied (lower wins).
func (s *NodeGuardianRuleSpec) PriorityValue() int32 {
	if s.Metadata.Priority == nil {
		return DefaultPriority
	}
	return *s.Metadata.Priority
}

// Cooldown is the rule's cooldown period with the default applied.
func (s *NodeGuardianRuleSpec) Cooldown() time.Duration {
	if s.Monitoring.CooldownPeriod == nil {
		return DefaultCooldownPeriod
	}
	return s.Monitoring.CooldownPeriod.Duration
}

// CheckIntervalValue is the rule's check interval with the default applied.
func (s *NodeGuardianRuleSpec) CheckIntervalValue() time.Duration {
	if s.Monitoring.CheckInterval.Duration == 0 {
		return DefaultCheckInterval
	}
	return s.Monitoring.CheckInterval.Duration
}

// DurationValue is how long the condition must hold, with the default applied.
func (c *Condition) DurationValue() time.Duration {
	if c.Duration == nil {
		return DefaultConditionDuration
	}
	return c.Duration.Duration
}

// TaintValue is the taint's value with the default applied.
func (t *TaintSpec) TaintValue() string {
	if t.Value == nil {
		return DefaultTaintValue
	}
	return *t.Value
}

// ExcludedNamespaces are the namespaces the evict action leaves alone, with the default
// applied; a nil action (type evict without an evict object) has the default too.
func (e *EvictAction) ExcludedNamespaces() []string {
	if e == nil || e.ExcludeNamespaces == nil {
		return DefaultExcludeNamespaces()
	}
	return e.ExcludeNamespaces
}
