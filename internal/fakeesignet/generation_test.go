package fakeesignet

import (
	"crypto/elliptic"
	"net/http"
	"strings"
	"testing"
)

func TestGenerationParsing(t *testing.T) {
	for _, ok := range []string{"", "v1.8", "v1.2", "1.7", "v1.5.0", "v1.6.2"} {
		if err := (Options{Generation: ok}).Validate(); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"v1.1", "v1.9", "v2.0", "latest", "v1.8.x"} {
		if err := (Options{Generation: bad}).Validate(); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("New did not panic on a bad generation")
		}
	}()
	New(Options{Generation: "v0.9"})
}

func TestEndpointsPerGeneration(t *testing.T) {
	tests := []struct {
		gen, method, path string
		status            int // 200 = reaches the handler (an envelope)
	}{
		{"v1.8", "PATCH", "/client/x", 200},
		{"v1.7", "PATCH", "/client/x", 405},
		{"v1.7", "POST", "/client", 200},
		{"v1.6", "PUT", "/client/x", 200},
		{"v1.5", "POST", "/client", 404},
		{"v1.5", "PUT", "/client/x", 404},
		{"v1.5", "POST", "/oauth-client", 200},
		{"v1.2", "PUT", "/oauth-client/x", 200},
		{"v1.2", "POST", "/oidc-client", 200},
		{"v1.8", "POST", "/oidc-client", 200},
	}
	for _, tt := range tests {
		t.Run(tt.gen+" "+tt.method+" "+tt.path, func(t *testing.T) {
			c := newClient(t, Options{Generation: tt.gen})
			r := c.do(tt.method, clientMgmtPath+tt.path, wrap(map[string]any{}))
			if r.Status != tt.status {
				t.Fatalf("status %d %s", r.Status, r.Raw)
			}
			if tt.status != 200 && !strings.Contains(r.Raw, `"type":"about:blank"`) {
				t.Fatalf("no ProblemDetail: %s", r.Raw)
			}
		})
	}
}

func TestGrantTypeCodePerGeneration(t *testing.T) {
	for gen, code := range map[string]string{"v1.6": "invalid_grant_type", "v1.2": "invalid_grant_type", "v1.7": "unsupported_grant_type", "v1.8": "unsupported_grant_type"} {
		t.Run(gen, func(t *testing.T) {
			c := newClient(t, Options{Generation: gen})
			b := createBody(t, "g")
			b["grantTypes"] = []any{"implicit"}
			wantError(t, c.create(epOAuthClient, b), code, "request.grantTypes[0]: "+code)
		})
	}
}

func TestDuplicatePublicKeyPerEndpoint(t *testing.T) {
	tests := []struct {
		gen  string
		ep   endpoint
		code string
	}{
		{"v1.8", epClient, "duplicate_public_key"},
		{"v1.8", epOIDCClient, "duplicate_public_key"},
		{"v1.8", epOAuthClient, "unknown_error"},
		{"v1.7", epClient, "duplicate_public_key"},
		{"v1.6", epClient, "unknown_error"},
		{"v1.4", epOIDCClient, "duplicate_public_key"},
		{"v1.2", epOIDCClient, "unknown_error"},
	}
	for _, tt := range tests {
		t.Run(tt.gen+" "+tt.ep.path(), func(t *testing.T) {
			c := newClient(t, Options{Generation: tt.gen})
			first := createBody(t, "first")
			c.mustCreate(tt.ep, first)
			second := createBody(t, "second")
			second["publicKey"] = first["publicKey"]
			r := c.create(tt.ep, second)
			wantError(t, r, tt.code, "")
			if tt.code == "duplicate_public_key" && r.Errors[0].ErrorMessage != tt.code {
				t.Fatalf("service error message must equal the code: %s", r.Raw)
			}
		})
	}
}

func TestPutEmptyClaimsPerGeneration(t *testing.T) {
	for gen, ok := range map[string]bool{"v1.7": false, "v1.6": false, "v1.8": true} {
		t.Run(gen, func(t *testing.T) {
			c := newClient(t, Options{Generation: gen})
			c.mustCreate(epClient, createBody(t, "pc"))
			b := updateBody()
			b["userClaims"] = []any{}
			if gen != "v1.8" {
				b["additionalConfig"] = nil
			}
			r := c.do(http.MethodPut, epClient.path()+"/pc", wrap(b))
			if ok {
				wantOK(t, r, "pc", "ACTIVE")
			} else {
				wantError(t, r, "invalid_claim", "request.userClaims: invalid_claim")
			}
		})
	}
}

func TestKeyTypesPerGeneration(t *testing.T) {
	for gen, ecOK := range map[string]bool{"v1.6": false, "v1.5": false, "v1.7": true, "v1.8": true} {
		t.Run(gen, func(t *testing.T) {
			c := newClient(t, Options{Generation: gen})
			b := createBody(t, "ec")
			_, b["publicKey"] = ecJWK(t, elliptic.P384())
			r := c.create(epOAuthClient, b)
			if ecOK {
				wantOK(t, r, "ec", "ACTIVE")
			} else {
				wantError(t, r, "invalid_public_key", "invalid_public_key")
			}
		})
	}
	t.Run("v1.6 ignores kty", func(t *testing.T) {
		c := newClient(t, Options{Generation: "v1.6"})
		b := createBody(t, "kty")
		b["publicKey"] = withMember(fakeRSAJWK(t), "kty", "EC")
		wantOK(t, c.create(epOAuthClient, b), "kty", "ACTIVE")
		rec, _ := c.s.Client("kty")
		if !strings.HasPrefix(string(rec.PublicKey), `{"kty":"RSA"`) {
			t.Fatalf("stored %s", rec.PublicKey)
		}
	})
	t.Run("blank alg only rejected from v1.8", func(t *testing.T) {
		for gen, code := range map[string]string{"v1.7": "", "v1.8": "invalid_public_key"} {
			c := newClient(t, Options{Generation: gen})
			b := createBody(t, "blank")
			b["publicKey"] = withMember(fakeRSAJWK(t), "alg", " ")
			checkCase(t, c.create(epClient, b), fieldCase{code: code})
		}
	})
}

