package v1alpha1

// Condition types.
const (
	// ConditionReady is the summary condition GitOps tools read.
	ConditionReady = "Ready"
	// ConditionKeyReady: the key pair exists in the Secret and is valid.
	ConditionKeyReady = "KeyReady"
	// ConditionRegistered: eSignet holds the client as specified.
	ConditionRegistered = "Registered"
	// ConditionConfigRendered: the consumer configuration is written.
	ConditionConfigRendered = "ConfigRendered"
)

// Condition reasons. Reasons are CamelCase constants so tools can match them.
const (
	ReasonReady              = "Ready"
	ReasonReconciling        = "Reconciling"
	ReasonProviderNotFound   = "ProviderNotFound"
	ReasonProviderNotReady   = "ProviderNotReady"
	ReasonInvalidSpec        = "InvalidSpec"
	ReasonKeyGenerated       = "KeyGenerated"
	ReasonKeyLoaded          = "KeyLoaded"
	ReasonKeyInvalid         = "KeyInvalid"
	ReasonSecretConflict     = "SecretNotOwned"
	ReasonKeyMismatch        = "RegisteredKeyMissing"
	ReasonRegistered         = "Registered"
	ReasonClientIDConflict   = "ClientIDConflict"
	ReasonPublicKeyConflict  = "PublicKeyConflict"
	ReasonImmutableChanged   = "ImmutableFieldChanged"
	ReasonESignetRejected    = "ESignetRejected" // eSignet's error codes go in the message
	ReasonESignetUnavailable = "ESignetUnavailable"
	ReasonAuthFailed         = "AuthenticationFailed"
	ReasonDeactivating       = "Deactivating"
	ReasonRendered           = "Rendered"
	ReasonRenderFailed       = "RenderFailed"
	ReasonDiscoveryFailed    = "DiscoveryFailed"
	ReasonCredentialsMissing = "CredentialsMissing"
	ReasonTokenFailed        = "TokenFailed"
	ReasonInvalidProvider    = "InvalidProvider"
)

// Annotations the operator reads or writes on an ESignetRelyingParty.
const (
	// AnnotationCreatePending marks that a create call may have reached eSignet: set before the
	// POST, so a crash before the status write is recognised and duplicate_client_id is treated
	// as ours (crossplane's external-create-pending).
	AnnotationCreatePending = "esignet.openg2p.org/create-pending"
	// AnnotationCreateSucceeded records the time eSignet accepted the create.
	AnnotationCreateSucceeded = "esignet.openg2p.org/create-succeeded"
	// AnnotationForceDelete, set to "true", lets deletion finish without deactivating the client
	// at eSignet (for an eSignet that is gone for good).
	AnnotationForceDelete = "esignet.openg2p.org/force-delete"
)

// Finalizer keeps a relying party until its client is deactivated at eSignet.
const Finalizer = "esignet.openg2p.org/client"
