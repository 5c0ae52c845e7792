package main

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/openg2p/esignet-operator/internal/keys"
)

// The redactor hides a key in every encoding an output might embed it in, and names its kid.
func TestRedactorHidesKeyMaterial(t *testing.T) {
	kp, err := keys.Generate(keys.RS256, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes, _ := kp.PrivatePEM()
	jwk, _ := kp.PrivateJWK()
	pubJWK, _ := kp.PublicJWK()
	escapedPEM, _ := json.Marshal(string(pemBytes)) // "-----BEGIN ...\n..." inside JSON
	escapedJWK, _ := json.Marshal(string(jwk))      // a JWK inside a JSON string (e.g. SQL with JSON)
	var members map[string]any
	_ = json.Unmarshal(jwk, &members)

	var known redactor
	known.addKey(pemBytes, jwk, kp.KeyID)
	var unknown redactor // has never seen the key: only the patterns apply

	cases := map[string]string{
		"pem":          string(pemBytes),
		"json-pem":     `{"private_key": ` + string(escapedPEM) + `}`,
		"jwk":          string(jwk),
		"escaped-jwk":  "INSERT INTO login_providers (authorization_parameters) VALUES ('{\"client_assertion_jwk\": " + string(escapedJWK) + "}');",
		"base64-pem":   base64.StdEncoding.EncodeToString(pemBytes),
		"base64-jwk":   base64.StdEncoding.EncodeToString(jwk),
		"one-pem-line": strings.Split(string(pemBytes), "\n")[3],
	}
	for name, in := range cases {
		for rname, r := range map[string]*redactor{"known": &known, "unknown": &unknown} {
			if rname == "unknown" && strings.HasPrefix(name, "base64") || rname == "unknown" && name == "one-pem-line" {
				continue // only exact knowledge of the key can find these
			}
			got := r.apply(in)
			if strings.Contains(got, "PRIVATE KEY-----") {
				t.Errorf("%s/%s: PEM armour left: %.80s", rname, name, got)
			}
			for _, m := range []string{"d", "p", "q", "dp", "dq", "qi"} {
				if v, _ := members[m].(string); v != "" && strings.Contains(got, v) {
					t.Errorf("%s/%s: JWK member %s left", rname, name, m)
				}
			}
			for _, l := range strings.Split(string(pemBytes), "\n") {
				if len(l) > 12 && !strings.HasPrefix(l, "-----") && strings.Contains(got, l) {
					t.Errorf("%s/%s: a PEM body line is left", rname, name)
					break
				}
			}
			if rname == "known" && !strings.Contains(got, kp.KeyID) {
				t.Errorf("%s/%s: the placeholder does not name kid %s: %.120s", rname, name, kp.KeyID, got)
			}
		}
	}
	// Public material and ordinary text pass through.
	if got := known.apply(string(pubJWK)); got != string(pubJWK) {
		t.Errorf("public JWK changed: %s", got)
	}
	if got := known.apply("client_id: openg2p-social-registry"); got != "client_id: openg2p-social-registry" {
		t.Errorf("plain text changed: %s", got)
	}
}
