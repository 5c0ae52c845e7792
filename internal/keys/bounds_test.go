package keys

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"
)

// A key Secret is written by its namespace: a key larger than any eSignet can hold is refused,
// and an encoding larger than any supported key is refused before it is parsed.
func TestKeySizeBounds(t *testing.T) {
	largest, err := Generate(RS256, MaxRSABits)
	if err != nil {
		t.Fatal(err)
	}
	largestPEM, _ := largest.PrivatePEM()
	largestJWK, _ := largest.PrivateJWK()
	tooLarge, err := rsa.GenerateKey(rand.Reader, MaxRSABits+104)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(tooLarge)
	if err != nil {
		t.Fatal(err)
	}
	tooLargePEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	hugeDER := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: bytes.Repeat([]byte{0x30}, 64<<10)})
	hugeJWK := []byte(`{"kty":"RSA","n":"` + strings.Repeat("A", 64<<10) + `","e":"AQAB","d":"AQAB"}`)

	for _, tc := range []struct {
		name    string
		data    []byte
		wantErr string
	}{
		{"4096-bit PEM", largestPEM, ""},
		{"4096-bit JWK", largestJWK, ""},
		{"4200-bit PEM", tooLargePEM, "too large (4096 maximum)"},
		{"64 KiB PEM block", hugeDER, "larger than any supported key"},
		{"64 KiB JWK", hugeJWK, "larger than any supported key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := ParsePrivate(tc.data, RS256)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidKey) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want ErrInvalidKey saying %q", err, tc.wantErr)
			}
			t.Logf("refused in %s: %v", time.Since(start), err)
		})
	}

	data, err := largest.SecretData("c")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := FromSecretData(data); err != nil {
		t.Fatalf("a 4096-bit key Secret is refused: %v", err)
	}
	data[SecretKeyPublicJWK] = hugeJWK
	if _, err := FromSecretData(data); err == nil || !strings.Contains(err.Error(), "larger than any supported key") {
		t.Fatalf("a key Secret with a 64 KiB public JWK: %v", err)
	}
}
