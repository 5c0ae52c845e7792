package fakeesignet

import (
	"encoding/json"
)

// The request DTOs are this package's own, one per eSignet DTO, so that a
// client sending a member of the wrong DTO is caught. Strings are pointers and
// lists/maps are nil-able so that JSON null/absent stays distinguishable from
// "" and [] (bean validation treats them differently).

type dtoCreateV1 struct { // ClientDetailCreateRequest
	ClientID          *string        `json:"clientId"`
	ClientName        *string        `json:"clientName"`
	PublicKey         map[string]any `json:"publicKey"`
	RelyingPartyID    *string        `json:"relyingPartyId"`
	UserClaims        []*string      `json:"userClaims"`
	AuthContextRefs   []*string      `json:"authContextRefs"`
	LogoURI           *string        `json:"logoUri"`
	RedirectURIs      []*string      `json:"redirectUris"`
	GrantTypes        []*string      `json:"grantTypes"`
	ClientAuthMethods []*string      `json:"clientAuthMethods"`
}

type dtoCreateV2 struct { // ClientDetailCreateRequestV2
	dtoCreateV1
	ClientNameLangMap map[string]*string `json:"clientNameLangMap"`
}

type dtoCreateV3 struct { // ClientDetailCreateRequestV3
	dtoCreateV2
	AdditionalConfig json.RawMessage `json:"additionalConfig"`
}

type dtoUpdateV1 struct { // ClientDetailUpdateRequest
	LogoURI           *string   `json:"logoUri"`
	RedirectURIs      []*string `json:"redirectUris"`
	UserClaims        []*string `json:"userClaims"`
	AuthContextRefs   []*string `json:"authContextRefs"`
	Status            *string   `json:"status"`
	GrantTypes        []*string `json:"grantTypes"`
	ClientName        *string   `json:"clientName"`
	ClientAuthMethods []*string `json:"clientAuthMethods"`
}

type dtoUpdateV2 struct { // ClientDetailUpdateRequestV2
	dtoUpdateV1
	ClientNameLangMap map[string]*string `json:"clientNameLangMap"`
}

type dtoUpdateV3 struct { // ClientDetailUpdateRequestV3
	dtoUpdateV2
	AdditionalConfig json.RawMessage `json:"additionalConfig"`
}

type dtoPatch struct { // ClientDetailPatchRequest
	dtoUpdateV3
	EncPublicKey map[string]any `json:"encPublicKey"`
}

// clientInput is the union of all DTOs, what validation and the service see.
type clientInput struct {
	ClientID, ClientName, RelyingPartyID, LogoURI, Status              *string
	PublicKey, EncPublicKey                                            map[string]any
	UserClaims, AuthContextRefs, RedirectURIs, GrantTypes, AuthMethods []*string
	ClientNameLangMap                                                  map[string]*string
	AdditionalConfig                                                   json.RawMessage
}

type inputDTO interface{ input() clientInput }

func (d *dtoCreateV1) input() clientInput {
	return clientInput{
		ClientID: d.ClientID, ClientName: d.ClientName, PublicKey: d.PublicKey,
		RelyingPartyID: d.RelyingPartyID, UserClaims: d.UserClaims, AuthContextRefs: d.AuthContextRefs,
		LogoURI: d.LogoURI, RedirectURIs: d.RedirectURIs, GrantTypes: d.GrantTypes, AuthMethods: d.ClientAuthMethods,
	}
}

func (d *dtoCreateV2) input() clientInput {
	in := d.dtoCreateV1.input()
	in.ClientNameLangMap = d.ClientNameLangMap
	return in
}

func (d *dtoCreateV3) input() clientInput {
	in := d.dtoCreateV2.input()
	in.AdditionalConfig = d.AdditionalConfig
	return in
}

func (d *dtoUpdateV1) input() clientInput {
	return clientInput{
		LogoURI: d.LogoURI, RedirectURIs: d.RedirectURIs, UserClaims: d.UserClaims,
		AuthContextRefs: d.AuthContextRefs, Status: d.Status, GrantTypes: d.GrantTypes,
		ClientName: d.ClientName, AuthMethods: d.ClientAuthMethods,
	}
}

func (d *dtoUpdateV2) input() clientInput {
	in := d.dtoUpdateV1.input()
	in.ClientNameLangMap = d.ClientNameLangMap
	return in
}

func (d *dtoUpdateV3) input() clientInput {
	in := d.dtoUpdateV2.input()
	in.AdditionalConfig = d.AdditionalConfig
	return in
}

func (d *dtoPatch) input() clientInput {
	in := d.dtoUpdateV3.input()
	in.EncPublicKey = d.EncPublicKey
	return in
}

// dtoKind identifies the request DTO of an endpoint.
type dtoKind int

const (
	kindCreateV1 dtoKind = iota
	kindCreateV2
	kindCreateV3
	kindUpdateV1
	kindUpdateV2
	kindUpdateV3
	kindPatch
)

func (k dtoKind) isCreate() bool { return k <= kindCreateV3 }
func (k dtoKind) isPatch() bool  { return k == kindPatch }
func (k dtoKind) hasLangMap() bool {
	return k == kindCreateV2 || k == kindCreateV3 || k == kindUpdateV2 || k == kindUpdateV3 || k == kindPatch
}
func (k dtoKind) hasAdditionalConfig() bool {
	return k == kindCreateV3 || k == kindUpdateV3 || k == kindPatch
}

func (k dtoKind) newDTO() inputDTO {
	return [...]inputDTO{
		&dtoCreateV1{}, &dtoCreateV2{}, &dtoCreateV3{},
		&dtoUpdateV1{}, &dtoUpdateV2{}, &dtoUpdateV3{}, &dtoPatch{},
	}[k]
}

// javaClass names the eSignet DTO in Jackson-style error messages.
func (k dtoKind) javaClass() string {
	return "io.mosip.esignet.core.dto." + [...]string{
		"ClientDetailCreateRequest", "ClientDetailCreateRequestV2", "ClientDetailCreateRequestV3",
		"ClientDetailUpdateRequest", "ClientDetailUpdateRequestV2", "ClientDetailUpdateRequestV3",
		"ClientDetailPatchRequest",
	}[k]
}
