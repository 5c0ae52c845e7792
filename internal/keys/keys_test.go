package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

func TestGenerate(t *testing.T) {
	cases := []struct {
		alg     Algorithm
		bits    int
		wantKty string
		wantLen int
		wantErr string
	}{
		{alg: RS256, wantKty: "RSA", wantLen: 2048},
		{alg: RS256, bits: 3072, wantKty: "RSA", wantLen: 3072},
		{alg: PS256, bits: 2048, wantKty: "RSA", wantLen: 2048},
		{alg: ES256, bits: 4096, wantKty: "EC", wantLen: 256},
		{alg: RS256, bits: 1024, wantErr: "not supported"},
		{alg: "HS256", wantErr: "not supported"},
	}
	for _, tc := range cases {
		t.Run(string(tc.alg), func(t *testing.T) {
			kp, err := Generate(tc.alg, tc.bits)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			switch k := kp.Private.(type) {
			case *rsa.PrivateKey:
				if tc.wantKty != "RSA" || k.N.BitLen() != tc.wantLen {
					t.Fatalf("got RSA %d bits, want %s %d", k.N.BitLen(), tc.wantKty, tc.wantLen)
				}
			case *ecdsa.PrivateKey:
				if tc.wantKty != "EC" || k.Curve.Params().BitSize != tc.wantLen {
					t.Fatalf("got EC %d, want %s %d", k.Curve.Params().BitSize, tc.wantKty, tc.wantLen)
				}
			}
			var pub map[string]any
			raw, err := kp.PublicJWK()
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &pub); err != nil {
				t.Fatal(err)
			}
			if pub["kty"] != tc.wantKty || pub["kid"] != kp.KeyID || pub["alg"] != string(tc.alg) || pub["use"] != "sig" {
				t.Fatalf("public JWK = %s", raw)
			}
			for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
				if _, ok := pub[private]; ok {
					t.Fatalf("public JWK carries private member %q", private)
				}
			}
		})
	}
}

// The kid must be the RFC 7638 thumbprint; this is the example key and thumbprint of RFC 7638 §3.1.
func TestThumbprintRFC7638(t *testing.T) {
	const rfcKey = `{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}`
	var jwk jose.JSONWebKey
	if err := json.Unmarshal([]byte(rfcKey), &jwk); err != nil {
		t.Fatal(err)
	}
	got, err := Thumbprint(jwk.Key)
	if err != nil {
		t.Fatal(err)
	}
	if want := "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"; got != want {
		t.Fatalf("thumbprint = %s, want %s", got, want)
	}
}

func TestSecretDataRoundTrip(t *testing.T) {
	for _, alg := range []Algorithm{RS256, PS256, ES256} {
		t.Run(string(alg), func(t *testing.T) {
			kp, err := Generate(alg, 0)
			if err != nil {
				t.Fatal(err)
			}
			data, err := kp.SecretData("ns-client")
			if err != nil {
				t.Fatal(err)
			}
			if string(data[SecretKeyClientID]) != "ns-client" || string(data[SecretKeyKeyID]) != kp.KeyID {
				t.Fatalf("client_id/kid wrong: %q %q", data[SecretKeyClientID], data[SecretKeyKeyID])
			}
			block, _ := pem.Decode(data[SecretKeyPrivatePEM])
			if block == nil || block.Type != "PRIVATE KEY" {
				t.Fatalf("private.pem is not PKCS#8 PEM")
			}
			if _, err := x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
				t.Fatal(err)
			}
			back, err := FromSecretData(data)
			if err != nil {
				t.Fatal(err)
			}
			if !back.Equal(kp) || back.KeyID != kp.KeyID || back.Algorithm != alg {
				t.Fatalf("round trip changed the key")
			}
		})
	}
}

