package pms

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Status is a client's status in PMS.
type Status string

const (
	StatusActive   Status = "ACTIVE"
	StatusInactive Status = "INACTIVE"
)

// Defaults PMS's own portal sends (mosip.pms.oidc.clients.grantTypes / clientAuthMethods).
var (
	DefaultGrantTypes        = []string{"authorization_code"}
	DefaultClientAuthMethods = []string{"private_key_jwt"}
)

// ClientDetail is the desired state of a client registered through PMS. There are no user
// claims and no ACRs: PMS derives both from the policy (allowedKycAttributes through its identity
// mapping, filtered by eSignet's claims_supported; allowedAuthTypes through the amr-acr mapping),
// and nobody can change them later. Get reads back what PMS holds.
type ClientDetail struct {
	// ClientID addresses the client for Update and Deactivate: PMS's id, ClientID(PublicKey).
	// Create ignores it (PMS computes the id).
	ClientID string
	Name     string
	// NameLangMap maps ISO 639-2 codes ("eng") to names (oauth, oidc-clients). Nil means
	// {"eng": Name}: PMS needs a map there (a missing one makes PMS fail after eSignet created
	// the client), and on oidc-clients each key must be one of PMS's supported languages.
	NameLangMap map[string]string
	// AuthPartnerID and PolicyID are sent on create only: PMS checks the partner (an active
	// Auth_Partner), the policy (type Auth) and their approved mapping, and sends the partner id
	// to eSignet as relyingPartyId.
	AuthPartnerID string
	PolicyID      string
	// PublicKey is the client's public JWK, sent on create only (a new key is a new client).
	PublicKey    json.RawMessage
	LogoURI      string
	RedirectURIs []string
	// GrantTypes and ClientAuthMethods default to DefaultGrantTypes and
	// DefaultClientAuthMethods.
	GrantTypes        []string
	ClientAuthMethods []string
	// AdditionalConfig is a JSON object (oidc-clients only) with keys of AdditionalConfigKeys.
	// On update nil keeps PMS's stored object (PMS forwards it to eSignet again).
	AdditionalConfig json.RawMessage
}

// Result is PMS's answer to a create, update or deactivate: the id and the status.
type Result struct {
	ClientID string
	Status   Status
	// DerivedClientID is ClientID(PublicKey) for a create: PMS computes the same value, and a
	// difference means the key's encoding differs between PMS and this package (see ClientID);
	// crash recovery relies on the two being equal.
	DerivedClientID string
}

// OIDCClient is a client as PMS holds it (Get). UserClaims and AuthContextRefs are what PMS derived
// from the policy at create time; their order is PMS's (a hash set), not meaningful.
type OIDCClient struct {
	ClientID          string
	Name              string
	NameLangMap       map[string]string // nil on oidc (and where PMS does not return it)
	PolicyID          string
	PolicyName        string
	AuthPartnerID     string // relyingPartyId
	LogoURI           string
	RedirectURIs      []string
	UserClaims        []string
	AuthContextRefs   []string
	Status            Status
	GrantTypes        []string
	ClientAuthMethods []string
	// PublicKey is the JWK PMS stored (PMS answers it as a JSON string; this is the object).
	PublicKey json.RawMessage
	// AdditionalConfig is the object PMS 1.3 reads back (oidc-clients only; only the keys of
	// AdditionalConfigKeys survive). Nil when none.
	AdditionalConfig json.RawMessage
}

// createRequest is ClientDetailCreateRequest (oidc), …V2 (oauth) and …V3 (oidc-clients).
type createRequest struct {
	Name              string            `json:"name"`
	PolicyID          string            `json:"policyId"`
	PublicKey         json.RawMessage   `json:"publicKey"`
	AuthPartnerID     string            `json:"authPartnerId"`
	LogoURI           string            `json:"logoUri"`
	RedirectURIs      []string          `json:"redirectUris"`
	GrantTypes        []string          `json:"grantTypes"`
	ClientAuthMethods []string          `json:"clientAuthMethods"`
	ClientNameLangMap map[string]string `json:"clientNameLangMap,omitempty"`
	AdditionalConfig  json.RawMessage   `json:"additionalConfig,omitempty"`
}

// updateRequest is ClientDetailUpdateRequest (oidc), …V2 and …V3. Status is required by every
// generation's bean validation, though /oidc-clients ignores it.
type updateRequest struct {
	LogoURI           string            `json:"logoUri"`
	RedirectURIs      []string          `json:"redirectUris"`
	Status            Status            `json:"status"`
	GrantTypes        []string          `json:"grantTypes"`
	ClientName        string            `json:"clientName"`
	ClientAuthMethods []string          `json:"clientAuthMethods"`
	ClientNameLangMap map[string]string `json:"clientNameLangMap,omitempty"`
	AdditionalConfig  json.RawMessage   `json:"additionalConfig,omitempty"`
}