func TestLangMapPerGeneration(t *testing.T) {
	tests := []struct {
		gen  string
		lang any // nil = absent
		code string
	}{
		{"v1.5", nil, "invalid_client_name"},
		{"v1.5", map[string]any{}, "invalid_client_name"},
		{"v1.2", nil, "invalid_client_name"},
		{"v1.6", nil, ""},
		{"v1.6", map[string]any{}, ""},
		{"v1.3", map[string]any{"xyz": "a"}, ""},
		{"v1.3", map[string]any{"en": "a"}, "invalid_language_code"},
		{"v1.4", map[string]any{"xyz": "a"}, "invalid_language_code"},
		{"v1.5", map[string]any{"eng": strings.Repeat("a", 51)}, ""},
		{"v1.6", map[string]any{"eng": strings.Repeat("a", 51)}, "invalid_client_name_length"},
	}
	for _, tt := range tests {
		t.Run(tt.gen, func(t *testing.T) {
			c := newClient(t, Options{Generation: tt.gen})
			b := createBody(t, "lm")
			if tt.lang == nil {
				delete(b, "clientNameLangMap")
			} else {
				b["clientNameLangMap"] = tt.lang
			}
			checkCase(t, c.create(epOAuthClient, b), fieldCase{code: tt.code})
		})
	}
}

func TestAdditionalConfigKeysPerGeneration(t *testing.T) {
	tests := []struct {
		gen, key string
		ok       bool
	}{
		{"v1.6", "consent_expire_in_mins", true},
		{"v1.6", "dpop_bound_access_tokens", false},
		{"v1.6", "require_pushed_authorization_requests", false},
		{"v1.7", "dpop_bound_access_tokens", true},
		{"v1.7", "require_pushed_authorization_requests", true},
		{"v1.7", "require_pkce", false},
		{"v1.8", "require_pkce", true},
	}
	for _, tt := range tests {
		t.Run(tt.gen+" "+tt.key, func(t *testing.T) {
			c := newClient(t, Options{Generation: tt.gen})
			b := createBody(t, "ac")
			var v any = true
			if tt.key == "consent_expire_in_mins" {
				v = 15
			}
			b["additionalConfig"] = map[string]any{tt.key: v}
			code := ""
			if !tt.ok {
				code = "invalid_additional_config"
			}
			checkCase(t, c.create(epClient, b), fieldCase{code: code})
		})
	}
}

func TestPublicKeyUniquenessPerGeneration(t *testing.T) {
	rsa := fakeRSAJWK(t)
	_, ec := ecJWK(t, elliptic.P256())
	tests := []struct {
		name, gen string
		first     map[string]any
		second    map[string]any
		dup       bool
	}{
		{"v1.8 same n other kid", "v1.8", withMember(rsa, "kid", "a"), withMember(rsa, "kid", "b"), true},
		{"v1.5 same n other kid", "v1.5", withMember(rsa, "kid", "a"), withMember(rsa, "kid", "b"), true},
		{"v1.4 same n other kid", "v1.4", withMember(rsa, "kid", "a"), withMember(rsa, "kid", "b"), false},
		{"v1.4 identical", "v1.4", rsa, rsa, true},
		{"v1.7 EC not covered by the n index", "v1.7", ec, withMember(ec, "kid", "x"), false},
		{"v1.8 EC x‖y hash", "v1.8", ec, withMember(ec, "kid", "x"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, Options{Generation: tt.gen})
			a, b := createBody(t, "a"), createBody(t, "b")
			a["publicKey"], b["publicKey"] = tt.first, tt.second
			c.mustCreate(epOIDCClient, a)
			r := c.create(epOIDCClient, b)
			if tt.dup {
				wantError(t, r, "duplicate_public_key", "")
			} else {
				wantOK(t, r, "b", "ACTIVE")
			}
		})
	}
}

func TestIssuerAndDiscoveryPerGeneration(t *testing.T) {
	for gen, suffix := range map[string]string{"v1.8": "", "v1.7": "/v1/esignet", "v1.5": "/v1/esignet"} {
		t.Run(gen, func(t *testing.T) {
			c := newClient(t, Options{Generation: gen})
			d := getJSON(t, c.s.URL()+"/.well-known/openid-configuration")
			if d["issuer"] != c.s.URL()+suffix {
				t.Fatalf("issuer %v", d["issuer"])
			}
			_, hasPAR := d["pushed_authorization_request_endpoint"]
			if hasPAR != (gen != "v1.5") {
				t.Fatalf("PAR endpoint presence %v", hasPAR)
			}
		})
	}
	c := newClient(t, Options{Issuer: "https://id.example.org"})
	if d := getJSON(t, c.s.URL()+servicePath+"/oidc/.well-known/openid-configuration"); d["issuer"] != "https://id.example.org" {
		t.Fatalf("override: %v", d["issuer"])
	}
}
