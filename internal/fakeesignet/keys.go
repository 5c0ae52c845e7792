package fakeesignet

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/go-jose/go-jose/v4"
)

// signingKey is an RS256 key the fake signs with (realm or OIDC).
type signingKey struct {
	priv *rsa.PrivateKey
	kid  string
}

var (
	sharedKeysOnce sync.Once
	sharedKeys     [2]*signingKey
)

// sharedKey returns one of two process-wide keys: generating RSA keys is
// slow on small machines and each fake needs two. Fakes differ in issuer, so
// sharing key material does not let one fake accept another's tokens.
func sharedKey(i int) *signingKey {
	sharedKeysOnce.Do(func() {
		for j := range sharedKeys {
			sharedKeys[j] = newSigningKey()
		}
	})
	return sharedKeys[i]
}

func newSigningKey() *signingKey {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(fmt.Sprintf("fakeesignet: generating RSA key: %v", err))
	}
	pub, _ := json.Marshal(jose.JSONWebKey{Key: &priv.PublicKey})
	sum := sha256.Sum256(pub)
	return &signingKey{priv: priv, kid: base64.RawURLEncoding.EncodeToString(sum[:12])}
}

// sign makes a compact RS256 JWS of the claims with typ JWT and the kid.
func (k *signingKey) sign(claims map[string]any) string {
	return k.signTyped(claims, "JWT")
}

func (k *signingKey) signTyped(claims map[string]any, typ jose.ContentType) string {
	opts := (&jose.SignerOptions{}).WithType(typ).WithHeader("kid", k.kid)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k.priv}, opts)
	if err != nil {
		panic(fmt.Sprintf("fakeesignet: signer: %v", err))
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		panic(fmt.Sprintf("fakeesignet: claims: %v", err))
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		panic(fmt.Sprintf("fakeesignet: sign: %v", err))
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		panic(fmt.Sprintf("fakeesignet: serialize: %v", err))
	}
	return out
}

func (k *signingKey) publicJWK() jose.JSONWebKey {
	return jose.JSONWebKey{Key: &k.priv.PublicKey, KeyID: k.kid, Algorithm: "RS256", Use: "sig"}
}

// verifyOwnJWT checks a compact RS256 JWS against the key and returns its
// claims (numbers as json.Number).
func verifyOwnJWT(token string, k *signingKey) (map[string]any, error) {
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, err
	}
	if len(jws.Signatures) != 1 || jws.Signatures[0].Header.KeyID != k.kid {
		return nil, fmt.Errorf("unknown key")
	}
	payload, err := jws.Verify(&k.priv.PublicKey)
	if err != nil {
		return nil, err
	}
	v, ok := decodeAny(payload)
	claims, isObj := v.(map[string]any)
	if !ok || !isObj {
		return nil, fmt.Errorf("claims are not a JSON object")
	}
	return claims, nil
}