// deactivateRequest is DeactivateOidcClientRequestDto (PATCH /oidc-clients/{id}).
type deactivateRequest struct {
	Status Status `json:"status"`
}

func orDefault(v, def []string) []string {
	if len(v) == 0 {
		return slices.Clone(def)
	}
	return v
}

// langMap is the map to send: the caller's, or {"eng": name}.
func langMap(d ClientDetail) map[string]string {
	if len(d.NameLangMap) > 0 {
		return d.NameLangMap
	}
	return map[string]string{"eng": d.Name}
}

func buildCreate(g Generation, d ClientDetail) (*createRequest, error) {
	const op = opCreate
	switch {
	case d.AuthPartnerID == "":
		return nil, &InputError{Op: op, Field: "authPartnerId", Reason: "is empty"}
	case d.PolicyID == "":
		return nil, &InputError{Op: op, Field: "policyId", Reason: "is empty"}
	case isNull(d.PublicKey):
		return nil, &InputError{Op: op, Field: "publicKey", Reason: "is empty"}
	}
	if err := checkPublicJWK(d.PublicKey); err != nil {
		return nil, err
	}
	if err := checkVariant(op, g, d); err != nil {
		return nil, err
	}
	r := &createRequest{
		Name: d.Name, PolicyID: d.PolicyID, PublicKey: d.PublicKey, AuthPartnerID: d.AuthPartnerID,
		LogoURI: d.LogoURI, RedirectURIs: d.RedirectURIs,
		GrantTypes: orDefault(d.GrantTypes, DefaultGrantTypes), ClientAuthMethods: orDefault(d.ClientAuthMethods, DefaultClientAuthMethods),
	}
	if g.SupportsClientNameLangMap() {
		r.ClientNameLangMap = langMap(d)
	}
	if g.SupportsAdditionalConfig() && !isNull(d.AdditionalConfig) {
		r.AdditionalConfig = d.AdditionalConfig
	}
	return r, nil
}

func buildUpdate(op string, g Generation, d ClientDetail, s Status) (*updateRequest, error) {
	if err := checkPathID(op, d.ClientID); err != nil {
		return nil, err
	}
	if err := checkVariant(op, g, d); err != nil {
		return nil, err
	}
	r := &updateRequest{
		LogoURI: d.LogoURI, RedirectURIs: d.RedirectURIs, Status: s, ClientName: d.Name,
		GrantTypes: orDefault(d.GrantTypes, DefaultGrantTypes), ClientAuthMethods: orDefault(d.ClientAuthMethods, DefaultClientAuthMethods),
	}
	if g.SupportsClientNameLangMap() {
		r.ClientNameLangMap = langMap(d)
	}
	if g.SupportsAdditionalConfig() && !isNull(d.AdditionalConfig) {
		r.AdditionalConfig = d.AdditionalConfig
	}
	return r, nil
}

// checkVariant refuses what the generation cannot carry, instead of dropping it silently.
func checkVariant(op string, g Generation, d ClientDetail) error {
	if d.NameLangMap != nil && !g.SupportsClientNameLangMap() {
		return &UnsupportedError{Op: op, Generation: g, Feature: "clientNameLangMap"}
	}
	if isNull(d.AdditionalConfig) {
		return nil
	}
	if !g.SupportsAdditionalConfig() {
		return &UnsupportedError{Op: op, Generation: g, Feature: "additionalConfig"}
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(d.AdditionalConfig, &m); err != nil || m == nil {
		return &InputError{Op: op, Field: "additionalConfig", Reason: "not a JSON object"}
	}
	var bad []string
	for k := range m {
		if !slices.Contains(AdditionalConfigKeys, k) {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return &UnsupportedError{Op: op, Generation: g, Feature: fmt.Sprintf("additionalConfig key(s) %q (PMS keeps only %s)",
			bad, strings.Join(AdditionalConfigKeys, ", "))}
	}
	return nil
}

// clientIDPattern is mosip.pms.client.id.regex: PMS 1.3 refuses other ids in paths
// (PMS_PRT_099), and PMS-computed ids (base64url) always match.
func validClientID(id string) bool {
	if len(id) == 0 || len(id) > 100 {
		return false
	}
	for i := range len(id) {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

func checkPathID(op, id string) error {
	if !validClientID(id) {
		return &InputError{Op: op, Field: "clientId", Reason: "must be PMS's id: 1-100 letters, digits, '_' or '-'"}
	}
	return nil
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}
