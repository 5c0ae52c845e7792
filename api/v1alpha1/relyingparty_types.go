package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ESignetRelyingPartySpec is the desired eSignet client of one OpenG2P application.
// Limits mirror what eSignet's client-management API enforces, so a bad manifest is refused by
// the API server rather than by eSignet later.
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.clientID) || (has(self.clientID) && self.clientID == oldSelf.clientID)",message="clientID is immutable once set: eSignet cannot rename a client"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.relyingPartyID) || (has(self.relyingPartyID) && self.relyingPartyID == oldSelf.relyingPartyID)",message="relyingPartyID is immutable once set: eSignet cannot change it"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.secretName) || (has(self.secretName) && self.secretName == oldSelf.secretName)",message="secretName is immutable: the registered key lives in that Secret"
type ESignetRelyingPartySpec struct {
	// ProviderRef names the ESignetProvider (same namespace) or ClusterESignetProvider to register with.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="providerRef is immutable: a client cannot move between eSignet instances"
	ProviderRef ProviderReference `json:"providerRef"`

	// ClientID at eSignet. Defaults to <prefix><namespace>.<name>; immutable once set. Through a
	// ClusterESignetProvider it must start with <prefix><namespace>. unless the provider's
	// tenancy.clientIDs is Any.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=100
	// +kubebuilder:validation:Pattern=`^\S+$`
	ClientID string `json:"clientID,omitempty"`

	// ClientName shown on eSignet's login page.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`\S`
	ClientName string `json:"clientName"`

	// ClientNameLangMap holds translations of the name keyed by ISO 639-2/T code (eng, fra, ara, khm).
	// Required by eSignet v1.2 to v1.5.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^[a-z]{3}$'))",message="clientNameLangMap keys must be ISO 639-2/T three-letter codes such as eng, fra, ara"
	ClientNameLangMap map[string]LocalizedName `json:"clientNameLangMap,omitempty"`

	// RelyingPartyID at eSignet (defaults to the provider's default, else the client id); immutable once set.
	// +optional
	// +kubebuilder:validation:MaxLength=100
	// +kubebuilder:validation:Pattern=`^\S+$`
	RelyingPartyID string `json:"relyingPartyID,omitempty"`

	// LogoURI shown on eSignet's login page (defaults to the provider's default).
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^(https?|ftp|file|jar)://\S+$`
	LogoURI string `json:"logoURI,omitempty"`

	// RedirectURIs registered for the client; paths may use Ant-style wildcards (*, **), hosts may not.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=5
	// +kubebuilder:validation:items:MaxLength=1024
	// +kubebuilder:validation:items:Pattern=`^[A-Za-z][A-Za-z0-9+.\-]*://[^\s/?#*]+([/?#]\S*)?$`
	RedirectURIs []string `json:"redirectURIs"`

	// UserClaims the client may receive; each must be in eSignet's claims_supported.
	// Defaults to the provider's default.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=30
	// +kubebuilder:validation:items:Pattern=`^\S+$`
	UserClaims []string `json:"userClaims,omitempty"`

	// AuthContextRefs (ACRs) the client accepts, e.g. mosip:idp:acr:generated-code.
	// Defaults to the provider's default; at least one is required after defaulting.
	// +optional
	// +kubebuilder:validation:MaxItems=30
	// +kubebuilder:validation:items:Pattern=`\S`
	AuthContextRefs []string `json:"authContextRefs,omitempty"`

	// GrantTypes; eSignet supports authorization_code.
	// +optional
	// +kubebuilder:default={"authorization_code"}
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=3
	// +kubebuilder:validation:items:Enum=authorization_code
	GrantTypes []string `json:"grantTypes,omitempty"`

	// ClientAuthMethods; the operator manages a key pair, so private_key_jwt.
	// +optional
	// +kubebuilder:default={"private_key_jwt"}
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=3
	// +kubebuilder:validation:items:Enum=private_key_jwt
	ClientAuthMethods []string `json:"clientAuthMethods,omitempty"`

	// Active maps to the client's status at eSignet (ACTIVE or INACTIVE).
	// +optional
	// +kubebuilder:default=true
	Active *bool `json:"active,omitempty"`

	// AdditionalConfig is eSignet's additionalConfig (v1.6+).
	// +optional
	AdditionalConfig *AdditionalConfig `json:"additionalConfig,omitempty"`

	// Key is the client's signing key, its rotation and what to do when it is lost. eSignet cannot
	// change a registered public key: a new key is registered as a new client (see docs/rotation.md).
	// +optional
	// +kubebuilder:default={}
	Key KeySpec `json:"key"`

	// DriftPolicy: eSignet cannot be read back, so a client changed behind the operator's back is
	// invisible; Reassert sends the whole desired client again every interval.
	// +optional
	DriftPolicy *DriftPolicy `json:"driftPolicy,omitempty"`

	// SecretName is the Secret holding the key pair and client id. Defaults to <name>-esignet-client.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	SecretName string `json:"secretName,omitempty"`

	// SecretTemplate adds labels and annotations to the generated Secrets.
	// +optional
	SecretTemplate *SecretTemplate `json:"secretTemplate,omitempty"`

	// Consumer holds the OIDC request settings every rendered output shares.
	// +optional
	Consumer *ConsumerSettings `json:"consumer,omitempty"`

	// Outputs lists the configurations to render, each into its own Secret (a ConfigMap for
	// env, which holds nothing secret). Defaults to one generic oidc output named <name>-oidc.
	// +optional
	// +kubebuilder:validation:MaxItems=10
	// +listType=map
	// +listMapKey=name
	Outputs []Output `json:"outputs,omitempty"`

	// DeletionPolicy: Deactivate sets the client INACTIVE at eSignet when this resource is deleted
	// (eSignet has no delete); Retain leaves it, and the key Secret, in place.
	// +optional
	// +kubebuilder:default=Deactivate
	// +kubebuilder:validation:Enum=Deactivate;Retain
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`
}

// LocalizedName is a client name in one language: non-blank, at most 50 characters (eSignet v1.6+).
// +kubebuilder:validation:MaxLength=50
// +kubebuilder:validation:Pattern=`\S`
type LocalizedName string

// ConsumerSettings are what an OpenG2P app asks eSignet for at login.
type ConsumerSettings struct {
	// Scope requested (default "openid profile email", as every OpenG2P app uses).
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Scope string `json:"scope,omitempty"`
	// Claims requested through the claims parameter, with essential flags. Defaults to the
	// user claims, essential for name, gender and birthdate as OpenG2P's seeds do.
	// +optional
	// +kubebuilder:validation:MaxItems=30
	// +listType=map
	// +listMapKey=name
	Claims []RequestedClaim `json:"claims,omitempty"`
	// ACRValues sent as acr_values (default: the authContextRefs).
	// +optional
	// +kubebuilder:validation:MaxItems=30
	ACRValues []string `json:"acrValues,omitempty"`
	// TokenMap maps userinfo claims to the consumer's user fields as space-separated from:to
	// pairs (Odoo's token_map). Default: OpenG2P's mapping without groups, which eSignet lacks.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:Pattern=`^(\S+:\S+)( \S+:\S+)*$`
	TokenMap string `json:"tokenMap,omitempty"`
	// EnablePKCE tells consumers to send a PKCE S256 challenge (default true).
	// +optional
	EnablePKCE *bool `json:"enablePKCE,omitempty"`
	// VerifyAtHash tells consumers to check the ID token's at_hash (default true).
	// +optional
	VerifyAtHash *bool `json:"verifyAtHash,omitempty"`
}

// RequestedClaim is one claim of the claims request.
type RequestedClaim struct {
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	Name string `json:"name"`
	// +optional
	Essential bool `json:"essential,omitempty"`
}

// Output is one rendered configuration.
// +kubebuilder:validation:XValidation:rule="self.format != 'template' || has(self.template)",message="template outputs need template"
// +kubebuilder:validation:XValidation:rule="self.format == 'template' || (!has(self.template) && !has(self.templateKey))",message="template and templateKey are only for format template"
// +kubebuilder:validation:XValidation:rule="self.format == 'odoo' || !has(self.odoo)",message="odoo settings are only for format odoo"
// +kubebuilder:validation:XValidation:rule="self.format == 'iam' || !has(self.iam)",message="iam settings are only for format iam"
// +kubebuilder:validation:XValidation:rule="self.format in ['env', 'fastapi-auth'] || !has(self.envPrefix)",message="envPrefix is only for formats env and fastapi-auth"
// +kubebuilder:validation:XValidation:rule="!has(self.apply) || self.format in ['odoo', 'fastapi-auth', 'iam']",message="apply.postgres is for the database formats odoo, fastapi-auth and iam"
type Output struct {
	// Format: oidc (generic), odoo (auth_oauth_provider), fastapi-auth (login_providers of
	// openg2p-fastapi-auth), iam (gen-2 openg2p-iam-service), env (token validation variables),
	// template (a Go text/template of your own).
	// +kubebuilder:validation:Enum=oidc;odoo;fastapi-auth;iam;env;template
	Format string `json:"format"`
	// Name of the Secret (ConfigMap for env) to write.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Name string `json:"name"`
	// RedirectURI this consumer uses; it must match one of spec.redirectURIs (default: the first).
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	RedirectURI string `json:"redirectURI,omitempty"`
	// Template is the Go text/template for format template.
	// +optional
	// +kubebuilder:validation:MaxLength=65536
	Template string `json:"template,omitempty"`
	// EnvPrefix for format env and for fastapi-auth's LOGIN_PROVIDERS_LIST form, e.g. SPAR_SELFSERVICE_.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Za-z_][A-Za-z0-9_]*$`
	EnvPrefix string `json:"envPrefix,omitempty"`
	// ProviderName is the login provider's name in the consumer's database (Odoo name and
	// button label, login_providers name, IAM provider_name). Default: spec.clientName.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`\S`
	ProviderName string `json:"providerName,omitempty"`
	// TemplateKey is the data key the template renders into (default "config").
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	TemplateKey string `json:"templateKey,omitempty"`
	// Odoo settings for format odoo.
	// +optional
	Odoo *OdooOutput `json:"odoo,omitempty"`
	// IAM settings for format iam.
	// +optional
	IAM *IAMOutput `json:"iam,omitempty"`
	// Apply delivers the rendered row into the app's database (formats odoo, fastapi-auth, iam).
	// +optional
	Apply *OutputApply `json:"apply,omitempty"`
	// Rollout restarts these workloads of this namespace when the output's content changes (a
	// pod-template annotation holding its hash, as Helm and Reloader do), for apps that read it
	// at start (env, mounted files).
	// +optional
	// +kubebuilder:validation:MaxItems=10
	// +listType=atomic
	Rollout []WorkloadReference `json:"rollout,omitempty"`
}

