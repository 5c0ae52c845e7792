package fakeesignet

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"time"

	"github.com/openg2p/esignet-operator/internal/redirecturi"
)

// tokenFail is a token-endpoint failure: an eSignet error code plus how the
// generation's exception handler classifies it.
type tokenFail struct {
	code       string
	validation bool // bean validation (≤ v1.6: error "invalid_input")
	server     bool // plain EsignetException (≤ v1.6: HTTP 500)
}

// oauthErrorCodes pass through as "error" (v1.7+); others become invalid_request.
var oauthErrorCodes = map[string]bool{"invalid_client": true, "unsupported_grant_type": true, "invalid_scope": true, "invalid_grant": true}

const accessTokenTTL = 3600 * time.Second

// grant is an issued access token's userinfo transaction.
type grant struct {
	clientID, sub string
	claims        []string
	expires       time.Time
}

// tokenHandler serves /oauth/v2/token (v2, carries code_verifier) and the
// legacy /oauth/token.
func (s *Server) tokenHandler(v2 bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, _ string) {
		if !mediaTypeIs(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			w.Header().Set("Accept", "application/x-www-form-urlencoded")
			writeProblem(w, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type '%s' is not supported.", contentTypeOrDefault(r)), r.URL.Path)
			return
		}
		if err := r.ParseForm(); err != nil {
			s.writeTokenError(w, tokenFail{code: "invalid_request"})
			return
		}
		resp, fail := s.exchangeCode(r, v2)
		if fail != nil {
			s.writeTokenError(w, *fail)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		writeJSON(w, http.StatusOK, resp)
	}
}

// exchangeCode is OAuthServiceImpl.getTokens in eSignet's order.
func (s *Server) exchangeCode(r *http.Request, v2 bool) (map[string]any, *tokenFail) {
	f := r.PostForm
	if fail := s.validateTokenForm(f.Get("grant_type"), f.Get("code"), f.Get("redirect_uri"),
		f.Get("client_assertion_type"), f.Get("client_assertion")); fail != nil {
		return nil, fail
	}
	s.mu.Lock()
	ac, ok := s.codes[f.Get("code")]
	s.mu.Unlock()
	if !ok || s.now().After(ac.expires) {
		return nil, s.legacy(tokenFail{code: "invalid_grant"}, tokenFail{code: "invalid_transaction"})
	}
	if cid := f.Get("client_id"); !javaIsBlank(cid) && cid != ac.clientID {
		return nil, &tokenFail{code: "invalid_client_id"}
	}
	if f.Get("redirect_uri") != ac.redirectURI {
		return nil, &tokenFail{code: "invalid_redirect_uri"}
	}
	verifier := ""
	if v2 {
		verifier = f.Get("code_verifier")
	}
	if fail := s.checkPKCE(ac.challenge, verifier); fail != nil {
		return nil, fail
	}
	e, ok := s.activeClient(ac.clientID)
	if !ok {
		return nil, &tokenFail{code: "invalid_client_id", server: true}
	}
	if err := s.verifyClientAssertion(e, f.Get("client_assertion"), v2); err != nil {
		return nil, s.legacy(tokenFail{code: "invalid_client"}, tokenFail{code: "invalid_assertion"})
	}
	s.mu.Lock()
	_, still := s.codes[f.Get("code")]
	delete(s.codes, f.Get("code"))
	s.mu.Unlock()
	if !still { // a concurrent exchange won
		return nil, s.legacy(tokenFail{code: "invalid_grant"}, tokenFail{code: "invalid_transaction"})
	}
	return s.issueTokens(ac), nil
}

// legacy picks the ≤ v1.6 variant of a failure.
func (s *Server) legacy(current, old tokenFail) *tokenFail {
	if s.gen.atLeast(7) {
		return &current
	}
	return &old
}

func (s *Server) validateTokenForm(grantType, code, redirectURI, assertionType, assertion string) *tokenFail {
	assertCode := "invalid_client"
	typeCode := "invalid_client"
	if !s.gen.atLeast(7) {
		assertCode, typeCode = "invalid_assertion", "invalid_assertion_type"
	}
	switch {
	case grantType != "authorization_code":
		return &tokenFail{code: s.gen.grantTypeCode(), validation: true}
	case !hibernateNotBlank(&code):
		return &tokenFail{code: "invalid_grant", validation: true}
	case !redirecturi.Valid(redirectURI):
		return &tokenFail{code: "invalid_redirect_uri", validation: true}
	case assertionType != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
		return &tokenFail{code: typeCode, validation: true}
	case !hibernateNotBlank(&assertion):
		return &tokenFail{code: assertCode, validation: true}
	}
	return nil
}

// checkPKCE: S256 only; v1.8 reports invalid_grant, v1.7 its own codes
// (as invalid_request), ≤ v1.6 the same codes with HTTP 500.
func (s *Server) checkPKCE(challenge, verifier string) *tokenFail {
	if challenge == "" {
		return nil
	}
	missing, mismatch := "invalid_pkce_code_verifier", "pkce_failed"
	if s.gen.atLeast(8) {
		missing, mismatch = "invalid_grant", "invalid_grant"
	}
	if verifier == "" {
		return &tokenFail{code: missing, server: true}
	}
	sum := sha256.Sum256([]byte(verifier))
	if base64.RawURLEncoding.EncodeToString(sum[:]) != challenge {
		return &tokenFail{code: mismatch, server: true}
	}
	return nil
}

// writeTokenError renders a failure as the generation's advice does.
func (s *Server) writeTokenError(w http.ResponseWriter, f tokenFail) {
	if s.gen.atLeast(7) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		errCode := "invalid_request"
		if oauthErrorCodes[f.code] {
			errCode = f.code
		}
		writeJSON(w, http.StatusBadRequest, oauthError(errCode, f.code))
		return
	}
	switch {
	case f.validation:
		writeJSON(w, http.StatusBadRequest, oauthError("invalid_input", f.code))
	case f.server:
		writeJSON(w, http.StatusInternalServerError, oauthError(f.code, f.code))
	default:
		writeJSON(w, http.StatusBadRequest, oauthError(f.code, f.code))
	}
}

