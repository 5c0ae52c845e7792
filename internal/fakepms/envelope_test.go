package fakepms

import (
	"net/http"
	"testing"
	"time"

	"github.com/openg2p/esignet-operator/internal/fakeesignet"
)

func TestEnvelopeStrictness(t *testing.T) {
	h := start(t, nil)
	v3, legacy := genV3.path(), genOAuth.path()
	with := func(g gen, f func(env map[string]any)) map[string]any {
		env := createBody(t, g)
		f(env)
		return env
	}
	cases := []struct {
		name   string
		path   string
		body   any
		mod    func(*http.Request)
		status int
		code   string
	}{
		{"wrong content type", v3, createBody(t, genV3), func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, 415, ""},
		{"not JSON", v3, []byte(`{"request":`), nil, 400, ""},
		{"requestTime without milliseconds", v3, with(genV3, func(e map[string]any) { e["requestTime"] = "2026-01-01T00:00:00Z" }), nil, 400, ""},
		{"requestTime as a number", v3, with(genV3, func(e map[string]any) { e["requestTime"] = 5 }), nil, 400, ""},
		{"unknown request member", v3, with(genV3, func(e map[string]any) { e["request"].(map[string]any)["policyID"] = "x" }), nil, 400, ""},
		{"additionalConfig on oauth", legacy, with(genOAuth, func(e map[string]any) { e["request"].(map[string]any)["additionalConfig"] = map[string]any{} }), nil, 400, ""},
		{"no request", v3, with(genV3, func(e map[string]any) { delete(e, "request") }), nil, 200, "PMS_COR_001"},
		{"blank name", v3, with(genV3, func(e map[string]any) { e["request"].(map[string]any)["name"] = " " }), nil, 200, "PMS_COR_001"},
		{"logo not a URL", legacy, with(genOAuth, func(e map[string]any) { e["request"].(map[string]any)["logoUri"] = "logo.png" }), nil, 200, "PMS_COR_001"},
		{"oauth without name map", legacy, with(genOAuth, func(e map[string]any) { delete(e["request"].(map[string]any), "clientNameLangMap") }), nil, 200, "PMS_COR_001"},
		{"six redirect URIs", v3, with(genV3, func(e map[string]any) {
			e["request"].(map[string]any)["redirectUris"] = []string{"https://a.org/1", "https://a.org/2", "https://a.org/3", "https://a.org/4", "https://a.org/5", "https://a.org/6"}
		}), nil, 200, "PMS_COR_001"},
		{"no id", v3, with(genV3, func(e map[string]any) { delete(e, "id") }), nil, 200, "PMS_REQUEST_ERROR_002"},
		{"wrong id", v3, with(genV3, func(e map[string]any) { e["id"] = idUpdate }), nil, 200, "PMS_REQUEST_ERROR_002"},
		{"lower-case requesttime on oidc-clients", v3, with(genV3, func(e map[string]any) { e["requesttime"] = e["requestTime"]; delete(e, "requestTime") }), nil, 200, "PMS_REQUEST_ERROR_004"},
		{"camel-case requestTime on oauth", legacy, with(genOAuth, func(e map[string]any) { e["requestTime"] = e["requesttime"]; delete(e, "requesttime") }), nil, 200, "PMS_REQUEST_ERROR_004"},
		{"yesterday", v3, with(genV3, func(e map[string]any) { e["requestTime"] = time.Now().UTC().Add(-24 * time.Hour).Format(utcLayout) }), nil, 200, "PMS_REQUEST_ERROR_006"},
		{"version 2.0", v3, with(genV3, func(e map[string]any) { e["version"] = "2.0" }), nil, 200, "PMS_REQUEST_ERROR_003"},
		{"name with a slash", v3, with(genV3, func(e map[string]any) { e["request"].(map[string]any)["name"] = "a/b" }), nil, 200, "PMS_REQUEST_ERROR_007"},
	}
	for _, c := range cases {
		a := h.send(http.MethodPost, c.path, c.body, c.mod)
		if a.status != c.status || a.code() != c.code {
			t.Errorf("%s: HTTP %d %q, want %d %q: %s", c.name, a.status, a.code(), c.status, c.code, a.raw)
		}
		if c.status == 400 && len(a.raw) != 0 {
			t.Errorf("%s: 400 with a body %s", c.name, a.raw)
		}
	}
	if n := len(h.pms.Clients()); n != 0 {
		t.Fatalf("%d clients created by refused requests", n)
	}
	a := h.send(http.MethodPost, v3, with(genV3, func(e map[string]any) { e["request"].(map[string]any)["name"] = " " }), nil)
	if a.message() != "Invalid request parameter - must not be blank :request.name" {
		t.Fatalf("violation message %q", a.message())
	}
	// The shapes: /oidc-clients answers ResponseWrapperV2 with the operation's id.
	ok := h.send(http.MethodPost, v3, createBody(t, genV3), nil)
	if ok.status != 200 || string(ok.body["id"]) != `"`+idCreate+`"` || ok.body["responseTime"] == nil || string(ok.body["errors"]) != "[]" {
		t.Fatalf("V2 answer %s", ok.raw)
	}
	old := h.send(http.MethodPost, legacy, createBody(t, genOAuth), nil)
	if old.status != 200 || old.body["responsetime"] == nil || string(old.body["errors"]) != "[]" {
		t.Fatalf("legacy answer %s", old.raw)
	}
	if a := h.send(http.MethodDelete, v3+"/"+clientIDOf(t, ok), nil, nil); a.status != 405 {
		t.Fatalf("DELETE: %d", a.status)
	}
	if a := h.send(http.MethodGet, v3+"/a.b", nil, nil); a.code() != "PMS_PRT_099" {
		t.Fatalf("bad path id: %s", a.raw)
	}
}

