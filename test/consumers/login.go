// Package consumers drives real third-party consumers of the operator's
// output in tests: python-jose logging in at an OIDC provider exactly the
// way OpenG2P's Python apps sign their client assertions, and a throw-away
// PostgreSQL server holding the consumers' own table definitions.
//
// Nothing here is a mock: the login runs Debian's python3-jose through
// /usr/bin/python3 and the database is a real postgres on loopback.
// hack/install-test-deps.sh installs both. Missing dependencies fail the
// test (they never skip it), so a green run means the consumers were really
// exercised.
package consumers

import (
	"bytes"
	"context"
	_ "embed" // the login script
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Python is the interpreter the login script runs under: Debian's, which
// has python3-jose installed.
const Python = "/usr/bin/python3"

// LoginTimeout bounds one scripted login.
const LoginTimeout = 60 * time.Second

//go:embed pyjose_login.py
var loginScript []byte

// KeyForm is how an app holds its private key and hands it to
// jose.jwt.encode (CONSUMERS.md §2A, §2B, §2D, §4 "Private key format").
type KeyForm string

// The key forms of the OpenG2P apps.
const (
	// KeyOdooBase64PEM is Odoo's client_private_key: base64 text of a PEM
	// (Binary attachment=False). The app does base64.b64decode(text) and
	// signs with the resulting bytes.
	KeyOdooBase64PEM KeyForm = "odoo-base64-pem"
	// KeyJWKObject is openg2p-fastapi-auth's client_assertion_jwk: a JSON
	// object (a dict once loaded) passed to jwt.encode as is.
	KeyJWKObject KeyForm = "jwk-object"
	// KeyPEMBytes is gen-2 IAM's client_private_key: bytea PEM, decoded as
	// UTF-8 and passed to jwt.encode as a str.
	KeyPEMBytes KeyForm = "pem-bytes"
)

// KeyForms lists every form, for table-driven tests.
var KeyForms = []KeyForm{KeyOdooBase64PEM, KeyJWKObject, KeyPEMBytes}

// LoginRequest describes one authorization-code login as a consumer
// configured with these values performs it.
type LoginRequest struct {
	Form KeyForm
	// Key is the private key in Form: for KeyOdooBase64PEM a JSON string
	// holding the base64 text, for KeyJWKObject the JWK object, for
	// KeyPEMBytes a JSON string holding the PEM. Use KeyJSON to build it.
	Key json.RawMessage
	// Algorithm signs the client assertion; default RS256, which every
	// OpenG2P app hard-codes.
	Algorithm string

	ClientID          string
	AuthorizeEndpoint string
	TokenEndpoint     string
	JWKSURI           string
	RedirectURI       string
	Scope             string // default "openid profile email"
	// Issuer is what the consumer is configured with. The ID token's iss
	// must equal it exactly (as IAM's issuer column demands) and its aud
	// must be ClientID, checked by python-jose's jwt.decode against the
	// keys fetched from JWKSURI.
	Issuer string
	// UserinfoEndpoint is called with the access token. Empty means: read
	// userinfo_endpoint from DiscoveryURL (default Issuer +
	// "/.well-known/openid-configuration").
	UserinfoEndpoint string
	DiscoveryURL     string

	// ACRValues and ClaimsJSON are extra authorize parameters, sent as the
	// consumer sends them (acr_values, and claims as a JSON string).
	ACRValues  string
	ClaimsJSON string
	// CodeVerifier, if set, is the static PKCE verifier Odoo and
	// fastapi-auth store per provider; otherwise one is generated. S256
	// is always used.
	CodeVerifier string
	// Audience is the assertion's aud; default TokenEndpoint (the OpenG2P
	// default when jwt_assertion_aud is blank).
	Audience string
	// AddJTI adds a random jti to the assertion. OpenG2P apps do not.
	AddJTI bool
	// CAFile is a PEM CA bundle trusted for https endpoints.
	CAFile string
}

// LoginResult is what the consumer ends up with.
type LoginResult struct {
	IDTokenClaims       map[string]any // verified by python-jose
	AccessToken         string
	TokenType           string
	ExpiresIn           int
	UserinfoContentType string
	UserinfoClaims      map[string]any // read unverified, as the consumers do
}

// LoginError is a login step that failed, as the script reported it.
type LoginError struct {
	// Stage is the failed step: authorize, assertion, token, jwks,
	// id_token, discovery or userinfo.
	Stage string
	// Status is the HTTP status the reason quotes, or 0.
	Status int
	// Reason is the script's one-line reason (an HTTP status with the
	// server's error body, or python-jose's exception). It never holds key
	// material.
	Reason string
}

func (e *LoginError) Error() string {
	return fmt.Sprintf("python-jose login failed at %s: %s", e.Stage, e.Reason)
}

var statusRE = regexp.MustCompile(`^HTTP (\d{3})\b`)

// KeyJSON encodes a key for LoginRequest.Key: PEM text or base64 text
// becomes a JSON string, a JWK (already JSON) is used as is.
func KeyJSON(form KeyForm, key []byte) json.RawMessage {
	if form == KeyJWKObject {
		return json.RawMessage(key)
	}
	b, _ := json.Marshal(string(key)) // marshalling a string cannot fail
	return b
}

// OdooKeyText is what Odoo stores in client_private_key for an uploaded
// PEM file: its standard base64 encoding.
func OdooKeyText(pem []byte) []byte {
	return []byte(base64.StdEncoding.EncodeToString(pem))
}

// Login performs the login with python-jose. A failed login step returns a
// *LoginError; a broken harness (no python3, no python-jose, a request the
// script cannot use) fails the test instead, so that tests expecting an
// error cannot pass for the wrong reason.
func Login(t testing.TB, req LoginRequest) (LoginResult, error) {
	t.Helper()
	if _, err := os.Stat(Python); err != nil {
		t.Fatalf("consumers: %s not found (%v); run hack/install-test-deps.sh", Python, err)
	}
	script := filepath.Join(t.TempDir(), "pyjose_login.py")
	if err := os.WriteFile(script, loginScript, 0o600); err != nil {
		t.Fatalf("consumers: writing login script: %v", err)
	}
	in, err := json.Marshal(wireRequest(req))
	if err != nil {
		t.Fatalf("consumers: encoding login request: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), LoginTimeout)
	defer cancel()
	// -I: isolated mode, so only the system site-packages (Debian's jose) count.
	cmd := exec.CommandContext(ctx, Python, "-I", script) //nolint:gosec // fixed interpreter, our own embedded script
	cmd.Stdin = bytes.NewReader(in)
	cmd.Env = append(os.Environ(), "no_proxy="+noProxy(), "NO_PROXY="+noProxy())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	reason := strings.TrimSpace(redact(stderr.String(), req.Form, req.Key))

	var exitErr *exec.ExitError
	switch {
	case runErr == nil:
	case errors.As(runErr, &exitErr) && exitErr.ExitCode() == 1:
		return LoginResult{}, parseLoginError(reason)
	case ctx.Err() != nil:
		t.Fatalf("consumers: python-jose login timed out after %s: %s", LoginTimeout, reason)
	default:
		t.Fatalf("consumers: python-jose login harness failed (%v): %s", runErr, reason)
	}

	var out struct {
		IDTokenClaims       map[string]any `json:"id_token_claims"`
		AccessToken         string         `json:"access_token"`
		TokenType           string         `json:"token_type"`
		ExpiresIn           int            `json:"expires_in"`
		UserinfoContentType string         `json:"userinfo_content_type"`
		UserinfoClaims      map[string]any `json:"userinfo_claims"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("consumers: login script printed no result (%v); stderr: %s", err, reason)
	}
	return LoginResult(out), nil
}

func wireRequest(req LoginRequest) map[string]any {
	alg := req.Algorithm
	if alg == "" {
		alg = "RS256"
	}
	key := req.Key
	if len(key) == 0 {
		key = json.RawMessage("null")
	}
	return map[string]any{
		"form": string(req.Form), "key": key, "algorithm": alg,
		"client_id": req.ClientID, "authorize_endpoint": req.AuthorizeEndpoint,
		"token_endpoint": req.TokenEndpoint, "jwks_uri": req.JWKSURI,
		"userinfo_endpoint": req.UserinfoEndpoint, "discovery_url": req.DiscoveryURL,
		"redirect_uri": req.RedirectURI, "scope": req.Scope, "issuer": req.Issuer,
		"acr_values": req.ACRValues, "claims": req.ClaimsJSON,
		"code_verifier": req.CodeVerifier, "audience": req.Audience,
		"add_jti": req.AddJTI, "ca_file": req.CAFile,
	}
}

func parseLoginError(line string) *LoginError {
	stage, reason, ok := strings.Cut(line, ": ")
	if !ok {
		return &LoginError{Stage: "unknown", Reason: line}
	}
	e := &LoginError{Stage: stage, Reason: reason}
	if m := statusRE.FindStringSubmatch(reason); m != nil {
		e.Status, _ = strconv.Atoi(m[1])
	}
	return e
}

func noProxy() string {
	v := os.Getenv("no_proxy")
	if v == "" {
		v = os.Getenv("NO_PROXY")
	}
	if v != "" {
		v += ","
	}
	return v + "127.0.0.1,localhost,::1"
}

// redact removes any fragment of the key from script output, in case a
// library error quotes it (the script scrubs too; this is the second line).
func redact(s string, form KeyForm, key json.RawMessage) string {
	var parts []string
	add := func(v string) {
		if len(v) < 8 {
			return
		}
		parts = append(parts, v)
		for line := range strings.SplitSeq(v, "\n") {
			line = strings.TrimSpace(line)
			if len(line) >= 16 && !strings.HasPrefix(line, "-----") {
				parts = append(parts, line)
			}
		}
	}
	add(string(key))
	var text string
	if json.Unmarshal(key, &text) == nil {
		add(text)
		if form == KeyOdooBase64PEM {
			if dec, err := base64.StdEncoding.DecodeString(text); err == nil {
				add(string(dec))
			}
		}
	}
	var jwk map[string]any
	if json.Unmarshal(key, &jwk) == nil {
		for _, m := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
			if v, ok := jwk[m].(string); ok {
				add(v)
			}
		}
	}
	// Longest first, so a whole key is replaced before its lines are.
	slices.SortFunc(parts, func(a, b string) int { return len(b) - len(a) })
	for _, p := range parts {
		s = strings.ReplaceAll(s, p, "[redacted]")
	}
	return s
}
