package pms_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/openg2p/esignet-operator/internal/pms"
	"github.com/openg2p/esignet-operator/test/consumers"
)

// pythonClientIDs computes PMS's client id independently, with python3's cryptography package:
// base64url_nopad(sha256(std_base64(SubjectPublicKeyInfo DER))); for Ed25519 PMS hashes the raw
// public key instead. The interpreter is Debian's (consumers.Python), which has cryptography.
const pythonClientIDs = `
import base64, hashlib, json, sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
out = []
for p in json.load(sys.stdin):
    k = serialization.load_pem_public_key(p.encode())
    if isinstance(k, ed25519.Ed25519PublicKey):
        raw = k.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    else:
        raw = k.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashlib.sha256(base64.b64encode(raw)).digest()
    out.append(base64.urlsafe_b64encode(digest).rstrip(b"=").decode())
print(json.dumps(out))
`

// TestClientIDMatchesPythonCryptography is the derivation's test vector: keys generated here,
// their public PEMs handed to Python, the ids compared. A missing python3 or cryptography fails
// the test: it never skips.
func TestClientIDMatchesPythonCryptography(t *testing.T) {
	type key struct {
		name string
		pub  crypto.PublicKey
	}
	rsa2048, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsa3072, err := rsa.GenerateKey(rand.Reader, 3072)
	if err != nil {
		t.Fatal(err)
	}
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	ks := []key{{"RSA-2048", &rsa2048.PublicKey}, {"RSA-3072", &rsa3072.PublicKey},
		{"EC P-256", &p256.PublicKey}, {"EC P-384", &p384.PublicKey}, {"EC P-521", &p521.PublicKey}, {"Ed25519", edPub}}

	pems := make([]string, 0, len(ks))
	for _, k := range ks {
		der, err := x509.MarshalPKIXPublicKey(k.pub)
		if err != nil {
			t.Fatal(err)
		}
		pems = append(pems, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})))
	}
	want := runPython(t, pems)
	if len(want) != len(ks) {
		t.Fatalf("python returned %d ids for %d keys", len(want), len(ks))
	}
	for i, k := range ks {
		jwk, err := json.Marshal(jose.JSONWebKey{Key: k.pub, KeyID: "kid-" + k.name, Algorithm: "RS256", Use: "sig"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := pms.ClientID(jwk)
		if err != nil {
			t.Fatalf("%s: %v", k.name, err)
		}
		if got != want[i] || len(got) != 43 {
			t.Errorf("%s: ClientID = %q, python says %q", k.name, got, want[i])
		}
		// kid, alg and use are not key material: the id is the same without them.
		bare, _ := json.Marshal(jose.JSONWebKey{Key: k.pub})
		if again, _ := pms.ClientID(bare); again != got {
			t.Errorf("%s: id depends on kid/alg/use: %q vs %q", k.name, again, got)
		}
	}
}

func runPython(t *testing.T, pems []string) []string {
	t.Helper()
	if _, err := os.Stat(consumers.Python); err != nil {
		t.Fatalf("%s not found (%v): the client-id test vector needs python3 with cryptography (hack/install-test-deps.sh)", consumers.Python, err)
	}
	in, _ := json.Marshal(pems)
	cmd := exec.Command(consumers.Python, "-I", "-c", pythonClientIDs)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("python3 cryptography failed (%v): %s", err, strings.TrimSpace(stderr.String()))
	}
	var out []string
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("python output %q: %v", stdout.String(), err)
	}
	return out
}

func TestClientIDRefusesWhatIsNotAPublicJWK(t *testing.T) {
	k := newKey(t)
	priv, err := k.PrivateJWK()
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string][]byte{
		"private JWK":  priv,
		"not JSON":     []byte("-----BEGIN PUBLIC KEY-----"),
		"array":        []byte(`[1,2]`),
		"symmetric":    []byte(`{"kty":"oct","k":"c2VjcmV0LXZhbHVlLXNob3VsZC1ub3QtZWNobw"}`),
		"unknown kty":  []byte(`{"kty":"XYZ","n":"secret-looking-material"}`),
		"broken RSA n": []byte(`{"kty":"RSA","e":"AQAB"}`),
	} {
		id, err := pms.ClientID(in)
		var ie *pms.InputError
		if err == nil || !errors.As(err, &ie) || id != "" {
			t.Errorf("%s: id %q, err %v", name, id, err)
			continue
		}
		for _, leak := range []string{"secret-looking-material", "c2VjcmV0", string(priv[20:40])} {
			if strings.Contains(err.Error(), leak) || strings.Contains(pms.Describe(err), leak) {
				t.Errorf("%s: error quotes the input: %v", name, err)
			}
		}
		if pms.ClassOf(err) != pms.ClassTerminal {
			t.Errorf("%s: class %v", name, pms.ClassOf(err))
		}
	}
}
