package consumers

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/openg2p/esignet-operator/internal/fakeesignet"
)

// Redirect URIs of the consumers (CONSUMERS.md §4).
const (
	odooRedirect    = "https://sr.example.org/auth_oauth/signin"
	sparRedirect    = "https://spar.example.org/api/selfservice/oauth2/callback"
	iamRedirect     = "https://iam.example.org/v1/bene/auth/callback"
	generic         = "https://rp.example.org/callback"
	odooVerifierLen = 43 // secrets.token_urlsafe(32)
)

// TestPythonJoseLoadsPKCS8 pins what the consumers' JOSE library does with
// the PEM the operator writes: python-jose (whatever backend Debian's
// package picked) signs with the PKCS#8 "BEGIN PRIVATE KEY" PEM, and the
// signature verifies with the key's public half in Go.
func TestPythonJoseLoadsPKCS8(t *testing.T) {
	k := newKey(t)
	pem, err := k.PrivatePEM()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pem, []byte("-----BEGIN PRIVATE KEY-----\n")) {
		t.Fatalf("internal/keys no longer writes PKCS#8: %.30q", pem)
	}
	const probe = `import sys, jose, jose.jwk
from jose import jwt
pem = sys.stdin.read()
sys.stderr.write("python-jose %s, RSA backend %s.%s\n" % (jose.__version__, jose.jwk.RSAKey.__module__, jose.jwk.RSAKey.__name__))
print(jwt.encode({"iss": "probe"}, pem, algorithm="RS256"))
`
	cmd := exec.Command(Python, "-I", "-c", probe)
	cmd.Stdin = bytes.NewReader(pem)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("python-jose cannot sign with a PKCS#8 PEM: %v: %s", err, redact(stderr.String(), KeyPEMBytes, KeyJSON(KeyPEMBytes, pem)))
	}
	t.Log(strings.TrimSpace(stderr.String()))
	jws, err := jose.ParseSignedCompact(strings.TrimSpace(stdout.String()), []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	payload, err := jws.Verify(k.Public())
	if err != nil || !strings.Contains(string(payload), `"probe"`) {
		t.Fatalf("python-jose signature does not verify: %v %s", err, payload)
	}
}

// TestPythonJoseRoundTrip registers an internal/keys key at the fake with
// internal/esignet, then logs in with python-jose signing the client
// assertion with the private key in each consumer's form.
//
// The assertions carry a jti (AddJTI): eSignet since v1.6 rejects
// assertions without one, whatever the deployment sets (see
// TestOpenG2PAssertionJTI); OpenG2P's apps do not add it.
func TestPythonJoseRoundTrip(t *testing.T) {
	p := startIDP(t, fakeesignet.Options{Generation: "v1.8"})
	key := newKey(t)
	const clientID = "openg2p-roundtrip"
	p.register(t, clientID, generic, key)

	for _, form := range KeyForms {
		t.Run(string(form), func(t *testing.T) {
			req := p.request(clientID, generic, form, keyIn(t, form, key))
			req.AddJTI = true
			if form != KeyPEMBytes { // Odoo and fastapi-auth keep one static verifier per provider
				req.CodeVerifier = strings.Repeat("v", odooVerifierLen)
			}
			res, err := Login(t, req)
			if err != nil {
				t.Fatal(err)
			}
			c := res.IDTokenClaims
			if c["iss"] != p.issuer || c["aud"] != clientID || c["sub"] == "" || c["at_hash"] == nil {
				t.Errorf("ID token claims %v", c)
			}
			if !strings.Contains(c["acr"].(string), "mosip:idp:acr:") {
				t.Errorf("acr %v", c["acr"])
			}
			if res.TokenType != "Bearer" || res.ExpiresIn <= 0 || res.AccessToken == "" {
				t.Errorf("token response %q %d", res.TokenType, res.ExpiresIn)
			}
			if res.UserinfoContentType != "application/jwt" || res.UserinfoClaims["name"] == nil ||
				res.UserinfoClaims["individual_id"] == nil {
				t.Errorf("userinfo %s %v", res.UserinfoContentType, res.UserinfoClaims)
			}
		})
	}

	t.Run("assertion signed by another key", func(t *testing.T) {
		req := p.request(clientID, generic, KeyPEMBytes, keyIn(t, KeyPEMBytes, newKey(t)))
		req.AddJTI = true
		_, err := Login(t, req)
		le := mustLoginError(t, err)
		if le.Stage != "token" || le.Status != 400 || !strings.Contains(le.Reason, `"error":"invalid_client"`) {
			t.Fatalf("want the fake's 400 invalid_client at the token step, got %v", err)
		}
	})

	// A key in another consumer's form cannot be signed with (CONSUMERS.md §4).
	pem, err := key.PrivatePEM()
	if err != nil {
		t.Fatal(err)
	}
	jwk, err := key.PrivateJWK()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		form KeyForm
		key  json.RawMessage
	}{
		{"Odoo's base64 text in IAM's PEM column", KeyPEMBytes, KeyJSON(KeyPEMBytes, OdooKeyText(pem))},
		{"JWK JSON text instead of an object for fastapi-auth", KeyJWKObject, KeyJSON(KeyPEMBytes, jwk)},
		{"private JWK uploaded to Odoo", KeyOdooBase64PEM, KeyJSON(KeyOdooBase64PEM, OdooKeyText(jwk))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := p.request(clientID, generic, tt.form, tt.key)
			req.AddJTI = true
			_, err := Login(t, req)
			le := mustLoginError(t, err)
			if le.Stage != "assertion" || !strings.Contains(le.Reason, "jose.jwt.encode failed") {
				t.Fatalf("want python-jose to refuse the key, got %v", err)
			}
			if strings.Contains(le.Reason, jwkD(t, jwk)) {
				t.Fatal("key material in the error")
			}
		})
	}

	t.Run("issuer with service path", func(t *testing.T) {
		// The issuer form of eSignet ≤ v1.7 (and of SPAR's chart): v1.8 tokens carry the host root.
		req := p.request(clientID, generic, KeyPEMBytes, keyIn(t, KeyPEMBytes, key))
		req.AddJTI = true
		req.Issuer = p.fake.ServiceURL()
		_, err := Login(t, req)
		le := mustLoginError(t, err)
		if le.Stage != "id_token" || !strings.Contains(le.Reason, "issuer") {
			t.Fatalf("want python-jose's issuer check to fail, got %v", err)
		}
	})

	t.Run("unregistered redirect URI", func(t *testing.T) {
		req := p.request(clientID, odooRedirect, KeyPEMBytes, keyIn(t, KeyPEMBytes, key))
		req.AddJTI = true
		_, err := Login(t, req)
		le := mustLoginError(t, err)
		if le.Stage != "authorize" || le.Status != 400 || !strings.Contains(le.Reason, "invalid_redirect_uri") {
			t.Fatalf("want the fake's invalid_redirect_uri at authorize, got %v", err)
		}
	})
}

