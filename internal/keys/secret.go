package keys

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
)

// Keys of the Secret the operator writes for a relying party.
const (
	SecretKeyPrivatePEM = "private.pem"
	SecretKeyPrivateJWK = "private.jwk.json"
	SecretKeyPublicJWK  = "public.jwk.json"
	SecretKeyClientID   = "client_id"
	SecretKeyKeyID      = "kid"
	SecretKeyAlgorithm  = "alg"
)

// SecretData renders every encoding of the key pair plus the client id.
func (k *KeyPair) SecretData(clientID string) (map[string][]byte, error) {
	privPEM, err := k.PrivatePEM()
	if err != nil {
		return nil, err
	}
	privJWK, err := k.PrivateJWK()
	if err != nil {
		return nil, err
	}
	pubJWK, err := k.PublicJWK()
	if err != nil {
		return nil, err
	}
	return map[string][]byte{
		SecretKeyPrivatePEM: privPEM,
		SecretKeyPrivateJWK: privJWK,
		SecretKeyPublicJWK:  pubJWK,
		SecretKeyClientID:   []byte(clientID),
		SecretKeyKeyID:      []byte(k.KeyID),
		SecretKeyAlgorithm:  []byte(k.Algorithm),
	}, nil
}

// FromSecretData reads the key pair back and checks that every encoding describes the same key,
// so a half-edited Secret is reported rather than silently registered. The PEM is authoritative.
func FromSecretData(data map[string][]byte) (*KeyPair, error) {
	alg := Algorithm(data[SecretKeyAlgorithm])
	if alg == "" {
		return nil, fmt.Errorf("%w: secret has no %q entry", ErrInvalidKey, SecretKeyAlgorithm)
	}
	pemBytes, ok := data[SecretKeyPrivatePEM]
	if !ok {
		return nil, fmt.Errorf("%w: secret has no %q entry", ErrInvalidKey, SecretKeyPrivatePEM)
	}
	kp, err := ParsePrivatePEM(pemBytes, alg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", SecretKeyPrivatePEM, err)
	}
	if kid := string(data[SecretKeyKeyID]); kid != kp.KeyID {
		return nil, fmt.Errorf("%w: %q does not match the key's thumbprint", ErrInvalidKey, SecretKeyKeyID)
	}
	for _, name := range []string{SecretKeyPrivateJWK, SecretKeyPublicJWK} {
		if err := sameKey(data[name], kp, name == SecretKeyPrivateJWK); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return kp, nil
}

func sameKey(raw []byte, kp *KeyPair, private bool) error {
	if len(raw) > maxKeyJWK {
		return fmt.Errorf("%w: JWK of %d bytes is larger than any supported key", ErrInvalidKey, len(raw))
	}
	var jwk jose.JSONWebKey
	if err := json.Unmarshal(raw, &jwk); err != nil {
		// json errors can quote input; say only that it is not a JWK.
		return fmt.Errorf("%w: not a JWK", ErrInvalidKey)
	}
	if private && jwk.IsPublic() {
		return fmt.Errorf("%w: expected a private JWK", ErrInvalidKey)
	}
	if !private && !jwk.IsPublic() {
		// A public.jwk.json that carries private members would leak them to anyone given the "public" key.
		return fmt.Errorf("%w: expected a public JWK, found private members", ErrInvalidKey)
	}
	if jwk.KeyID != kp.KeyID || jwk.Algorithm != string(kp.Algorithm) || jwk.Use != "sig" {
		return fmt.Errorf("%w: kid, alg or use differ from the key", ErrInvalidKey)
	}
	if !equalPublic(jwk.Public().Key, kp.Public()) {
		return fmt.Errorf("%w: holds a different key than %s", ErrInvalidKey, SecretKeyPrivatePEM)
	}
	return nil
}

func equalPublic(a, b any) bool {
	switch x := a.(type) {
	case *rsa.PublicKey:
		return x.Equal(b)
	case *ecdsa.PublicKey:
		return x.Equal(b)
	}
	return false
}

// Equal reports whether two key pairs hold the same key; used to tell a registered key from a new one.
func (k *KeyPair) Equal(o *KeyPair) bool {
	if k == nil || o == nil {
		return k == o
	}
	pa, err1 := k.PublicJWK()
	pb, err2 := o.PublicJWK()
	return err1 == nil && err2 == nil && bytes.Equal(pa, pb)
}
