package keys

import (
	"bytes"
	"crypto"
	"encoding/json"
	"fmt"
	"maps"

	jose "github.com/go-jose/go-jose/v4"
)

// Slot is a place for one key pair in the key Secret. The current key sits under the plain
// names every consumer reads; during a rotation's overlap the previous key sits beside it under
// "previous." names (consumers that must keep working with the old client read those), and a
// rotation in progress writes its new key under "next." names before anything is registered.
type Slot string

// Slots of the key Secret.
const (
	SlotCurrent  Slot = ""
	SlotPrevious Slot = "previous."
	SlotNext     Slot = "next."
)

// Slots lists every slot, current first.
var Slots = []Slot{SlotCurrent, SlotPrevious, SlotNext}

// slotKeys are the data keys each slot holds, without the slot's prefix.
var slotKeys = []string{SecretKeyPrivatePEM, SecretKeyPrivateJWK, SecretKeyPublicJWK, SecretKeyClientID, SecretKeyKeyID, SecretKeyAlgorithm}

// SlotData is SecretData under a slot's names.
func (k *KeyPair) SlotData(s Slot, clientID string) (map[string][]byte, error) {
	data, err := k.SecretData(clientID)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(data))
	for name, v := range data {
		out[string(s)+name] = v
	}
	return out, nil
}

// Held is one slot's content as read back: the key, or why it is unusable.
type Held struct {
	Key      *KeyPair
	ClientID string
	Err      error // nil with a nil Key: the slot is empty
}

// Ring is every key the Secret holds, by slot.
type Ring map[Slot]Held

// ReadRing parses every slot of the Secret's data.
func ReadRing(data map[string][]byte) Ring {
	r := Ring{}
	for _, s := range Slots {
		sub := map[string][]byte{}
		for _, name := range slotKeys {
			if v, ok := data[string(s)+name]; ok {
				sub[name] = v
			}
		}
		if len(sub) == 0 {
			r[s] = Held{}
			continue
		}
		kp, err := FromSecretData(sub)
		r[s] = Held{Key: kp, ClientID: string(sub[SecretKeyClientID]), Err: err}
	}
	return r
}

// Find returns the key with this key id, from any slot.
func (r Ring) Find(keyID string) *KeyPair {
	for _, s := range Slots {
		if h := r[s]; h.Key != nil && h.Key.KeyID == keyID {
			return h.Key
		}
	}
	return nil
}

// Placed is a key pair to hold in a slot, with its client id.
type Placed struct {
	Key      *KeyPair
	ClientID string
}

// Layout is the Secret's data with exactly the given slots filled: other slots' entries are
// removed, entries that are not the operator's (added by hand) are kept.
func Layout(data map[string][]byte, want map[Slot]Placed) (map[string][]byte, error) {
	out := maps.Clone(data)
	if out == nil {
		out = map[string][]byte{}
	}
	for _, s := range Slots {
		for _, name := range slotKeys {
			delete(out, string(s)+name)
		}
	}
	for s, p := range want {
		d, err := p.Key.SlotData(s, p.ClientID)
		if err != nil {
			return nil, err
		}
		maps.Copy(out, d)
	}
	return out, nil
}

// SameData reports whether two Secret data maps are equal.
func SameData(a, b map[string][]byte) bool {
	return maps.EqualFunc(a, b, bytes.Equal)
}

// ParsePrivate reads a private key handed over by a person: a PEM (PKCS#8, PKCS#1 or SEC 1) or
// a private JWK, for the given algorithm. A JWK's own alg, when present, must agree.
func ParsePrivate(data []byte, alg Algorithm) (*KeyPair, error) {
	trimmed := bytes.TrimSpace(data)
	if !bytes.HasPrefix(trimmed, []byte("{")) {
		return ParsePrivatePEM(data, alg)
	}
	if len(trimmed) > maxKeyJWK {
		return nil, fmt.Errorf("%w: JWK of %d bytes is larger than any supported key", ErrInvalidKey, len(trimmed))
	}
	var jwk jose.JSONWebKey
	if err := json.Unmarshal(trimmed, &jwk); err != nil {
		return nil, fmt.Errorf("%w: not a PEM and not a JWK", ErrInvalidKey)
	}
	if jwk.IsPublic() {
		return nil, fmt.Errorf("%w: the JWK holds a public key only", ErrInvalidKey)
	}
	if jwk.Algorithm != "" && jwk.Algorithm != string(alg) {
		return nil, fmt.Errorf("%w: the JWK is for %s, not %s", ErrInvalidKey, safeAlg(jwk.Algorithm), alg)
	}
	signer, ok := jwk.Key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: unsupported JWK key type", ErrInvalidKey)
	}
	return newKeyPair(alg, signer)
}

// safeAlg quotes an algorithm name from a person's JWK only when it is one of the known ones.
func safeAlg(a string) string {
	switch Algorithm(a) {
	case RS256, PS256, ES256, "RS384", "RS512", "PS384", "PS512", "ES384", "ES512", "EdDSA", "HS256":
		return a
	}
	return "another algorithm"
}
