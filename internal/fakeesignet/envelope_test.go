package fakeesignet

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestRequestTime(t *testing.T) {
	fixed := time.Date(2026, 1, 31, 10, 15, 30, 0, time.UTC)
	c := newClient(t, Options{Now: func() time.Time { return fixed }})
	c.token = c.s.IssueManagementToken([]string{"add_oidc_client"}, time.Hour)
	tests := []struct {
		name string
		rt   any // nil = member absent
		ok   bool
	}{
		{"exact millis", "2026-01-31T10:15:30.000Z", true},
		{"just inside past leeway", "2026-01-31T10:13:30.001Z", true},
		{"just inside future leeway", "2026-01-31T10:17:29.999Z", true},
		{"past leeway boundary is outside", "2026-01-31T10:13:30.000Z", false},
		{"future leeway boundary is outside", "2026-01-31T10:17:30.000Z", false},
		{"three minutes old", "2026-01-31T10:12:30.000Z", false},
		{"no millis", "2026-01-31T10:15:30Z", false},
		{"micros", "2026-01-31T10:15:30.000000Z", false},
		{"offset instead of Z", "2026-01-31T10:15:30.000+00:00", false},
		{"lower-case z", "2026-01-31T10:15:30.000z", false},
		{"single-digit hour", "2026-01-31T1:15:30.000Z", false},
		{"blank", "  ", false},
		{"null", nil, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := map[string]any{"requestTime": tt.rt, "request": createBody(t, "rt-"+string(rune('a'+i)))}
			r := c.do(http.MethodPost, epClient.path(), body)
			if tt.ok {
				wantOK(t, r, "rt-"+string(rune('a'+i)), "ACTIVE")
				return
			}
			wantError(t, r, "invalid_request", "requestTime: invalid_request")
		})
	}
	t.Run("absent", func(t *testing.T) {
		r := c.do(http.MethodPost, epClient.path(), map[string]any{"request": createBody(t, "rt-absent")})
		wantError(t, r, "invalid_request", "requestTime: invalid_request")
	})
}

func TestRequestMemberNull(t *testing.T) {
	c := newClient(t, Options{})
	for name, body := range map[string]any{
		"null":   map[string]any{"requestTime": nowTime(), "request": nil},
		"absent": map[string]any{"requestTime": nowTime()},
	} {
		t.Run(name, func(t *testing.T) {
			wantError(t, c.do(http.MethodPost, epClient.path(), body), "invalid_request", "request: invalid_request")
		})
	}
	t.Run("both envelope errors reported", func(t *testing.T) {
		r := c.do(http.MethodPost, epClient.path(), map[string]any{"requestTime": "x"})
		if got := strings.Join(r.codes(), ","); got != "invalid_request,invalid_request" {
			t.Fatalf("got %s", r.Raw)
		}
	})
}

func TestUnreadableBodies(t *testing.T) {
	c := newClient(t, Options{})
	create := func(mut func(m map[string]any)) any {
		b := createBody(t, "u1")
		mut(b)
		return wrap(b)
	}
	update := func(mut func(m map[string]any)) any {
		b := updateBody()
		mut(b)
		return wrap(b)
	}
	tests := []struct {
		name, method, path string
		body               any
		msgPart            string
	}{
		{"unknown top-level member", "POST", epClient.path(), map[string]any{"requestTime": nowTime(), "request": createBody(t, "u1"), "id": "x"}, `Unrecognized field "id"`},
		{"status on create", "POST", epClient.path(), create(func(m map[string]any) { m["status"] = "ACTIVE" }), `"status"`},
		{"wrong-case member", "POST", epClient.path(), create(func(m map[string]any) { m["ClientId"] = m["clientId"]; delete(m, "clientId") }), `"ClientId"`},
		{"langMap on oidc-client", "POST", epOIDCClient.path(), create(func(m map[string]any) { delete(m, "additionalConfig") }), `"clientNameLangMap"`},
		{"additionalConfig on oauth-client", "POST", epOAuthClient.path(), create(func(m map[string]any) {}), `"additionalConfig"`},
		{"publicKey on PUT", "PUT", epClient.path() + "/u1", update(func(m map[string]any) { m["publicKey"] = fakeRSAJWK(t) }), `"publicKey"`},
		{"relyingPartyId on PUT", "PUT", epClient.path() + "/u1", update(func(m map[string]any) { m["relyingPartyId"] = "x" }), `"relyingPartyId"`},
		{"encPublicKey on PUT", "PUT", epClient.path() + "/u1", update(func(m map[string]any) { m["encPublicKey"] = fakeRSAJWK(t) }), `"encPublicKey"`},
		{"clientId number", "POST", epClient.path(), create(func(m map[string]any) { m["clientId"] = 42 }), "java.lang.String"},
		{"redirectUris string", "POST", epClient.path(), create(func(m map[string]any) { m["redirectUris"] = "https://a.example.org/cb" }), "ArrayList"},
		{"publicKey string", "POST", epClient.path(), create(func(m map[string]any) { m["publicKey"] = "abc" }), "LinkedHashMap"},
		{"langMap value number", "POST", epClient.path(), create(func(m map[string]any) { m["clientNameLangMap"] = map[string]any{"eng": 5} }), "java.lang.String"},
		{"request is an array", "POST", epClient.path(), map[string]any{"requestTime": nowTime(), "request": []any{}}, "Array value"},
		{"requestTime number", "POST", epClient.path(), map[string]any{"requestTime": 5, "request": createBody(t, "u1")}, "Number value"},
		{"malformed JSON", "POST", epClient.path(), `{"requestTime": `, "JSON parse error"},
		{"empty body", "POST", epClient.path(), "", "Required request body is missing"},
		{"JSON null body", "POST", epClient.path(), "null", "Required request body is missing"},
		{"top-level array", "POST", epClient.path(), "[]", "JSON parse error"},
		{"invalid UTF-8", "POST", epClient.path(), []byte("{\"requestTime\":\"\xff\"}"), "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do(tt.method, tt.path, tt.body)
			wantError(t, r, "unknown_error", "")
			if !strings.Contains(r.Errors[0].ErrorMessage, tt.msgPart) || len(r.Errors) != 1 {
				t.Fatalf("message %q lacks %q", r.Errors[0].ErrorMessage, tt.msgPart)
			}
		})
	}
}

