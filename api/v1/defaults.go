package v1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Default values, the same as the CRD's defaults (a test compares them with the API server's).
const (
	DefaultCheckInterval  = 60 * time.Second
	DefaultCooldownPeriod = 5 * time.Minute
	DefaultPriority       = int32(100)
	DefaultMaxPods        = int32(10)
	DefaultMaxUnhealthy   = "20%"
)

// Default fills unset fields of the rule with their defaults, as the API server would.
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
		if a.Evict != nil && a.Evict.MaxPods == 0 {
			a.Evict.MaxPods = DefaultMaxPods
		}
		defaultAlert(a.Alert)
	}
	for i := range s.RecoveryActions {
		defaultAlert(s.RecoveryActions[i].Alert)
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
