package pgapply

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/openg2p/esignet-operator/internal/keys"
	"github.com/openg2p/esignet-operator/internal/render"
)

// rendered is one output rendered the way the reconciler renders it, with the secrets an error
// must never show.
type rendered struct {
	format  render.Format
	in      render.Input
	doc     render.Document
	target  Target
	secrets []string
}

// renderOutput renders format for clientID with a fresh RSA key; mutate adjusts the input.
func renderOutput(t *testing.T, format render.Format, clientID string, mutate func(*render.Input)) rendered {
	t.Helper()
	k, err := keys.Generate(keys.RS256, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes, err := k.PrivatePEM()
	if err != nil {
		t.Fatal(err)
	}
	jwk, err := k.PrivateJWK()
	if err != nil {
		t.Fatal(err)
	}
	base := "https://esignet.example.org"
	in := render.Input{
		ClientID: clientID,
		Endpoints: render.Endpoints{DiscoveryURL: base + "/.well-known/openid-configuration", Issuer: base,
			AuthorizationEndpoint: base + "/authorize", TokenEndpoint: base + "/v1/esignet/oauth/v2/token",
			UserinfoEndpoint: base + "/v1/esignet/oidc/userinfo", JWKSURI: base + "/.well-known/jwks.json"},
		Scope:     render.DefaultScope,
		Claims:    []render.Claim{{Name: "name", Essential: true}, {Name: "email"}, {Name: "individual_id"}},
		ACRValues: []string{"mosip:idp:acr:generated-code", "mosip:idp:acr:biometrics"}, TokenMap: render.DefaultTokenMap,
		RedirectURI: "https://app.example.org/auth_oauth/signin", EnablePKCE: true, VerifyAtHash: true,
		Name: "eSignet", Algorithm: "RS256", KeyID: k.KeyID, PrivateKeyPEM: pemBytes, PrivateJWK: jwk,
		EnvPrefix: "SPAR_SELFSERVICE_", Odoo: render.OdooSettings{Enabled: true},
	}
	if mutate != nil {
		mutate(&in)
	}
	doc, err := render.Render(format, in)
	if err != nil {
		t.Fatal(err)
	}
	target, err := NewTarget(format, doc)
	if err != nil {
		t.Fatalf("NewTarget(%s): %v", format, err)
	}
	return rendered{format: format, in: in, doc: doc, target: target, secrets: keySecrets(t, in)}
}

// keySecrets are fragments of the key material in every encoding the outputs use: each base64
// line of the PEM, 40-character slices of the base64 of the PEM (Odoo's column), the JWK's
// private members, and the PKCE code verifier derived from the key.
func keySecrets(t *testing.T, in render.Input) []string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(string(in.PrivateKeyPEM), "\n") {
		if len(l) >= 32 && !strings.HasPrefix(l, "-----") {
			out = append(out, l)
		}
	}
	b64 := base64.StdEncoding.EncodeToString(in.PrivateKeyPEM)
	for i := 40; i+40 <= len(b64); i += 40 {
		out = append(out, b64[i:i+40])
	}
	var jwk map[string]any
	if err := json.Unmarshal(in.PrivateJWK, &jwk); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"d", "p", "q", "dp", "dq", "qi"} {
		if v, _ := jwk[m].(string); len(v) >= 32 {
			out = append(out, v[:32], v[len(v)-32:])
		}
	}
	return append(out, render.CodeVerifier(in), "PRIVATE KEY")
}

// assertClean fails if any form of err shows one of the secrets.
func assertClean(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	forms := []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for _, f := range forms {
			if strings.Contains(f, s) {
				t.Fatalf("error shows secret %.12q…: %s", s, f)
			}
		}
	}
}

// wantReason fails unless err is an *Error with reason r and the expected retryability.
func wantReason(t *testing.T, err error, r Reason, retry bool) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s, got no error", r)
	}
	e, ok := err.(*Error) //nolint:errorlint // Apply returns *Error itself
	if !ok {
		t.Fatalf("want *Error %s, got %T: %v", r, err, err)
	}
	if e.Reason != r || e.Retryable != retry || IsRetryable(err) != retry || ReasonOf(err) != r {
		t.Fatalf("want %s (retryable %v), got %s (retryable %v): %v", r, retry, e.Reason, e.Retryable, err)
	}
	return e
}

// testCA is a CA and a server certificate it issued, for TLS tests on 127.0.0.1.
type testCA struct {
	certPEM                     []byte
	serverCertPEM, serverKeyPEM []byte
}

func newTestCA(t *testing.T, ips ...net.IP) testCA {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "pgapply test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "pgapply test server"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IPAddresses: ips,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(srvKey)
	if err != nil {
		t.Fatal(err)
	}
	return testCA{
		certPEM:       pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		serverCertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srvDER}),
		serverKeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}
}
