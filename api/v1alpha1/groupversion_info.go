// Package v1alpha1 holds the provisioning.dect-operator.dev/v1alpha1 API: DectBase, one
// Gigaset DECT Manager and its settings, and Handset, one cordless handset bound to a SIP
// account on that base.
//
// +kubebuilder:object:generate=true
// +groupName=provisioning.dect-operator.dev
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of every type in this package.
	GroupVersion = schema.GroupVersion{Group: "provisioning.dect-operator.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the types of this package with a runtime.Scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the types of this package to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
