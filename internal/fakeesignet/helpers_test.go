package fakeesignet

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"
)

var b64 = base64.RawURLEncoding

// fakeRSAJWK returns a unique RSA public JWK without generating a private
// key: client management only parses n and e.
func fakeRSAJWK(t testing.TB) map[string]any {
	t.Helper()
	n := make([]byte, 256)
	if _, err := rand.Read(n); err != nil {
		t.Fatal(err)
	}
	n[0] |= 0x80
	n[255] |= 1
	return map[string]any{"kty": "RSA", "n": b64.EncodeToString(n), "e": "AQAB", "alg": "RS256", "use": "sig"}
}

func rsaJWK(pub *rsa.PublicKey, kid string) map[string]any {
	return map[string]any{"kty": "RSA", "n": b64.EncodeToString(pub.N.Bytes()),
		"e": b64.EncodeToString(big.NewInt(int64(pub.E)).Bytes()), "kid": kid, "use": "sig"}
}

func ecJWK(t testing.TB, curve elliptic.Curve) (*ecdsa.PrivateKey, map[string]any) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	size := (curve.Params().BitSize + 7) / 8
	return priv, map[string]any{"kty": "EC", "crv": curve.Params().Name,
		"x": b64.EncodeToString(priv.X.FillBytes(make([]byte, size))),
		"y": b64.EncodeToString(priv.Y.FillBytes(make([]byte, size)))}
}

func nowTime() string { return time.Now().UTC().Format(utcLayout) }

// createBody is a valid V3 create request; V1/V2 drop the extra members.
func createBody(t testing.TB, id string) map[string]any {
	return map[string]any{
		"clientId": id, "clientName": "Demo RP", "publicKey": fakeRSAJWK(t),
		"relyingPartyId": "rp-1", "userClaims": []any{"name", "email"},
		"authContextRefs": []any{"mosip:idp:acr:generated-code"}, "logoUri": "https://rp.example.org/logo.png",
		"redirectUris": []any{"https://rp.example.org/callback", "http://localhost:3000/**"},
		"grantTypes":   []any{"authorization_code"}, "clientAuthMethods": []any{"private_key_jwt"},
		"clientNameLangMap": map[string]any{"eng": "Demo RP"},
		"additionalConfig":  map[string]any{"userinfo_response_type": "JWS"},
	}
}

func forEndpoint(body map[string]any, ep endpoint) map[string]any {
	if ep != epClient {
		delete(body, "additionalConfig")
	}
	if ep == epOIDCClient {
		delete(body, "clientNameLangMap")
	}
	return body
}

// updateBody is a valid V3 PUT request.
func updateBody() map[string]any {
	return map[string]any{
		"logoUri": "https://rp.example.org/logo2.png", "redirectUris": []any{"https://rp.example.org/cb2"},
		"userClaims": []any{"name"}, "authContextRefs": []any{"mosip:idp:acr:password"},
		"status": "ACTIVE", "grantTypes": []any{"authorization_code"}, "clientName": "Demo RP 2",
		"clientAuthMethods": []any{"private_key_jwt"}, "clientNameLangMap": map[string]any{"fra": "RP démo"},
		"additionalConfig": map[string]any{"signup_banner_required": true},
	}
}

func wrap(req any) map[string]any { return map[string]any{"requestTime": nowTime(), "request": req} }

// apiResp is a decoded response envelope.
type apiResp struct {
	Status       int
	Header       http.Header
	Raw          string
	ResponseTime string          `json:"responseTime"`
	Response     *clientResponse `json:"response"`
	Errors       []apiError      `json:"errors"`
}

func (r apiResp) codes() []string {
	var out []string
	for _, e := range r.Errors {
		out = append(out, e.ErrorCode)
	}
	return out
}

// testClient talks to a fake over real HTTP with a full-scope token.
type testClient struct {
	t     testing.TB
	s     *Server
	token string
}

func newClient(t testing.TB, opts Options) *testClient {
	s := StartTest(t, opts)
	return &testClient{t: t, s: s, token: s.IssueManagementToken([]string{"add_oidc_client", "update_oidc_client"}, time.Hour)}
}

func (c *testClient) do(method, path string, body any) apiResp {
	c.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			c.t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, c.s.URL()+path, bytes.NewReader(raw))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return c.send(req)
}

func (c *testClient) send(req *http.Request) apiResp {
	c.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	out := apiResp{Status: resp.StatusCode, Header: resp.Header, Raw: string(data)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(data, &out); err != nil {
			c.t.Fatalf("decode %s: %v", data, err)
		}
	}
	return out
}

func (c *testClient) create(ep endpoint, body map[string]any) apiResp {
	c.t.Helper()
	return c.do(http.MethodPost, ep.path(), wrap(forEndpoint(body, ep)))
}

// mustCreate registers a client and fails the test on any error.
func (c *testClient) mustCreate(ep endpoint, body map[string]any) {
	c.t.Helper()
	if r := c.create(ep, body); r.Status != 200 || len(r.Errors) != 0 {
		c.t.Fatalf("create: %d %s", r.Status, r.Raw)
	}
}

// wantError asserts a 200 envelope whose first error has the code (and,
// when msg is set, that message).
func wantError(t testing.TB, r apiResp, code, msg string) {
	t.Helper()
	if r.Status != 200 || len(r.Errors) == 0 || r.Response != nil {
		t.Fatalf("want error %s, got %d %s", code, r.Status, r.Raw)
	}
	if r.Errors[0].ErrorCode != code || (msg != "" && r.Errors[0].ErrorMessage != msg) {
		t.Fatalf("want %s (%q), got %s", code, msg, r.Raw)
	}
}

func wantOK(t testing.TB, r apiResp, id, status string) {
	t.Helper()
	if r.Status != 200 || len(r.Errors) != 0 || r.Response == nil || r.Response.ClientID != id || r.Response.Status != status {
		t.Fatalf("want success %s/%s, got %d %s", id, status, r.Status, r.Raw)
	}
}

func ellipticP256() elliptic.Curve { return elliptic.P256() }

func getJSON(t testing.TB, url string) map[string]any {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return out
}
