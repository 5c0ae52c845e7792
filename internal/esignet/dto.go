package esignet

import (
	"encoding/json"
)

// Request DTOs, one Go type per eSignet DTO (API.md §2.1–§2.5). eSignet's
// Jackson fails on unknown members, so each type holds exactly the members
// of its DTO; embedding mirrors eSignet's own "V2 = V1 + …" history.
// Required lists are never nil (nil would encode as null, which the server
// reports as a validation error instead of the intended empty list).

// createV1 is ClientDetailCreateRequest (POST /oidc-client).
type createV1 struct {
	ClientID          string          `json:"clientId"`
	ClientName        string          `json:"clientName"`
	PublicKey         json.RawMessage `json:"publicKey"`
	RelyingPartyID    string          `json:"relyingPartyId"`
	UserClaims        []string        `json:"userClaims"`
	AuthContextRefs   []string        `json:"authContextRefs"`
	LogoURI           string          `json:"logoUri"`
	RedirectURIs      []string        `json:"redirectUris"`
	GrantTypes        []string        `json:"grantTypes"`
	ClientAuthMethods []string        `json:"clientAuthMethods"`
}

// createV2 is ClientDetailCreateRequestV2 (POST /oauth-client).
type createV2 struct {
	createV1
	ClientNameLangMap map[string]string `json:"clientNameLangMap,omitempty"`
}

// createV3 is ClientDetailCreateRequestV3 (POST /client).
type createV3 struct {
	createV2
	AdditionalConfig json.RawMessage `json:"additionalConfig,omitempty"`
}

// updateV1 is ClientDetailUpdateRequest (PUT /oidc-client/{id}).
type updateV1 struct {
	LogoURI           string   `json:"logoUri"`
	RedirectURIs      []string `json:"redirectUris"`
	UserClaims        []string `json:"userClaims"`
	AuthContextRefs   []string `json:"authContextRefs"`
	Status            Status   `json:"status"`
	GrantTypes        []string `json:"grantTypes"`
	ClientName        string   `json:"clientName"`
	ClientAuthMethods []string `json:"clientAuthMethods"`
}

// updateV2 is ClientDetailUpdateRequestV2 (PUT /oauth-client/{id}).
type updateV2 struct {
	updateV1
	ClientNameLangMap map[string]string `json:"clientNameLangMap,omitempty"`
}

// updateV3 is ClientDetailUpdateRequestV3 (PUT /client/{id}). Omitting
// additionalConfig clears the stored one, which is what "none" means.
type updateV3 struct {
	updateV2
	AdditionalConfig json.RawMessage `json:"additionalConfig,omitempty"`
}

// patchDTO is ClientDetailPatchRequest (PATCH /client/{id}, v1.8). Pointers
// keep "absent" (no change) apart from "empty".
type patchDTO struct {
	LogoURI           *string            `json:"logoUri,omitempty"`
	RedirectURIs      *[]string          `json:"redirectUris,omitempty"`
	UserClaims        *[]string          `json:"userClaims,omitempty"`
	AuthContextRefs   *[]string          `json:"authContextRefs,omitempty"`
	Status            *Status            `json:"status,omitempty"`
	GrantTypes        *[]string          `json:"grantTypes,omitempty"`
	ClientName        *string            `json:"clientName,omitempty"`
	ClientAuthMethods *[]string          `json:"clientAuthMethods,omitempty"`
	ClientNameLangMap *map[string]string `json:"clientNameLangMap,omitempty"`
	AdditionalConfig  json.RawMessage    `json:"additionalConfig,omitempty"`
	EncPublicKey      json.RawMessage    `json:"encPublicKey,omitempty"`
}

