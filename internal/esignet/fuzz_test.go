package esignet

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/go-logr/logr"
)

const fuzzSecret = "opaque-secret-token-value"

// describeAPIGrammar is the language of Describe for an *APIError produced
// by decodeClientResponse for a POST: status, optional codes, optional
// class, nothing else.
var describeAPIGrammar = func() *regexp.Regexp {
	var classes []string
	for _, c := range []string{classRedirect, classEmptyBody, classNotEnvelope, classNeither, classFirewall, scopeHint(http.MethodPost)} {
		classes = append(classes, regexp.QuoteMeta(c))
	}
	classes = append(classes, `management token rejected( \([a-z_]{1,64}\))?`,
		regexp.QuoteMeta(scopeHint(http.MethodPost))+` \([a-z_]{1,64}\)`,
		`response body exceeds \d+ bytes`)
	code := `[a-z_]{1,64}`
	return regexp.MustCompile(`^HTTP -?\d+` +
		`(: eSignet error codes: (none recognised|` + code + `(, ` + code + `)*( and \d+ more)?))?` +
		`(: (` + strings.Join(classes, "|") + `))?$`)
}()

// FuzzDecodeClientResponse: any status, body and headers decode without a
// panic into a result or an *APIError; the error never carries the raw body
// or the token, and Describe stays inside its vocabulary.
func FuzzDecodeClientResponse(f *testing.F) {
	f.Add(200, []byte(okBody), "application/json", "")
	f.Add(200, []byte(errBody("invalid_redirect_uri", "request.redirectUris[0]: invalid_redirect_uri", "invalid_claim", "x")), "application/json", "")
	f.Add(200, []byte(errBody("unknown_error", "bad header Bearer "+fuzzSecret)), "application/json", "")
	f.Add(200, []byte(`{"errors":[{"errorCode":"x","errorMessage":"\u006fpaque-secret-token-value"}]}`), "", "")
	f.Add(200, []byte(`{"responseTime":"x","response":null,"errors":[]}`), "", "")
	f.Add(200, []byte(`{"response":{"clientId":""}}`), "", "")
	f.Add(200, []byte(`<html>login</html>`), "text/html", "")
	f.Add(200, []byte(``), "", "")
	f.Add(401, []byte(``), "", `Bearer error="invalid_token", error_description="Jwt expired"`)
	f.Add(401, []byte(``), "", `Bearer error="Bad.Token-127.0.0.9"`)
	f.Add(403, []byte(``), "", `Bearer error="insufficient_scope"`)
	f.Add(400, []byte(`{"status":400,"error":"Bad Request","message":"The request was rejected","path":"/x"}`), "application/json", "")
	f.Add(415, []byte(`{"type":"about:blank","title":"Unsupported Media Type","status":415,"detail":"Content-Type 'text/plain' is not supported."}`), "application/problem+json", "")
	f.Add(502, []byte("Bad Gateway "+fuzzSecret), "text/plain", "")
	f.Add(503, []byte(errBody("unknown_error", "Connection to 127.1.2.3:5432 refused")), "application/json", "")
	f.Add(-1, []byte(`{"errors":null}`), "", "")
	f.Fuzz(func(t *testing.T, status int, body []byte, contentType, challenge string) {
		req, err := http.NewRequest(http.MethodPost, "https://esignet.example.org/v1/esignet/client-mgmt/client", nil)
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		h.Set("Content-Type", contentType)
		h.Set("WWW-Authenticate", challenge)
		tooBig := len(body) > maxBody
		ex := &exchange{status: status, header: h, body: append([]byte(nil), body...), tooBig: tooBig, limit: maxBody}
		if tooBig {
			ex.body = nil
		}
		res, err := decodeClientResponse("create", req, ex, fuzzSecret)
		if (res == nil) == (err == nil) {
			t.Fatalf("result %v and error %v", res, err)
		}
		if err == nil {
			if status != http.StatusOK || res.ClientID == "" {
				t.Fatalf("HTTP %d accepted as %+v", status, res)
			}
			return
		}
		var ae *APIError
		if !errors.As(err, &ae) || KindOf(err) == KindNone {
			t.Fatalf("err = %T %v", err, err)
		}
		msg, desc := err.Error(), Describe(err)
		if strings.Contains(msg, fuzzSecret) || strings.Contains(desc, fuzzSecret) {
			t.Fatalf("token leaked:\nError: %q\nDescribe: %q", msg, desc)
		}
		if len(body) >= 64 && strings.Contains(msg, string(body)) {
			t.Fatalf("error quotes the raw body: %q", msg)
		}
		if !describeAPIGrammar.MatchString(desc) {
			t.Fatalf("Describe outside its vocabulary: %q", desc)
		}
		if !utf8.ValidString(msg) || len(msg) > 4096 {
			t.Fatalf("Error() is %d bytes or not UTF-8", len(msg))
		}
	})
}

