package fakeesignet

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"sort"
	"strings"
)

// parsedJWK is a client JWK after eSignet's getJWKString/computePublicKeyHash.
type parsedJWK struct {
	stored string           // public-only JSON as eSignet stores it
	hash   string           // v1.8 public_key_hash: hex SHA-256 of n, or of x‖y
	n      string           // raw "n" (v1.5–v1.7 unique index); "" for EC
	kty    string           // RSA or EC
	alg    string           // registered "alg", if any
	use    string           // registered "use", if any
	kid    string           // registered "kid", if any
	pub    crypto.PublicKey // *rsa.PublicKey or *ecdsa.PublicKey
}

// errUnknown marks a JWK fault that escapes eSignet as an unchecked Java
// exception (a non-string kty/alg/use hits a ClassCastException) and so
// surfaces as unknown_error rather than invalid_public_key.
type jwkFault struct{ code string }

var (
	faultInvalidKey = &jwkFault{code: "invalid_public_key"}
	faultUnknown    = &jwkFault{code: "unknown_error"}
)

// privateMembers are dropped: jose4j serialises PUBLIC_ONLY.
var privateMembers = map[string]bool{"d": true, "p": true, "q": true, "dp": true, "dq": true, "qi": true, "oth": true}

var ecCurves = map[string]elliptic.Curve{"P-256": elliptic.P256(), "P-384": elliptic.P384(), "P-521": elliptic.P521()}

// parseJWK applies the generation's JWK rules (API.md §2.7).
func parseJWK(m map[string]any, g generation) (*parsedJWK, *jwkFault) {
	kty, ok1 := optString(m, "kty")
	use, ok2 := optString(m, "use")
	alg, ok3 := optString(m, "alg")
	if g.jwkAllowsEC() && !ok1 || g.jwkBlankAlgUseCheck() && (!ok2 || !ok3) {
		return nil, faultUnknown
	}
	var (
		k *parsedJWK
		f *jwkFault
	)
	switch {
	case !g.jwkAllowsEC(): // ≤ v1.6 built an RsaJsonWebKey whatever kty said
		k, f = parseRSA(m)
	case kty == "RSA":
		k, f = parseRSA(m)
	case kty == "EC":
		k, f = parseEC(m)
	default:
		return nil, faultInvalidKey
	}
	if f != nil {
		return nil, f
	}
	if f := checkCommonMembers(m, k.pub); f != nil {
		return nil, f
	}
	if g.jwkBlankAlgUseCheck() && (hasKey(m, "alg") && javaIsBlank(alg) || hasKey(m, "use") && javaIsBlank(use)) {
		return nil, faultInvalidKey
	}
	k.alg, k.use = alg, use
	k.kid, _ = optString(m, "kid")
	k.stored = storedJWK(m, k.kty)
	return k, nil
}

func hasKey(m map[string]any, k string) bool { _, ok := m[k]; return ok && m[k] != nil }

// optString returns the member if it is a string or absent; ok=false if it
// is present with another JSON type.
func optString(m map[string]any, k string) (string, bool) {
	v, present := m[k]
	if !present || v == nil {
		return "", true
	}
	s, ok := v.(string)
	return s, ok
}

func b64Member(m map[string]any) func(string) ([]byte, bool) {
	return func(k string) ([]byte, bool) {
		s, ok := m[k].(string)
		if !ok {
			return nil, false
		}
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
		return b, err == nil && len(b) > 0
	}
}

