package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ESignetProviderSpec says how to reach one eSignet and how to authenticate to its
// client-management API.
// +kubebuilder:validation:XValidation:rule="!has(self.caBundle) || !has(self.caBundleSecretRef)",message="set caBundle or caBundleSecretRef, not both"
// +kubebuilder:validation:XValidation:rule="self.allowInsecureHTTP || self.url.startsWith('https://')",message="url must use https unless allowInsecureHTTP is true"
// +kubebuilder:validation:XValidation:rule="!has(self.discoveryURL) || self.allowInsecureHTTP || self.discoveryURL.startsWith('https://')",message="discoveryURL must use https unless allowInsecureHTTP is true"
type ESignetProviderSpec struct {
	// URL is the eSignet service base, e.g. https://esignet.example.org/v1/esignet.
	// Client management is called under <url>/client-mgmt/.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^https?://[^\s/?#]+(/[^\s?#]*)?$`
	URL string `json:"url"`

	// DiscoveryURL overrides where the OIDC discovery document is read. By default the operator
	// tries <scheme://host>/.well-known/openid-configuration, then <url>/oidc/.well-known/openid-configuration.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^https?://\S+$`
	DiscoveryURL string `json:"discoveryURL,omitempty"`

	// APIVersion is the eSignet release line the client-management calls target: it decides the
	// endpoints (/oidc-client, /oauth-client, /client) and the fields sent.
	// +kubebuilder:default="v1.8"
	// +kubebuilder:validation:Enum=v1.0;v1.2;v1.5;v1.6;v1.7;v1.8
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Auth is how the operator obtains a bearer token for client management. When empty, no
	// Authorization header is sent (eSignet configured with empty security maps).
	// +optional
	Auth ProviderAuth `json:"auth,omitempty"`

	// CABundle is a PEM bundle of the CAs trusted for eSignet and the token endpoint. When set,
	// only these CAs are trusted.
	// +optional
	CABundle []byte `json:"caBundle,omitempty"`

	// CABundleSecretRef reads the CA bundle from a Secret (for a ClusterESignetProvider, in the
	// operator's cluster resource namespace).
	// +optional
	CABundleSecretRef *SecretKeySelector `json:"caBundleSecretRef,omitempty"`

	// AllowInsecureHTTP permits http:// URLs. Never use it outside a lab: the bearer token
	// travels in clear text.
	// +kubebuilder:default=false
	// +optional
	AllowInsecureHTTP bool `json:"allowInsecureHTTP"`

	// RelyingPartyDefaults fill fields that relying parties using this provider leave empty.
	// +optional
	RelyingPartyDefaults *RelyingPartyDefaults `json:"relyingPartyDefaults,omitempty"`

	// PartnerManagement registers clients through MOSIP's Partner Management Service instead of
	// eSignet's client management, as a deployment backed by MOSIP IDA needs (see docs/pms.md).
	// PMS chooses each client's id from its public key and derives claims and ACRs from the
	// partner's policy. url stays eSignet's: discovery and the login endpoints are eSignet's.
	// +optional
	PartnerManagement *PartnerManagement `json:"partnerManagement,omitempty"`
}

// PartnerManagement is the PMS a provider registers clients through.
// +kubebuilder:validation:XValidation:rule="self.url.startsWith('https://') || self.url.startsWith('http://')",message="url must be http(s)"
type PartnerManagement struct {
	// URL is PMS's context path, e.g. https://api-internal.example.org/v1/partnermanager.
	// http:// needs the provider's allowInsecureHTTP.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^https?://[^\s/?#]+(/[^\s?#]*)?$`
	URL string `json:"url"`
	// Generation of PMS's OIDC-client API: oidc (deprecated /oidc/client), oauth (/oauth/client)
	// or oidc-clients (/oidc-clients, PMS 1.3.0-beta.4 and later).
	// +optional
	// +kubebuilder:default=oauth
	// +kubebuilder:validation:Enum=oidc;oauth;oidc-clients
	Generation string `json:"generation,omitempty"`
	// AuthPartnerID is the Auth_Partner the clients belong to (PMS sends it to eSignet as the
	// relying-party id).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=100
	AuthPartnerID string `json:"authPartnerID"`
	// PolicyID is the partner's approved policy of type Auth; claims and ACRs come from it.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=36
	PolicyID string `json:"policyID"`
	// AuthManager obtains PMS's token from MOSIP's kernel auth manager (client id and secret
	// key). When unset, the provider's auth (e.g. Keycloak's mosip-pms-client) is used for PMS.
	// +optional
	AuthManager *AuthManagerAuth `json:"authManager,omitempty"`
}

