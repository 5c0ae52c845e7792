package fakeesignet

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

type fieldCase struct {
	name string
	mut  func(m map[string]any)
	code string // "" = accepted
	msg  string // expected errorMessage of the first error ("" = don't check)
}

func set(k string, v any) func(map[string]any) { return func(m map[string]any) { m[k] = v } }
func del(k string) func(map[string]any)        { return func(m map[string]any) { delete(m, k) } }

func TestCreateFieldRules(t *testing.T) {
	c := newClient(t, Options{})
	long := func(n int) string { return strings.Repeat("a", n) }
	cases := []fieldCase{
		{"valid", func(map[string]any) {}, "", ""},
		{"id with #-_.", set("clientId", "client-id-#12c_."), "", ""},
		{"id 100 chars", set("clientId", long(100)), "", ""},
		{"id 101 chars", set("clientId", long(101)), "invalid_client_id", "request.clientId: invalid_client_id"},
		{"id with space", set("clientId", "a b"), "invalid_client_id", "request.clientId: invalid_client_id"},
		{"id with tab", set("clientId", "a\tb"), "invalid_client_id", ""},
		{"id blank", set("clientId", "   "), "invalid_client_id", ""},
		{"id em-space only", set("clientId", "\u2003"), "invalid_client_id", ""},
		{"id absent", del("clientId"), "invalid_client_id", ""},
		{"name absent", del("clientName"), "invalid_client_name", "request.clientName: invalid_client_name"},
		{"name blank", set("clientName", " \t"), "invalid_client_name", ""},
		{"name 256", set("clientName", long(256)), "", ""},
		{"name 257", set("clientName", long(257)), "invalid_client_name", ""},
		{"name counts UTF-16 units", set("clientName", strings.Repeat("😀", 129)), "invalid_client_name", ""},
		{"publicKey absent", del("publicKey"), "invalid_public_key", "request.publicKey: invalid_public_key"},
		{"publicKey empty", set("publicKey", map[string]any{}), "invalid_public_key", ""},
		{"rp id absent", del("relyingPartyId"), "invalid_rp_id", "request.relyingPartyId: invalid_rp_id"},
		{"rp id space", set("relyingPartyId", "my rp"), "invalid_rp_id", ""},
		{"rp id 101", set("relyingPartyId", long(101)), "invalid_rp_id", ""},
		{"claims absent", del("userClaims"), "invalid_claim", "request.userClaims: invalid_claim"},
		{"claims empty ok", set("userClaims", []any{}), "", ""},
		{"claims unknown", set("userClaims", []any{"name", "given_name"}), "invalid_claim", "request.userClaims[1]: invalid_claim"},
		{"claims null element", set("userClaims", []any{nil}), "invalid_claim", "request.userClaims[0]: invalid_claim"},
		{"claims 31", set("userClaims", repeat("name", 31)), "invalid_claim", "request.userClaims: invalid_claim"},
		{"acr absent", del("authContextRefs"), "invalid_acr", "request.authContextRefs: invalid_acr"},
		{"acr empty", set("authContextRefs", []any{}), "invalid_acr", ""},
		{"acr unknown", set("authContextRefs", []any{"mosip:idp:acr:magic"}), "invalid_acr", "request.authContextRefs[0]: invalid_acr"},
		{"acr space-joined known", set("authContextRefs", []any{"mosip:idp:acr:password mosip:idp:acr:biometrics"}), "", ""},
		{"acr space-joined one unknown", set("authContextRefs", []any{"mosip:idp:acr:password x"}), "invalid_acr", ""},
		{"acr null element dropped", set("authContextRefs", []any{nil, "mosip:idp:acr:password"}), "", ""},
		{"acr empty string", set("authContextRefs", []any{""}), "invalid_acr", ""},
		{"acr 31", set("authContextRefs", repeat("mosip:idp:acr:password", 31)), "invalid_acr", ""},
		{"logo absent", del("logoUri"), "invalid_uri", "request.logoUri: invalid_uri"},
		{"logo not a URL", set("logoUri", "logo.png"), "invalid_uri", ""},
		{"logo custom scheme", set("logoUri", "myapp://logo"), "invalid_uri", ""},
		{"logo ftp", set("logoUri", "ftp://files.example.org/logo.png"), "", ""},
		{"logo bad port", set("logoUri", "https://h:abc/logo.png"), "invalid_uri", ""},
		{"redirects absent", del("redirectUris"), "invalid_redirect_uri", "request.redirectUris: invalid_redirect_uri"},
		{"redirects empty", set("redirectUris", []any{}), "invalid_redirect_uri", ""},
		{"redirects 6", set("redirectUris", repeat("https://a.example.org/cb", 6)), "invalid_redirect_uri", ""},
		{"redirect blank", set("redirectUris", []any{" "}), "invalid_redirect_uri", "request.redirectUris[0]: invalid_redirect_uri"},
		{"redirect wildcard host", set("redirectUris", []any{"https://*.example.org/cb"}), "invalid_redirect_uri", ""},
		{"redirect .internal", set("redirectUris", []any{"https://rp.internal/cb"}), "invalid_redirect_uri", ""},
		{"redirect app scheme", set("redirectUris", []any{"io.mosip.residentapp://oauth", "residentapp://oauth/*"}), "", ""},
		{"grant absent", del("grantTypes"), "unsupported_grant_type", "request.grantTypes: unsupported_grant_type"},
		{"grant empty", set("grantTypes", []any{}), "unsupported_grant_type", ""},
		{"grant unsupported", set("grantTypes", []any{"client_credentials"}), "unsupported_grant_type", "request.grantTypes[0]: unsupported_grant_type"},
		{"grant 4", set("grantTypes", repeat("authorization_code", 4)), "unsupported_grant_type", ""},
		{"grant duplicates ok", set("grantTypes", repeat("authorization_code", 2)), "", ""},
		{"auth absent", del("clientAuthMethods"), "invalid_client_auth", "request.clientAuthMethods: invalid_client_auth"},
		{"auth unsupported", set("clientAuthMethods", []any{"client_secret_basic"}), "invalid_client_auth", "request.clientAuthMethods[0]: invalid_client_auth"},
		{"auth 4", set("clientAuthMethods", repeat("private_key_jwt", 4)), "invalid_client_auth", ""},
		{"lang map optional (v1.8)", del("clientNameLangMap"), "", ""},
		{"lang key 639-2/B", set("clientNameLangMap", map[string]any{"fre": "x"}), "invalid_language_code", "request.clientNameLangMap<K>[fre].<map key>: invalid_language_code"},
		{"lang key two letters", set("clientNameLangMap", map[string]any{"en": "x"}), "invalid_language_code", ""},
		{"lang key @none", set("clientNameLangMap", map[string]any{"@none": "x"}), "invalid_language_code", ""},
		{"lang keys 639-2/T", set("clientNameLangMap", map[string]any{"fra": "x", "khm": "y", "ara": "z", "fil": "w"}), "", ""},
		{"lang value blank", set("clientNameLangMap", map[string]any{"eng": " "}), "invalid_client_name_value", "request.clientNameLangMap[eng]: invalid_client_name_value"},
		{"lang value null", set("clientNameLangMap", map[string]any{"eng": nil}), "invalid_client_name_value", ""},
		{"lang value 51", set("clientNameLangMap", map[string]any{"eng": long(51)}), "invalid_client_name_length", "request.clientNameLangMap[eng]: invalid_client_name_length"},
		{"config null", set("additionalConfig", nil), "", ""},
		{"config bad", set("additionalConfig", map[string]any{"x": 1}), "invalid_additional_config", "request.additionalConfig: invalid_additional_config"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := createBody(t, fmt.Sprintf("fr-%d", i))
			tc.mut(b)
			checkCase(t, c.do(http.MethodPost, epClient.path(), wrap(b)), tc)
		})
	}
}

