package fakeesignet

import (
	"net/http"

	"github.com/go-jose/go-jose/v4"
)

// tokenEndpoint is discovery's token_endpoint.
func (s *Server) tokenEndpoint() string { return s.URL() + servicePath + "/oauth/v2/token" }

// discovery builds mosip.esignet.discovery.key-values (API.md §5.1).
func (s *Server) discovery() map[string]any {
	root := s.URL()
	d := map[string]any{
		"issuer":                                           s.Issuer(),
		"authorization_endpoint":                           root + "/authorize",
		"token_endpoint":                                   s.tokenEndpoint(),
		"userinfo_endpoint":                                root + servicePath + "/oidc/userinfo",
		"jwks_uri":                                         root + "/.well-known/jwks.json",
		"scopes_supported":                                 []string{"openid", "profile", "email", "phone", "address"},
		"response_types_supported":                         []string{"code"},
		"acr_values_supported":                             setList(s.acrs),
		"userinfo_signed_response_alg":                     "PS256",
		"userinfo_signing_alg_values_supported":            []string{"RS256", "PS256"},
		"userinfo_encryption_alg_values_supported":         []string{"RSA-OAEP-256"},
		"userinfo_encryption_enc_values_supported":         []string{"A128GCM"},
		"response_modes_supported":                         []string{"query"},
		"token_endpoint_auth_methods_supported":            []string{"private_key_jwt"},
		"token_endpoint_auth_signing_alg_values_supported": s.gen.assertionAlgs(),
		"id_token_signed_response_alg":                     "PS256",
		"id_token_signing_alg_values_supported":            []string{"RS256", "PS256"},
		"claim_types_supported":                            []string{"normal"},
		"claims_parameter_supported":                       true,
		"display_values_supported":                         []string{"page", "popup", "touch", "wap"},
		"subject_types_supported":                          []string{"pairwise"},
		"claims_supported":                                 setList(s.claims),
		"claims_locales_supported":                         []string{"en"},
		"request_parameter_supported":                      false,
		"ui_locales_supported":                             []string{"en"},
		"code_challenge_methods_supported":                 []string{"S256"},
		"authorization_response_iss_parameter_supported":   true,
	}
	if s.gen.hasPAR() {
		d["pushed_authorization_request_endpoint"] = root + servicePath + "/oauth/par"
		d["require_pushed_authorization_requests"] = false
		d["dpop_signing_alg_values_supported"] = []string{"RS256", "PS256"}
	}
	return d
}

func (s *Server) handleDiscovery(w http.ResponseWriter, _ *http.Request, _ string) {
	writeJSON(w, http.StatusOK, s.discovery())
}

// handleASMetadata is the OAuth authorization-server metadata subset.
func (s *Server) handleASMetadata(w http.ResponseWriter, _ *http.Request, _ string) {
	d := s.discovery()
	out := map[string]any{"grant_types_supported": []string{"authorization_code"}}
	for _, k := range []string{"issuer", "authorization_endpoint", "token_endpoint", "jwks_uri",
		"pushed_authorization_request_endpoint", "response_types_supported", "response_modes_supported",
		"token_endpoint_auth_methods_supported", "token_endpoint_auth_signing_alg_values_supported",
		"code_challenge_methods_supported", "scopes_supported"} {
		if v, ok := d[k]; ok {
			out[k] = v
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleJWKS(w http.ResponseWriter, _ *http.Request, _ string) {
	s.mu.Lock()
	jwk := s.oidcKey.publicJWK()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{jwk}})
}

// setList returns the set's members sorted.
func setList(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}
