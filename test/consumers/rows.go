package consumers

import (
	"encoding/json"
	"testing"
)

// FastAPIRequest is the login openg2p-fastapi-auth performs with an authorization_parameters
// document: every field it reads must be there.
func FastAPIRequest(t testing.TB, doc []byte, issuer string) LoginRequest {
	t.Helper()
	var ap struct {
		Authorize, Token, Validate, JWKS, ClientID, Type, Redirect, Scope, Verifier string

		JWK   json.RawMessage
		Extra map[string]string
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(doc, &raw); err != nil {
		t.Fatal(err)
	}
	for name, dst := range map[string]any{"authorize_endpoint": &ap.Authorize, "token_endpoint": &ap.Token,
		"validate_endpoint": &ap.Validate, "jwks_endpoint": &ap.JWKS, "client_id": &ap.ClientID,
		"client_assertion_type": &ap.Type, "redirect_uri": &ap.Redirect, "scope": &ap.Scope,
		"code_verifier": &ap.Verifier, "client_assertion_jwk": &ap.JWK, "extra_authorize_parameters": &ap.Extra} {
		if err := json.Unmarshal(raw[name], dst); err != nil {
			t.Fatalf("authorization_parameters.%s: %v", name, err)
		}
	}
	if ap.Type != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		t.Errorf("client_assertion_type %q", ap.Type)
	}
	return LoginRequest{Form: KeyJWKObject, Key: ap.JWK, ClientID: ap.ClientID,
		AuthorizeEndpoint: ap.Authorize, TokenEndpoint: ap.Token, UserinfoEndpoint: ap.Validate,
		JWKSURI: ap.JWKS, RedirectURI: ap.Redirect, Scope: ap.Scope, CodeVerifier: ap.Verifier,
		ACRValues: ap.Extra["acr_values"], ClaimsJSON: ap.Extra["claims"], Issuer: issuer}
}