// buildCreate returns the create DTO of v's endpoint family.
func buildCreate(v APIVersion, d ClientDetail) (any, error) {
	const op = "create"
	if err := checkPublicJWK(op, "publicKey", d.PublicKey); err != nil {
		return nil, err
	}
	if err := checkLangMap(op, v, d.ClientNameLangMap); err != nil {
		return nil, err
	}
	if err := checkAdditionalConfig(op, v, d.AdditionalConfig); err != nil {
		return nil, err
	}
	v1 := createV1{
		ClientID: d.ClientID, ClientName: d.ClientName, PublicKey: nonNull(d.PublicKey),
		RelyingPartyID: d.RelyingPartyID, UserClaims: list(d.UserClaims),
		AuthContextRefs: list(d.AuthContextRefs), LogoURI: d.LogoURI,
		RedirectURIs: list(d.RedirectURIs), GrantTypes: list(d.GrantTypes),
		ClientAuthMethods: list(d.ClientAuthMethods),
	}
	switch v.Endpoint() {
	case EndpointOIDCClient:
		return v1, nil
	case EndpointOAuthClient:
		return createV2{v1, d.ClientNameLangMap}, nil
	}
	return createV3{createV2{v1, d.ClientNameLangMap}, nonNull(d.AdditionalConfig)}, nil
}

// buildUpdate returns the full-replacement PUT DTO of v's endpoint family.
func buildUpdate(op string, v APIVersion, d ClientDetail) (any, error) {
	if err := checkPathID(op, d.ClientID); err != nil {
		return nil, err
	}
	if err := checkLangMap(op, v, d.ClientNameLangMap); err != nil {
		return nil, err
	}
	if err := checkAdditionalConfig(op, v, d.AdditionalConfig); err != nil {
		return nil, err
	}
	v1 := updateV1{
		LogoURI: d.LogoURI, RedirectURIs: list(d.RedirectURIs),
		UserClaims: list(d.UserClaims), AuthContextRefs: list(d.AuthContextRefs),
		Status: statusOrActive(d.Status), GrantTypes: list(d.GrantTypes),
		ClientName: d.ClientName, ClientAuthMethods: list(d.ClientAuthMethods),
	}
	switch v.Endpoint() {
	case EndpointOIDCClient:
		return v1, nil
	case EndpointOAuthClient:
		return updateV2{v1, d.ClientNameLangMap}, nil
	}
	return updateV3{updateV2{v1, d.ClientNameLangMap}, nonNull(d.AdditionalConfig)}, nil
}

// buildPatch returns the PATCH DTO; the caller has checked SupportsPatch.
func buildPatch(op string, v APIVersion, id string, p ClientPatch) (any, error) {
	if err := checkPathID(op, id); err != nil {
		return nil, err
	}
	if err := checkAdditionalConfig(op, v, p.AdditionalConfig); err != nil {
		return nil, err
	}
	if err := checkPublicJWK(op, "encPublicKey", p.EncPublicKey); err != nil {
		return nil, err
	}
	dto := patchDTO{
		LogoURI: p.LogoURI, ClientName: p.ClientName,
		RedirectURIs: optList(p.RedirectURIs), UserClaims: optList(p.UserClaims),
		AuthContextRefs: optList(p.AuthContextRefs), GrantTypes: optList(p.GrantTypes),
		ClientAuthMethods: optList(p.ClientAuthMethods),
		AdditionalConfig:  nonNull(p.AdditionalConfig), EncPublicKey: nonNull(p.EncPublicKey),
	}
	if p.ClientNameLangMap != nil {
		dto.ClientNameLangMap = &p.ClientNameLangMap
	}
	if p.Status != "" {
		dto.Status = &p.Status
	}
	return dto, nil
}

// list turns nil into an empty list so required members encode as [].
func list(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// optList keeps nil (member omitted) apart from empty (member sent as []).
func optList(s []string) *[]string {
	if s == nil {
		return nil
	}
	return &s
}

// nonNull maps a JSON null to nil so that omitempty drops the member.
func nonNull(raw json.RawMessage) json.RawMessage {
	if isNullJSON(raw) {
		return nil
	}
	return raw
}