func checkCase(t *testing.T, r apiResp, tc fieldCase) {
	t.Helper()
	if tc.code == "" {
		if r.Status != 200 || len(r.Errors) != 0 || r.Response == nil {
			t.Fatalf("want success, got %s", r.Raw)
		}
		return
	}
	wantError(t, r, tc.code, tc.msg)
}

func repeat(s string, n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestUpdateFieldRules(t *testing.T) {
	c := newClient(t, Options{})
	c.mustCreate(epClient, createBody(t, "upd"))
	cases := []fieldCase{
		{"valid", func(map[string]any) {}, "", ""},
		{"status absent", del("status"), "invalid_status", "request.status: invalid_status"},
		{"status lower-case", set("status", "active"), "invalid_status", ""},
		{"status other", set("status", "DELETED"), "invalid_status", ""},
		{"status INACTIVE", set("status", "INACTIVE"), "", ""},
		{"claims empty ok in v1.8", set("userClaims", []any{}), "", ""},
		{"claims absent", del("userClaims"), "invalid_claim", ""},
		{"name blank", set("clientName", ""), "invalid_client_name", ""},
		{"logo blank", set("logoUri", ""), "invalid_uri", ""},
		{"redirect bad", set("redirectUris", []any{"no-scheme"}), "invalid_redirect_uri", ""},
		{"acr empty", set("authContextRefs", []any{}), "invalid_acr", ""},
		{"grant absent", del("grantTypes"), "unsupported_grant_type", ""},
		{"auth absent", del("clientAuthMethods"), "invalid_client_auth", ""},
		{"lang key bad", set("clientNameLangMap", map[string]any{"xx": "a"}), "invalid_language_code", ""},
		{"config bad", set("additionalConfig", map[string]any{"purpose": map[string]any{"type": "shop"}}), "invalid_additional_config", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := updateBody()
			tc.mut(b)
			r := c.do(http.MethodPut, epClient.path()+"/upd", wrap(b))
			if tc.code == "" {
				wantOK(t, r, "upd", b["status"].(string))
				return
			}
			checkCase(t, r, tc)
		})
	}
	t.Run("unknown id", func(t *testing.T) {
		wantError(t, c.do(http.MethodPut, epClient.path()+"/nobody", wrap(updateBody())), "invalid_client_id", "invalid_client_id")
	})
	t.Run("violations win over unknown id", func(t *testing.T) {
		b := updateBody()
		b["status"] = "x"
		wantError(t, c.do(http.MethodPut, epClient.path()+"/nobody", wrap(b)), "invalid_status", "request.status: invalid_status")
	})
}