func TestCredentialsAndRoles(t *testing.T) {
	h := start(t, nil)
	other := fakeesignet.StartTest(t, fakeesignet.Options{})
	path := genV3.path()
	both := h.token
	cases := []struct {
		name   string
		mod    func(*http.Request)
		status int
	}{
		{"cookie only", func(r *http.Request) { r.Header.Del("Authorization") }, 401},
		{"bearer only", func(r *http.Request) { r.Header.Del("Cookie") }, 401},
		{"different tokens", func(r *http.Request) { r.Header.Set("Cookie", "Authorization="+h.tokenWith("AUTH_PARTNER")) }, 401},
		{"none", func(r *http.Request) { r.Header.Del("Cookie"); r.Header.Del("Authorization") }, 401},
		{"expired", func(r *http.Request) {
			tok := h.es.IssueRealmToken("x", nil, []string{"AUTH_PARTNER"}, -5*time.Minute)
			r.Header.Set("Authorization", "Bearer "+tok)
			r.Header.Set("Cookie", "Authorization="+tok)
		}, 401},
		{"another realm", func(r *http.Request) {
			tok := other.IssueRealmToken("x", nil, []string{"AUTH_PARTNER"}, time.Hour)
			r.Header.Set("Authorization", "Bearer "+tok)
			r.Header.Set("Cookie", "Authorization="+tok)
		}, 401},
		{"PARTNER_ADMIN cannot create on oidc-clients", func(r *http.Request) {
			tok := h.tokenWith("PARTNER_ADMIN")
			r.Header.Set("Authorization", "Bearer "+tok)
			r.Header.Set("Cookie", "Authorization="+tok)
		}, 403},
		{"both, equal", nil, 200},
	}
	for _, c := range cases {
		h.token = both
		a := h.send(http.MethodPost, path, createBody(t, genV3), c.mod)
		if a.status != c.status {
			t.Errorf("%s: %d %s", c.name, a.status, a.raw)
		}
		if c.status == 401 && a.code() != "KER-ATH-401" || c.status == 403 && a.code() != "KER-ATH-403" {
			t.Errorf("%s: code %q", c.name, a.code())
		}
	}
	// Legacy endpoints need a legacy role: AUTH_PARTNER alone is not one.
	h.token = h.tokenWith("AUTH_PARTNER")
	if a := h.send(http.MethodPost, genOIDC.path(), createBody(t, genOIDC), nil); a.status != 403 {
		t.Fatalf("legacy with AUTH_PARTNER: %d", a.status)
	}
	lenient := start(t, func(o *Options) { o.LenientCredentials = true })
	if a := lenient.send(http.MethodPost, path, createBody(t, genV3), func(r *http.Request) { r.Header.Del("Authorization") }); a.status != 200 || a.code() != "" {
		t.Fatalf("lenient cookie only: %d %s", a.status, a.raw)
	}
}
