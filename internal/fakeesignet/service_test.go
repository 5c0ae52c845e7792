package fakeesignet

import (
	"net/http"
	"strings"
	"testing"
)

func TestCreateStorage(t *testing.T) {
	c := newClient(t, Options{})
	v1 := createBody(t, "v1")
	v1["authContextRefs"] = []any{"mosip:idp:acr:password", nil}
	c.mustCreate(epOIDCClient, v1)
	rec, _ := c.s.Client("v1")
	if rec.ClientName != "Demo RP" || rec.ClientNameLangMap != nil || rec.CreatedVia != epOIDCClient.path() || rec.Status != "ACTIVE" {
		t.Fatalf("V1 record %+v", rec)
	}
	if len(rec.AuthContextRefs) != 1 {
		t.Fatalf("null element not dropped: %v", rec.AuthContextRefs)
	}
	v3 := createBody(t, "v3")
	v3["clientNameLangMap"] = map[string]any{"eng": "English", "@none": "sent", "fra": "Français"}
	r := c.create(epClient, v3)
	wantError(t, r, "invalid_language_code", "") // "@none" is not a language
	delete(v3["clientNameLangMap"].(map[string]any), "@none")
	c.mustCreate(epClient, v3)
	rec, _ = c.s.Client("v3")
	want := map[string]string{"eng": "English", "fra": "Français", "@none": "Demo RP"}
	if len(rec.ClientNameLangMap) != 3 || rec.ClientNameLangMap["@none"] != "Demo RP" || rec.ClientNameLangMap["fra"] != want["fra"] {
		t.Fatalf("name map %v", rec.ClientNameLangMap)
	}
	if string(rec.AdditionalConfig) != `{"userinfo_response_type":"JWS"}` || rec.PublicKeyHash == "" {
		t.Fatalf("record %+v", rec)
	}
}

func TestDuplicateIDAndCheckOrder(t *testing.T) {
	c := newClient(t, Options{})
	c.mustCreate(epClient, createBody(t, "dup"))
	patch := c.do(http.MethodPatch, epClient.path()+"/dup", wrap(map[string]any{"status": "INACTIVE"}))
	wantOK(t, patch, "dup", "INACTIVE")

	again := createBody(t, "dup")
	again["publicKey"] = map[string]any{"kty": "oct"}
	wantError(t, c.create(epClient, again), "duplicate_client_id", "duplicate_client_id") // id checked before the JWK

	bad := createBody(t, "dup")
	bad["logoUri"] = ""
	wantError(t, c.create(epClient, bad), "invalid_uri", "request.logoUri: invalid_uri") // bean validation first

	rec, _ := c.s.Client("dup")
	reuse := createBody(t, "other")
	reuse["publicKey"] = rec.PublicKey
	wantError(t, c.create(epClient, reuse), "duplicate_public_key", "") // INACTIVE keys still count
}

func TestPutReplacesAndClearsConfig(t *testing.T) {
	c := newClient(t, Options{})
	c.mustCreate(epClient, createBody(t, "put"))
	b := updateBody()
	delete(b, "additionalConfig")
	delete(b, "clientNameLangMap")
	wantOK(t, c.do(http.MethodPut, epClient.path()+"/put", wrap(b)), "put", "ACTIVE")
	rec, _ := c.s.Client("put")
	if rec.AdditionalConfig != nil {
		t.Fatalf("additionalConfig not cleared: %s", rec.AdditionalConfig)
	}
	if len(rec.ClientNameLangMap) != 1 || rec.ClientNameLangMap["@none"] != "Demo RP 2" {
		t.Fatalf("name map %v", rec.ClientNameLangMap)
	}
	if rec.LogoURI != "https://rp.example.org/logo2.png" || rec.UserClaims[0] != "name" || rec.UpdatedAt.IsZero() {
		t.Fatalf("record %+v", rec)
	}
	b["status"] = "INACTIVE"
	wantOK(t, c.do(http.MethodPut, epClient.path()+"/put", wrap(b)), "put", "INACTIVE")
	b["status"] = "ACTIVE"
	wantOK(t, c.do(http.MethodPut, epClient.path()+"/put", wrap(b)), "put", "ACTIVE")

	wantOK(t, c.do(http.MethodPut, epClient.path()+"/put", wrap(updateBody())), "put", "ACTIVE")
	wantOK(t, c.do(http.MethodPut, epOAuthClient.path()+"/put", wrap(withoutKey(updateBody(), "additionalConfig"))), "put", "ACTIVE")
	if rec, _ = c.s.Client("put"); string(rec.AdditionalConfig) != `{"signup_banner_required":true}` {
		t.Fatalf("V2 PUT must not touch additionalConfig: %s", rec.AdditionalConfig)
	}
	v1 := withoutKey(withoutKey(updateBody(), "additionalConfig"), "clientNameLangMap")
	wantOK(t, c.do(http.MethodPut, epOIDCClient.path()+"/put", wrap(v1)), "put", "ACTIVE")
	if rec, _ = c.s.Client("put"); rec.ClientNameLangMap != nil || rec.ClientName != "Demo RP 2" {
		t.Fatalf("V1 PUT stores a plain name: %+v", rec)
	}
}

