package fakeesignet

import (
	"crypto"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

var (
	rpKeyOnce sync.Once
	rpRSAKey  *rsa.PrivateKey
)

// rpRSA is one RSA-2048 key shared by the tests (generation is slow); each
// test registers it on its own fake, so uniqueness is per server.
func rpRSA(t testing.TB) *rsa.PrivateKey {
	rpKeyOnce.Do(func() {
		var err error
		if rpRSAKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			t.Fatal(err)
		}
	})
	return rpRSAKey
}

// relyingParty is a registered client that can sign assertions.
type relyingParty struct {
	t        *testing.T
	c        *testClient
	id       string
	alg      jose.SignatureAlgorithm
	key      crypto.Signer
	kid      string
	redirect string
}

func newRP(t *testing.T, c *testClient, id string, alg jose.SignatureAlgorithm, mut func(map[string]any)) *relyingParty {
	p := &relyingParty{t: t, c: c, id: id, alg: alg, kid: id + "-key", redirect: "https://rp.example.org/callback"}
	var jwk map[string]any
	if alg == jose.ES256 {
		var priv crypto.Signer
		priv, jwk = ecJWK(t, elliptic.P256())
		p.key = priv
		jwk["kid"] = p.kid
	} else {
		p.key = rpRSA(t)
		jwk = rsaJWK(&rpRSA(t).PublicKey, p.kid)
	}
	b := createBody(t, id)
	b["publicKey"] = jwk
	b["userClaims"] = []any{"name", "email", "phone_number", "individual_id"}
	b["authContextRefs"] = []any{"mosip:idp:acr:generated-code", "mosip:idp:acr:biometrics"}
	if mut != nil {
		mut(b)
	}
	c.mustCreate(epClient, b)
	return p
}

var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// authorize calls /authorize and returns the status and redirect target.
func (p *relyingParty) authorize(extra url.Values) (int, *url.URL) {
	p.t.Helper()
	q := url.Values{"client_id": {p.id}, "redirect_uri": {p.redirect}, "response_type": {"code"},
		"scope": {"openid profile"}, "state": {"st-1"}, "nonce": {"n-1"}}
	for k, v := range extra {
		q[k] = v
	}
	resp, err := noFollow.Get(p.c.s.URL() + "/authorize?" + q.Encode())
	if err != nil {
		p.t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	return resp.StatusCode, loc
}

func (p *relyingParty) code(extra url.Values) string {
	p.t.Helper()
	status, loc := p.authorize(extra)
	if status != http.StatusFound || loc.Query().Get("code") == "" {
		p.t.Fatalf("authorize: %d %v", status, loc)
	}
	return loc.Query().Get("code")
}

// assertion signs client-assertion claims; mut edits claims before signing.
func (p *relyingParty) assertion(mut func(map[string]any), opts *jose.SignerOptions) string {
	p.t.Helper()
	now := time.Now().Unix()
	claims := map[string]any{"iss": p.id, "sub": p.id, "aud": p.c.s.tokenEndpoint(), "iat": now,
		"exp": now + 60, "jti": randomID()}
	if mut != nil {
		mut(claims)
	}
	if opts == nil {
		opts = (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", p.kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: p.alg, Key: p.key}, opts)
	if err != nil {
		p.t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		p.t.Fatal(err)
	}
	out, _ := jws.CompactSerialize()
	return out
}

// exchange posts to the v2 (or legacy) token endpoint.
func (p *relyingParty) exchange(code, assertion string, v2 bool, extra url.Values) (int, map[string]any, http.Header) {
	p.t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {p.redirect},
		"client_id": {p.id}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion": {assertion}}
	for k, v := range extra {
		form[k] = v
	}
	path := servicePath + "/oauth/token"
	if v2 {
		path = servicePath + "/oauth/v2/token"
	}
	resp, err := http.Post(p.c.s.URL()+path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body, resp.Header
}

// verifyWithJWKS checks a JWS against the fake's published JWKS.
func verifyWithJWKS(t *testing.T, s *Server, token string) map[string]any {
	t.Helper()
	resp, err := http.Get(s.URL() + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	keys := set.Key(jws.Signatures[0].Header.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q not in JWKS", jws.Signatures[0].Header.KeyID)
	}
	payload, err := jws.Verify(keys[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	_ = json.Unmarshal(payload, &claims)
	return claims
}

func pkcePair() (verifier, challenge string) {
	verifier = randomID() + randomID()
	sum := sha256.Sum256([]byte(verifier))
	return verifier, b64.EncodeToString(sum[:])
}
