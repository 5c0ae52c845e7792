package fakeesignet

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// realmIssuer is the Keycloak realm's issuer.
func (s *Server) realmIssuer() string { return s.URL() + realmPath }

// handleRealmToken is Keycloak's token endpoint for client_credentials.
func (s *Server) handleRealmToken(w http.ResponseWriter, r *http.Request, _ string) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	if err := r.ParseForm(); err != nil || !mediaTypeIs(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		writeJSON(w, http.StatusBadRequest, oauthError("invalid_request", "Invalid form body"))
		return
	}
	grantType := r.PostForm.Get("grant_type")
	if grantType == "" {
		writeJSON(w, http.StatusBadRequest, oauthError("invalid_request", "Missing form parameter: grant_type"))
		return
	}
	mc := s.authenticateRealmClient(r)
	if mc == nil {
		writeJSON(w, http.StatusUnauthorized, oauthError("invalid_client", "Invalid client or Invalid client credentials"))
		return
	}
	if grantType != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, oauthError("unsupported_grant_type", "Unsupported grant_type"))
		return
	}
	scopes := mc.Scopes
	if req := r.PostForm.Get("scope"); req != "" {
		asked := strings.Fields(req)
		scopes = slices.DeleteFunc(slices.Clone(mc.Scopes), func(sc string) bool { return !slices.Contains(asked, sc) })
	}
	ttl := s.opts.ManagementTokenTTL
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": s.issueRealmToken(mc.ID, scopes, mc.Roles, ttl), "expires_in": int(ttl.Seconds()),
		"refresh_expires_in": 0, "token_type": "Bearer", "not-before-policy": 0,
		"scope": strings.Join(scopes, " "),
	})
}

// authenticateRealmClient: HTTP Basic (form-urlencoded parts) or form params.
func (s *Server) authenticateRealmClient(r *http.Request) *ManagementClient {
	id, secret, ok := r.BasicAuth()
	if ok {
		if u, err := url.QueryUnescape(id); err == nil {
			id = u
		}
		if u, err := url.QueryUnescape(secret); err == nil {
			secret = u
		}
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	for i := range s.opts.ManagementClients {
		mc := &s.opts.ManagementClients[i]
		if mc.ID == id && subtle.ConstantTimeCompare([]byte(mc.Secret), []byte(secret)) == 1 && id != "" {
			return mc
		}
	}
	return nil
}

func oauthError(code, desc string) map[string]string {
	return map[string]string{"error": code, "error_description": desc}
}

// IssueManagementToken returns a realm token with the scopes, valid for ttl,
// without going through the token endpoint.
func (s *Server) IssueManagementToken(scopes []string, ttl time.Duration) string {
	return s.issueRealmToken("fake-test-client", scopes, nil, ttl)
}

// IssueRealmToken returns a realm token for clientID with the scopes and the realm roles
// (realm_access.roles, as Keycloak puts them and MOSIP services such as PMS read them), valid
// for ttl, without going through the token endpoint.
func (s *Server) IssueRealmToken(clientID string, scopes, roles []string, ttl time.Duration) string {
	return s.issueRealmToken(clientID, scopes, roles, ttl)
}

func (s *Server) issueRealmToken(clientID string, scopes, roles []string, ttl time.Duration) string {
	now := s.now().Unix()
	s.mu.Lock()
	key := s.realmKey
	s.mu.Unlock()
	claims := map[string]any{
		"exp": now + int64(ttl.Seconds()), "iat": now, "jti": randomID(), "iss": s.realmIssuer(),
		"aud": "account", "sub": "service-account-" + clientID, "typ": "Bearer", "azp": clientID,
		"scope": strings.Join(scopes, " "), "clientId": clientID,
		"preferred_username": "service-account-" + clientID,
	}
	if len(roles) > 0 {
		claims["realm_access"] = map[string]any{"roles": roles}
	}
	return key.sign(claims)
}

// RotateManagementKey replaces the realm signing key: every token issued so
// far is rejected from now on (tests of token refresh).
func (s *Server) RotateManagementKey() {
	k := newSigningKey()
	s.mu.Lock()
	s.realmKey = k
	s.mu.Unlock()
}

func (s *Server) handleRealmCerts(w http.ResponseWriter, _ *http.Request, _ string) {
	s.mu.Lock()
	jwk := s.realmKey.publicJWK()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{jwk}})
}