// AuthManagerAuth is a client of MOSIP's kernel auth manager (clientidsecretkey).
type AuthManagerAuth struct {
	// URL of the auth manager, e.g. https://api-internal.example.org/v1/authmanager.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^https?://\S+$`
	URL string `json:"url"`
	// AppID, e.g. partner.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=100
	AppID string `json:"appID"`
	// ClientID, e.g. mosip-pms-client.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	ClientID string `json:"clientID"`
	// SecretKeyRef points at the client's secret key.
	SecretKeyRef SecretKeySelector `json:"secretKeyRef"`
}

// ProviderAuth selects one way to authenticate.
// +kubebuilder:validation:XValidation:rule="!(has(self.clientCredentials) && has(self.tokenSecretRef))",message="set clientCredentials or tokenSecretRef, not both"
type ProviderAuth struct {
	// ClientCredentials obtains tokens with the OAuth2 client-credentials grant (Keycloak).
	// +optional
	ClientCredentials *ClientCredentialsAuth `json:"clientCredentials,omitempty"`

	// TokenSecretRef reads a static bearer token from a Secret.
	// +optional
	TokenSecretRef *SecretKeySelector `json:"tokenSecretRef,omitempty"`
}

// ClientCredentialsAuth is an OAuth2 client-credentials client, e.g. Keycloak's mosip-pms-client.
type ClientCredentialsAuth struct {
	// TokenURL is the token endpoint, e.g. https://keycloak.example.org/auth/realms/mosip/protocol/openid-connect/token.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^https?://\S+$`
	TokenURL string `json:"tokenURL"`

	// ClientID of the management client.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	ClientID string `json:"clientID"`

	// ClientSecretRef points at the client secret.
	ClientSecretRef SecretKeySelector `json:"clientSecretRef"`

	// Scopes to request. eSignet needs add_oidc_client to create and update_oidc_client to update;
	// Keycloak usually grants them as default scopes, so this is often empty.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:Pattern=`^\S+$`
	Scopes []string `json:"scopes,omitempty"`
}

// SecretKeySelector names one key of a Secret in the referring object's namespace.
type SecretKeySelector struct {
	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// Key within the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key"`
}

// RelyingPartyDefaults are provider-wide values for relying parties.
type RelyingPartyDefaults struct {
	// +optional
	// +kubebuilder:validation:MaxLength=100
	// +kubebuilder:validation:Pattern=`^\S+$`
	RelyingPartyID string `json:"relyingPartyID,omitempty"`
	// +optional
	// +kubebuilder:validation:MaxItems=30
	// +kubebuilder:validation:items:MinLength=1
	UserClaims []string `json:"userClaims,omitempty"`
	// +optional
	// +kubebuilder:validation:MaxItems=30
	// +kubebuilder:validation:items:MinLength=1
	AuthContextRefs []string `json:"authContextRefs,omitempty"`
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^(https?|ftp|file|jar)://\S+$`
	LogoURI string `json:"logoURI,omitempty"`
}

