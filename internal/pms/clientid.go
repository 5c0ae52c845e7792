package pms

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"

	jose "github.com/go-jose/go-jose/v4"
)

// ClientID returns the client id PMS computes for a public JWK (API.md §6, PMS
// ClientManagementServiceImpl.processCreateOIDCClient):
//
//	base64url_nopad( SHA-256( ASCII( std_base64( DER SubjectPublicKeyInfo ) ) ) )
//
// i.e. the key's X.509 SubjectPublicKeyInfo DER (Java's PublicKey.getEncoded()) is encoded in
// standard base64 with padding, the SHA-256 of that text is taken, and the digest is encoded
// base64url without padding: 43 characters. For OKP (Ed25519) keys PMS hashes the raw x bytes
// instead of an SPKI (its own workaround, since Nimbus has no OKP PublicKey); ClientID does the
// same.
//
// The id depends on the key material only (kid, alg and use do not change it), so it is known
// before the create call: an operator that crashed after PMS created the client recognises its
// own client by recomputing it. A private JWK, or anything that is not a JWK, is refused; the
// error never quotes the input.
func ClientID(publicJWK []byte) (string, error) {
	der, err := publicKeyBytes(publicJWK)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(base64.StdEncoding.EncodeToString(der)))
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// publicKeyBytes is createPublicKeyFromJWK before its base64 step.
func publicKeyBytes(publicJWK []byte) ([]byte, error) {
	if err := checkPublicJWK(publicJWK); err != nil {
		return nil, err
	}
	var k jose.JSONWebKey
	if err := k.UnmarshalJSON(publicJWK); err != nil {
		// go-jose's messages describe structure ("unknown curve"), never key bytes.
		return nil, &InputError{Op: "client id", Field: "publicKey", Reason: "not a usable JWK: " + err.Error()}
	}
	switch pub := k.Key.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return nil, &InputError{Op: "client id", Field: "publicKey", Reason: "cannot encode the key: " + err.Error()}
		}
		return der, nil
	case ed25519.PublicKey:
		return []byte(pub), nil
	}
	return nil, &InputError{Op: "client id", Field: "publicKey", Reason: fmt.Sprintf("key type %T is not RSA, EC or OKP", k.Key)}
}

// privateJWKMembers belong to private or symmetric keys (RFC 7518 §6); none may leave the
// operator.
var privateJWKMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// checkPublicJWK refuses anything but a JSON object without private members. The value is never
// echoed: it could be a private key.
func checkPublicJWK(raw []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return &InputError{Op: "client id", Field: "publicKey", Reason: "not a JSON object"}
	}
	var found []string
	for _, k := range privateJWKMembers {
		if _, ok := m[k]; ok {
			found = append(found, k)
		}
	}
	if len(found) > 0 {
		sort.Strings(found)
		return &InputError{Op: "client id", Field: "publicKey",
			Reason: fmt.Sprintf("holds private key members %v; send the public JWK only", found)}
	}
	return nil
}
