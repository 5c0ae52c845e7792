package fakeesignet

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

func TestDiscoveryAndJWKS(t *testing.T) {
	c := newClient(t, Options{Claims: []string{"name", "email"}, ACRs: []string{"mosip:idp:acr:password"}})
	root := c.s.URL()
	for _, path := range []string{"/.well-known/openid-configuration", servicePath + "/oidc/.well-known/openid-configuration"} {
		d := getJSON(t, root+path)
		want := map[string]string{"issuer": root, "authorization_endpoint": root + "/authorize",
			"token_endpoint": root + "/v1/esignet/oauth/v2/token", "userinfo_endpoint": root + "/v1/esignet/oidc/userinfo",
			"jwks_uri": root + "/.well-known/jwks.json", "pushed_authorization_request_endpoint": root + "/v1/esignet/oauth/par"}
		for k, v := range want {
			if d[k] != v {
				t.Errorf("%s %s = %v", path, k, d[k])
			}
		}
		if mustJSON(d["claims_supported"]) != `["email","name"]` || mustJSON(d["acr_values_supported"]) != `["mosip:idp:acr:password"]` {
			t.Errorf("claims/acrs %v %v", d["claims_supported"], d["acr_values_supported"])
		}
	}
	for _, path := range []string{"/.well-known/jwks.json", servicePath + "/oauth/.well-known/jwks.json"} {
		keys := getJSON(t, root+path)["keys"].([]any)
		if len(keys) != 1 || keys[0].(map[string]any)["kty"] != "RSA" {
			t.Errorf("%s: %v", path, keys)
		}
	}
}

func TestAuthorizationCodeFlow(t *testing.T) {
	for _, alg := range []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256} {
		t.Run(string(alg), func(t *testing.T) {
			c := newClient(t, Options{})
			p := newRP(t, c, "rp-"+strings.ToLower(string(alg)), alg, nil)
			verifier, challenge := pkcePair()
			status, loc := p.authorize(url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"},
				"claims": {`{"userinfo":{"individual_id":{"essential":true}},"id_token":{"acr":{"values":["mosip:idp:acr:biometrics"]}}}`}})
			if status != http.StatusFound || loc.Query().Get("state") != "st-1" || loc.Query().Get("iss") != c.s.Issuer() ||
				!strings.HasPrefix(loc.String(), p.redirect+"?") {
				t.Fatalf("authorize: %d %v", status, loc)
			}
			st, body, h := p.exchange(loc.Query().Get("code"), p.assertion(nil, nil), true, url.Values{"code_verifier": {verifier}})
			if st != 200 || body["token_type"] != "Bearer" || body["expires_in"] != float64(3600) || h.Get("Cache-Control") != "no-store" {
				t.Fatalf("token: %d %v", st, body)
			}
			id := verifyWithJWKS(t, c.s, body["id_token"].(string))
			if id["iss"] != c.s.Issuer() || id["aud"] != p.id || id["nonce"] != "n-1" || id["acr"] != "mosip:idp:acr:biometrics" ||
				id["at_hash"] != leftHalfHash(body["access_token"].(string)) || id["sub"] == "" || id["auth_time"] == nil {
				t.Fatalf("id token %v", id)
			}
			at := verifyWithJWKS(t, c.s, body["access_token"].(string))
			if at["client_id"] != p.id || at["azp"] != p.id || at["scope"] != "openid profile" || at["sub"] != id["sub"] {
				t.Fatalf("access token %v", at)
			}
			info := userinfo(t, c.s, body["access_token"].(string), http.StatusOK)
			claims := verifyWithJWKS(t, c.s, info)
			if claims["name"] != "Asha Demo" || claims["email"] == nil || claims["individual_id"] != demoIndividualID ||
				claims["phone_number"] == nil || claims["gender"] != nil || claims["sub"] != id["sub"] {
				t.Fatalf("userinfo %v", claims)
			}
		})
	}
}

func userinfo(t *testing.T, s *Server, token string, want int) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL()+servicePath+"/oidc/userinfo", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("userinfo %d %s", resp.StatusCode, body)
	}
	if want == http.StatusOK && resp.Header.Get("Content-Type") != "application/jwt" {
		t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
	}
	if want != http.StatusOK {
		return resp.Header.Get("WWW-Authenticate")
	}
	return string(body)
}