var bearerRE = regexp.MustCompile(`(?i)^bearer (?P<token>[a-zA-Z0-9\-._~+/]+=*)$`)

// checkManagementAuth is eSignet's resource-server chain for a protected
// path. It writes the rejection and returns false when the request may not
// proceed: no bearer token → 200 unknown_error (LocalAuthenticationEntryPoint),
// bad token → 401, missing scope → 403.
func (s *Server) checkManagementAuth(w http.ResponseWriter, r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if len(h) < 6 || !strings.EqualFold(h[:6], "bearer") {
		s.writeUnknown(w, "Full authentication is required to access this resource")
		return false
	}
	m := bearerRE.FindStringSubmatch(h)
	if m == nil {
		bearerChallenge(w, http.StatusUnauthorized, "invalid_token", "Bearer token is malformed")
		return false
	}
	claims, err := s.verifyRealmToken(m[1])
	if err != nil {
		bearerChallenge(w, http.StatusUnauthorized, "invalid_token", "An error occurred while attempting to decode the Jwt: "+err.Error())
		return false
	}
	if need := requiredScope(r); need != "" && !slices.Contains(tokenScopes(claims), need) {
		bearerChallenge(w, http.StatusForbidden, "insufficient_scope", "The request requires higher privileges than provided by the access token.")
		return false
	}
	return true
}

// requiredScope: post-urls and put-urls map /client-mgmt/** to scopes;
// PATCH and other methods only need authentication.
func requiredScope(r *http.Request) string {
	if !strings.HasPrefix(r.URL.Path, clientMgmtPath+"/") {
		return ""
	}
	switch r.Method {
	case http.MethodPost:
		return "add_oidc_client"
	case http.MethodPut:
		return "update_oidc_client"
	}
	return ""
}

func bearerChallenge(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("WWW-Authenticate", `Bearer error="`+code+`", error_description="`+desc+
		`", error_uri="https://tools.ietf.org/html/rfc6750#section-3.1"`)
	w.WriteHeader(status)
}

// verifyRealmToken is Spring's issuer-uri JwtDecoder: RS256 signature by
// the realm key, iss, and exp/nbf with 60 s skew.
func (s *Server) verifyRealmToken(token string) (map[string]any, error) {
	s.mu.Lock()
	key := s.realmKey
	s.mu.Unlock()
	claims, err := verifyOwnJWT(token, key)
	if err != nil {
		return nil, errString("Signed JWT rejected: Invalid signature")
	}
	if iss, _ := claims["iss"].(string); iss != s.realmIssuer() {
		return nil, errString("The iss claim is not valid")
	}
	now, skew := s.now().Unix(), int64(60)
	if exp, ok := numericClaim(claims, "exp"); ok && now-skew > exp {
		return nil, errString("Jwt expired")
	}
	if nbf, ok := numericClaim(claims, "nbf"); ok && now+skew < nbf {
		return nil, errString("Jwt used before nbf")
	}
	return claims, nil
}

type errString string

func (e errString) Error() string { return string(e) }

// tokenScopes reads "scope" or "scp", space-separated or a list.
func tokenScopes(claims map[string]any) []string {
	for _, name := range []string{"scope", "scp"} {
		switch v := claims[name].(type) {
		case string:
			return strings.Fields(v)
		case []any:
			out, _ := stringList(v)
			return out
		}
	}
	return nil
}

// numericClaim reads a NumericDate (integer or fractional seconds).
func numericClaim(claims map[string]any, name string) (int64, bool) {
	n, ok := claims[name].(json.Number)
	if !ok {
		return 0, false
	}
	if i, err := n.Int64(); err == nil {
		return i, true
	}
	f, err := n.Float64()
	return int64(f), err == nil
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