// issueTokens signs the ID and access tokens and records the grant.
func (s *Server) issueTokens(ac *authCode) map[string]any {
	now := s.now()
	iat, exp := now.Unix(), now.Add(accessTokenTTL).Unix()
	sub := pairwiseSubject(ac.clientID)
	s.mu.Lock()
	key := s.oidcKey
	s.mu.Unlock()
	access := key.sign(map[string]any{
		"iss": s.Issuer(), "sub": sub, "aud": ac.clientID, "iat": iat, "exp": exp,
		"azp": ac.clientID, "scope": ac.scope, "client_id": ac.clientID, "jti": randomID(),
	})
	atHash := leftHalfHash(access)
	idClaims := map[string]any{
		"iss": s.Issuer(), "sub": sub, "aud": ac.clientID, "iat": iat, "exp": exp,
		"auth_time": ac.authTime, "acr": ac.acr, "at_hash": atHash,
	}
	if ac.nonce != "" {
		idClaims["nonce"] = ac.nonce
	}
	s.mu.Lock()
	s.grants[atHash] = &grant{clientID: ac.clientID, sub: sub, claims: ac.claims, expires: now.Add(accessTokenTTL)}
	s.mu.Unlock()
	return map[string]any{
		"id_token": key.sign(idClaims), "access_token": access,
		"token_type": "Bearer", "expires_in": int(accessTokenTTL.Seconds()),
	}
}

// leftHalfHash is at_hash: base64url of the left 128 bits of SHA-256.
func leftHalfHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// pairwiseSubject derives the demo user's per-client subject.
func pairwiseSubject(clientID string) string {
	sum := sha256.Sum256([]byte(demoIndividualID + "|" + clientID))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
