package fakeesignet

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

var pmsClient = ManagementClient{ID: "mosip-pms-client", Secret: "s3cret", Scopes: []string{"add_oidc_client", "update_oidc_client", "get_certificate"}}

func realmToken(t *testing.T, s *Server, form url.Values, basic [2]string) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.ManagementTokenURL(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic[0] != "" {
		req.SetBasicAuth(url.QueryEscape(basic[0]), url.QueryEscape(basic[1]))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body, resp.Header
}

func TestRealmTokenEndpoint(t *testing.T) {
	s := StartTest(t, Options{ManagementClients: []ManagementClient{pmsClient}, ManagementTokenTTL: 90 * time.Second})
	cc := url.Values{"grant_type": {"client_credentials"}}
	tests := []struct {
		name   string
		form   url.Values
		basic  [2]string
		status int
		errStr string
		scope  string
	}{
		{"basic auth", cc, [2]string{pmsClient.ID, pmsClient.Secret}, 200, "", "add_oidc_client update_oidc_client get_certificate"},
		{"form auth", url.Values{"grant_type": {"client_credentials"}, "client_id": {pmsClient.ID}, "client_secret": {pmsClient.Secret}}, [2]string{}, 200, "", "add_oidc_client update_oidc_client get_certificate"},
		{"scope subset", url.Values{"grant_type": {"client_credentials"}, "scope": {"add_oidc_client openid"}}, [2]string{pmsClient.ID, pmsClient.Secret}, 200, "", "add_oidc_client"},
		{"wrong secret", cc, [2]string{pmsClient.ID, "nope"}, 401, "invalid_client", ""},
		{"unknown client", cc, [2]string{"who", "x"}, 401, "invalid_client", ""},
		{"no credentials", cc, [2]string{}, 401, "invalid_client", ""},
		{"password grant", url.Values{"grant_type": {"password"}}, [2]string{pmsClient.ID, pmsClient.Secret}, 400, "unsupported_grant_type", ""},
		{"missing grant", url.Values{}, [2]string{pmsClient.ID, pmsClient.Secret}, 400, "invalid_request", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, h := realmToken(t, s, tt.form, tt.basic)
			if status != tt.status || (tt.errStr != "" && body["error"] != tt.errStr) {
				t.Fatalf("%d %v", status, body)
			}
			if tt.status != 200 {
				return
			}
			if body["token_type"] != "Bearer" || body["expires_in"] != float64(90) || body["scope"] != tt.scope || h.Get("Cache-Control") != "no-store" {
				t.Fatalf("body %v", body)
			}
			claims, err := verifyOwnJWT(body["access_token"].(string), s.realmKey)
			if err != nil || claims["iss"] != s.URL()+"/realms/mosip" || claims["scope"] != tt.scope {
				t.Fatalf("token claims %v %v", claims, err)
			}
		})
	}
}

func TestManagementAuth(t *testing.T) {
	s := StartTest(t, Options{ManagementClients: []ManagementClient{pmsClient}})
	other := StartTest(t, Options{})
	c := &testClient{t: t, s: s}
	full := s.IssueManagementToken([]string{"add_oidc_client", "update_oidc_client"}, time.Hour)
	c.token = full
	c.mustCreate(epClient, createBody(t, "auth"))
	send := func(method, path, authz string, body any) apiResp {
		req, _ := http.NewRequest(method, s.URL()+path, strings.NewReader(mustJSON(body)))
		req.Header.Set("Content-Type", "application/json")
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		return c.send(req)
	}
	put := wrap(updateBody())
	tests := []struct {
		name, method, path, authz string
		body                      any
		status                    int
		challenge                 string // WWW-Authenticate error, "" = none
		code                      string // envelope error code for 200, "" = success
	}{
		{"no header", "POST", epClient.path(), "", wrap(createBody(t, "x1")), 200, "", "unknown_error"},
		{"basic scheme", "POST", epClient.path(), "Basic YTpi", wrap(createBody(t, "x2")), 200, "", "unknown_error"},
		{"malformed bearer", "POST", epClient.path(), "Bearer a b", wrap(createBody(t, "x3")), 401, "invalid_token", ""},
		{"garbage token", "POST", epClient.path(), "Bearer abc.def.ghi", wrap(createBody(t, "x4")), 401, "invalid_token", ""},
		{"expired token", "POST", epClient.path(), "Bearer " + s.IssueManagementToken([]string{"add_oidc_client"}, -2*time.Minute), wrap(createBody(t, "x5")), 401, "invalid_token", ""},
		{"token of another issuer", "POST", epClient.path(), "Bearer " + other.IssueManagementToken([]string{"add_oidc_client"}, time.Hour), wrap(createBody(t, "x6")), 401, "invalid_token", ""},
		{"POST without add scope", "POST", epClient.path(), "Bearer " + s.IssueManagementToken([]string{"update_oidc_client"}, time.Hour), wrap(createBody(t, "x7")), 403, "insufficient_scope", ""},
		{"PUT without update scope", "PUT", epClient.path() + "/auth", "Bearer " + s.IssueManagementToken([]string{"add_oidc_client"}, time.Hour), put, 403, "insufficient_scope", ""},
		{"POST with add scope", "POST", epClient.path(), "Bearer " + s.IssueManagementToken([]string{"add_oidc_client"}, time.Hour), wrap(createBody(t, "x8")), 200, "", ""},
		{"lower-case bearer", "PUT", epClient.path() + "/auth", "bearer " + full, put, 200, "", ""},
		{"PATCH needs no scope", "PATCH", epClient.path() + "/auth", "Bearer " + s.IssueManagementToken(nil, time.Hour), wrap(map[string]any{"status": "ACTIVE"}), 200, "", ""},
		{"unknown path still authenticated", "GET", clientMgmtPath + "/nope", "", nil, 200, "", "unknown_error"},
		{"auth before 405", "GET", epClient.path(), "Bearer x.y.z", nil, 401, "invalid_token", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(tt.method, tt.path, tt.authz, tt.body)
			if r.Status != tt.status {
				t.Fatalf("status %d %s", r.Status, r.Raw)
			}
			ch := r.Header.Get("WWW-Authenticate")
			if tt.challenge != "" && (!strings.HasPrefix(ch, `Bearer error="`+tt.challenge+`"`) || r.Raw != "") {
				t.Fatalf("challenge %q body %q", ch, r.Raw)
			}
			if tt.status == 200 && tt.code != "" {
				wantError(t, r, tt.code, "")
			}
			if tt.status == 200 && tt.code == "" && len(r.Errors) != 0 {
				t.Fatalf("errors %s", r.Raw)
			}
		})
	}
}

func TestRotateManagementKey(t *testing.T) {
	c := newClient(t, Options{})
	c.mustCreate(epClient, createBody(t, "r1"))
	c.s.RotateManagementKey()
	if r := c.create(epClient, createBody(t, "r2")); r.Status != 401 {
		t.Fatalf("old token accepted after rotation: %d", r.Status)
	}
	c.token = c.s.IssueManagementToken([]string{"add_oidc_client"}, time.Minute)
	c.mustCreate(epClient, createBody(t, "r2"))
}

func TestAuthDisabled(t *testing.T) {
	c := newClient(t, Options{AuthDisabled: true})
	c.token = ""
	c.mustCreate(epClient, createBody(t, "open"))
	c.token = "not-a-jwt" // ignored: the resource server is not configured
	c.mustCreate(epClient, createBody(t, "open2"))
}
