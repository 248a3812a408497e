package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ActionType names an action.
// +kubebuilder:validation:Enum=taint;label;annotation;evict;drain;cordon;alert
type ActionType string

// Action types.
const (
	ActionTaint      ActionType = "taint"
	ActionLabel      ActionType = "label"
	ActionAnnotation ActionType = "annotation"
	ActionEvict      ActionType = "evict"
	ActionDrain      ActionType = "drain"
	ActionCordon     ActionType = "cordon"
	ActionAlert      ActionType = "alert"
)

// Action is one thing a firing rule does. The sub-object named like the type holds
// its parameters.
//
// +kubebuilder:validation:XValidation:rule="self.type != 'taint' || has(self.taint)",message="type taint needs a taint object",fieldPath=".taint"
// +kubebuilder:validation:XValidation:rule="self.type != 'label' || has(self.label)",message="type label needs a label object",fieldPath=".label"
// +kubebuilder:validation:XValidation:rule="self.type != 'annotation' || has(self.annotation)",message="type annotation needs an annotation object",fieldPath=".annotation"
// +kubebuilder:validation:XValidation:rule="self.type != 'alert' || has(self.alert)",message="type alert needs an alert object",fieldPath=".alert"
// +kubebuilder:validation:XValidation:rule="!has(self.taint) || self.type == 'taint'",message="taint is set but type is not taint",fieldPath=".taint"
// +kubebuilder:validation:XValidation:rule="!has(self.label) || self.type == 'label'",message="label is set but type is not label",fieldPath=".label"
// +kubebuilder:validation:XValidation:rule="!has(self.annotation) || self.type == 'annotation'",message="annotation is set but type is not annotation",fieldPath=".annotation"
// +kubebuilder:validation:XValidation:rule="!has(self.evict) || self.type == 'evict'",message="evict is set but type is not evict",fieldPath=".evict"
// +kubebuilder:validation:XValidation:rule="!has(self.drain) || self.type == 'drain'",message="drain is set but type is not drain",fieldPath=".drain"
// +kubebuilder:validation:XValidation:rule="!has(self.cordon) || self.type == 'cordon'",message="cordon is set but type is not cordon",fieldPath=".cordon"
// +kubebuilder:validation:XValidation:rule="!has(self.alert) || self.type == 'alert'",message="alert is set but type is not alert",fieldPath=".alert"
type Action struct {
	// Type of the action.
	Type ActionType `json:"type"`
	// Taint puts a taint on the node.
	// +optional
	Taint *TaintSpec `json:"taint,omitempty"`
	// Label sets labels on the node.
	// +optional
	Label *LabelAction `json:"label,omitempty"`
	// Annotation sets annotations on the node.
	// +optional
	Annotation *AnnotationAction `json:"annotation,omitempty"`
	// Evict evicts pods from the node through the Eviction API.
	// +optional
	Evict *EvictAction `json:"evict,omitempty"`
	// Drain cordons the node and evicts every evictable pod.
	// +optional
	Drain *DrainAction `json:"drain,omitempty"`
	// Cordon marks the node unschedulable.
	// +optional
	Cordon *CordonAction `json:"cordon,omitempty"`
	// Alert sends an alert.
	// +optional
	Alert *AlertAction `json:"alert,omitempty"`
}

// TaintEffect is a Kubernetes taint effect.
// +kubebuilder:validation:Enum=NoSchedule;PreferNoSchedule;NoExecute
type TaintEffect string

// TaintSpec is a taint to apply. Every field has a default, the prototype's: taint: {}
// is nodeguardian/rule-triggered=true:NoSchedule.
//
// +kubebuilder:validation:XValidation:rule="!has(self.key) || !self.key.matches('(?i)^([^/]*[.])?(kubernetes|k8s)[.]io/') || self.key in ['node.kubernetes.io/out-of-service']",message="taint keys under kubernetes.io/ and k8s.io/ (and their subdomains, such as node.kubernetes.io/ and nodeguardian.k8s.io/) are reserved; only node.kubernetes.io/out-of-service may be used",fieldPath=".key"
type TaintSpec struct {
	// Key of the taint; default nodeguardian/rule-triggered.
	// +kubebuilder:default="nodeguardian/rule-triggered"
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=317
	// +optional
	Key string `json:"key,omitempty"`
	// Value of the taint; default "true". An explicit "" is an empty value.
	// +kubebuilder:default="true"
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Value *string `json:"value,omitempty"`
	// Effect of the taint; default NoSchedule.
	// +kubebuilder:default=NoSchedule
	// +optional
	Effect TaintEffect `json:"effect,omitempty"`
}

