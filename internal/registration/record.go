// Package registration decides what the operator asks of eSignet for one relying party: the
// registration record (one type, one load), the plan from it, the meaning of every answer, and
// the registrar that carries the plan out behind a small client interface.
package registration

import (
	"encoding/json"
	"time"

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

	Rotation   int32     // rotation counter of this client
	Since      time.Time // when the client was registered or adopted; zero when unknown (status lost)
	AssertedAt time.Time // when eSignet last accepted the whole desired client
	Adopted    bool      // registered by hand: never created by the operator
	Request    string    // the last rotation request acted on
	// Granted claims and ACRs, as Partner Management derived them (read back; status only).
	GrantedClaims, GrantedACRs []string

	// Trigger (of a next client) and RetireAt (of a previous one) are set on peers only.
	Trigger  string
	RetireAt time.Time
	// Next is the client a rotation in progress creates; Previous the one it replaced, ACTIVE
	// until RetireAt. Both are set on the current client's record only.
	Next     *Record
	Previous *Record
}

// identity is the annotation's content. The seal (an HMAC under a key only the operator holds,
// over the relying party's namespace and name and the identity) makes a forged or copied
// annotation worthless: a namespace can write annotations, but cannot seal them.
type identity struct {
	ClientID string `json:"clientID"`
	KeyID    string `json:"keyID"`
	Rotation int32  `json:"rotation,omitempty"`
	Adopted  bool   `json:"adopted,omitempty"`
	Next     *peer  `json:"next,omitempty"`
	Previous *peer  `json:"previous,omitempty"`
	Seal     string `json:"seal"`
}

// peer is a next or previous client in the annotation: enough to finish a rotation, or to
// retire (and on deletion deactivate) the previous client, after status is lost.
type peer struct {
	ClientID string `json:"clientID"`
	KeyID    string `json:"keyID"`
	Rotation int32  `json:"rotation,omitempty"`
	Trigger  string `json:"trigger,omitempty"`
	RetireAt string `json:"retireAt,omitempty"`
}

// Sealer seals and verifies records a namespace could forge (tenancy.Sealer).
type Sealer interface {
	Seal(parts ...string) string
	Verify(seal string, parts ...string) bool
}

// sealParts is what the seal covers: the identity, and anything the annotation holds beyond it
// (an annotation of a resource that never rotated seals exactly as before rotation existed).
func sealParts(rp metav1.Object, id identity) []string {
	parts := []string{"registration", rp.GetNamespace(), rp.GetName(), id.ClientID, id.KeyID}
	id.ClientID, id.KeyID, id.Seal = "", "", ""
	if ext, _ := json.Marshal(id); string(ext) != `{"clientID":"","keyID":"","seal":""}` {
		parts = append(parts, string(ext))
	}
	return parts
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
		reg.Rotation, reg.Since, reg.AssertedAt, reg.Adopted, reg.Request = st.Rotation, timeOf(st.Since), timeOf(st.AssertedAt), st.Adopted, st.RotationRequest
		reg.Next, reg.Previous = fromPeer(st.Next), fromPeer(st.Previous)
		reg.GrantedClaims, reg.GrantedACRs = st.GrantedUserClaims, st.GrantedAuthContextRefs
	case annotated && s.Verify(id.Seal, sealParts(rp, id)...):
		// Status lost its record but a create was attempted: the client may exist, and is ours.
		// An adopted client exists (it was never created here): it is updated, never created.
		reg.State, reg.ClientID, reg.KeyID, reg.Rotation, reg.Adopted = v1.RegistrationPending, id.ClientID, id.KeyID, id.Rotation, id.Adopted
		if id.Adopted {
			reg.State = v1.RegistrationRegistered
		}
		// The rotation request the resource holds now counts as acted on: a restore must not rotate.
		if rot := rp.Spec.Key.Rotation; rot != nil {
			reg.Request = rot.RequestedAt
		}
		reg.Next, reg.Previous = id.Next.record(v1.RegistrationPending), id.Previous.record(v1.RegistrationRegistered)
	}
	return reg
}

func (p *peer) record(state v1.RegistrationState) *Record {
	if p == nil {
		return nil
	}
	r := &Record{State: state, ClientID: p.ClientID, KeyID: p.KeyID, Rotation: p.Rotation, Trigger: p.Trigger}
	if t, err := time.Parse(time.RFC3339, p.RetireAt); err == nil {
		r.RetireAt = t
	}
	return r
}

func fromPeer(p *v1.PeerClient) *Record {
	if p == nil || p.ClientID == "" || p.KeyID == "" {
		return nil
	}
	r := &Record{State: p.State, ClientID: p.ClientID, KeyID: p.KeyID, Rotation: p.Rotation, Trigger: p.Trigger,
		Fingerprint: p.Fingerprint, RetireAt: timeOf(p.RetireAt)}
	if p.Refused != nil {
		ref := *p.Refused
		r.Refused = &ref
	}
	return r
}

func timeOf(t *metav1.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.Time
}

func metaTime(t time.Time) *metav1.Time {
	if t.IsZero() {
		return nil
	}
	m := metav1.NewTime(t.UTC().Truncate(time.Second))
	return &m
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
	id := identity{ClientID: r.ClientID, KeyID: r.KeyID, Rotation: r.Rotation, Adopted: r.Adopted, Next: r.Next.peer(), Previous: r.Previous.peer()}
	id.Seal = s.Seal(sealParts(rp, id)...)
	b, _ := json.Marshal(id) // strings and numbers cannot fail
	return string(b)
}

func (r *Record) peer() *peer {
	if r == nil {
		return nil
	}
	p := &peer{ClientID: r.ClientID, KeyID: r.KeyID, Rotation: r.Rotation, Trigger: r.Trigger}
	if !r.RetireAt.IsZero() {
		p.RetireAt = r.RetireAt.UTC().Format(time.RFC3339)
	}
	return p
}

func (r *Record) peerStatus() *v1.PeerClient {
	if r == nil {
		return nil
	}
	p := &v1.PeerClient{State: r.State, ClientID: r.ClientID, KeyID: r.KeyID, Rotation: r.Rotation, Trigger: r.Trigger,
		Fingerprint: r.Fingerprint, RetireAt: metaTime(r.RetireAt)}
	if r.Refused != nil {
		ref := *r.Refused
		p.Refused = &ref
	}
	return p
}

// Status is the record as status.registration.
func (r Record) Status() *v1.RegistrationStatus {
	if !r.Exists() && r.Refused == nil {
		return nil
	}
	s := &v1.RegistrationStatus{State: r.State, ClientID: r.ClientID, KeyID: r.KeyID, RelyingPartyID: r.RelyingPartyID,
		Fingerprint: r.Fingerprint, Rotation: r.Rotation, Since: metaTime(r.Since), AssertedAt: metaTime(r.AssertedAt),
		Adopted: r.Adopted, RotationRequest: r.Request, Next: r.Next.peerStatus(), Previous: r.Previous.peerStatus(),
		GrantedUserClaims: r.GrantedClaims, GrantedAuthContextRefs: r.GrantedACRs}
	if r.Refused != nil {
		ref := *r.Refused
		s.Refused = &ref
	}
	return s
}
