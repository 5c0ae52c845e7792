package fakeesignet

import (
	"crypto/ecdsa"
	"net/http"
	"strings"

	"github.com/go-jose/go-jose/v4"
)

const demoIndividualID = "8267411571"

// demoIdentity is the user every authorization authenticates as.
var demoIdentity = map[string]any{
	"name":                  "Asha Demo",
	"address":               map[string]any{"formatted": "12 Demo Street, Demo City", "locality": "Demo City", "country": "Demo"},
	"gender":                "female",
	"birthdate":             "1990-01-31",
	"picture":               "https://example.org/asha.png",
	"email":                 "asha.demo@example.org",
	"phone_number":          "+10000000000",
	"individual_id":         demoIndividualID,
	"phone_number_verified": true,
	"registration_type":     "L1",
	"updated_at":            1700000000,
	"given_name":            "Asha",
}

// handleUserinfo answers with a JWS (or, for v1.8 JWE clients, a nested
// JWE) of the granted claims. Failures are 401 with eSignet's bare
// WWW-Authenticate error attribute and no body.
func (s *Server) handleUserinfo(w http.ResponseWriter, r *http.Request, _ string) {
	h := r.Header.Get("Authorization")
	if h == "" {
		userinfoFail(w, "missing_header")
		return
	}
	parts := javaSplitTrim(h, " ")
	if len(parts) <= 1 {
		userinfoFail(w, "invalid_token")
		return
	}
	g, ok := s.grantFor(parts[1])
	if !ok {
		userinfoFail(w, "invalid_token")
		return
	}
	e, ok := s.activeClient(g.clientID)
	if !ok {
		userinfoFail(w, "invalid_token")
		return
	}
	claims := map[string]any{"sub": g.sub}
	for _, c := range g.claims {
		if v, ok := demoIdentity[c]; ok {
			claims[c] = v
		}
	}
	s.mu.Lock()
	key := s.oidcKey
	s.mu.Unlock()
	body := key.sign(claims)
	if s.gen.atLeast(8) && configString(e.additionalConfig, "userinfo_response_type") == "JWE" {
		if body, ok = encryptFor(e.encKey, body); !ok {
			userinfoFail(w, "unknown_error")
			return
		}
	}
	w.Header().Set("Content-Type", "application/jwt")
	_, _ = w.Write([]byte(body))
}

// grantFor verifies the access token (signature, issuer, expiry) and finds
// its transaction by at_hash.
func (s *Server) grantFor(token string) (*grant, bool) {
	s.mu.Lock()
	key := s.oidcKey
	s.mu.Unlock()
	claims, err := verifyOwnJWT(token, key)
	if err != nil {
		return nil, false
	}
	exp, ok := numericClaim(claims, "exp")
	if iss, _ := claims["iss"].(string); !ok || iss != s.Issuer() || s.now().Unix()-60 > exp {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.grants[leftHalfHash(token)]
	if !ok || s.now().After(g.expires) {
		return nil, false
	}
	sub, _ := claims["sub"].(string)
	aud, _ := claims["aud"].(string)
	return g, sub == g.sub && aud == g.clientID
}

func userinfoFail(w http.ResponseWriter, code string) {
	w.Header().Set("WWW-Authenticate", `error="`+code+`"`)
	w.WriteHeader(http.StatusUnauthorized)
}

// encryptFor wraps the signed userinfo in a JWE to the client's
// encPublicKey (RSA-OAEP-256 or ECDH-ES+A256KW, A128GCM, cty JWT).
func encryptFor(k *parsedJWK, jws string) (string, bool) {
	if k == nil {
		return "", false
	}
	alg := jose.RSA_OAEP_256
	if _, isEC := k.pub.(*ecdsa.PublicKey); isEC {
		alg = jose.ECDH_ES_A256KW
	}
	enc, err := jose.NewEncrypter(jose.A128GCM, jose.Recipient{Algorithm: alg, Key: k.pub, KeyID: k.kid},
		(&jose.EncrypterOptions{}).WithContentType("JWT"))
	if err != nil {
		return "", false
	}
	obj, err := enc.Encrypt([]byte(jws))
	if err != nil {
		return "", false
	}
	out, err := obj.CompactSerialize()
	return out, err == nil && strings.Count(out, ".") == 4
}
