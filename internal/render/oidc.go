package render

import (
	"fmt"
	"strings"
)

// renderOIDC is the generic document: oidc.json plus one key per field for envFrom, and the
// private key in both encodings so any OIDC client library can sign its assertions.
func renderOIDC(in Input) (Document, error) {
	fields := map[string]string{
		"issuer":                     in.Endpoints.Issuer,
		"discovery_url":              in.Endpoints.DiscoveryURL,
		"client_id":                  in.ClientID,
		"authorization_endpoint":     in.Endpoints.AuthorizationEndpoint,
		"token_endpoint":             in.Endpoints.TokenEndpoint,
		"userinfo_endpoint":          in.Endpoints.UserinfoEndpoint,
		"jwks_uri":                   in.Endpoints.JWKSURI,
		"scope":                      in.Scope,
		"claims":                     ClaimsRequest(in.Claims),
		"acr_values":                 strings.Join(in.ACRValues, " "),
		"redirect_uri":               in.RedirectURI,
		"client_assertion_type":      ClientAssertionType,
		"token_endpoint_auth_method": TokenEndpointAuthMethod,
		"token_endpoint_auth_alg":    in.Algorithm,
		"code_challenge_method":      CodeChallengeMethod,
		"kid":                        in.KeyID,
	}
	doc, err := marshal(fields, true) // sorted keys: stable bytes
	if err != nil {
		return Document{}, fmt.Errorf("encoding oidc.json: %w", err)
	}
	data := map[string][]byte{"oidc.json": doc, "private.pem": in.PrivateKeyPEM, "private.jwk.json": in.PrivateJWK}
	for k, v := range fields {
		data[k] = []byte(v)
	}
	return Document{Data: data, Secret: true}, nil
}

// renderEnv gives the token-validation variables of openg2p-fastapi-auth apps: issuers and
// JWKS URLs as JSON lists paired by index. Nothing secret, so a ConfigMap may hold it.
func renderEnv(in Input) (Document, error) {
	prefix := in.EnvPrefix
	issuers, err := marshal([]string{in.Endpoints.Issuer}, false)
	if err != nil {
		return Document{}, fmt.Errorf("encoding issuers: %w", err)
	}
	jwks, err := marshal([]string{in.Endpoints.JWKSURI}, false)
	if err != nil {
		return Document{}, fmt.Errorf("encoding JWKS URLs: %w", err)
	}
	return Document{Secret: false, Data: map[string][]byte{
		prefix + "AUTH_DEFAULT_ISSUERS":   issuers,
		prefix + "AUTH_DEFAULT_JWKS_URLS": jwks,
	}}, nil
}
