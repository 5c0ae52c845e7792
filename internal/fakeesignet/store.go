package fakeesignet

import (
	"encoding/json"
	"slices"
	"sort"
	"time"
)

// ClientRecord is a registered client as the fake stores it. eSignet has no
// read API; this is for tests and the /_fake inspection endpoints.
type ClientRecord struct {
	ClientID          string            `json:"clientId"`
	ClientName        string            `json:"clientName"`                  // plain name, or the map's "@none"
	ClientNameLangMap map[string]string `json:"clientNameLangMap,omitempty"` // as stored, incl. "@none"; nil for V1 clients
	RelyingPartyID    string            `json:"relyingPartyId"`
	LogoURI           string            `json:"logoUri"`
	RedirectURIs      []string          `json:"redirectUris"`
	UserClaims        []string          `json:"userClaims"`
	AuthContextRefs   []string          `json:"authContextRefs"`
	GrantTypes        []string          `json:"grantTypes"`
	ClientAuthMethods []string          `json:"clientAuthMethods"`
	Status            string            `json:"status"`
	PublicKey         json.RawMessage   `json:"publicKey"`     // public-only JWK as stored
	PublicKeyHash     string            `json:"publicKeyHash"` // SHA-256 hex of n / x‖y (computed for every generation)
	AdditionalConfig  json.RawMessage   `json:"additionalConfig,omitempty"`
	EncPublicKey      json.RawMessage   `json:"encPublicKey,omitempty"`
	CreatedVia        string            `json:"createdVia"` // path of the create endpoint used
	CreatedAt         time.Time         `json:"createdAt"`
	UpdatedAt         time.Time         `json:"updatedAt,omitzero"`
}

// clientEntry is the stored row: columns as eSignet holds them, plus the
// parsed keys the OIDC side needs.
type clientEntry struct {
	id, name, rpID, logoURI, status string
	redirectURIs, claims, acrs      []string
	grantTypes, authMethods         []string
	key                             *parsedJWK
	encKey                          *parsedJWK
	additionalConfig                json.RawMessage // nil = none
	createdVia                      string
	createdAt, updatedAt            time.Time
}

func (e *clientEntry) clone() *clientEntry {
	c := *e
	c.redirectURIs = slices.Clone(e.redirectURIs)
	c.claims = slices.Clone(e.claims)
	c.acrs = slices.Clone(e.acrs)
	c.grantTypes = slices.Clone(e.grantTypes)
	c.authMethods = slices.Clone(e.authMethods)
	c.additionalConfig = slices.Clone(e.additionalConfig)
	return &c
}

// nameMap parses the name column as getClientDetails does: JSON map, else
// {"@none": name}.
func (e *clientEntry) nameMap() (map[string]string, bool) {
	var m map[string]string
	if err := json.Unmarshal([]byte(e.name), &m); err != nil || m == nil {
		return nil, false
	}
	return m, true
}

func (e *clientEntry) record() ClientRecord {
	r := ClientRecord{
		ClientID: e.id, ClientName: e.name, RelyingPartyID: e.rpID, LogoURI: e.logoURI,
		RedirectURIs: slices.Clone(e.redirectURIs), UserClaims: slices.Clone(e.claims),
		AuthContextRefs: slices.Clone(e.acrs), GrantTypes: slices.Clone(e.grantTypes),
		ClientAuthMethods: slices.Clone(e.authMethods), Status: e.status,
		PublicKey: json.RawMessage(e.key.stored), PublicKeyHash: e.key.hash,
		AdditionalConfig: slices.Clone(e.additionalConfig),
		CreatedVia:       e.createdVia, CreatedAt: e.createdAt, UpdatedAt: e.updatedAt,
	}
	if m, ok := e.nameMap(); ok {
		r.ClientNameLangMap, r.ClientName = m, m["@none"]
	}
	if e.encKey != nil {
		r.EncPublicKey = json.RawMessage(e.encKey.stored)
	}
	return r
}

// uniqueKey is the value the generation's UNIQUE constraint covers; "" means
// the constraint does not apply (v1.5–v1.7 index on n ignores EC keys).
func uniqueKey(k *parsedJWK, g generation) string {
	switch g.uniqueness() {
	case uniqueHash:
		return "hash:" + k.hash
	case uniqueModulus:
		if k.n == "" {
			return ""
		}
		return "n:" + k.n
	}
	return "jwk:" + k.stored
}

// Client returns the stored client with the given id.
func (s *Server) Client(id string) (ClientRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.clients[id]
	if !ok {
		return ClientRecord{}, false
	}
	return e.record(), true
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
		out = append(out, s.clients[id].record())
	}
	return out
}

// activeClient is getClientDetails: only ACTIVE clients exist for OIDC.
func (s *Server) activeClient(id string) (*clientEntry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.clients[id]
	if !ok || e.status != "ACTIVE" {
		return nil, false
	}
	return e.clone(), true
}