// DiscoveredEndpoints are read from eSignet's discovery document, never typed by hand.
type DiscoveredEndpoints struct {
	DiscoveryURL          string `json:"discoveryURL,omitempty"`
	Issuer                string `json:"issuer,omitempty"`
	AuthorizationEndpoint string `json:"authorizationEndpoint,omitempty"`
	TokenEndpoint         string `json:"tokenEndpoint,omitempty"`
	UserinfoEndpoint      string `json:"userinfoEndpoint,omitempty"`
	JWKSURI               string `json:"jwksURI,omitempty"`
	// +optional
	PushedAuthorizationRequestEndpoint string `json:"pushedAuthorizationRequestEndpoint,omitempty"`
}

// ESignetProviderStatus is the observed state of a provider.
type ESignetProviderStatus struct {
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// +optional
	Endpoints *DiscoveredEndpoints `json:"endpoints,omitempty"`
	// ClaimsSupported and ACRValuesSupported as eSignet advertises them.
	// +optional
	ClaimsSupported []string `json:"claimsSupported,omitempty"`
	// +optional
	ACRValuesSupported []string `json:"acrValuesSupported,omitempty"`
	// +optional
	SigningAlgValuesSupported []string `json:"signingAlgValuesSupported,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=esp,categories=esignet
// +kubebuilder:printcolumn:name="URL",type=string,JSONPath=`.spec.url`
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.spec.apiVersion`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// ESignetProvider is a namespaced connection to one eSignet, used by relying parties in its namespace.
type ESignetProvider struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ESignetProviderSpec   `json:"spec"`
	Status ESignetProviderStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ESignetProviderList lists ESignetProviders.
type ESignetProviderList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ESignetProvider `json:"items"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=cesp,categories=esignet
// +kubebuilder:printcolumn:name="URL",type=string,JSONPath=`.spec.url`
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.spec.apiVersion`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// ClusterESignetProvider is a cluster-wide connection to one eSignet; its Secrets live in the
// operator's cluster resource namespace. Its credentials can change any client at eSignet, so
// it fences the namespaces that use it: which may, and which client ids each may touch.
type ClusterESignetProvider struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ClusterESignetProviderSpec `json:"spec"`
	Status ESignetProviderStatus      `json:"status,omitempty"`
}

// ClusterESignetProviderSpec is a provider spec plus the tenancy fence.
type ClusterESignetProviderSpec struct {
	ESignetProviderSpec `json:",inline"`

	// Tenancy says which namespaces may use this provider and which client ids they get.
	// +optional
	Tenancy Tenancy `json:"tenancy,omitempty"`
}

// Tenancy fences the namespaces sharing a ClusterESignetProvider.
type Tenancy struct {
	// NamespaceSelector selects the namespaces whose relying parties may use this provider.
	// Absent: every namespace, as with cert-manager's ClusterIssuer; the client-id fence below
	// still keeps each namespace to its own clients. An empty selector ({}) also selects all.
	// +optional
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty"`
	// ClientIDs: Namespaced (default) keeps every relying party to the ids of its own
	// namespace, <prefix><namespace>.<anything> (derived ids are <prefix><namespace>.<name>), so
	// no namespace can create, change or deactivate another's client, whatever it writes.
	// Any lets namespaces choose any spec.clientID: only for namespaces trusted with every
	// client at this eSignet (for example to adopt clients registered by hand).
	// +optional
	// +kubebuilder:default=Namespaced
	// +kubebuilder:validation:Enum=Namespaced;Any
	ClientIDs ClientIDPolicy `json:"clientIDs,omitempty"`
}

// ClientIDPolicy says which client ids a namespace may use through a shared provider.
type ClientIDPolicy string

// Client-id policies.
const (
	ClientIDsNamespaced ClientIDPolicy = "Namespaced"
	ClientIDsAny        ClientIDPolicy = "Any"
)

// +kubebuilder:object:root=true

// ClusterESignetProviderList lists ClusterESignetProviders.
type ClusterESignetProviderList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterESignetProvider `json:"items"`
}