func parseRSA(m map[string]any) (*parsedJWK, *jwkFault) {
	get := b64Member(m)
	nb, ok1 := get("n")
	eb, ok2 := get("e")
	if !ok1 || !ok2 {
		return nil, faultInvalidKey
	}
	n, e := new(big.Int).SetBytes(nb), new(big.Int).SetBytes(eb)
	// The JDK's RSA key factory: 512..16384-bit modulus, 1 < e < n.
	if n.BitLen() < 512 || n.BitLen() > 16384 || e.Cmp(big.NewInt(1)) <= 0 || e.Cmp(n) >= 0 || !e.IsInt64() || e.Int64() > 1<<31-1 {
		return nil, faultInvalidKey
	}
	sum := sha256.Sum256([]byte(m["n"].(string)))
	return &parsedJWK{
		kty: "RSA", n: m["n"].(string), hash: hex.EncodeToString(sum[:]),
		pub: &rsa.PublicKey{N: n, E: int(e.Int64())},
	}, nil
}

func parseEC(m map[string]any) (*parsedJWK, *jwkFault) {
	crv, ok := m["crv"].(string)
	curve := ecCurves[crv]
	if !ok || curve == nil {
		return nil, faultInvalidKey
	}
	get := b64Member(m)
	xb, ok1 := get("x")
	yb, ok2 := get("y")
	size := (curve.Params().BitSize + 7) / 8
	xb, yb = bytes.TrimLeft(xb, "\x00"), bytes.TrimLeft(yb, "\x00")
	if !ok1 || !ok2 || len(xb) > size || len(yb) > size {
		return nil, faultInvalidKey
	}
	point := make([]byte, 1+2*size)
	point[0] = 4
	copy(point[1+size-len(xb):], xb)
	copy(point[1+2*size-len(yb):], yb)
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, point) // rejects off-curve points
	if err != nil {
		return nil, faultInvalidKey
	}
	x, y := m["x"].(string), m["y"].(string)
	sum := sha256.Sum256([]byte(x + y))
	return &parsedJWK{kty: "EC", hash: hex.EncodeToString(sum[:]), pub: pub}, nil
}

// checkCommonMembers: jose4j reads kid/use/alg/x5u/x5t as strings, key_ops
// and x5c as string arrays, parses x5c and requires its leaf to hold the key.
func checkCommonMembers(m map[string]any, pub crypto.PublicKey) *jwkFault {
	for _, k := range []string{"kid", "use", "alg", "x5u", "x5t", "x5t#S256"} {
		if _, ok := optString(m, k); !ok {
			return faultInvalidKey
		}
	}
	if ops, present := m["key_ops"]; present && ops != nil {
		if _, ok := stringList(ops); !ok {
			return faultInvalidKey
		}
	}
	chain, present := m["x5c"]
	if !present || chain == nil {
		return nil
	}
	certs, ok := stringList(chain)
	if !ok || len(certs) == 0 {
		return faultInvalidKey
	}
	der, err := base64.StdEncoding.DecodeString(certs[0])
	if err != nil {
		return faultInvalidKey
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return faultInvalidKey
	}
	if eq, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !eq.Equal(pub) {
		return faultInvalidKey
	}
	return nil
}

func stringList(v any) ([]string, bool) {
	arr, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// storedJWK re-serialises the key public-only, in jose4j's member order:
// kty, kid, use, key_ops, alg, key material, x5*, then other members sorted.
func storedJWK(m map[string]any, kty string) string {
	order := []string{"kid", "use", "key_ops", "alg"}
	if kty == "RSA" {
		order = append(order, "n", "e")
	} else {
		order = append(order, "crv", "x", "y")
	}
	order = append(order, "x5c", "x5t", "x5t#S256", "x5u")
	seen := map[string]bool{"kty": true}
	var buf bytes.Buffer
	buf.WriteString(`{"kty":` + mustJSON(kty))
	write := func(k string) {
		if v, ok := m[k]; ok && v != nil && !seen[k] {
			buf.WriteString("," + mustJSON(k) + ":" + mustJSON(v))
		}
		seen[k] = true
	}
	for _, k := range order {
		write(k)
	}
	rest := make([]string, 0, len(m))
	for k := range m {
		if !seen[k] && !privateMembers[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		write(k)
	}
	buf.WriteByte('}')
	return buf.String()
}

func mustJSON(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "null"
	}
	return strings.TrimSuffix(buf.String(), "\n")
}