// OdooOutput tunes the auth_oauth_provider record.
type OdooOutput struct {
	// Enabled shows the provider as a login button (Odoo's "Allowed"; default true). Set false for
	// a provider used only for ID authentication (g2p_auth_id_oidc).
	// +optional
	Enabled *bool `json:"enabled,omitempty"`
	// IDType names the g2p.id.type whose IDs this provider authenticates (g2p_auth_id_oidc), e.g.
	// "NATIONAL ID". The SQL looks the type up by name.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	IDType string `json:"idType,omitempty"`
	// SelfServicePortal marks the provider for the beneficiary portal (g2p_portal_auth:
	// g2p_self_service_allowed) with the output's redirect URI as g2p_portal_oauth_callback_url.
	// +optional
	SelfServicePortal bool `json:"selfServicePortal,omitempty"`
}

// IAMOutput tunes the openg2p-iam-service login_providers row.
type IAMOutput struct {
	// Audiences accepted in tokens (default: the client id).
	// +optional
	// +kubebuilder:validation:MaxItems=10
	Audiences []string `json:"audiences,omitempty"`
	// DefaultRedirectURI is where the IAM service sends the browser after login (its UI).
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	DefaultRedirectURI string `json:"defaultRedirectURI,omitempty"`
}

// ProviderReference names a provider.
type ProviderReference struct {
	// +kubebuilder:default=ESignetProvider
	// +kubebuilder:validation:Enum=ESignetProvider;ClusterESignetProvider
	// +optional
	Kind string `json:"kind,omitempty"`
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// KeySpec chooses the key pair's algorithm and size, its rotation, and what happens when it is lost.
// +kubebuilder:validation:XValidation:rule="self.algorithm != 'ES256' || !has(self.size)",message="size applies to RSA keys only (RS256, PS256)"
// +kubebuilder:validation:XValidation:rule="(has(self.algorithm) ? self.algorithm : 'RS256') == (has(oldSelf.algorithm) ? oldSelf.algorithm : 'RS256') && (has(self.size) ? self.size : 0) == (has(oldSelf.size) ? oldSelf.size : 0)",message="key algorithm and size are immutable: eSignet cannot replace a client's public key"
// +kubebuilder:validation:XValidation:rule="has(self.adopt) == has(oldSelf.adopt) && (!has(self.adopt) || self.adopt == oldSelf.adopt)",message="adopt is immutable: a client is adopted once, when the resource is created"
type KeySpec struct {
	// Algorithm the client signs assertions with; PS256 and ES256 need eSignet v1.7 or later.
	// +kubebuilder:default=RS256
	// +kubebuilder:validation:Enum=RS256;PS256;ES256
	// +optional
	Algorithm string `json:"algorithm,omitempty"`
	// Size of an RSA key in bits (default 2048).
	// +kubebuilder:validation:Enum=2048;3072;4096
	// +optional
	Size int32 `json:"size,omitempty"`
	// Rotation replaces the key, and with it the client, on a schedule or on request, keeping the
	// previous client ACTIVE for an overlap.
	// +optional
	Rotation *KeyRotation `json:"rotation,omitempty"`
	// OnKeyLoss: when the Secret of a registered key is deleted or its key is unusable, Stop
	// (default) waits for a person to restore it; Rotate registers a new key as a new client and
	// deactivates the one whose key was lost.
	// +optional
	// +kubebuilder:default=Stop
	// +kubebuilder:validation:Enum=Stop;Rotate
	OnKeyLoss KeyLossPolicy `json:"onKeyLoss,omitempty"`
	// Adopt takes over a client registered by hand: spec.clientID names it and this Secret holds
	// its private key. The operator never creates that client; it converges it with an update.
	// +optional
	Adopt *KeyAdoption `json:"adopt,omitempty"`
}

// SecretTemplate is metadata added to generated Secrets.
type SecretTemplate struct {
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// DeletionPolicy decides what happens at eSignet when the resource is deleted.
type DeletionPolicy string

// Deletion policies.
const (
	DeletionPolicyDeactivate DeletionPolicy = "Deactivate"
	DeletionPolicyRetain     DeletionPolicy = "Retain"
)

// AdditionalConfig is eSignet's additionalConfig object (API.md §2.9). Keys newer than the
// provider's eSignet version are refused by the operator before any call.
type AdditionalConfig struct {
	// UserinfoResponseType: JWS only, since OpenG2P consumers do not decrypt userinfo and the
	// operator does not manage an encryption key.
	// +optional
	// +kubebuilder:validation:Enum=JWS
	UserinfoResponseType string `json:"userinfoResponseType,omitempty"`
	// +optional
	Purpose *Purpose `json:"purpose,omitempty"`
	// +optional
	SignupBannerRequired *bool `json:"signupBannerRequired,omitempty"`
	// +optional
	ForgotPasswordLinkRequired *bool `json:"forgotPasswordLinkRequired,omitempty"`
	// +optional
	// +kubebuilder:validation:Minimum=10
	ConsentExpireInMins *int32 `json:"consentExpireInMins,omitempty"`
	// RequirePushedAuthorizationRequests (eSignet v1.7+).
	// +optional
	RequirePushedAuthorizationRequests *bool `json:"requirePushedAuthorizationRequests,omitempty"`
	// DPoPBoundAccessTokens (eSignet v1.7+).
	// +optional
	DPoPBoundAccessTokens *bool `json:"dpopBoundAccessTokens,omitempty"`
	// RequirePKCE (eSignet v1.8+).
	// +optional
	RequirePKCE *bool `json:"requirePKCE,omitempty"`
}

// Purpose is the login page's wording.
type Purpose struct {
	// +kubebuilder:validation:Enum=none;verify;link;login
	Type string `json:"type"`
	// Title by language; must include "@none".
	// +optional
	// +kubebuilder:validation:XValidation:rule="'@none' in self",message="title must include an \"@none\" entry"
	Title map[string]string `json:"title,omitempty"`
	// SubTitle by language; must include "@none".
	// +optional
	// +kubebuilder:validation:XValidation:rule="'@none' in self",message="subTitle must include an \"@none\" entry"
	SubTitle map[string]string `json:"subTitle,omitempty"`
}

// ESignetRelyingPartyStatus is what the operator observed and did, recomputed whole on every pass.
type ESignetRelyingPartyStatus struct {
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Conditions: Ready (the summary), KeyReady, Registered, ConfigRendered, and, only while True,
	// Reconciling (work or retries remain) and Stalled (a person must act).
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// ClientID registered (or being registered) at eSignet.
	// +optional
	ClientID string `json:"clientID,omitempty"`
	// KeyID is the RFC 7638 thumbprint of the key in the Secret.
	// +optional
	KeyID string `json:"keyID,omitempty"`
	// SecretName holding the key pair.
	// +optional
	SecretName string `json:"secretName,omitempty"`
	// Registration is what the operator knows eSignet holds for this resource.
	// +optional
	Registration *RegistrationStatus `json:"registration,omitempty"`
	// Outputs lists the objects holding the rendered configuration.
	// +optional
	// +listType=map
	// +listMapKey=name
	Outputs []OutputStatus `json:"outputs,omitempty"`
	// Endpoints as discovered from the provider.
	// +optional
	Endpoints *DiscoveredEndpoints `json:"endpoints,omitempty"`
	// NextRotationAt is when a Scheduled rotation falls due.
	// +optional
	NextRotationAt *metav1.Time `json:"nextRotationAt,omitempty"`
}

// RegistrationState says whether eSignet is known to hold the client.
// +kubebuilder:validation:Enum=Pending;Registered
type RegistrationState string

// Registration states.
const (
	// RegistrationPending: a create may have reached eSignet without its answer being recorded.
	RegistrationPending RegistrationState = "Pending"
	// RegistrationRegistered: eSignet accepted the client.
	RegistrationRegistered RegistrationState = "Registered"
)

// RegistrationStatus is the registration record: with the registration annotation, everything
// that decides whether (and how) eSignet is called.
type RegistrationStatus struct {
	// State is empty when no client exists (a create was refused).
	// +optional
	State RegistrationState `json:"state,omitempty"`
	// ClientID at eSignet.
	// +optional
	ClientID string `json:"clientID,omitempty"`
	// KeyID is the thumbprint of the public key eSignet holds (or may hold) for the client.
	// +optional
	KeyID string `json:"keyID,omitempty"`
	// RelyingPartyID eSignet holds (it cannot be updated there).
	// +optional
	RelyingPartyID string `json:"relyingPartyID,omitempty"`
	// Fingerprint of the client state eSignet last accepted; an equal desired state costs no call.
	// +optional
	Fingerprint string `json:"fingerprint,omitempty"`
	// Refused is the desired state eSignet last refused: it is not sent again until it changes.
	// +optional
	Refused *Refusal `json:"refused,omitempty"`
	// Rotation counter of the current client: 0 for the resource's first, then one more per rotation.
	// +optional
	Rotation int32 `json:"rotation,omitempty"`
	// Since is when the current client was registered (or adopted): the key's age and the
	// schedule count from it.
	// +optional
	Since *metav1.Time `json:"since,omitempty"`
	// AssertedAt is when eSignet last accepted the whole desired client.
	// +optional
	AssertedAt *metav1.Time `json:"assertedAt,omitempty"`
	// Adopted: the current client was registered by hand and adopted; the operator never creates it.
	// +optional
	Adopted bool `json:"adopted,omitempty"`
	// RotationRequest is the last spec.key.rotation.requestedAt acted on.
	// +optional
	RotationRequest string `json:"rotationRequest,omitempty"`
	// Next is the client a rotation in progress is creating.
	// +optional
	Next *PeerClient `json:"next,omitempty"`
	// Previous is the client replaced by the last rotation, ACTIVE until its retireAt.
	// +optional
	Previous *PeerClient `json:"previous,omitempty"`
	// GrantedUserClaims and GrantedAuthContextRefs are what Partner Management derived from the
	// partner's policy, read back after each write (providers with partnerManagement only).
	// +optional
	GrantedUserClaims []string `json:"grantedUserClaims,omitempty"`
	// +optional
	GrantedAuthContextRefs []string `json:"grantedAuthContextRefs,omitempty"`
}

// Refusal is a desired state eSignet refused, with the condition it produced.
type Refusal struct {
	Fingerprint string `json:"fingerprint"`
	Reason      string `json:"reason"`
	Message     string `json:"message"`
}

// OutputStatus is one rendered object.
type OutputStatus struct {
	// Name of the output and of the object.
	Name string `json:"name"`
	// Kind of the object: Secret, or ConfigMap for the env format.
	Kind string `json:"kind"`
	// Format rendered.
	Format string `json:"format"`
	// Hash of the rendered content.
	// +optional
	Hash string `json:"hash,omitempty"`
	// Applied is the output's last database delivery.
	// +optional
	Applied *AppliedStatus `json:"applied,omitempty"`
	// RolledOut lists the workloads restarted for this content.
	// +optional
	RolledOut []RolledOutStatus `json:"rolledOut,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=esrp;rp,categories=esignet
// +kubebuilder:printcolumn:name="Client ID",type=string,JSONPath=`.status.clientID`
// +kubebuilder:printcolumn:name="Provider",type=string,JSONPath=`.spec.providerRef.name`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Key ID",type=string,JSONPath=`.status.keyID`,priority=1
// +kubebuilder:printcolumn:name="Next Rotation",type=date,JSONPath=`.status.nextRotationAt`,priority=1
// +kubebuilder:printcolumn:name="Secret",type=string,JSONPath=`.status.secretName`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// ESignetRelyingParty is one OIDC client registered at eSignet, with its key pair and the
// configuration its OpenG2P consumers read.
// +kubebuilder:validation:XValidation:rule="!has(self.spec.outputs) || !((has(self.spec.secretName) ? self.spec.secretName : self.metadata.name + '-esignet-client') in self.spec.outputs.map(o, o.name))",message="an output cannot be named like the key Secret (spec.secretName, default <name>-esignet-client): it would overwrite the private key"
// +kubebuilder:validation:XValidation:rule="!has(self.spec.key.adopt) || has(self.spec.clientID)",message="spec.key.adopt needs spec.clientID: the id of the client to adopt"
// +kubebuilder:validation:XValidation:rule="!has(self.spec.key.adopt) || self.spec.key.adopt.secretName != (has(self.spec.secretName) ? self.spec.secretName : self.metadata.name + '-esignet-client')",message="spec.key.adopt.secretName must differ from the key Secret (spec.secretName, default <name>-esignet-client): the operator copies the key into a Secret of its own"
type ESignetRelyingParty struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ESignetRelyingPartySpec   `json:"spec"`
	Status ESignetRelyingPartyStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ESignetRelyingPartyList lists ESignetRelyingParties.
type ESignetRelyingPartyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ESignetRelyingParty `json:"items"`
}
