// Package keys generates and encodes a relying party's signing key pair.
//
// One key pair is written to a Secret in every encoding an OpenG2P consumer reads: PKCS#8 PEM
// (Odoo, IAM), a private JWK (openg2p-fastapi-auth) and a public JWK with a kid (eSignet).
// The kid is the RFC 7638 thumbprint of the public key, so it is derived, never stored state that
// could drift from the key.
package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha256" // registers SHA-256 for crypto.SHA256 thumbprints
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"regexp"

	jose "github.com/go-jose/go-jose/v4"
)

// Algorithm is a JWS algorithm the relying party signs client assertions with.
type Algorithm string

// Algorithms eSignet accepts for private_key_jwt (RS256 on every version; PS256 and ES256 from v1.7).
const (
	RS256 Algorithm = "RS256"
	PS256 Algorithm = "PS256"
	ES256 Algorithm = "ES256"
)

// DefaultRSABits is used when a caller asks for RSA without a size.
const DefaultRSABits = 2048

// MaxRSABits is the largest RSA key the operator generates or accepts: eSignet stores a client's
// public JWK in 1024 characters, which a larger modulus does not fit, and a larger key handed in
// through a Secret would only make every pass slower to parse it.
const MaxRSABits = 4096

// maxKeyDER and maxKeyJWK bound a key's encodings, read from a Secret a namespace can write,
// before they are parsed: well above a 4096-bit RSA key (about 2.4 kB of DER, 3.3 kB of private
// JWK), far below what would make parsing costly.
const (
	maxKeyDER = 4 << 10
	maxKeyJWK = 8 << 10
)

// ErrInvalidKey marks key material that cannot be used; messages never include the material.
var ErrInvalidKey = errors.New("invalid key material")

// KeyPair is a private signing key with its algorithm and derived key id.
type KeyPair struct {
	Algorithm Algorithm
	Private   crypto.Signer
	KeyID     string
}

// Generate creates a new key pair. rsaBits is ignored for ES256 and defaults to 2048.
func Generate(alg Algorithm, rsaBits int) (*KeyPair, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case RS256, PS256:
		if rsaBits == 0 {
			rsaBits = DefaultRSABits
		}
		if rsaBits != 2048 && rsaBits != 3072 && rsaBits != 4096 {
			return nil, fmt.Errorf("RSA key size %d not supported (use 2048, 3072 or 4096)", rsaBits)
		}
		priv, err = rsa.GenerateKey(rand.Reader, rsaBits)
	case ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		return nil, fmt.Errorf("algorithm %q not supported (use RS256, PS256 or ES256)", alg)
	}
	if err != nil {
		return nil, fmt.Errorf("generating %s key: %w", alg, err)
	}
	return newKeyPair(alg, priv)
}

func newKeyPair(alg Algorithm, priv crypto.Signer) (*KeyPair, error) {
	if err := checkAlgorithm(alg, priv); err != nil {
		return nil, err
	}
	kid, err := Thumbprint(priv.Public())
	if err != nil {
		return nil, err
	}
	return &KeyPair{Algorithm: alg, Private: priv, KeyID: kid}, nil
}

// checkAlgorithm refuses a key whose type or curve does not fit the algorithm, so a Secret edited
// by hand cannot make the operator register a key consumers will fail to sign with. An unknown
// algorithm is not quoted: it comes from the Secret and the error reaches a status message.
func checkAlgorithm(alg Algorithm, priv crypto.Signer) error {
	switch alg {
	case RS256, PS256, ES256:
	default:
		return fmt.Errorf("%w: algorithm is not RS256, PS256 or ES256", ErrInvalidKey)
	}
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		if alg != RS256 && alg != PS256 {
			return fmt.Errorf("%w: RSA key cannot sign %s", ErrInvalidKey, alg)
		}
		if k.N.BitLen() < 2048 {
			return fmt.Errorf("%w: RSA key of %d bits is too small (2048 minimum)", ErrInvalidKey, k.N.BitLen())
		}
		if k.N.BitLen() > MaxRSABits {
			return fmt.Errorf("%w: RSA key of %d bits is too large (%d maximum)", ErrInvalidKey, k.N.BitLen(), MaxRSABits)
		}
	case *ecdsa.PrivateKey:
		if alg != ES256 || k.Curve != elliptic.P256() {
			return fmt.Errorf("%w: EC key on %s cannot sign %s", ErrInvalidKey, k.Curve.Params().Name, alg)
		}
	default:
		return fmt.Errorf("%w: unsupported private key type %T", ErrInvalidKey, priv)
	}
	return nil
}

// Thumbprint returns the RFC 7638 SHA-256 thumbprint of a public key, base64url without padding.
func Thumbprint(pub crypto.PublicKey) (string, error) {
	sum, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("computing key thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(sum), nil
}

// Public returns the public half.
func (k *KeyPair) Public() crypto.PublicKey { return k.Private.Public() }

// PrivatePEM encodes the private key as PKCS#8 PEM ("BEGIN PRIVATE KEY"), which python-jose,
// cryptography and OpenSSL all read.
func (k *KeyPair) PrivatePEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k.Private)
	if err != nil {
		return nil, fmt.Errorf("encoding private key as PKCS#8: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// PrivateJWK encodes the private key as a JWK with kid, alg and use.
func (k *KeyPair) PrivateJWK() ([]byte, error) {
	return k.jwk(k.Private)
}

// PublicJWK encodes the public key as a JWK with kid, alg and use=sig: what eSignet registers.
// It carries no x5c or other optional members, since eSignet stores the JWK in 1024 characters.
func (k *KeyPair) PublicJWK() ([]byte, error) {
	return k.jwk(k.Public())
}

func (k *KeyPair) jwk(key any) ([]byte, error) {
	b, err := json.Marshal(jose.JSONWebKey{Key: key, KeyID: k.KeyID, Algorithm: string(k.Algorithm), Use: "sig"})
	if err != nil {
		return nil, fmt.Errorf("encoding JWK: %w", err)
	}
	return b, nil
}

// ParsePrivatePEM reads a PKCS#8, PKCS#1 or SEC 1 PEM private key for the given algorithm.
func ParsePrivatePEM(data []byte, alg Algorithm) (*KeyPair, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block", ErrInvalidKey)
	}
	if len(pemTrim(rest)) > 0 {
		return nil, fmt.Errorf("%w: unexpected data after the PEM block", ErrInvalidKey)
	}
	if len(block.Bytes) > maxKeyDER {
		return nil, fmt.Errorf("%w: PEM block of %d bytes is larger than any supported key", ErrInvalidKey, len(block.Bytes))
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		if pemLabel.MatchString(block.Type) {
			return nil, fmt.Errorf("%w: PEM block of type %q is not a private key", ErrInvalidKey, block.Type)
		}
		return nil, fmt.Errorf("%w: PEM block is not a private key", ErrInvalidKey)
	}
	if err != nil {
		// The parser's error describes structure, never key bytes.
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: unsupported private key type %T", ErrInvalidKey, key)
	}
	return newKeyPair(alg, signer)
}

// pemLabel is the shape of the labels RFC 7468 defines ("CERTIFICATE", "PUBLIC KEY"); only such a
// label is named in an error, since the PEM comes from a Secret and the error reaches a status.
var pemLabel = regexp.MustCompile(`^[A-Z0-9 ]{1,40}$`)

func pemTrim(b []byte) []byte {
	for len(b) > 0 && (b[0] == '\n' || b[0] == '\r' || b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}
