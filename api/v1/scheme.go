package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func metav1AddToGroupVersion(s *runtime.Scheme) { metav1.AddToGroupVersion(s, GroupVersion) }

// Kind names, as they appear in manifests.
const (
	KindRule          = "NodeGuardianRule"
	KindAlertTemplate = "AlertTemplate"
)

// APIVersion is the apiVersion string of every NodeGuardian manifest.
const APIVersion = Group + "/v1"