// LabelAction sets node labels.
//
// +kubebuilder:validation:XValidation:rule="self.labels.all(k, !k.matches('(?i)^([^/]*[.])?(kubernetes|k8s)[.]io/'))",message="label keys under kubernetes.io/ and k8s.io/ (and their subdomains, such as node-role.kubernetes.io/ and nodeguardian.k8s.io/) are reserved",fieldPath=".labels"
type LabelAction struct {
	// Labels to set.
	// +kubebuilder:validation:MinProperties=1
	// +kubebuilder:validation:MaxProperties=64
	Labels map[string]string `json:"labels"`
}

// AnnotationAction sets node annotations. Values may be templates.
//
// +kubebuilder:validation:XValidation:rule="self.annotations.all(k, !k.matches('(?i)^([^/]*[.])?(kubernetes|k8s)[.]io/'))",message="annotation keys under kubernetes.io/ and k8s.io/ (and their subdomains, such as node.kubernetes.io/ and nodeguardian.k8s.io/) are reserved",fieldPath=".annotations"
type AnnotationAction struct {
	// Annotations to set.
	// +kubebuilder:validation:MinProperties=1
	// +kubebuilder:validation:MaxProperties=64
	Annotations map[string]string `json:"annotations"`
}

// EvictAction evicts pods from the node.
type EvictAction struct {
	// MaxPods is the most pods evicted per node, lowest priority first.
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=1
	// +optional
	MaxPods int32 `json:"maxPods,omitempty"`
	// ExcludeNamespaces are never evicted from. Absent means kube-system and kube-public
	// (the prototype's default); an explicit [] excludes none.
	// +kubebuilder:default={kube-system,kube-public}
	// +kubebuilder:validation:MaxItems=256
	// +optional
	ExcludeNamespaces []string `json:"excludeNamespaces,omitzero"`
	// GracePeriodSeconds overrides the pods' termination grace period.
	// +kubebuilder:validation:Minimum=0
	// +optional
	GracePeriodSeconds *int64 `json:"gracePeriodSeconds,omitempty"`
	// PodSelector limits eviction to matching pods.
	// +optional
	PodSelector *metav1.LabelSelector `json:"podSelector,omitempty"`
}

// DrainAction cordons the node and evicts every evictable pod.
type DrainAction struct {
	// GracePeriodSeconds overrides the pods' termination grace period.
	// +kubebuilder:validation:Minimum=0
	// +optional
	GracePeriodSeconds *int64 `json:"gracePeriodSeconds,omitempty"`
	// Timeout bounds the whole drain.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`
}

// CordonAction marks the node unschedulable. It has no parameters.
type CordonAction struct{}

// Channel is an alert channel.
// +kubebuilder:validation:Enum=email;slack;webhook;alertmanager;log
type Channel string

// Alert channels.
const (
	ChannelEmail        Channel = "email"
	ChannelSlack        Channel = "slack"
	ChannelWebhook      Channel = "webhook"
	ChannelAlertmanager Channel = "alertmanager"
	ChannelLog          Channel = "log"
)

// Channels lists the names of every alert channel.
func Channels() []string {
	return []string{string(ChannelEmail), string(ChannelSlack), string(ChannelWebhook), string(ChannelAlertmanager), string(ChannelLog)}
}

// AlertAction sends an alert rendered from a template.
type AlertAction struct {
	// Enabled switches the alert off when false.
	// +kubebuilder:default=true
	// +optional
	Enabled *bool `json:"enabled,omitempty"`
	// Template names an AlertTemplate.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Template string `json:"template,omitempty"`
	// Channels to send on; empty means the template's channels.
	// +kubebuilder:validation:MaxItems=8
	// +optional
	Channels []Channel `json:"channels,omitempty"`
}