func TestTokenRequestErrors(t *testing.T) {
	c := newClient(t, Options{})
	p := newRP(t, c, "rp-t", jose.RS256, nil)
	q := newRP(t, c, "rp-q", jose.ES256, nil)
	tests := []struct {
		name         string
		extra        url.Values
		code         string // "" = fresh code
		errCode, dsc string
	}{
		{"grant type", url.Values{"grant_type": {"client_credentials"}}, "", "unsupported_grant_type", "unsupported_grant_type"},
		{"no code", url.Values{"code": {""}}, "-", "invalid_grant", "invalid_grant"},
		{"unknown code", nil, "nope", "invalid_grant", "invalid_grant"},
		{"client_id mismatch", url.Values{"client_id": {"rp-q"}}, "", "invalid_request", "invalid_client_id"},
		{"redirect differs", url.Values{"redirect_uri": {"https://rp.example.org/other"}}, "", "invalid_request", "invalid_redirect_uri"},
		{"bad assertion type", url.Values{"client_assertion_type": {"x"}}, "", "invalid_client", "invalid_client"},
		{"no assertion", url.Values{"client_assertion": {""}}, "", "invalid_client", "invalid_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code := tt.code
			if code == "" {
				code = p.code(nil)
			}
			st, body, _ := p.exchange(code, p.assertion(nil, nil), true, tt.extra)
			if st != 400 || body["error"] != tt.errCode || body["error_description"] != tt.dsc {
				t.Fatalf("%d %v", st, body)
			}
		})
	}
	t.Run("code is single-use", func(t *testing.T) {
		code := q.code(nil)
		if st, _, _ := q.exchange(code, q.assertion(nil, nil), true, nil); st != 200 {
			t.Fatal("first exchange failed")
		}
		st, body, _ := q.exchange(code, q.assertion(nil, nil), true, nil)
		if st != 400 || body["error"] != "invalid_grant" {
			t.Fatalf("%d %v", st, body)
		}
	})
	t.Run("form content type required", func(t *testing.T) {
		resp, _ := http.Post(c.s.URL()+servicePath+"/oauth/v2/token", "application/json", strings.NewReader("{}"))
		resp.Body.Close()
		if resp.StatusCode != 415 {
			t.Fatalf("%d", resp.StatusCode)
		}
	})
}

func TestPKCE(t *testing.T) {
	c := newClient(t, Options{})
	p := newRP(t, c, "rp-p", jose.RS256, nil)
	verifier, challenge := pkcePair()
	withPKCE := url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	for name, tt := range map[string]struct {
		v2       bool
		verifier string
	}{
		"mismatch":                    {true, verifier + "x"},
		"missing":                     {true, ""},
		"legacy endpoint can't carry": {false, verifier},
	} {
		t.Run(name, func(t *testing.T) {
			st, body, _ := p.exchange(p.code(withPKCE), p.assertion(func(m map[string]any) {
				if !tt.v2 {
					m["aud"] = c.s.Issuer()
				}
			}, nil), tt.v2, url.Values{"code_verifier": {tt.verifier}})
			if st != 400 || body["error"] != "invalid_grant" {
				t.Fatalf("%d %v", st, body)
			}
		})
	}
	for name, q := range map[string]url.Values{
		"plain method":     {"code_challenge": {challenge}, "code_challenge_method": {"plain"}},
		"missing method":   {"code_challenge": {challenge}},
		"short challenge":  {"code_challenge": {"abc"}, "code_challenge_method": {"S256"}},
		"unsupported resp": {"response_type": {"token"}},
		"no openid scope":  {"scope": {"profile"}},
		"bad claims json":  {"claims": {"{"}},
	} {
		t.Run("authorize "+name, func(t *testing.T) {
			status, loc := p.authorize(q)
			if status != http.StatusFound || loc.Query().Get("error") == "" || loc.Query().Get("code") != "" || loc.Query().Get("state") != "st-1" {
				t.Fatalf("%d %v", status, loc)
			}
		})
	}
	t.Run("require_pkce", func(t *testing.T) {
		r := newRP(t, c, "rp-rp", jose.ES256, func(m map[string]any) { m["additionalConfig"] = map[string]any{"require_pkce": true} })
		if _, loc := r.authorize(nil); loc.Query().Get("error") != "use_pkce" {
			t.Fatalf("%v", loc)
		}
	})
}

