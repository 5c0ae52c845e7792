package fakeesignet

import (
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

func TestClientAssertionRejections(t *testing.T) {
	c := newClient(t, Options{})
	p := newRP(t, c, "rp-a", jose.RS256, nil)
	e := newRP(t, c, "rp-ec", jose.ES256, nil)
	past := time.Now().Add(-time.Hour).Unix()
	tests := []struct {
		name      string
		rp        *relyingParty
		assertion func(p *relyingParty) string
	}{
		{"wrong aud", p, func(p *relyingParty) string {
			return p.assertion(func(m map[string]any) { m["aud"] = "https://elsewhere/token" }, nil)
		}},
		{"wrong iss", p, func(p *relyingParty) string { return p.assertion(func(m map[string]any) { m["iss"] = "someone" }, nil) }},
		{"wrong sub", p, func(p *relyingParty) string { return p.assertion(func(m map[string]any) { m["sub"] = "someone" }, nil) }},
		{"expired", p, func(p *relyingParty) string { return p.assertion(func(m map[string]any) { m["exp"] = past }, nil) }},
		{"no exp", p, func(p *relyingParty) string { return p.assertion(func(m map[string]any) { delete(m, "exp") }, nil) }},
		{"no iat", p, func(p *relyingParty) string { return p.assertion(func(m map[string]any) { delete(m, "iat") }, nil) }},
		{"not yet valid", p, func(p *relyingParty) string {
			return p.assertion(func(m map[string]any) { m["nbf"] = time.Now().Add(time.Minute).Unix() }, nil)
		}},
		{"no jti", p, func(p *relyingParty) string { return p.assertion(func(m map[string]any) { delete(m, "jti") }, nil) }},
		{"blank jti", p, func(p *relyingParty) string { return p.assertion(func(m map[string]any) { m["jti"] = " " }, nil) }},
		{"typ not JWT", p, func(p *relyingParty) string {
			return p.assertion(nil, (&jose.SignerOptions{}).WithType("at+jwt"))
		}},
		{"kid of another key", p, func(p *relyingParty) string {
			return p.assertion(nil, (&jose.SignerOptions{}).WithHeader("kid", "other"))
		}},
		{"alg none", p, func(p *relyingParty) string {
			return b64.EncodeToString([]byte(`{"alg":"none"}`)) + "." + b64.EncodeToString([]byte(`{"iss":"rp-a","sub":"rp-a"}`)) + "."
		}},
		{"HS256 with the public key as secret", p, func(p *relyingParty) string {
			s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte(p.c.s.URL() + "0123456789abcdef0123456789abcdef")}, nil)
			jws, _ := s.Sign([]byte(`{"iss":"rp-a"}`))
			out, _ := jws.CompactSerialize()
			return out
		}},
		{"RS512 not allowed", p, func(p *relyingParty) string {
			q := *p
			q.alg = jose.RS512
			return q.assertion(nil, nil)
		}},
		{"signed by another key", p, func(p *relyingParty) string {
			return e.assertion(func(m map[string]any) { m["iss"], m["sub"] = p.id, p.id }, nil)
		}},
		{"garbage", p, func(*relyingParty) string { return "not.a.jwt" }},
		{"aud of legacy endpoint at v2", e, func(p *relyingParty) string {
			return p.assertion(func(m map[string]any) { m["aud"] = p.c.s.Issuer() + "/oauth/token" }, nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code := tt.rp.code(nil)
			st, body, h := tt.rp.exchange(code, tt.assertion(tt.rp), true, nil)
			if st != 400 || body["error"] != "invalid_client" || body["error_description"] != "invalid_client" || h.Get("Cache-Control") != "no-store" {
				t.Fatalf("%d %v", st, body)
			}
			// A failed exchange does not consume the code.
			if st, body, _ := tt.rp.exchange(code, tt.rp.assertion(nil, nil), true, nil); st != 200 {
				t.Fatalf("retry with a good assertion: %d %v", st, body)
			}
		})
	}
	t.Run("issuer audience accepted", func(t *testing.T) {
		st, body, _ := p.exchange(p.code(nil), p.assertion(func(m map[string]any) { m["aud"] = []any{"x", c.s.Issuer()} }, nil), true, nil)
		if st != 200 {
			t.Fatalf("%d %v", st, body)
		}
	})
	t.Run("legacy endpoint audience", func(t *testing.T) {
		st, body, _ := p.exchange(p.code(nil), p.assertion(func(m map[string]any) { m["aud"] = c.s.Issuer() + "/oauth/token" }, nil), false, nil)
		if st != 200 {
			t.Fatalf("%d %v", st, body)
		}
	})
}

func TestJTIReplay(t *testing.T) {
	for _, tt := range []struct {
		name   string
		opts   Options
		replay bool
	}{
		{"v1.8 default", Options{}, false},
		{"v1.8 disabled", Options{JTIRequired: new(false)}, true},
		{"v1.6 default", Options{Generation: "v1.6"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, tt.opts)
			p := newRP(t, c, "rp-j", jose.RS256, nil)
			aud := c.s.tokenEndpoint()
			a := p.assertion(func(m map[string]any) { m["aud"], m["jti"] = aud, "fixed" }, nil)
			if st, body, _ := p.exchange(p.code(nil), a, true, nil); st != 200 {
				t.Fatalf("first use: %d %v", st, body)
			}
			st, _, _ := p.exchange(p.code(nil), a, true, nil)
			if (st == 200) != tt.replay {
				t.Fatalf("replay status %d", st)
			}
		})
	}
}

func TestLegacyAssertionRules(t *testing.T) {
	c := newClient(t, Options{Generation: "v1.6"})
	p := newRP(t, c, "rp-l", jose.RS256, func(m map[string]any) { m["additionalConfig"] = nil })
	ok := func(m map[string]any) {}
	for _, tt := range []struct {
		name string
		alg  jose.SignatureAlgorithm
		mut  func(map[string]any)
		pass bool
	}{
		{"RS256 exact aud", jose.RS256, ok, true},
		{"PS256 not allowed", jose.PS256, ok, false},
		{"issuer aud not accepted", jose.RS256, func(m map[string]any) { m["aud"] = c.s.Issuer() }, false},
		{"two audiences", jose.RS256, func(m map[string]any) { m["aud"] = []any{c.s.tokenEndpoint(), "x"} }, false},
		{"jti still required", jose.RS256, func(m map[string]any) { delete(m, "jti") }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q := *p
			q.alg = tt.alg
			st, body, _ := q.exchange(q.code(nil), q.assertion(tt.mut, nil), true, nil)
			if tt.pass != (st == 200) || (!tt.pass && (st != 400 || body["error"] != "invalid_assertion")) {
				t.Fatalf("%d %v", st, body)
			}
		})
	}
}
