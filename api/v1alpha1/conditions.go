package v1alpha1

// Condition types. Ready is the summary; Reconciling and Stalled follow the kstatus convention
// (present only while True), so Flux, kpt and Argo CD tell "still working" from "needs a person".
const (
	// ConditionReady is the summary condition GitOps tools read.
	ConditionReady = "Ready"
	// ConditionReconciling is True while work or retries remain.
	ConditionReconciling = "Reconciling"
	// ConditionStalled is True when only a person can make progress (the reason says what).
	ConditionStalled = "Stalled"
	// ConditionKeyReady: the key pair exists in the Secret and is valid.
	ConditionKeyReady = "KeyReady"
	// ConditionRegistered: eSignet holds the client as specified.
	ConditionRegistered = "Registered"
	// ConditionConfigRendered: the consumer configuration is written.
	ConditionConfigRendered = "ConfigRendered"
)

// Condition reasons: CamelCase constants that say what happened, so tools and people can match them.
const (
	ReasonReady = "Ready"

	// Provider.
	ReasonProviderNotFound   = "ProviderNotFound"
	ReasonProviderNotReady   = "ProviderNotReady"
	ReasonDiscoveryFailed    = "DiscoveryFailed"
	ReasonCredentialsMissing = "CredentialsMissing"
	ReasonTokenFailed        = "TokenFailed"
	ReasonInvalidProvider    = "InvalidProvider"
	// ProviderNotAllowed: a ClusterESignetProvider's tenancy.namespaceSelector excludes the namespace.
	ReasonProviderNotAllowed = "ProviderNotAllowed"
	// ClientIDNotAllowed: the client id is outside the namespace's ids on a shared provider.
	ReasonClientIDNotAllowed = "ClientIDNotAllowed"

	// Desired state.
	ReasonInvalidSpec      = "InvalidSpec"
	ReasonImmutableChanged = "ImmutableFieldChanged"

	// Key.
	ReasonKeyLoaded            = "KeyLoaded"
	ReasonKeyInvalid           = "KeyInvalid" // the Secret's content is not a usable key
	ReasonSecretNotOwned       = "SecretNotOwned"
	ReasonRegisteredKeyMissing = "RegisteredKeyMissing"  // the Secret of a registered key is gone
	ReasonRegisteredKeyChanged = "RegisteredKeyMismatch" // the Secret holds another key than eSignet
	ReasonAdoptionFailed       = "AdoptionFailed"        // the Secret named by spec.key.adopt is unusable

	// Registration.
	ReasonRegistered         = "Registered"
	ReasonClientIDConflict   = "ClientIDConflict"
	ReasonPublicKeyConflict  = "PublicKeyConflict"
	ReasonESignetRejected    = "ESignetRejected" // eSignet's error codes go in the message
	ReasonESignetUnavailable = "ESignetUnavailable"
	ReasonESignetBusy        = "ESignetBusy" // the provider's share of workers is in use
	ReasonAuthFailed         = "AuthenticationFailed"
	ReasonClientMissing      = "ClientMissing" // eSignet no longer knows a registered client
	ReasonDeactivating       = "Deactivating"
	ReasonAdoptedUnknown     = "AdoptedClientUnknown" // eSignet does not know the client to adopt
	ReasonRotating           = "Rotating"             // a rotation's next client is not registered yet

	// Outputs.
	ReasonRendered       = "Rendered"
	ReasonRenderFailed   = "RenderFailed"
	ReasonOutputNotOwned = "OutputNotOwned"

	// KubernetesError: the API server refused or failed a read or write the operator needs.
	ReasonKubernetesError = "KubernetesError"
)

// Event reasons, one per thing that happened.
const (
	EventKeyGenerated          = "KeyGenerated"
	EventSecretAdopted         = "SecretAdopted"
	EventClientCreated         = "ClientCreated"
	EventClientConverged       = "ClientConverged"
	EventClientUpdated         = "ClientUpdated"
	EventClientDeactivated     = "ClientDeactivated"
	EventClientMissing         = "ClientMissing"
	EventClientRefused         = "ClientRefused"
	EventESignetUnavailable    = "ESignetUnavailable"
	EventAuthFailed            = "AuthenticationFailed"
	EventOutputWritten         = "OutputWritten"
	EventOutputDeleted         = "OutputDeleted"
	EventRetained              = "Retained"
	EventForceDeleted          = "ForceDeleted"
	EventDeactivationFailed    = "DeactivationFailed"
	EventDeactivationAbandoned = "DeactivationAbandoned"
	EventRotationStarted       = "RotationStarted"
	EventRotated               = "Rotated"
	EventClientRetired         = "ClientRetired"
	EventKeyLost               = "KeyLost"
	EventClientAdopted         = "ClientAdopted"
	EventClientReasserted      = "ClientReasserted"
)

// Annotations the operator reads or writes on an ESignetRelyingParty.
const (
	// AnnotationRegistration holds {"clientID":…,"keyID":…}, written before the first create
	// reaches eSignet (crossplane's external-create-pending): a client with that id and key may
	// exist and is this resource's. It survives a lost status, so a crash or a restore never
	// registers a second client or a key the Secret does not hold.
	AnnotationRegistration = "esignet.openg2p.org/registration"
	// AnnotationForceDelete, set to "true", lets deletion finish without deactivating the client
	// at eSignet (for an eSignet that is gone for good).
	AnnotationForceDelete = "esignet.openg2p.org/force-delete"
)

// Finalizer keeps a relying party until its client is deactivated at eSignet.
const Finalizer = "esignet.openg2p.org/client"
