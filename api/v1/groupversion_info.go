// Package v1 holds the NodeGuardian API types (group nodeguardian.k8s.io, version v1).
// They are the single source of truth: the CRDs and the JSON Schema in schemas/ are
// generated from them by `make generate`.
//
// +kubebuilder:object:generate=true
// +groupName=nodeguardian.k8s.io
package v1

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Group is the API group of every NodeGuardian kind.
const Group = "nodeguardian.k8s.io"

// GroupVersion is group version used to register these objects.
var GroupVersion = schema.GroupVersion{Group: Group, Version: "v1"}

// AddToScheme adds the NodeGuardian types to a scheme.
func AddToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion,
		&NodeGuardianRule{}, &NodeGuardianRuleList{},
		&AlertTemplate{}, &AlertTemplateList{},
	)
	metav1AddToGroupVersion(s)
	return nil
}