func TestAuthorizeRedirectChecks(t *testing.T) {
	c := newClient(t, Options{})
	p := newRP(t, c, "rp-r", jose.RS256, func(m map[string]any) {
		m["redirectUris"] = []any{"https://rp.example.org/callback", "http://localhost:3000/app/**", "myapp://cb/*"}
	})
	for uri, ok := range map[string]bool{
		"https://rp.example.org/callback":   true,
		"http://localhost:3000/app/x/y":     true,
		"myapp://cb/done":                   true,
		"https://rp.example.org/callback/x": false,
		"https://evil.example.org/callback": false,
		"myapp://cb/a/b":                    false,
		"https://rp.example.org//callback":  false, // Ant alone would match; UrlValidator refuses "//"
	} {
		p.redirect = uri
		status, loc := p.authorize(nil)
		if ok != (status == http.StatusFound) || (ok && !strings.HasPrefix(loc.String(), uri+"?")) {
			t.Errorf("%s: %d %v", uri, status, loc)
		}
	}
	resp, _ := noFollow.Get(c.s.URL() + "/authorize?client_id=nobody&redirect_uri=https://rp.example.org/callback")
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("unknown client: %d", resp.StatusCode)
	}
}

func TestInactiveClient(t *testing.T) {
	c := newClient(t, Options{})
	p := newRP(t, c, "rp-i", jose.RS256, nil)
	code := p.code(nil)
	wantOK(t, c.do(http.MethodPatch, epClient.path()+"/rp-i", wrap(map[string]any{"status": "INACTIVE"})), "rp-i", "INACTIVE")
	if status, _ := p.authorize(nil); status != http.StatusBadRequest {
		t.Fatalf("authorize: %d", status)
	}
	st, body, _ := p.exchange(code, p.assertion(nil, nil), true, nil)
	if st != 400 || body["error"] != "invalid_request" || body["error_description"] != "invalid_client_id" {
		t.Fatalf("token: %d %v", st, body)
	}
}

func TestUserinfoFailures(t *testing.T) {
	c := newClient(t, Options{})
	p := newRP(t, c, "rp-u", jose.RS256, nil)
	_, body, _ := p.exchange(p.code(nil), p.assertion(nil, nil), true, nil)
	at := body["access_token"].(string)
	if got := userinfo(t, c.s, "", 401); got != `error="missing_header"` {
		t.Errorf("missing: %q", got)
	}
	if got := userinfo(t, c.s, at+"x", 401); got != `error="invalid_token"` {
		t.Errorf("tampered: %q", got)
	}
	mgmt := c.s.IssueManagementToken(nil, time.Hour) // a realm token is not an access token
	if got := userinfo(t, c.s, mgmt, 401); got != `error="invalid_token"` {
		t.Errorf("realm token: %q", got)
	}
	userinfo(t, c.s, at, 200)
}

func TestUserinfoJWE(t *testing.T) {
	c := newClient(t, Options{})
	p := newRP(t, c, "rp-e", jose.RS256, func(m map[string]any) {
		m["additionalConfig"] = map[string]any{"userinfo_response_type": "JWE"}
	})
	_, body, _ := p.exchange(p.code(nil), p.assertion(nil, nil), true, nil)
	if got := userinfo(t, c.s, body["access_token"].(string), 401); got != `error="unknown_error"` {
		t.Fatalf("no encPublicKey: %q", got)
	}
	encPriv, encJWK := ecJWK(t, ellipticP256())
	encJWK["use"] = "enc"
	wantOK(t, c.do(http.MethodPatch, epClient.path()+"/rp-e", wrap(map[string]any{"encPublicKey": encJWK})), "rp-e", "ACTIVE")
	jwe := userinfo(t, c.s, body["access_token"].(string), 200)
	obj, err := jose.ParseEncryptedCompact(jwe, []jose.KeyAlgorithm{jose.ECDH_ES_A256KW}, []jose.ContentEncryption{jose.A128GCM})
	if err != nil {
		t.Fatal(err)
	}
	inner, err := obj.Decrypt(encPriv)
	if err != nil {
		t.Fatal(err)
	}
	if claims := verifyWithJWKS(t, c.s, string(inner)); claims["name"] != "Asha Demo" {
		t.Fatalf("claims %v", claims)
	}
}
