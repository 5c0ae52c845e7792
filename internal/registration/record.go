// Package registration decides what the operator asks of eSignet for one relying party: the
// registration record (one type, one load), the plan from it, the meaning of every answer, and
// the registrar that carries the plan out behind a small client interface.
package registration

import (
	"encoding/json"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
)

// Record is the record of what eSignet holds for one relying party: the one thing that
// decides whether a call is made. It lives in two places, each covering the other's loss:
// status.registration holds all of it; the registration annotation holds the identity (client
// id and key id), written before the first create and never removed while a client may exist,
// because status does not survive a backup restore or a delete-and-recreate by a GitOps tool.
type Record struct {
	State          v1.RegistrationState // "" when no create was ever attempted
	ClientID       string
	KeyID          string
	RelyingPartyID string
	Fingerprint    string
	Refused        *v1.Refusal
}

// identity is the annotation's content. The seal (an HMAC under a key only the operator holds,
// over the relying party's namespace and name and the identity) makes a forged or copied
// annotation worthless: a namespace can write annotations, but cannot seal them.
type identity struct {
	ClientID string `json:"clientID"`
	KeyID    string `json:"keyID"`
	Seal     string `json:"seal"`
}

// Sealer seals and verifies records a namespace could forge (tenancy.Sealer).
type Sealer interface {
	Seal(parts ...string) string
	Verify(seal string, parts ...string) bool
}

func sealParts(rp metav1.Object, clientID, keyID string) []string {
	return []string{"registration", rp.GetNamespace(), rp.GetName(), clientID, keyID}
}

// Exists reports whether a client may exist at eSignet for this record.
func (r Record) Exists() bool { return r.State != "" }

// Load reads the record from status, falling back to the annotation when status lost it, if
// its seal holds. The status is trusted over the annotation: only the operator writes status
// (tenants are granted no write on the status subresource).
func Load(rp *v1.ESignetRelyingParty, s Sealer) Record {
	var reg Record
	st := rp.Status.Registration
	if st != nil && st.Refused != nil {
		r := *st.Refused
		reg.Refused = &r // also kept when no client exists: a refused create is not sent again
	}
	switch id, annotated := parseIdentity(rp.Annotations[v1.AnnotationRegistration]); {
	case st != nil && st.State != "" && st.ClientID != "" && st.KeyID != "":
		reg.State, reg.ClientID, reg.KeyID, reg.RelyingPartyID, reg.Fingerprint = st.State, st.ClientID, st.KeyID, st.RelyingPartyID, st.Fingerprint
	case annotated && s.Verify(id.Seal, sealParts(rp, id.ClientID, id.KeyID)...):
		// Status lost its record but a create was attempted: the client may exist, and is ours.
		reg.State, reg.ClientID, reg.KeyID = v1.RegistrationPending, id.ClientID, id.KeyID
	}
	return reg
}

func parseIdentity(s string) (identity, bool) {
	var id identity
	if s == "" || json.Unmarshal([]byte(s), &id) != nil || id.ClientID == "" || id.KeyID == "" {
		return identity{}, false
	}
	return id, true
}

// Annotation is the registration annotation's value for rp, sealed, or "" when none should exist.
func (r Record) Annotation(s Sealer, rp metav1.Object) string {
	if !r.Exists() {
		return ""
	}
	id := identity{ClientID: r.ClientID, KeyID: r.KeyID, Seal: s.Seal(sealParts(rp, r.ClientID, r.KeyID)...)}
	b, _ := json.Marshal(id) // three strings cannot fail
	return string(b)
}

// Status is the record as status.registration.
func (r Record) Status() *v1.RegistrationStatus {
	if !r.Exists() && r.Refused == nil {
		return nil
	}
	s := &v1.RegistrationStatus{State: r.State, ClientID: r.ClientID, KeyID: r.KeyID, RelyingPartyID: r.RelyingPartyID,
		Fingerprint: r.Fingerprint}
	if r.Refused != nil {
		ref := *r.Refused
		s.Refused = &ref
	}
	return s
}
