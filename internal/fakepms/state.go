package fakepms

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"time"
)

// Partner is a PMS partner.
type Partner struct {
	ID string `json:"id"`
	// Type is the partner type code; "" means Auth_Partner (compared case-insensitively, as
	// PMS does).
	Type     string `json:"type,omitempty"`
	Inactive bool   `json:"inactive,omitempty"`
	// UserID is the PMS user owning the partner. Callers without PARTNER_ADMIN must be that user
	// (their token's preferred_username); "" lets every caller own it.
	UserID string `json:"userId,omitempty"`
}

// Policy is an auth policy.
type Policy struct {
	ID          string `json:"id"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	// Type is the policy type; "" means Auth (compared case-sensitively, as PMS does).
	Type string `json:"type,omitempty"`
	// KycAttributes are allowedKycAttributes[].attributeName.
	KycAttributes []string `json:"allowedKycAttributes"`
	// AuthTypes are allowedAuthTypes.
	AuthTypes []AuthType `json:"allowedAuthTypes"`
}

// AuthType is one allowedAuthTypes entry.
type AuthType struct {
	AuthType    string `json:"authType"`
	AuthSubType string `json:"authSubType,omitempty"`
	Mandatory   bool   `json:"mandatory"`
}

// Mapping is a partner–policy mapping request.
type Mapping struct {
	PartnerID string `json:"partnerId"`
	PolicyID  string `json:"policyId"`
	// NotApproved leaves the request InProgress (PMS_ESI_002 on create).
	NotApproved bool `json:"notApproved,omitempty"`
}

// DefaultClaimsMapping is the fake's identity mapping (claim → identity attributes), modelled on
// MOSIP's identity-mapping.json.
var DefaultClaimsMapping = map[string][]string{
	"name":          {"fullName", "name", "firstName"},
	"gender":        {"gender"},
	"birthdate":     {"dateOfBirth", "dob"},
	"email":         {"email", "emailId"},
	"phone_number":  {"phone", "phoneNumber", "mobileNumber"},
	"address":       {"addressLine1", "addressLine2", "addressLine3", "city", "province", "region", "postalCode"},
	"picture":       {"face", "photo", "picture"},
	"individual_id": {"individualId", "UIN", "VID"},
	"given_name":    {"firstName", "givenName"},
}

// DefaultAuthFactors is eSignet's bundled amr_acr_mapping.json folded to ACR → factor types.
var DefaultAuthFactors = map[string][]string{
	"mosip:idp:acr:static-code":    {"PIN"},
	"mosip:idp:acr:generated-code": {"OTP"},
	"mosip:idp:acr:linked-wallet":  {"WLA"},
	"mosip:idp:acr:biometrics":     {"BIO"},
	"mosip:idp:acr:knowledge":      {"KBI"},
	"mosip:idp:acr:password":       {"PWD"},
	"mosip:idp:acr:id-token":       {"IDT"},
}

// DefaultPolicy is an Auth policy like the onboarder's default OIDC policy: with the default
// mappings it yields claims name, gender, birthdate, email, phone_number, address, picture,
// individual_id and ACRs generated-code, biometrics, linked-wallet.
func DefaultPolicy(id string) Policy {
	return Policy{ID: id, Name: "OpenG2P OIDC policy", Description: "OIDC clients of OpenG2P", Type: "Auth",
		KycAttributes: []string{"fullName", "gender", "dateOfBirth", "email", "phone", "addressLine1",
			"city", "postalCode", "face", "individualId"},
		AuthTypes: []AuthType{{AuthType: "otp"}, {AuthType: "bio", AuthSubType: "FINGER"}, {AuthType: "wla"}, {AuthType: "demo"}},
	}
}

// record is a client as the fake stores it (PMS's oidc_client table).
type record struct {
	id, name, policyID, rpID, logoURI, status string
	redirectURIs, claims, acrs                []string
	grantTypes, authMethods                   []string
	publicKey                                 string // the JWK's JSON text
	additionalConfig                          json.RawMessage
	createdVia                                string
	createdAt, updatedAt                      time.Time
}

// ClientRecord is a stored client, for tests and /_fake/pms/clients.
type ClientRecord struct {
	ClientID          string          `json:"clientId"`
	Name              string          `json:"name"` // as stored: plain, or a name map's JSON text
	PolicyID          string          `json:"policyId"`
	AuthPartnerID     string          `json:"authPartnerId"`
	LogoURI           string          `json:"logoUri"`
	RedirectURIs      []string        `json:"redirectUris"`
	UserClaims        []string        `json:"userClaims"`
	AuthContextRefs   []string        `json:"authContextRefs"`
	Status            string          `json:"status"`
	GrantTypes        []string        `json:"grantTypes"`
	ClientAuthMethods []string        `json:"clientAuthMethods"`
	PublicKey         json.RawMessage `json:"publicKey"`
	AdditionalConfig  json.RawMessage `json:"additionalConfig,omitempty"`
	CreatedVia        string          `json:"createdVia"`
	CreatedAt         time.Time       `json:"createdAt"`
	UpdatedAt         time.Time       `json:"updatedAt,omitzero"`
}

func (e *record) clone() *record {
	c := *e
	c.redirectURIs, c.claims, c.acrs = slices.Clone(e.redirectURIs), slices.Clone(e.claims), slices.Clone(e.acrs)
	c.grantTypes, c.authMethods = slices.Clone(e.grantTypes), slices.Clone(e.authMethods)
	c.additionalConfig = slices.Clone(e.additionalConfig)
	return &c
}

func (e *record) view() ClientRecord {
	return ClientRecord{
		ClientID: e.id, Name: e.name, PolicyID: e.policyID, AuthPartnerID: e.rpID, LogoURI: e.logoURI,
		RedirectURIs: slices.Clone(e.redirectURIs), UserClaims: slices.Clone(e.claims), AuthContextRefs: slices.Clone(e.acrs),
		Status: e.status, GrantTypes: slices.Clone(e.grantTypes), ClientAuthMethods: slices.Clone(e.authMethods),
		PublicKey: json.RawMessage(e.publicKey), AdditionalConfig: slices.Clone(e.additionalConfig),
		CreatedVia: e.createdVia, CreatedAt: e.createdAt, UpdatedAt: e.updatedAt,
	}
}

// SetPartner adds or replaces a partner.
func (s *Server) SetPartner(p Partner) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.partners[p.ID] = p
}

// RemovePartner deletes a partner.
func (s *Server) RemovePartner(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.partners, id)
}

// SetPolicy adds or replaces a policy.
func (s *Server) SetPolicy(p Policy) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.policies[p.ID] = p
}

// RemovePolicy deletes a policy.
func (s *Server) RemovePolicy(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.policies, id)
}

// SetMapping adds or replaces a partner–policy mapping.
func (s *Server) SetMapping(m Mapping) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mappings[[2]string{m.PartnerID, m.PolicyID}] = m
}

// RemoveMapping deletes a mapping.
func (s *Server) RemoveMapping(partnerID, policyID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.mappings, [2]string{partnerID, policyID})
}

// SetOIDCClientDisabled flips mosip.pms.oidc.client.available.
func (s *Server) SetOIDCClientDisabled(disabled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.disabled = disabled
}

// SetClientStatus changes a stored client's status in PMS only (not at eSignet), as a PMS admin
// editing the database would; false if unknown.
func (s *Server) SetClientStatus(id, status string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.clients[id]
	if ok {
		e.status = status
	}
	return ok
}

// Client returns the stored client.
func (s *Server) Client(id string) (ClientRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.clients[id]
	if !ok {
		return ClientRecord{}, false
	}
	return e.view(), true
}

// Clients returns every stored client, sorted by id.
func (s *Server) Clients() []ClientRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.clients))
	for id := range s.clients {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]ClientRecord, 0, len(ids))
	for _, id := range ids {
		out = append(out, s.clients[id].view())
	}
	return out
}

func (s *Server) handleFakeClients(w http.ResponseWriter, _ *http.Request, _ string) {
	writeJSON(w, http.StatusOK, s.Clients())
}

func (s *Server) handleFakeClient(w http.ResponseWriter, _ *http.Request, id string) {
	rec, ok := s.Client(id)
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such client"})
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

func (s *Server) handleFakeCounters(w http.ResponseWriter, _ *http.Request, _ string) {
	writeJSON(w, http.StatusOK, map[string]any{"counters": s.Counters()})
}