func TestFromSecretDataRejectsInconsistentSecrets(t *testing.T) {
	kp, err := Generate(RS256, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := Generate(RS256, 2048)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := kp.SecretData("c")
	otherData, _ := other.SecretData("c")
	privAsPublic := good[SecretKeyPrivateJWK]

	cases := map[string]func(map[string][]byte){
		"missing pem": func(d map[string][]byte) { delete(d, SecretKeyPrivatePEM) },
		"missing alg": func(d map[string][]byte) { delete(d, SecretKeyAlgorithm) },
		"garbage pem": func(d map[string][]byte) {
			d[SecretKeyPrivatePEM] = []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
		},
		"pem is a certificate": func(d map[string][]byte) {
			d[SecretKeyPrivatePEM] = []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
		},
		"wrong kid":                func(d map[string][]byte) { d[SecretKeyKeyID] = []byte("x") },
		"public jwk of other key":  func(d map[string][]byte) { d[SecretKeyPublicJWK] = otherData[SecretKeyPublicJWK] },
		"private jwk of other key": func(d map[string][]byte) { d[SecretKeyPrivateJWK] = otherData[SecretKeyPrivateJWK] },
		"public jwk is private":    func(d map[string][]byte) { d[SecretKeyPublicJWK] = privAsPublic },
		"private jwk not json":     func(d map[string][]byte) { d[SecretKeyPrivateJWK] = []byte("{") },
		"alg does not fit key":     func(d map[string][]byte) { d[SecretKeyAlgorithm] = []byte(ES256) },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			d := map[string][]byte{}
			for k, v := range good {
				d[k] = v
			}
			mutate(d)
			_, err := FromSecretData(d)
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("err = %v, want ErrInvalidKey", err)
			}
			assertNoKeyMaterial(t, err.Error(), good)
		})
	}
}

func TestParsePrivatePEMFormats(t *testing.T) {
	kp, _ := Generate(RS256, 2048)
	rsaKey := kp.Private.(*rsa.PrivateKey)
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)})
	back, err := ParsePrivatePEM(pkcs1, RS256)
	if err != nil || !back.Equal(kp) {
		t.Fatalf("PKCS#1: %v", err)
	}
	ec, _ := Generate(ES256, 0)
	der, _ := x509.MarshalECPrivateKey(ec.Private.(*ecdsa.PrivateKey))
	sec1 := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
	back, err = ParsePrivatePEM(sec1, ES256)
	if err != nil || !back.Equal(ec) {
		t.Fatalf("SEC 1: %v", err)
	}
	if _, err := ParsePrivatePEM(append(pkcs1, pkcs1...), RS256); err == nil {
		t.Fatal("two PEM blocks accepted")
	}
}

func TestSignaturesVerifyWithPublicJWK(t *testing.T) {
	for _, alg := range []Algorithm{RS256, PS256, ES256} {
		kp, _ := Generate(alg, 0)
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: kp.Private}, nil)
		if err != nil {
			t.Fatal(err)
		}
		jws, err := signer.Sign([]byte("payload"))
		if err != nil {
			t.Fatal(err)
		}
		var pub jose.JSONWebKey
		raw, _ := kp.PublicJWK()
		if err := json.Unmarshal(raw, &pub); err != nil {
			t.Fatal(err)
		}
		if _, err := jws.Verify(pub.Key); err != nil {
			t.Fatalf("%s: signature does not verify with the public JWK: %v", alg, err)
		}
		if _, ok := pub.Key.(crypto.PublicKey); !ok {
			t.Fatal("public JWK has no key")
		}
	}
}

// assertNoKeyMaterial fails if an error message quotes any part of the Secret's key encodings.
func assertNoKeyMaterial(t *testing.T, msg string, data map[string][]byte) {
	t.Helper()
	for _, name := range []string{SecretKeyPrivatePEM, SecretKeyPrivateJWK} {
		v := string(data[name])
		for i := 0; i+24 <= len(v); i += 24 {
			if chunk := v[i : i+24]; strings.Contains(msg, chunk) && strings.TrimSpace(chunk) != "" && !strings.Contains(chunk, "-----") {
				t.Fatalf("error %q quotes %s", msg, name)
			}
		}
	}
}

// BenchmarkGenerate is the cost of a relying party's first reconcile: RSA generation dominates.
func BenchmarkGenerate(b *testing.B) {
	for _, c := range []struct {
		alg  Algorithm
		bits int
	}{{RS256, 2048}, {RS256, 3072}, {RS256, 4096}, {ES256, 0}} {
		b.Run(fmt.Sprintf("%s-%d", c.alg, c.bits), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Generate(c.alg, c.bits); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFromSecretData is the cost of every later reconcile: parse and cross-check the
// encodings stored in the Secret.
func BenchmarkFromSecretData(b *testing.B) {
	kp, err := Generate(RS256, 2048)
	if err != nil {
		b.Fatal(err)
	}
	data, err := kp.SecretData("bench-client")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FromSecretData(data); err != nil {
			b.Fatal(err)
		}
	}
}
