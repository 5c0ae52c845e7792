package v1alpha1

// ProviderSpec and ProviderStatus let one reconciler serve both provider kinds.

// ProviderSpec returns the spec.
func (p *ESignetProvider) ProviderSpec() *ESignetProviderSpec { return &p.Spec }

// ProviderStatus returns the status.
func (p *ESignetProvider) ProviderStatus() *ESignetProviderStatus { return &p.Status }

// ProviderSpec returns the spec.
func (p *ClusterESignetProvider) ProviderSpec() *ESignetProviderSpec {
	return &p.Spec.ESignetProviderSpec
}

// ProviderStatus returns the status.
func (p *ClusterESignetProvider) ProviderStatus() *ESignetProviderStatus { return &p.Status }

// Provider kinds as written in a ProviderReference.
const (
	KindESignetProvider        = "ESignetProvider"
	KindClusterESignetProvider = "ClusterESignetProvider"
)
