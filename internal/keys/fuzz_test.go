package keys

import (
	"bytes"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
)

// The seed corpora under testdata/fuzz hold real keys of every algorithm
// and encoding (PKCS#8, PKCS#1, SEC 1) plus Secrets the operator wrote;
// the f.Add seeds below are the malformed neighbours.

// checkRoundTrip: a parsed key re-encodes to PEM and JWKs that parse back
// to the same thumbprint, and a Secret written from it reads back.
func checkRoundTrip(t *testing.T, kp *KeyPair) {
	t.Helper()
	if kp.KeyID == "" || kp.Private == nil {
		t.Fatalf("incomplete key pair %+v", kp)
	}
	again, err := Thumbprint(kp.Public())
	if err != nil || again != kp.KeyID {
		t.Fatalf("kid %q is not the thumbprint %q (%v)", kp.KeyID, again, err)
	}
	p, err := kp.PrivatePEM()
	if err != nil {
		t.Fatalf("PrivatePEM: %v", err)
	}
	back, err := ParsePrivatePEM(p, kp.Algorithm)
	if err != nil {
		t.Fatalf("PrivatePEM does not re-parse: %v", err)
	}
	if back.KeyID != kp.KeyID || !back.Equal(kp) {
		t.Fatalf("re-parsed key differs: %s vs %s", back.KeyID, kp.KeyID)
	}
	data, err := kp.SecretData("client-1")
	if err != nil {
		t.Fatalf("SecretData: %v", err)
	}
	fromSecret, err := FromSecretData(data)
	if err != nil {
		t.Fatalf("own Secret does not read back: %v", err)
	}
	if fromSecret.KeyID != kp.KeyID || !fromSecret.Equal(kp) {
		t.Fatalf("Secret round trip changed the key")
	}
}

// checkNoMaterial: an error never quotes the input's base64 body.
func checkNoMaterial(t *testing.T, err error, data []byte) {
	t.Helper()
	if !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("error does not wrap ErrInvalidKey: %v", err)
	}
	if b, _ := pem.Decode(data); b != nil && len(b.Bytes) >= 8 {
		enc := base64.StdEncoding.EncodeToString(b.Bytes)
		if strings.Contains(err.Error(), enc[:min(len(enc), 16)]) {
			t.Fatalf("error quotes key material: %v", err)
		}
	}
}

func FuzzParsePrivatePEM(f *testing.F) {
	f.Add([]byte(""), "RS256")
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"), "RS256")
	f.Add([]byte("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"), "PS256")
	f.Add([]byte("-----BEGIN EC PRIVATE KEY-----\nMAA=\n-----END EC PRIVATE KEY-----\n"), "ES256")
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n"), "ES256")
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\ntrailing"), "RS256")
	f.Fuzz(func(t *testing.T, data []byte, alg string) {
		kp, err := ParsePrivatePEM(data, Algorithm(alg))
		if err != nil {
			if kp != nil {
				t.Fatal("key pair and error")
			}
			checkNoMaterial(t, err, data)
			return
		}
		if kp.Algorithm != Algorithm(alg) || checkAlgorithm(kp.Algorithm, kp.Private) != nil {
			t.Fatalf("accepted a %T for %q", kp.Private, alg)
		}
		checkRoundTrip(t, kp)
	})
}

func FuzzFromSecretData(f *testing.F) {
	f.Add([]byte(""), []byte(""), []byte(""), []byte(""), []byte(""))
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n"), []byte(`{"kty":"EC"}`),
		[]byte(`{"kty":"EC","crv":"P-256","x":"","y":""}`), []byte("kid"), []byte("ES256"))
	f.Add([]byte("x"), []byte("null"), []byte("[]"), []byte(""), []byte("RS256"))
	f.Fuzz(func(t *testing.T, privPEM, privJWK, pubJWK, kid, alg []byte) {
		data := map[string][]byte{SecretKeyPrivatePEM: privPEM, SecretKeyPrivateJWK: privJWK,
			SecretKeyPublicJWK: pubJWK, SecretKeyKeyID: kid, SecretKeyAlgorithm: alg}
		kp, err := FromSecretData(data)
		if err != nil {
			if kp != nil {
				t.Fatal("key pair and error")
			}
			checkNoMaterial(t, err, privPEM)
			for _, jwk := range [][]byte{privJWK, pubJWK} {
				if len(jwk) >= 16 && bytes.Contains([]byte(err.Error()), jwk) {
					t.Fatalf("error quotes a JWK: %v", err)
				}
			}
			return
		}
		if kp.KeyID != string(kid) || string(kp.Algorithm) != string(alg) {
			t.Fatalf("accepted kid %q alg %q for key %s %s", kid, alg, kp.KeyID, kp.Algorithm)
		}
		checkRoundTrip(t, kp)
	})
}
