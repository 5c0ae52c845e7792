package esignet

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

func discoveryDoc(issuer string) string {
	return fmt.Sprintf(`{"issuer":%q,"authorization_endpoint":"%[2]s/authorize",
		"token_endpoint":"%[2]s/v1/esignet/oauth/v2/token","userinfo_endpoint":"%[2]s/v1/esignet/oidc/userinfo",
		"jwks_uri":"%[2]s/.well-known/jwks.json","pushed_authorization_request_endpoint":"%[2]s/v1/esignet/oauth/par",
		"scopes_supported":["openid","profile"],"claims_supported":["name","email"],
		"acr_values_supported":["mosip:idp:acr:generated-code"],"token_endpoint_auth_methods_supported":["private_key_jwt"],
		"token_endpoint_auth_signing_alg_values_supported":["RS256","PS256","ES256"],"code_challenge_methods_supported":["S256"],
		"id_token_signing_alg_values_supported":["RS256","PS256"],"userinfo_signing_alg_values_supported":["RS256","PS256"],
		"claims_parameter_supported":true}`, issuer, "https://esignet.example.org")
}

// routes serves fixed answers per path; unknown paths get 404.
func routes(t *testing.T, m map[string]reply) (*httptest.Server, *[]string) {
	var hits []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits = append(hits, r.URL.Path)
		rp, ok := m[r.URL.Path]
		if !ok {
			rp = reply{Status: 404, Body: `{"title":"Not Found","status":404}`}
		}
		for k, v := range rp.Header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(rp.Status)
		fmt.Fprint(w, rp.Body)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestDiscover(t *testing.T) {
	const root, svc = "/.well-known/openid-configuration", "/v1/esignet/oidc/.well-known/openid-configuration"
	spa := reply{Status: 200, Header: map[string]string{"Content-Type": "text/html"}, Body: "<!doctype html><div id=root>"}
	tests := []struct {
		name       string
		routes     map[string]reply
		explicit   string // path on the server
		wantSource string
		wantIssuer string
		wantKind   Kind // KindNone = success
		wantErr    string
	}{
		{"v1.8 root", map[string]reply{root: {Status: 200, Body: discoveryDoc("https://esignet.example.org")}},
			"", root, "https://esignet.example.org", KindNone, ""},
		{"v1.6 issuer on service path, accepted", map[string]reply{root: {Status: 200, Body: discoveryDoc("https://esignet.example.org/v1/esignet")}},
			"", root, "https://esignet.example.org/v1/esignet", KindNone, ""},
		{"root 404, service path", map[string]reply{svc: {Status: 200, Body: discoveryDoc("https://x.example.org/v1/esignet")}},
			"", svc, "https://x.example.org/v1/esignet", KindNone, ""},
		{"root is the UI's catch-all page", map[string]reply{root: spa, svc: {Status: 200, Body: discoveryDoc("https://x")}},
			"", svc, "https://x", KindNone, ""},
		{"explicit URL only", map[string]reply{"/custom": {Status: 200, Body: discoveryDoc("https://c")},
			root: {Status: 200, Body: discoveryDoc("https://wrong")}}, "/custom", "/custom", "https://c", KindNone, ""},
		{"missing fields", map[string]reply{svc: {Status: 200, Body: `{"issuer":"https://x","token_endpoint":"/relative"}`}},
			"", "", "", KindTerminal, "missing or non-absolute authorization_endpoint, token_endpoint, jwks_uri"},
		{"one attempt transient", map[string]reply{svc: {Status: 503}}, "", "", "", KindTransient, "HTTP 503"},
		{"wrong JSON types", map[string]reply{root: {Status: 200, Body: `{"issuer":42}`}}, "/.well-known/openid-configuration", "", "", KindTerminal, "unexpected JSON types"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := routes(t, tt.routes)
			c := newTestClient(t, srv.URL, V1_8, NewStaticToken("never-sent"))
			explicit := ""
			if tt.explicit != "" {
				explicit = srv.URL + tt.explicit
			}
			d, err := c.Discover(context.Background(), explicit)
			if tt.wantKind != KindNone {
				if KindOf(err) != tt.wantKind || !strings.Contains(fmt.Sprint(err), tt.wantErr) {
					t.Fatalf("err = %v (kind %v), want kind %v containing %q", err, KindOf(err), tt.wantKind, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.SourceURL != srv.URL+tt.wantSource || d.Issuer != tt.wantIssuer {
				t.Errorf("source %q issuer %q; want %q %q", d.SourceURL, d.Issuer, srv.URL+tt.wantSource, tt.wantIssuer)
			}
			if len(d.TokenEndpointAuthSigningAlgValues) != 3 || d.JWKSURI == "" || d.Raw["claims_parameter_supported"] != true {
				t.Errorf("fields not decoded: %+v", d)
			}
		})
	}
}

func TestDiscoverSendsNoToken(t *testing.T) {
	rec := newRecorder(t, reply{Status: 200, Body: discoveryDoc("https://x")})
	c := newTestClient(t, rec.srv.URL, V1_8, NewStaticToken("secret-token"))
	if _, err := c.Discover(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	if h := rec.last().Header.Get("Authorization"); h != "" {
		t.Errorf("Authorization sent to a public endpoint: %q", h)
	}
}

func TestDiscoveryURLs(t *testing.T) {
	c, err := New(Config{BaseURL: "https://esignet.example.org/v1/esignet"})
	if err != nil {
		t.Fatal(err)
	}
	got := c.DiscoveryURLs()
	want := []string{"https://esignet.example.org/.well-known/openid-configuration",
		"https://esignet.example.org/v1/esignet/oidc/.well-known/openid-configuration"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("DiscoveryURLs = %v", got)
	}
}

func TestDiscoverRejectsHTTPOnHTTPSClient(t *testing.T) {
	c, err := New(Config{BaseURL: "https://esignet.example.org/v1/esignet"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Discover(context.Background(), "http://esignet.example.org/.well-known/openid-configuration")
	if KindOf(err) != KindTerminal {
		t.Errorf("err = %v", err)
	}
}

func TestFetchJWKS(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := json.Marshal(jose.JSONWebKey{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"})
	tests := []struct {
		name     string
		body     string
		wantKeys int
		wantKind Kind
	}{
		{"one good key", `{"keys":[` + string(good) + `]}`, 1, KindNone},
		{"odd entry skipped", `{"keys":[{"kty":"XYZ","kid":"odd"},` + string(good) + `]}`, 1, KindNone},
		{"no usable key", `{"keys":[{"kty":"XYZ"}]}`, 0, KindTerminal},
		{"not a set", `[1,2]`, 0, KindTerminal},
		{"html", `<html>`, 0, KindTransient},
	}
	for _, tt := range tests {
		rec := newRecorder(t, reply{Status: 200, Body: tt.body})
		c := newTestClient(t, rec.srv.URL, V1_8, nil)
		set, err := c.FetchJWKS(context.Background(), rec.srv.URL+"/.well-known/jwks.json")
		if KindOf(err) != tt.wantKind {
			t.Errorf("%s: err = %v (kind %v), want %v", tt.name, err, KindOf(err), tt.wantKind)
			continue
		}
		if err == nil && (len(set.Keys) != tt.wantKeys || set.Key("k1") == nil) {
			t.Errorf("%s: keys = %+v", tt.name, set.Keys)
		}
	}
}