func TestTrailingContentIgnored(t *testing.T) {
	c := newClient(t, Options{})
	body := `{"requestTime":"` + nowTime() + `","request":` + mustJSON(createBody(t, "trail")) + `} trailing`
	wantOK(t, c.do(http.MethodPost, epClient.path(), body), "trail", "ACTIVE")
}

func TestSuccessEnvelopeShape(t *testing.T) {
	c := newClient(t, Options{})
	r := c.create(epClient, createBody(t, "shape"))
	wantOK(t, r, "shape", "ACTIVE")
	if !regexp.MustCompile(`^\{"responseTime":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","response":\{"clientId":"shape","status":"ACTIVE"\},"errors":\[\]\}\n$`).MatchString(r.Raw) {
		t.Fatalf("envelope %q", r.Raw)
	}
	bad := c.create(epClient, createBody(t, "shape"))
	if !strings.Contains(bad.Raw, `"response":null`) || !strings.Contains(bad.Raw, `"errors":[{"errorCode":"duplicate_client_id","errorMessage":"duplicate_client_id"}]`) {
		t.Fatalf("error envelope %q", bad.Raw)
	}
}

func TestMediaTypes(t *testing.T) {
	c := newClient(t, Options{})
	n := 0
	send := func(ct, accept string) apiResp {
		n++
		id := "mt-" + strings.Repeat("x", n)
		req, _ := http.NewRequest(http.MethodPost, c.s.URL()+epClient.path(), strings.NewReader(mustJSON(wrap(createBody(t, id)))))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		req.Header.Set("Authorization", "Bearer "+c.token)
		return c.send(req)
	}
	for _, ct := range []string{"text/plain", "", "application/x-www-form-urlencoded", "application/merge-patch+json"} {
		r := send(ct, "")
		if r.Status != http.StatusUnsupportedMediaType || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") ||
			!strings.Contains(r.Raw, `"status":415`) || !strings.Contains(r.Raw, `"instance":"/v1/esignet/client-mgmt/client"`) {
			t.Errorf("Content-Type %q: %d %s", ct, r.Status, r.Raw)
		}
	}
	if r := send("Application/JSON; charset=UTF-8", "application/json, text/plain"); r.Status != 200 || len(r.Errors) != 0 {
		t.Errorf("json with charset: %s", r.Raw)
	}
	wantError(t, send("application/json", "text/html"), "invalid_request", "")
}

func TestMultipleViolationsReportedTogether(t *testing.T) {
	c := newClient(t, Options{})
	b := createBody(t, "bad id")
	b["logoUri"] = "notaurl"
	b["redirectUris"] = []any{"https://ok.example.org/cb", "https://*.example.org/cb"}
	b["userClaims"] = []any{"name", "shoe_size"}
	r := c.do(http.MethodPost, epClient.path(), map[string]any{"requestTime": "yesterday", "request": b})
	want := map[string]bool{
		"requestTime: invalid_request":                  true,
		"request.clientId: invalid_client_id":           true,
		"request.logoUri: invalid_uri":                  true,
		"request.redirectUris[1]: invalid_redirect_uri": true,
		"request.userClaims[1]: invalid_claim":          true,
	}
	if len(r.Errors) != len(want) {
		t.Fatalf("got %s", r.Raw)
	}
	for _, e := range r.Errors {
		if !want[e.ErrorMessage] {
			t.Errorf("unexpected %q", e.ErrorMessage)
		}
	}
	if _, ok := c.s.Client("bad id"); ok {
		t.Fatal("invalid client stored")
	}
}

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	c := newClient(t, Options{})
	r := c.do(http.MethodPost, clientMgmtPath+"/clients", wrap(createBody(t, "x")))
	if r.Status != 404 || !strings.Contains(r.Raw, `"status":404`) || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("404: %d %s", r.Status, r.Raw)
	}
	r = c.do(http.MethodGet, epClient.path(), nil)
	if r.Status != 405 || r.Header.Get("Allow") != "POST" || !strings.Contains(r.Raw, `"status":405`) {
		t.Fatalf("405: %d %v %s", r.Status, r.Header, r.Raw)
	}
	r = c.do(http.MethodDelete, epClient.path()+"/x", nil)
	if r.Status != 405 || r.Header.Get("Allow") != "PATCH, PUT" {
		t.Fatalf("DELETE: %d %v", r.Status, r.Header.Get("Allow"))
	}
	if r = c.do(http.MethodGet, "/nope", nil); r.Status != 404 {
		t.Fatalf("root 404: %d", r.Status)
	}
}