func TestPatchFieldRules(t *testing.T) {
	c := newClient(t, Options{})
	c.mustCreate(epClient, createBody(t, "pat"))
	_, encJWK := ecJWK(t, ellipticP256())
	cases := []fieldCase{
		{"empty patch", func(map[string]any) {}, "", ""},
		{"claims empty rejected", set("userClaims", []any{}), "invalid_claim", "request.userClaims: invalid_claim"},
		{"claims unknown", set("userClaims", []any{"x"}), "invalid_claim", "request.userClaims[0]: invalid_claim"},
		{"acr empty", set("authContextRefs", []any{}), "invalid_acr", ""},
		{"acr unknown", set("authContextRefs", []any{"x"}), "invalid_acr", ""},
		{"redirects empty", set("redirectUris", []any{}), "invalid_redirect_uri", ""},
		{"redirect blank", set("redirectUris", []any{""}), "invalid_redirect_uri", ""},
		{"grant empty", set("grantTypes", []any{}), "unsupported_grant_type", ""},
		{"grant bad", set("grantTypes", []any{"implicit"}), "unsupported_grant_type", ""},
		{"auth empty", set("clientAuthMethods", []any{}), "invalid_client_auth", ""},
		{"status bad", set("status", "inactive"), "invalid_status", ""},
		{"name 257", set("clientName", strings.Repeat("n", 257)), "invalid_client_name", ""},
		{"name blank allowed", set("clientName", " "), "", ""},
		{"logo empty allowed", set("logoUri", ""), "", ""},
		{"logo bad", set("logoUri", "nope"), "invalid_uri", ""},
		{"lang bad", set("clientNameLangMap", map[string]any{"eng": ""}), "invalid_client_name_value", ""},
		{"config bad", set("additionalConfig", map[string]any{"require_pkce": "yes"}), "invalid_additional_config", ""},
		{"enc key ok", set("encPublicKey", encJWK), "", ""},
		{"enc key empty", set("encPublicKey", map[string]any{}), "invalid_public_key", "invalid_public_key"},
		{"enc key bad", set("encPublicKey", map[string]any{"kty": "RSA", "n": "AQAB"}), "invalid_public_key", ""},
		{"enc key blank use", set("encPublicKey", withMember(encJWK, "use", "")), "invalid_public_key", ""},
		{"enc key non-string kty", set("encPublicKey", withMember(encJWK, "kty", 1)), "unknown_error", ""},
		{"unknown member", set("publicKey", encJWK), "unknown_error", ""},
		{"clientId not patchable", set("clientId", "x"), "unknown_error", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := map[string]any{}
			tc.mut(b)
			checkCase(t, c.do(http.MethodPatch, epClient.path()+"/pat", wrap(b)), tc)
		})
	}
	t.Run("unknown id", func(t *testing.T) {
		wantError(t, c.do(http.MethodPatch, epClient.path()+"/nobody", wrap(map[string]any{})), "invalid_client_id", "invalid_client_id")
	})
}

func withMember(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{}
	for kk, vv := range m {
		out[kk] = vv
	}
	out[k] = v
	return out
}
