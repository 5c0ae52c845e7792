package fakeesignet

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// jtiTTL is the client-assertion jti cache lifetime (86400 s).
const jtiTTL = 24 * time.Hour

var errAssertion = errors.New("client assertion rejected")

// verifyClientAssertion is TokenServiceImpl.verifyClientAssertionToken: the
// JWT must be signed by the client's registered key with an allowed alg, and
// its claims must identify the client and this endpoint.
func (s *Server) verifyClientAssertion(e *clientEntry, assertion string, v2 bool) error {
	claims, err := s.verifyAssertionSignature(e.key, assertion)
	if err != nil {
		return err
	}
	if s.gen.atLeast(7) {
		err = s.checkAssertionClaims(claims, e.id, s.assertionAudiences(v2))
	} else {
		err = s.checkLegacyAssertionClaims(claims, e.id, s.assertionAudiences(v2)[0])
	}
	if err != nil {
		return err
	}
	return s.markJTI(claims)
}

// verifyAssertionSignature selects the registered key the way Nimbus's
// JWKMatcher.forJWSHeader does (key type, use sig|none, alg, kid when the
// header names one) and checks typ (absent or JWT) and the signature.
func (s *Server) verifyAssertionSignature(k *parsedJWK, token string) (map[string]any, error) {
	var algs []jose.SignatureAlgorithm
	for _, a := range s.gen.assertionAlgs() {
		algs = append(algs, jose.SignatureAlgorithm(a))
	}
	jws, err := jose.ParseSignedCompact(token, algs)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, errAssertion
	}
	h := jws.Signatures[0].Header
	wantKty := "RSA"
	if strings.HasPrefix(h.Algorithm, "ES") {
		wantKty = "EC"
	}
	switch {
	case k.kty != wantKty, k.use != "" && k.use != "sig", k.alg != "" && k.alg != h.Algorithm,
		h.KeyID != "" && h.KeyID != k.kid:
		return nil, errAssertion
	}
	if typ, ok := h.ExtraHeaders[jose.HeaderType]; ok && !strings.EqualFold(fmt.Sprint(typ), "JWT") {
		return nil, errAssertion
	}
	if _, crit := h.ExtraHeaders["crit"]; crit {
		return nil, errAssertion
	}
	payload, err := jws.Verify(k.pub)
	if err != nil {
		return nil, errAssertion
	}
	v, ok := decodeAny(payload)
	claims, isObj := v.(map[string]any)
	if !ok || !isObj {
		return nil, errAssertion
	}
	return claims, nil
}

// assertionAudiences: the value the generation requires first, then any
// other accepted value (v1.7+ also accept the issuer).
func (s *Server) assertionAudiences(v2 bool) []string {
	primary := s.Issuer() + "/oauth/token"
	if v2 {
		primary = s.tokenEndpoint()
	}
	return []string{primary, s.Issuer()}
}

// checkAssertionClaims is v1.7+'s NimbusJwtDecoder validator chain.
func (s *Server) checkAssertionClaims(c map[string]any, clientID string, auds []string) error {
	now, skew := s.now().Unix(), s.gen.assertionSkewSeconds()
	exp, okExp := numericClaim(c, "exp")
	_, okIat := numericClaim(c, "iat")
	nbf, hasNbf := numericClaim(c, "nbf")
	iss, _ := c["iss"].(string)
	sub, _ := c["sub"].(string)
	jti, _ := c["jti"].(string)
	aud, okAud := audienceList(c["aud"])
	switch {
	case !okExp || !okIat || now-skew > exp:
		return errAssertion
	case hasNbf && now+skew < nbf:
		return errAssertion
	case iss != clientID || sub != clientID || strings.TrimSpace(jti) == "":
		return errAssertion
	case !okAud || !slices.ContainsFunc(aud, func(a string) bool { return slices.Contains(auds, a) }):
		return errAssertion
	}
	return nil
}

// checkLegacyAssertionClaims is ≤ v1.6's DefaultJWTClaimsVerifier: required
// sub, aud, exp, iss, iat (and jti from v1.6); aud exactly [audience]; leeway 0 s or 5 s.
func (s *Server) checkLegacyAssertionClaims(c map[string]any, clientID, audience string) error {
	required := []string{"sub", "aud", "exp", "iss", "iat"}
	if s.gen.assertionRequiresJTI() {
		required = append(required, "jti")
	}
	for _, name := range required {
		if c[name] == nil {
			return errAssertion
		}
	}
	nowMs, skewMs := s.now().UnixMilli(), s.gen.assertionSkewSeconds()*1000
	exp, okExp := numericClaim(c, "exp")
	nbf, hasNbf := numericClaim(c, "nbf")
	aud, okAud := audienceList(c["aud"])
	iss, _ := c["iss"].(string)
	sub, _ := c["sub"].(string)
	switch {
	case !okExp || exp*1000+skewMs <= nowMs:
		return errAssertion
	case hasNbf && nbf*1000-skewMs >= nowMs:
		return errAssertion
	case !okAud || len(aud) != 1 || aud[0] != audience || iss != clientID || sub != clientID:
		return errAssertion
	}
	return nil
}

// markJTI enforces single use of jti across all clients when configured.
func (s *Server) markJTI(c map[string]any) error {
	if !s.jtiUnique {
		return nil
	}
	jti, _ := c["jti"].(string)
	if jti == "" {
		return errAssertion
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if exp, seen := s.jtis[jti]; seen && now.Before(exp) {
		return errAssertion
	}
	s.jtis[jti] = now.Add(jtiTTL)
	return nil
}

// audienceList reads "aud" as a string or a list of strings.
func audienceList(v any) ([]string, bool) {
	switch a := v.(type) {
	case string:
		return []string{a}, true
	case []any:
		return stringList(a)
	}
	return nil, false
}
