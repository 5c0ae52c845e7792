// Package v1alpha1 contains the esignet.openg2p.org/v1alpha1 API: ESignetProvider,
// ClusterESignetProvider and ESignetRelyingParty.
// +kubebuilder:object:generate=true
// +groupName=esignet.openg2p.org
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the API group and version of these types.
	GroupVersion = schema.GroupVersion{Group: "esignet.openg2p.org", Version: "v1alpha1"}

	// SchemeBuilder registers the types with a scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the types to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion,
		&ESignetProvider{}, &ESignetProviderList{},
		&ClusterESignetProvider{}, &ClusterESignetProviderList{},
		&ESignetRelyingParty{}, &ESignetRelyingPartyList{},
	)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
