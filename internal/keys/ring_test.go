package keys

import (
	"errors"
	"testing"
)

func mustKey(t *testing.T, alg Algorithm) *KeyPair {
	t.Helper()
	kp, err := Generate(alg, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

func TestRingSlots(t *testing.T) {
	cur, prev, next := mustKey(t, RS256), mustKey(t, RS256), mustKey(t, ES256)
	data, err := Layout(map[string][]byte{"hand-added": []byte("kept")}, map[Slot]Placed{
		SlotCurrent: {cur, "c-r1"}, SlotPrevious: {prev, "c"}, SlotNext: {next, "c-r2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := ReadRing(data)
	for s, want := range map[Slot]struct {
		key *KeyPair
		id  string
	}{SlotCurrent: {cur, "c-r1"}, SlotPrevious: {prev, "c"}, SlotNext: {next, "c-r2"}} {
		h := r[s]
		if h.Err != nil || !h.Key.Equal(want.key) || h.ClientID != want.id {
			t.Errorf("slot %q: %+v, want key %s of %s", s, h, want.key.KeyID, want.id)
		}
	}
	if r.Find(prev.KeyID) == nil || r.Find("nope") != nil {
		t.Error("Find by key id")
	}
	if string(data["hand-added"]) != "kept" {
		t.Error("an entry that is not the operator's was removed")
	}
	// Retiring the previous key and finishing the rotation: only the current slot is left.
	after, err := Layout(data, map[Slot]Placed{SlotCurrent: {next, "c-r2"}})
	if err != nil {
		t.Fatal(err)
	}
	r = ReadRing(after)
	if r[SlotPrevious].Key != nil || r[SlotNext].Key != nil || r[SlotPrevious].Err != nil || !r[SlotCurrent].Key.Equal(next) {
		t.Fatalf("after layout: %+v", r)
	}
	if _, ok := after["previous.private.pem"]; ok {
		t.Error("previous slot left behind")
	}
	if !SameData(after, after) || SameData(after, data) {
		t.Error("SameData")
	}
}

func TestRingUnusableSlot(t *testing.T) {
	cur := mustKey(t, RS256)
	data, _ := cur.SlotData(SlotCurrent, "c")
	data[string(SlotPrevious)+SecretKeyPrivatePEM] = []byte("garbage")
	r := ReadRing(data)
	if r[SlotCurrent].Err != nil || r[SlotPrevious].Err == nil || r[SlotPrevious].Key != nil {
		t.Fatalf("%+v", r)
	}
	if !errors.Is(r[SlotPrevious].Err, ErrInvalidKey) {
		t.Fatalf("error %v is not ErrInvalidKey", r[SlotPrevious].Err)
	}
}

func TestParsePrivate(t *testing.T) {
	kp := mustKey(t, RS256)
	pemBytes, _ := kp.PrivatePEM()
	jwk, _ := kp.PrivateJWK()
	pub, _ := kp.PublicJWK()
	for _, tc := range []struct {
		name string
		data []byte
		alg  Algorithm
		ok   bool
	}{
		{"PEM", pemBytes, RS256, true},
		{"PEM as PS256", pemBytes, PS256, true},
		{"JWK", jwk, RS256, true},
		{"JWK with whitespace", append([]byte("\n  "), jwk...), RS256, true},
		{"JWK for another alg", jwk, PS256, false},
		{"public JWK", pub, RS256, false},
		{"RSA PEM as ES256", pemBytes, ES256, false},
		{"not JSON", []byte("{nope"), RS256, false},
		{"nothing", nil, RS256, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePrivate(tc.data, tc.alg)
			if tc.ok != (err == nil) {
				t.Fatalf("err %v, want ok %v", err, tc.ok)
			}
			if err == nil && got.KeyID != kp.KeyID {
				t.Fatalf("kid %s, want %s", got.KeyID, kp.KeyID)
			}
			if err != nil && !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("error %v is not ErrInvalidKey", err)
			}
		})
	}
}
