package render

import (
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
)

func ptr[T any](v T) *T { return &v }

func dur(d time.Duration) metav1.Duration { return metav1.Duration{Duration: d} }

// everyFieldRule sets every field of the rule spec (status aside), with values that
// exercise quoting, numbers, durations and heredocs.
func everyFieldRule() *v1.NodeGuardianRule {
	return &v1.NodeGuardianRule{
		TypeMeta: metav1.TypeMeta{APIVersion: v1.APIVersion, Kind: v1.KindRule},
		ObjectMeta: metav1.ObjectMeta{
			Name:        "every-field",
			Labels:      map[string]string{"team": "sre", "app.kubernetes.io/part-of": "nodeguardian"},
			Annotations: map[string]string{"owner": "ops@example.com", "note": "true"},
		},
		Spec: v1.NodeGuardianRuleSpec{
			Conditions: []v1.Condition{
				{Metric: v1.MetricCPULoadRatio, Operator: v1.OpGreaterThan, Value: 1.5, Duration: ptr(dur(3 * time.Minute)), Description: "load above 1.5"},
				{Metric: "gpu_temp", Operator: v1.OpGreaterThanOrEqual, Value: 0.1, Duration: ptr(dur(90 * time.Minute)),
					Query: `max by (node) (gpu_temperature{job="dcgm"})`},
				{Metric: v1.MetricMemoryUtilization, Operator: v1.OpNotEqualTo, Value: -2},
			},
			ConditionLogic: v1.LogicOr,
			NodeSelector: &v1.NodeSelector{
				MatchLabels: map[string]string{"node-role.kubernetes.io/worker": "true", "zone": "a"},
				MatchExpressions: []v1.NodeSelectorRequirement{
					{Key: "topology.kubernetes.io/zone", Operator: "In", Values: []string{"a", "b"}},
					{Key: "gpu", Operator: "Exists"},
				},
				NodeNames: []string{"node-1", "node-2"},
			},
			Actions: everyAction(),
			RecoveryConditions: []v1.Condition{
				{Metric: v1.MetricCPULoadRatio, Operator: v1.OpLessThan, Value: 0.8, Duration: ptr(dur(5 * time.Minute))},
			},
			RecoveryConditionLogic: v1.LogicAnd,
			RecoveryActions:        everyRecoveryAction(),
			Monitoring: v1.Monitoring{
				CheckInterval:  dur(30 * time.Second),
				CooldownPeriod: ptr(dur(time.Hour + 30*time.Minute)),
				MetricsSource:  &v1.MetricsSource{PrometheusURL: "http://prometheus.monitoring:9090", UseMetricsServer: true},
			},
			Metadata: v1.RuleMetadata{
				Priority:    ptr(int32(0)),
				Enabled:     ptr(true),
				Description: "Every field.\nSecond line with ${not_interpolated} and %{ directive }.\n\n  Indented line.\n",
				Tags:        []string{"test", "all"},
			},
			MaxUnhealthy: ptr(intstr.FromString("20%")),
			DryRun:       true,
			Suspend:      true,
		},
	}
}

// everyFieldTemplate sets every field of the template spec.
func everyFieldTemplate() *v1.AlertTemplate {
	return &v1.AlertTemplate{
		TypeMeta: metav1.TypeMeta{APIVersion: v1.APIVersion, Kind: v1.KindAlertTemplate},
		ObjectMeta: metav1.ObjectMeta{
			Name:        "every-field-alert",
			Labels:      map[string]string{"team": "sre"},
			Annotations: map[string]string{"description": "all fields"},
		},
		Spec: v1.AlertTemplateSpec{
			Subject:        `[NodeGuardian] "{{ node_name }}" is overloaded`,
			Body:           "Node {{ node_name }} is overloaded:\n\n- CPU load ratio: {{ metrics.cpu_load_ratio }}\n- Checked at: {{ timestamp }}\n",
			Channels:       []v1.Channel{v1.ChannelEmail, v1.ChannelWebhook, v1.ChannelLog},
			RepeatInterval: &metav1.Duration{Duration: 90 * time.Minute},
			Variables: &apiextensionsv1.JSON{Raw: []byte(
				`{"runbook":"https://runbooks.example.com/high-load","threshold":1.50,"count":90,"big":1e3,` +
					`"neg":-4,"enabled":true,"none":null,"owners":["sre",{"name":"ops","on-call":true}],"empty":{},"nothing":[],` +
					`"nested":{"with space":"x","${x}":"%{y}"}}`)},
		},
	}
}

// minimalRule sets only the required fields, and an int max_unhealthy.
func minimalRule() *v1.NodeGuardianRule {
	return &v1.NodeGuardianRule{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1.APIVersion, Kind: v1.KindRule},
		ObjectMeta: metav1.ObjectMeta{Name: "minimal"},
		Spec: v1.NodeGuardianRuleSpec{
			Conditions:   []v1.Condition{{Metric: v1.MetricDiskUtilization, Operator: v1.OpGreaterThan, Value: 0}},
			Actions:      []v1.Action{{Type: v1.ActionCordon, Cordon: &v1.CordonAction{}}},
			MaxUnhealthy: ptr(intstr.FromInt32(2)),
		},
	}
}

// everyAction has one action of each type, each setting every field of its kind.
func everyAction() []v1.Action {
	return []v1.Action{
		{Type: v1.ActionTaint, Taint: &v1.TaintSpec{Key: "nodeguardian/high-load", Value: ptr("true"), Effect: "NoSchedule"}},
		{Type: v1.ActionLabel, Label: &v1.LabelAction{Labels: map[string]string{"nodeguardian.io/status": "high-load"}}},
		{Type: v1.ActionAnnotation, Annotation: &v1.AnnotationAction{Annotations: map[string]string{"nodeguardian.io/since": "{{ timestamp }}", "nodeguardian.io/rule": "every-field"}}},
		{Type: v1.ActionEvict, Evict: &v1.EvictAction{
			MaxPods: 5, ExcludeNamespaces: []string{"kube-system"}, GracePeriodSeconds: ptr(int64(0)),
			PodSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{"tier": "batch"},
				MatchExpressions: []metav1.LabelSelectorRequirement{
					{Key: "critical", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"yes"}},
				},
			},
		}},
		{Type: v1.ActionDrain, Drain: &v1.DrainAction{GracePeriodSeconds: ptr(int64(30)), Timeout: &metav1.Duration{Duration: 90 * time.Minute}}},
		{Type: v1.ActionCordon, Cordon: &v1.CordonAction{}},
		{Type: v1.ActionAlert, Alert: &v1.AlertAction{Enabled: ptr(false), Template: "high-load-alert", Channels: []v1.Channel{v1.ChannelEmail, v1.ChannelSlack}}},
	}
}

// everyRecoveryAction has one recovery action of each type.
func everyRecoveryAction() []v1.RecoveryAction {
	return []v1.RecoveryAction{
		{Type: v1.RecoveryRemoveTaint, Taint: &v1.TaintRef{Key: "nodeguardian/high-load", Value: "true", Effect: "NoSchedule"}},
		{Type: v1.RecoveryRemoveLabel, Label: &v1.KeysRef{Keys: []string{"nodeguardian.io/status"}}},
		{Type: v1.RecoveryRemoveAnnotation, Annotation: &v1.KeysRef{Keys: []string{"nodeguardian.io/since", "nodeguardian.io/rule"}}},
		{Type: v1.RecoveryUncordon, Uncordon: &v1.CordonAction{}},
		{Type: v1.RecoveryAlert, Alert: &v1.AlertAction{Enabled: ptr(true), Template: "recovery-alert"}},
	}
}