var describeDocGrammar = regexp.MustCompile(`^discovery document: (not a JSON object|fields have unexpected JSON types|` +
	`[a-z_]+ has more than 200 entries|[a-z_]+ has an entry longer than 256 bytes|` +
	`document holds more than 5000 JSON values|document is nested deeper than 32 levels|` +
	`[a-z_]+ is longer than 2048 bytes|missing or non-absolute [a-z_]+(, [a-z_]+)*)$`)

var describeJWKSGrammar = regexp.MustCompile(`^JWK set: (not a JWK set|holds more than 50 keys|no usable key among \d+)$`)

// FuzzDiscovery: whatever the document, decoding does not panic, and a
// document that is accepted fits every limit.
func FuzzDiscovery(f *testing.F) {
	f.Add([]byte(discoveryDoc("https://esignet.example.org")))
	f.Add([]byte(discoveryDoc("https://esignet.example.org/v1/esignet")))
	f.Add([]byte(`{"issuer":42}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`[1,2]`))
	f.Add([]byte(`{"issuer":"https://x","authorization_endpoint":"https://x/a","token_endpoint":"https://x/t","jwks_uri":"https://x/j","claims_supported":["a","b","a"],"x":{"y":[[[[1]]]]}}`))
	f.Add([]byte(`{"issuer":"https://x","authorization_endpoint":"https://x/a","token_endpoint":"https://x/t","jwks_uri":"https://x/j","acr_values_supported":null,"claims_supported":[]}`))
	f.Add([]byte(`{"keys":[` + sampleJWK + `,{"kty":"XYZ"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"","y":""}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > MaxMetadataBody {
			return // getJSON refuses these before decoding
		}
		const src = "https://esignet.example.org/.well-known/openid-configuration"
		d, err := decodeDiscovery(src, body)
		if err != nil {
			var ide *InvalidDocumentError
			if d != nil || !errors.As(err, &ide) || KindOf(err) != KindTerminal {
				t.Fatalf("d = %v, err = %T %v", d, err, err)
			}
			if desc := Describe(err); !describeDocGrammar.MatchString(desc) {
				t.Fatalf("Describe outside its vocabulary: %q", desc)
			}
		} else {
			checkDiscoveryLimits(t, d)
		}
		set, err := decodeJWKS(logr.Discard(), src, body)
		if err != nil {
			if desc := Describe(err); !describeJWKSGrammar.MatchString(desc) {
				t.Fatalf("JWKS: Describe outside its vocabulary: %q", desc)
			}
		} else if n := len(set.Keys); n == 0 || n > MaxJWKSKeys {
			t.Fatalf("JWKS accepted with %d keys", n)
		}
	})
}

func checkDiscoveryLimits(t *testing.T, d *Discovery) {
	t.Helper()
	for name, l := range map[string][]string{"scopes": d.ScopesSupported, "claims": d.ClaimsSupported,
		"acr": d.ACRValuesSupported, "auth methods": d.TokenEndpointAuthMethodsSupported,
		"auth algs": d.TokenEndpointAuthSigningAlgValues, "pkce": d.CodeChallengeMethodsSupported,
		"id token algs": d.IDTokenSigningAlgValuesSupported, "userinfo algs": d.UserinfoSigningAlgValuesSupported} {
		if len(l) > MaxDiscoveryListEntries {
			t.Fatalf("%s: %d entries accepted", name, len(l))
		}
		for _, v := range l {
			if len(v) > MaxDiscoveryEntryLen {
				t.Fatalf("%s: entry of %d bytes accepted", name, len(v))
			}
		}
	}
	for _, u := range []string{d.Issuer, d.AuthorizationEndpoint, d.TokenEndpoint, d.UserinfoEndpoint,
		d.JWKSURI, d.PushedAuthorizationRequestEndpoint} {
		if len(u) > MaxDiscoveryURLLen {
			t.Fatalf("URL of %d bytes accepted", len(u))
		}
	}
	if d.Issuer == "" || d.TokenEndpoint == "" || d.JWKSURI == "" || d.AuthorizationEndpoint == "" || d.Raw == nil {
		t.Fatalf("incomplete document accepted: %+v", d)
	}
	if p := checkShape(d.Raw); p != "" {
		t.Fatalf("Raw exceeds limits: %s", p)
	}
}

var describeTokenGrammar = regexp.MustCompile(`^token endpoint(: HTTP -?\d+)?(: [a-z_]{1,64})?` +
	`(: (response has no access_token|access_token exceeds 16384 bytes|access_token is not a valid bearer token|token_type is not Bearer))?$`)

// FuzzTokenResponse: any token endpoint answer yields a usable token with a
// lifetime in [MinTokenLifetime, MaxTokenLifetime], or a *TokenError whose
// description stays inside its vocabulary.
func FuzzTokenResponse(f *testing.F) {
	for _, exp := range []string{"300", "0", "-5", "1e300", "9223372036854775807", "1e400", `"300"`, `"NaN"`,
		`"Infinity"`, "null", "299.9", "0.001", `"0x10"`, "[1]", `"1e-400"`, "-0"} {
		f.Add(200, []byte(`{"access_token":"eyJhbGciOiJSUzI1NiJ9.e30.c2ln","token_type":"Bearer","expires_in":`+exp+`}`))
	}
	f.Add(200, []byte(`{"access_token":"tok\r\nX: y","token_type":"bearer"}`))
	f.Add(200, []byte(`{"access_token":"x","token_type":"DPoP"}`))
	f.Add(200, []byte(`<html>login</html>`))
	f.Add(401, []byte(`{"error":"invalid_client","error_description":"Invalid client or Invalid client credentials"}`))
	f.Add(400, []byte(`{"error":"Bad Code 127.0.0.9","error_description":"x"}`))
	f.Add(503, []byte(``))
	f.Add(401, []byte(`{"error":"invalid_client","error_description":"bad \u006fpaque-secret-token-value"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if len(body) > maxTokenBody {
			return // fetch refuses these before parsing
		}
		redacted := bytes.ReplaceAll(body, []byte(fuzzSecret), []byte("[redacted]"))
		tok, lifetime, err := parseTokenResponse(status, redacted, fuzzSecret)
		if err != nil {
			var te *TokenError
			if tok != "" || !errors.As(err, &te) || KindOf(err) == KindNone {
				t.Fatalf("token %q with err %T %v", tok, err, err)
			}
			if strings.Contains(err.Error(), fuzzSecret) {
				t.Fatalf("secret leaked: %v", err)
			}
			if desc := Describe(err); !describeTokenGrammar.MatchString(desc) {
				t.Fatalf("Describe outside its vocabulary: %q", desc)
			}
			return
		}
		if status != http.StatusOK || tok == "" || len(tok) > MaxAccessTokenLen {
			t.Fatalf("HTTP %d: token of %d bytes accepted", status, len(tok))
		}
		for i := range len(tok) {
			if tok[i] < 0x21 || tok[i] > 0x7e {
				t.Fatalf("token with byte %#x accepted", tok[i])
			}
		}
		if lifetime < MinTokenLifetime || lifetime > MaxTokenLifetime {
			t.Fatalf("lifetime %v outside [%v, %v]", lifetime, MinTokenLifetime, MaxTokenLifetime)
		}
		// The clamp agrees with the number, where there is one.
		var tr struct {
			ExpiresIn json.RawMessage `json:"expires_in"`
		}
		if json.Unmarshal(body, &tr) == nil {
			s := strings.Trim(string(tr.ExpiresIn), `"`)
			if secs, perr := strconv.ParseFloat(s, 64); perr == nil && jsonNumber.MatchString(s) && secs >= 10 && secs <= 86400 {
				if d := lifetime - time.Duration(secs*float64(time.Second)); d > time.Millisecond || d < -time.Millisecond {
					t.Fatalf("expires_in %s became %v", s, lifetime)
				}
			}
		}
	})
}