func TestPatchMerges(t *testing.T) {
	c := newClient(t, Options{})
	c.mustCreate(epClient, createBody(t, "pm"))
	r := c.do(http.MethodPatch, epClient.path()+"/pm", wrap(map[string]any{
		"clientNameLangMap": map[string]any{"hin": "डेमो"}, "redirectUris": []any{"https://new.example.org/cb"},
		"additionalConfig": map[string]any{"require_pkce": true},
	}))
	wantOK(t, r, "pm", "ACTIVE")
	rec, _ := c.s.Client("pm")
	if rec.ClientNameLangMap["hin"] != "डेमो" || rec.ClientNameLangMap["@none"] != "Demo RP" || rec.ClientNameLangMap["eng"] != "" {
		t.Fatalf("name merge %v", rec.ClientNameLangMap)
	}
	if rec.LogoURI != "https://rp.example.org/logo.png" || len(rec.UserClaims) != 2 || rec.RedirectURIs[0] != "https://new.example.org/cb" {
		t.Fatalf("untouched fields changed: %+v", rec)
	}
	if string(rec.AdditionalConfig) != `{"require_pkce":true}` {
		t.Fatalf("config replaced wholesale: %s", rec.AdditionalConfig)
	}
	wantOK(t, c.do(http.MethodPatch, epClient.path()+"/pm", wrap(map[string]any{"clientName": "Renamed"})), "pm", "ACTIVE")
	if rec, _ = c.s.Client("pm"); rec.ClientNameLangMap["hin"] != "डेमो" || rec.ClientName != "Renamed" {
		t.Fatalf("rename %v", rec.ClientNameLangMap)
	}
	wantOK(t, c.do(http.MethodPatch, epClient.path()+"/pm", wrap(map[string]any{"additionalConfig": nil})), "pm", "ACTIVE")
	if rec, _ = c.s.Client("pm"); rec.AdditionalConfig != nil {
		t.Fatalf("explicit null must clear: %s", rec.AdditionalConfig)
	}
	enc := withMember(fakeRSAJWK(t), "use", "enc")
	wantOK(t, c.do(http.MethodPatch, epClient.path()+"/pm", wrap(map[string]any{"encPublicKey": enc})), "pm", "ACTIVE")
	if rec, _ = c.s.Client("pm"); !strings.Contains(string(rec.EncPublicKey), `"use":"enc"`) {
		t.Fatalf("enc key %s", rec.EncPublicKey)
	}
	c.mustCreate(epClient, createBody(t, "pm2"))
	wantOK(t, c.do(http.MethodPatch, epClient.path()+"/pm2", wrap(map[string]any{"encPublicKey": enc})), "pm2", "ACTIVE") // no uniqueness
}

func TestPatchNameOfV1Client(t *testing.T) {
	c := newClient(t, Options{})
	c.mustCreate(epOIDCClient, createBody(t, "plain"))
	wantOK(t, c.do(http.MethodPatch, epClient.path()+"/plain", wrap(map[string]any{"clientNameLangMap": map[string]any{"eng": "E"}})), "plain", "ACTIVE")
	rec, _ := c.s.Client("plain")
	if rec.ClientNameLangMap["@none"] != "" || rec.ClientNameLangMap["eng"] != "E" {
		t.Fatalf("a plain name is not a map, so @none falls back to \"\": %v", rec.ClientNameLangMap)
	}
}

func TestColumnLimits(t *testing.T) {
	bigKey := withMember(fakeRSAJWK(t), "x-note", strings.Repeat("n", 700)) // stored JWK > 1024 chars
	for _, tt := range []struct {
		gen  string
		ep   endpoint
		code string
	}{
		{"v1.8", epClient, "duplicate_public_key"},
		{"v1.8", epOIDCClient, "duplicate_public_key"},
		{"v1.8", epOAuthClient, "unknown_error"},
		{"v1.6", epClient, "unknown_error"},
	} {
		t.Run(tt.gen+tt.ep.path(), func(t *testing.T) {
			c := newClient(t, Options{Generation: tt.gen})
			b := createBody(t, "long")
			b["publicKey"] = bigKey
			wantError(t, c.create(tt.ep, b), tt.code, "")
		})
	}
	t.Run("PUT redirect_uris column", func(t *testing.T) {
		c := newClient(t, Options{})
		c.mustCreate(epClient, createBody(t, "long"))
		// Five 380-char URIs fit in 2048 as text but not once json-simple escapes each "/" as "\/".
		uri := "https://rp.example.org/" + strings.Repeat("a/", 178)
		b := updateBody()
		b["redirectUris"] = repeat(uri, 5)
		r := c.do(http.MethodPut, epClient.path()+"/long", wrap(b))
		wantError(t, r, "unknown_error", "")
		if !strings.Contains(r.Errors[0].ErrorMessage, "character varying(2048)") {
			t.Fatalf("message %q", r.Errors[0].ErrorMessage)
		}
	})
}

func TestPathIDs(t *testing.T) {
	c := newClient(t, Options{})
	c.mustCreate(epClient, createBody(t, "client-id-#12c"))
	wantOK(t, c.do(http.MethodPut, epClient.path()+"/client-id-%2312c", wrap(updateBody())), "client-id-#12c", "ACTIVE")
	c.mustCreate(epClient, createBody(t, "a/b"))
	for _, p := range []string{"/a%2Fb", "/a%2fb", "/x%25y", "/x;y", "/x%3By"} {
		if r := c.do(http.MethodPut, epClient.path()+p, wrap(updateBody())); r.Status != http.StatusBadRequest {
			t.Errorf("%s: %d %s", p, r.Status, r.Raw)
		}
	}
	if r := c.do(http.MethodPut, epClient.path()+"/", wrap(updateBody())); r.Status != 404 {
		t.Errorf("empty id: %d", r.Status)
	}
}

func withoutKey(m map[string]any, k string) map[string]any {
	delete(m, k)
	return m
}
