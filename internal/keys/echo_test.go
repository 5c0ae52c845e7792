package keys

import (
	"bytes"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// TestSecretTextIsNotEchoed: the controller puts FromSecretData's error into
// a condition message, and a Secret can be edited by hand; no bytes of its
// alg entry or PEM header may reach the message (found by FuzzFromSecretData).
func TestSecretTextIsNotEchoed(t *testing.T) {
	kp, err := Generate(ES256, 0)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := kp.SecretData("c")
	hostile := "ES256\x82\x91\x1b[31m\r\nInjected: " + strings.Repeat("A", 100_000)
	pemOf := func(typ string) []byte {
		return []byte("-----BEGIN " + typ + "-----\nMAA=\n-----END " + typ + "-----\n")
	}
	cases := map[string]map[string][]byte{
		"hostile alg":         {SecretKeyAlgorithm: []byte(hostile)},
		"alg with prefix":     {SecretKeyAlgorithm: []byte("RS256 " + hostile)},
		"hostile PEM type":    {SecretKeyPrivatePEM: pemOf("X" + strings.Repeat("Y", 60_000) + "\x1b[31m\xff")},
		"lower-case PEM type": {SecretKeyPrivatePEM: pemOf("evil payload")},
	}
	for name, patch := range cases {
		t.Run(name, func(t *testing.T) {
			d := map[string][]byte{}
			for k, v := range good {
				d[k] = v
			}
			for k, v := range patch {
				d[k] = v
			}
			_, err := FromSecretData(d)
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if len(msg) > 300 || !utf8.ValidString(msg) || strings.ContainsFunc(msg, unicode.IsControl) ||
				strings.Contains(msg, "Injected") || strings.Contains(msg, "YYYY") || strings.Contains(msg, "evil") {
				t.Errorf("error echoes Secret text (%d bytes): %.200q", len(msg), msg)
			}
			if !bytes.Contains([]byte(msg), []byte(ErrInvalidKey.Error())) {
				t.Errorf("err = %v", err)
			}
		})
	}
}
