package v1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AlertTemplate is the subject and body of an alert: Go templates ({{ .nodeName }}) or
// Jinja-style templates ({{ node_name }}), picked per text (docs/rules.md#alerttemplate).
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=ngat,categories=nodeguardian
// +kubebuilder:metadata:annotations="api-approved.kubernetes.io=unapproved, experimental-only"
// +kubebuilder:printcolumn:name="Subject",type=string,JSONPath=`.spec.subject`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type AlertTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec AlertTemplateSpec `json:"spec"`
}

// AlertTemplateList is a list of AlertTemplate.
//
// +kubebuilder:object:root=true
type AlertTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AlertTemplate `json:"items"`
}

// AlertTemplateSpec is the content of an alert.
type AlertTemplateSpec struct {
	// Subject line of the alert: a Go or Jinja-style template.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Subject string `json:"subject"`
	// Body of the alert: a Go or Jinja-style template.
	// +kubebuilder:validation:MaxLength=65536
	// +optional
	Body string `json:"body,omitempty"`
	// Channels the alert goes to by default.
	// +kubebuilder:validation:MaxItems=8
	// +optional
	Channels []Channel `json:"channels,omitempty"`
	// RepeatInterval is how often an alert from this template is sent again while its
	// rule keeps firing on a node; 0s never repeats it. Absent or "" means the run's
	// (ngctl --alert-repeat-interval, 4h by default).
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^(([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)?$`
	// +optional
	RepeatInterval *metav1.Duration `json:"repeatInterval,omitempty"`
	// Variables are free-form values available to the template; kept as written.
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Type=object
	// +optional
	Variables *apiextensionsv1.JSON `json:"variables,omitempty"`
}
