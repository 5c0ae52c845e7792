package esignet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// discoveryWith returns a valid discovery document with member set to value.
func discoveryWith(t *testing.T, member string, value any) string {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(discoveryDoc("https://esignet.example.org")), &doc); err != nil {
		t.Fatal(err)
	}
	doc[member] = value
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func repeatList(n int, f func(i int) string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

// TestDiscoveryListCaps: a provider's discovery lists are copied into its
// status; more than 200 entries, or an entry longer than 256 bytes, makes
// the document invalid, and the error names field and limit, not values.
func TestDiscoveryListCaps(t *testing.T) {
	lists := []string{"claims_supported", "acr_values_supported", "scopes_supported",
		"token_endpoint_auth_methods_supported", "token_endpoint_auth_signing_alg_values_supported",
		"code_challenge_methods_supported", "id_token_signing_alg_values_supported",
		"userinfo_signing_alg_values_supported"}
	for _, member := range lists {
		tests := []struct {
			name    string
			values  []string
			wantErr string // "" = accepted
		}{
			{"200 entries of 256 bytes", repeatList(200, func(i int) string { return fmt.Sprintf("%0256d", i) }), ""},
			{"201 entries", repeatList(201, func(i int) string { return fmt.Sprintf("v%d", i) }), member + " has more than 200 entries"},
			// 60k entries still fit into the 256 KiB body cap.
			{"60k tiny entries", repeatList(60_000, func(int) string { return "c" }), member + " has more than 200 entries"},
			{"one entry of 257 bytes", []string{"ok", strings.Repeat("Z", 257)}, member + " has an entry longer than 256 bytes"},
		}
		for _, tt := range tests {
			t.Run(member+"/"+tt.name, func(t *testing.T) {
				rec := newRecorder(t, reply{Status: 200, Body: discoveryWith(t, member, tt.values)})
				c := newTestClient(t, rec.srv.URL, V1_8, nil)
				d, err := c.Discover(context.Background(), rec.srv.URL+"/.well-known/openid-configuration")
				if tt.wantErr == "" {
					if err != nil {
						t.Fatalf("rejected: %v", err)
					}
					return
				}
				var ide *InvalidDocumentError
				if err == nil {
					t.Fatalf("accepted a document whose %s has %d entries (%d bytes status copy)", member, len(tt.values), len(strings.Join(tt.values, "")))
				}
				if !errors.As(err, &ide) || !strings.Contains(err.Error(), tt.wantErr) || KindOf(err) != KindTerminal {
					t.Fatalf("err = %v, want InvalidDocumentError %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "ZZZZ") || strings.Contains(err.Error(), "v200") {
					t.Errorf("error quotes the values: %.300s", err)
				}
				_ = d
			})
		}
	}
}

// TestDiscoveryDocumentCaps: the endpoints are copied into status too, and
// Raw holds the whole document.
func TestDiscoveryDocumentCaps(t *testing.T) {
	many := make(map[string]any)
	for i := range 6000 {
		many[fmt.Sprintf("x%d", i)] = 1
	}
	tests := []struct {
		name, member string
		value        any
		wantErr      string
	}{
		{"long issuer", "issuer", "https://esignet.example.org/" + strings.Repeat("a", 3000), "issuer is longer than 2048 bytes"},
		{"long userinfo endpoint", "userinfo_endpoint", "https://esignet.example.org/" + strings.Repeat("a", 3000), "userinfo_endpoint is longer than 2048 bytes"},
		{"huge unknown member", "x_vendor", many, "more than 5000 JSON values"},
		{"deep nesting", "x_vendor", deepJSON(100), "nested deeper than 32 levels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, reply{Status: 200, Body: discoveryWith(t, tt.member, tt.value)})
			c := newTestClient(t, rec.srv.URL, V1_8, nil)
			_, err := c.Discover(context.Background(), rec.srv.URL+"/.well-known/openid-configuration")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || KindOf(err) != KindTerminal {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func deepJSON(depth int) any {
	var v any = "leaf"
	for range depth {
		v = []any{v}
	}
	return v
}

// TestMetadataBodyCap: discovery and JWKS answers are capped at 256 KiB.
func TestMetadataBodyCap(t *testing.T) {
	pad := strings.Repeat(" ", 256<<10)
	for _, tt := range []struct {
		name string
		body string
		call func(c *Client, url string) error
	}{
		{"discovery", discoveryDoc("https://x") + pad, func(c *Client, url string) error {
			_, err := c.Discover(context.Background(), url)
			return err
		}},
		{"jwks", `{"keys":[` + sampleJWK + `]}` + pad, func(c *Client, url string) error {
			_, err := c.FetchJWKS(context.Background(), url)
			return err
		}},
	} {
		rec := newRecorder(t, reply{Status: 200, Body: tt.body})
		c := newTestClient(t, rec.srv.URL, V1_8, nil)
		err := tt.call(c, rec.srv.URL+"/doc")
		if err == nil || !strings.Contains(err.Error(), "exceeds 262144 bytes") {
			t.Errorf("%s: %d-byte body: err = %v", tt.name, len(tt.body), err)
		}
	}
}

// TestJWKSKeyCap: at most 50 keys.
func TestJWKSKeyCap(t *testing.T) {
	for _, tt := range []struct {
		n       int
		wantErr string
	}{{50, ""}, {51, "more than 50 keys"}} {
		keys := make([]string, tt.n)
		for i := range keys {
			keys[i] = strings.Replace(sampleJWK, `"kid":"k1"`, fmt.Sprintf(`"kid":"k%d"`, i+1), 1)
		}
		rec := newRecorder(t, reply{Status: 200, Body: `{"keys":[` + strings.Join(keys, ",") + `]}`})
		c := newTestClient(t, rec.srv.URL, V1_8, nil)
		set, err := c.FetchJWKS(context.Background(), rec.srv.URL+"/jwks")
		if tt.wantErr == "" {
			if err != nil || len(set.Keys) != tt.n {
				t.Errorf("%d keys: err = %v", tt.n, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) || KindOf(err) != KindTerminal {
			t.Errorf("%d keys: err = %v, want %q", tt.n, err, tt.wantErr)
		}
	}
}

// TestTokenResponseFieldCaps: the access token goes into an Authorization
// header on every call; it must be a plausible bearer token of bounded size.
func TestTokenResponseFieldCaps(t *testing.T) {
	tests := []struct {
		name    string
		token   string
		wantErr string
	}{
		{"JWT", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", ""},
		{"16 KiB", strings.Repeat("a", 16<<10), ""},
		{"too long", strings.Repeat("a", 16<<10+1), "access_token exceeds 16384 bytes"},
		{"CRLF header injection", "zzq\r\nX-Injected: 1", "access_token is not a valid bearer token"},
		{"space", "zzq en", "access_token is not a valid bearer token"},
		{"non-ASCII", "zzqö", "access_token is not a valid bearer token"},
	}
	for _, tt := range tests {
		body, _ := json.Marshal(map[string]any{"access_token": tt.token, "token_type": "Bearer", "expires_in": 300})
		tok, _, err := parseTokenResponse(200, body)
		if tt.wantErr == "" {
			if err != nil || tok != tt.token {
				t.Errorf("%s: err = %v", tt.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.wantErr)
			continue
		}
		if strings.Contains(err.Error(), "zzq") || strings.Contains(err.Error(), "aaaa") {
			t.Errorf("%s: error quotes the token: %.200s", tt.name, err)
		}
	}
}

// TestTokenBodyCap: an oversized token answer is reported as such, not as
// a truncated, unparsable document.
func TestTokenBodyCap(t *testing.T) {
	ts := newRecorder(t, reply{Status: 200, Body: `{"access_token":"tok","token_type":"Bearer","expires_in":300,"pad":"` +
		strings.Repeat("p", 64<<10) + `"}`})
	cc := newCC(t, ts.srv.URL, &fakeClock{})
	_, err := cc.Token(context.Background())
	if err == nil || !strings.Contains(err.Error(), "response body exceeds 65536 bytes") {
		t.Errorf("err = %v", err)
	}
}