// TestOpenG2PAssertionJTI documents what eSignet does with an OpenG2P-style
// client assertion (iss, sub, aud, iat, exp: no jti), read from eSignet's
// TokenServiceImpl at each tag:
//   - v1.0.0–v1.5.1: jti is not a required claim;
//   - v1.6.x: jti is in REQUIRED_CLIENT_ASSERTION_CLAIMS (invalid_assertion);
//   - v1.7.0–v1.8.0: a JwtClaimValidator demands a non-blank jti
//     unconditionally; mosip.esignet.client-assertion.unique.jti.required
//     only adds the single-use check. Setting it to false does NOT let
//     OpenG2P's assertions through.
func TestOpenG2PAssertionJTI(t *testing.T) {
	noUnique := false
	for _, tt := range []struct {
		name   string
		opts   fakeesignet.Options
		addJTI bool
		err    string // "" = login succeeds
	}{
		{name: "v1.8 default (unique jti required), no jti", opts: fakeesignet.Options{Generation: "v1.8"},
			err: `"error":"invalid_client"`},
		{name: "v1.8 default, with jti", opts: fakeesignet.Options{Generation: "v1.8"}, addJTI: true},
		{name: "v1.8 unique.jti.required=false, no jti", opts: fakeesignet.Options{Generation: "v1.8", JTIRequired: &noUnique},
			err: `"error":"invalid_client"`},
		{name: "v1.8 unique.jti.required=false, with jti", opts: fakeesignet.Options{Generation: "v1.8", JTIRequired: &noUnique},
			addJTI: true},
		{name: "v1.6, no jti", opts: fakeesignet.Options{Generation: "v1.6"}, err: `"error":"invalid_assertion"`},
		{name: "v1.5, no jti", opts: fakeesignet.Options{Generation: "v1.5"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := startIDP(t, tt.opts)
			key := newKey(t)
			p.register(t, "openg2p-jti", iamRedirect, key)
			req := p.request("openg2p-jti", iamRedirect, KeyPEMBytes, keyIn(t, KeyPEMBytes, key))
			req.AddJTI = tt.addJTI
			_, err := Login(t, req)
			if tt.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			le := mustLoginError(t, err)
			if le.Stage != "token" || le.Status != 400 || !strings.Contains(le.Reason, tt.err) {
				t.Fatalf("want 400 %s at the token step, got %v", tt.err, err)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	pem := "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\nAAAABBBBCCCCDDDD\n-----END PRIVATE KEY-----\n"
	jwk := json.RawMessage(`{"kty":"RSA","n":"public-modulus","e":"AQAB","d":"secret-exponent-value","p":"secret-prime-p"}`)
	for _, tt := range []struct {
		form      KeyForm
		key       json.RawMessage
		in        string
		forbidden []string
	}{
		{KeyPEMBytes, KeyJSON(KeyPEMBytes, []byte(pem)), "token: bad key " + pem, []string{"MIIEvQIBADANBgkq", "AAAABBBBCCCCDDDD"}},
		{KeyPEMBytes, KeyJSON(KeyPEMBytes, []byte(pem)), "token: line MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7", []string{"MIIEvQIBADANBgkq"}},
		{KeyOdooBase64PEM, KeyJSON(KeyOdooBase64PEM, OdooKeyText([]byte(pem))), "assertion: " + string(OdooKeyText([]byte(pem))) + " / AAAABBBBCCCCDDDD", []string{"LS0tLS1CRUdJTi", "AAAABBBBCCCCDDDD"}},
		{KeyJWKObject, jwk, "assertion: d=secret-exponent-value p=secret-prime-p n=public-modulus", []string{"secret-exponent-value", "secret-prime-p"}},
	} {
		got := redact(tt.in, tt.form, tt.key)
		for _, f := range tt.forbidden {
			if strings.Contains(got, f) {
				t.Errorf("%s: %q survives in %q", tt.form, f, got)
			}
		}
		if !strings.Contains(got, "[redacted]") {
			t.Errorf("%s: nothing redacted in %q", tt.form, got)
		}
	}
}

func jwkD(t *testing.T, jwk []byte) string {
	t.Helper()
	var m struct {
		D string `json:"d"`
	}
	if err := json.Unmarshal(jwk, &m); err != nil || len(m.D) < 16 {
		t.Fatalf("private JWK without d: %v", err)
	}
	return m.D
}
