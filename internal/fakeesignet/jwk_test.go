package fakeesignet

import (
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"
)

func TestParseJWK(t *testing.T) {
	v18, _ := parseGeneration("v1.8")
	rsaKey := fakeRSAJWK(t)
	_, p256 := ecJWK(t, elliptic.P256())
	_, p521 := ecJWK(t, elliptic.P521())
	offCurve := withMember(p256, "y", p256["x"])
	small := withMember(rsaKey, "n", b64.EncodeToString(make([]byte, 63)))
	tests := []struct {
		name string
		jwk  map[string]any
		want string // "" ok, else the fault code
	}{
		{"rsa", rsaKey, ""},
		{"ec p256", p256, ""},
		{"ec p521", p521, ""},
		{"no kty", map[string]any{"n": rsaKey["n"], "e": "AQAB"}, "invalid_public_key"},
		{"kty oct", map[string]any{"kty": "oct", "k": "AAAA"}, "invalid_public_key"},
		{"kty OKP", map[string]any{"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}, "invalid_public_key"},
		{"kty number", withMember(rsaKey, "kty", 3), "unknown_error"},
		{"alg number", withMember(rsaKey, "alg", 3), "unknown_error"},
		{"use blank", withMember(rsaKey, "use", ""), "invalid_public_key"},
		{"alg blank", withMember(rsaKey, "alg", "  "), "invalid_public_key"},
		{"kid number", withMember(rsaKey, "kid", 7), "invalid_public_key"},
		{"n missing", map[string]any{"kty": "RSA", "e": "AQAB"}, "invalid_public_key"},
		{"e missing", map[string]any{"kty": "RSA", "n": rsaKey["n"]}, "invalid_public_key"},
		{"n not base64url", withMember(rsaKey, "n", "***"), "invalid_public_key"},
		{"n too small", small, "invalid_public_key"},
		{"e = 1", withMember(rsaKey, "e", "AQ"), "invalid_public_key"},
		{"crv unknown", withMember(p256, "crv", "secp256k1"), "invalid_public_key"},
		{"crv missing", map[string]any{"kty": "EC", "x": p256["x"], "y": p256["y"]}, "invalid_public_key"},
		{"y missing", map[string]any{"kty": "EC", "crv": "P-256", "x": p256["x"]}, "invalid_public_key"},
		{"point off curve", offCurve, "invalid_public_key"},
		{"x5c not array", withMember(rsaKey, "x5c", "abc"), "invalid_public_key"},
		{"x5c garbage", withMember(rsaKey, "x5c", []any{"AAAA"}), "invalid_public_key"},
		{"key_ops not strings", withMember(rsaKey, "key_ops", []any{1}), "invalid_public_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, f := parseJWK(tt.jwk, v18)
			switch {
			case tt.want == "" && f != nil:
				t.Fatalf("rejected: %s", f.code)
			case tt.want != "" && (f == nil || f.code != tt.want):
				t.Fatalf("want %s, got %+v %+v", tt.want, f, k)
			}
		})
	}
}

func TestStoredJWKIsPublicOnly(t *testing.T) {
	priv, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	jwk := rsaJWK(&priv.PublicKey, "k1")
	enc := func(b *big.Int) string { return b64.EncodeToString(b.Bytes()) }
	jwk["d"], jwk["p"], jwk["q"] = enc(priv.D), enc(priv.Primes[0]), enc(priv.Primes[1])
	jwk["dp"], jwk["dq"], jwk["qi"] = enc(priv.Precomputed.Dp), enc(priv.Precomputed.Dq), enc(priv.Precomputed.Qinv)
	jwk["x-extra"] = "kept"
	v, _ := parseGeneration("v1.8")
	k, f := parseJWK(jwk, v)
	if f != nil {
		t.Fatal(f.code)
	}
	var stored map[string]any
	if err := json.Unmarshal([]byte(k.stored), &stored); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"d", "p", "q", "dp", "dq", "qi"} {
		if _, ok := stored[m]; ok {
			t.Errorf("private member %s stored", m)
		}
	}
	if stored["x-extra"] != "kept" || stored["kid"] != "k1" || !strings.HasPrefix(k.stored, `{"kty":"RSA","kid":"k1","use":"sig","n":`) {
		t.Errorf("stored %s", k.stored)
	}
}

func TestJWKCertificateMustMatchKey(t *testing.T) {
	priv, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rp"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := parseGeneration("v1.8")
	jwk := rsaJWK(&priv.PublicKey, "c")
	jwk["x5c"] = []any{base64.StdEncoding.EncodeToString(der)}
	if _, f := parseJWK(jwk, v); f != nil {
		t.Fatalf("matching x5c rejected: %s", f.code)
	}
	other := fakeRSAJWK(t)
	other["x5c"] = jwk["x5c"]
	if _, f := parseJWK(other, v); f == nil {
		t.Fatal("x5c of another key accepted")
	}
}
