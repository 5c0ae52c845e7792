package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// KeyRotation is when the key is replaced. Every rotation registers a new client at eSignet (a
// registered public key cannot change, and eSignet has no delete), so the schedule is long: eSignet's
// guide asks for 6 to 12 months.
// +kubebuilder:validation:XValidation:rule="self.policy != 'Scheduled' || has(self.every)",message="a Scheduled rotation needs every (e.g. 4380h)"
// +kubebuilder:validation:XValidation:rule="!has(self.every) || duration(self.every) >= duration('1h')",message="every must be at least 1h: each rotation leaves a client at eSignet"
// +kubebuilder:validation:XValidation:rule="!has(self.every) || !has(self.overlap) || duration(self.overlap) < duration(self.every)",message="overlap must be shorter than every"
type KeyRotation struct {
	// Policy: Never (default) rotates only on request; Scheduled also rotates every interval.
	// +optional
	// +kubebuilder:default=Never
	// +kubebuilder:validation:Enum=Never;Scheduled
	Policy RotationPolicy `json:"policy,omitempty"`
	// Every is the key's lifetime under a Scheduled policy, counted from its registration.
	// +optional
	Every *metav1.Duration `json:"every,omitempty"`
	// Overlap is how long the previous client stays ACTIVE, with its key in the Secret, after a
	// rotation (default 24h), so consumers still holding it keep working until they reload.
	// +optional
	Overlap *metav1.Duration `json:"overlap,omitempty"`
	// RequestedAt rotates the key now when set to a new value: by convention the time of the
	// request (kubectl-friendly: `date -Iseconds`); any token works. The value a resource is
	// created with rotates nothing.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	RequestedAt string `json:"requestedAt,omitempty"`
}

// RotationPolicy says whether the key is rotated on a schedule.
type RotationPolicy string

// Rotation policies.
const (
	RotationNever     RotationPolicy = "Never"
	RotationScheduled RotationPolicy = "Scheduled"
)

// KeyLossPolicy is what happens when a registered key is lost.
type KeyLossPolicy string

// Key-loss policies.
const (
	KeyLossStop   KeyLossPolicy = "Stop"
	KeyLossRotate KeyLossPolicy = "Rotate"
)

// KeyAdoption names the Secret holding the private key of a client registered by hand.
type KeyAdoption struct {
	// SecretName in this namespace. It must carry the annotation
	// esignet.openg2p.org/adoptable-by: <this resource's name>, so that only someone allowed to
	// write that Secret can have the operator copy its key.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	SecretName string `json:"secretName"`
	// Key is the data key holding the private key: a PEM (PKCS#8, PKCS#1 or SEC 1) or a private
	// JWK (default private.pem).
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	Key string `json:"key,omitempty"`
}

// DriftPolicy says whether the client is re-asserted at eSignet.
// +kubebuilder:validation:XValidation:rule="!has(self.interval) || duration(self.interval) >= duration('1m')",message="interval must be at least 1m"
type DriftPolicy struct {
	// Mode: Ignore (default: no eSignet call while nothing changes) or Reassert.
	// +optional
	// +kubebuilder:default=Ignore
	// +kubebuilder:validation:Enum=Ignore;Reassert
	Mode DriftMode `json:"mode,omitempty"`
	// Interval between re-assertions (default 1h), jittered by up to a tenth per resource so that
	// clients are not all sent at once.
	// +optional
	Interval *metav1.Duration `json:"interval,omitempty"`
}

// DriftMode is Ignore or Reassert.
type DriftMode string

// Drift modes.
const (
	DriftIgnore   DriftMode = "Ignore"
	DriftReassert DriftMode = "Reassert"
)

// AnnotationAdoptableBy on a Secret names the relying party allowed to adopt the key it holds.
const AnnotationAdoptableBy = "esignet.openg2p.org/adoptable-by"

// Rotation triggers, as recorded and reported.
const (
	TriggerScheduled = "Scheduled"
	TriggerRequested = "Requested"
	TriggerKeyLost   = "KeyLost"
)

// PeerClient is a client beside the current one: a rotation's next client until eSignet holds
// it, or the previous one until it is retired.
type PeerClient struct {
	// State of the next client (Pending until eSignet accepted it).
	// +optional
	State RegistrationState `json:"state,omitempty"`
	// +optional
	ClientID string `json:"clientID,omitempty"`
	// +optional
	KeyID string `json:"keyID,omitempty"`
	// Rotation counter of this client (0: the resource's first client).
	// +optional
	Rotation int32 `json:"rotation,omitempty"`
	// Trigger of the rotation that creates the next client: Scheduled, Requested or KeyLost.
	// +optional
	Trigger string `json:"trigger,omitempty"`
	// Fingerprint of the client state eSignet accepted for the next client.
	// +optional
	Fingerprint string `json:"fingerprint,omitempty"`
	// Refused is the next client's create that eSignet refused.
	// +optional
	Refused *Refusal `json:"refused,omitempty"`
	// RetireAt is when the previous client is set INACTIVE and its key removed from the Secret.
	// +optional
	RetireAt *metav1.Time `json:"retireAt,omitempty"`
}