// RecoveryActionType names a recovery action.
// +kubebuilder:validation:Enum=removeTaint;removeLabel;removeAnnotation;uncordon;alert
type RecoveryActionType string

// Recovery action types.
const (
	RecoveryRemoveTaint      RecoveryActionType = "removeTaint"
	RecoveryRemoveLabel      RecoveryActionType = "removeLabel"
	RecoveryRemoveAnnotation RecoveryActionType = "removeAnnotation"
	RecoveryUncordon         RecoveryActionType = "uncordon"
	RecoveryAlert            RecoveryActionType = "alert"
)

// RecoveryAction is one thing done on recovery.
//
// +kubebuilder:validation:XValidation:rule="self.type != 'removeTaint' || has(self.taint)",message="type removeTaint needs a taint object",fieldPath=".taint"
// +kubebuilder:validation:XValidation:rule="self.type != 'removeLabel' || has(self.label)",message="type removeLabel needs a label object",fieldPath=".label"
// +kubebuilder:validation:XValidation:rule="self.type != 'removeAnnotation' || has(self.annotation)",message="type removeAnnotation needs an annotation object",fieldPath=".annotation"
// +kubebuilder:validation:XValidation:rule="self.type != 'alert' || has(self.alert)",message="type alert needs an alert object",fieldPath=".alert"
// +kubebuilder:validation:XValidation:rule="!has(self.taint) || self.type == 'removeTaint'",message="taint is set but type is not removeTaint",fieldPath=".taint"
// +kubebuilder:validation:XValidation:rule="!has(self.label) || self.type == 'removeLabel'",message="label is set but type is not removeLabel",fieldPath=".label"
// +kubebuilder:validation:XValidation:rule="!has(self.annotation) || self.type == 'removeAnnotation'",message="annotation is set but type is not removeAnnotation",fieldPath=".annotation"
// +kubebuilder:validation:XValidation:rule="!has(self.uncordon) || self.type == 'uncordon'",message="uncordon is set but type is not uncordon",fieldPath=".uncordon"
// +kubebuilder:validation:XValidation:rule="!has(self.alert) || self.type == 'alert'",message="alert is set but type is not alert",fieldPath=".alert"
type RecoveryAction struct {
	// Type of the recovery action.
	Type RecoveryActionType `json:"type"`
	// Taint names the taint to remove.
	// +optional
	Taint *TaintRef `json:"taint,omitempty"`
	// Label names the labels to remove.
	// +optional
	Label *KeysRef `json:"label,omitempty"`
	// Annotation names the annotations to remove.
	// +optional
	Annotation *KeysRef `json:"annotation,omitempty"`
	// Uncordon marks the node schedulable again.
	// +optional
	Uncordon *CordonAction `json:"uncordon,omitempty"`
	// Alert sends a recovery alert.
	// +optional
	Alert *AlertAction `json:"alert,omitempty"`
}

// TaintRef names a taint to remove: by key, and by effect when given.
//
// +kubebuilder:validation:XValidation:rule="!self.key.matches('(?i)^([^/]*[.])?(kubernetes|k8s)[.]io/') || self.key in ['node.kubernetes.io/out-of-service']",message="taint keys under kubernetes.io/ and k8s.io/ (and their subdomains, such as node.kubernetes.io/ and nodeguardian.k8s.io/) are reserved; only node.kubernetes.io/out-of-service may be used",fieldPath=".key"
type TaintRef struct {
	// Key of the taint.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=317
	Key string `json:"key"`
	// Value is accepted for symmetry with the taint action and ignored.
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Value string `json:"value,omitempty"`
	// Effect limits removal to the taint with this effect.
	// +optional
	Effect TaintEffect `json:"effect,omitempty"`
}

// KeysRef names label or annotation keys.
//
// +kubebuilder:validation:XValidation:rule="self.keys.all(k, !k.matches('(?i)^([^/]*[.])?(kubernetes|k8s)[.]io/'))",message="keys under kubernetes.io/ and k8s.io/ (and their subdomains, such as node-role.kubernetes.io/ and nodeguardian.k8s.io/) are reserved",fieldPath=".keys"
type KeysRef struct {
	// Keys to remove.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=317
	Keys []string `json:"keys"`
}
