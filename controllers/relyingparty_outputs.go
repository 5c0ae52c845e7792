package controllers

import (
	"fmt"
	"slices"
	"strings"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/keys"
	"github.com/openg2p/esignet-operator/internal/render"
)

// outputsFor lists the outputs, defaulting to one generic oidc Secret.
func outputsFor(rp *v1.ESignetRelyingParty) []v1.Output {
	if len(rp.Spec.Outputs) > 0 {
		return rp.Spec.Outputs
	}
	return []v1.Output{{Format: "oidc", Name: rp.Name + "-oidc"}}
}

// defaultEssentialClaims are essential in OpenG2P's seeded claims requests.
var defaultEssentialClaims = []string{"name", "gender", "birthdate"}

// renderInput gathers what a renderer needs; endpoints come only from discovery.
func renderInput(rp *v1.ESignetRelyingParty, conn *connection, want *desiredClient, kp *keys.KeyPair, out v1.Output) (render.Input, error) {
	redirect, err := consumerRedirect(rp.Spec.RedirectURIs, out.RedirectURI)
	if err != nil {
		return render.Input{}, err
	}
	pemBytes, err := kp.PrivatePEM()
	if err != nil {
		return render.Input{}, err
	}
	jwk, err := kp.PrivateJWK()
	if err != nil {
		return render.Input{}, err
	}
	d := conn.discovery
	in := render.Input{
		ClientID: want.detail.ClientID,
		Endpoints: render.Endpoints{DiscoveryURL: d.SourceURL, Issuer: d.Issuer, AuthorizationEndpoint: d.AuthorizationEndpoint,
			TokenEndpoint: d.TokenEndpoint, UserinfoEndpoint: d.UserinfoEndpoint, JWKSURI: d.JWKSURI},
		Scope:         "openid profile email",
		ACRValues:     want.detail.AuthContextRefs,
		RedirectURI:   redirect,
		Algorithm:     string(kp.Algorithm),
		KeyID:         kp.KeyID,
		PrivateKeyPEM: pemBytes,
		PrivateJWK:    jwk,
		Name:          rp.Spec.ClientName,
		Template:      out.Template,
	}
	for _, c := range want.detail.UserClaims {
		in.Claims = append(in.Claims, render.Claim{Name: c, Essential: slices.Contains(defaultEssentialClaims, c)})
	}
	if c := rp.Spec.Consumer; c != nil {
		if c.Scope != "" {
			in.Scope = c.Scope
		}
		if len(c.ACRValues) > 0 {
			in.ACRValues = c.ACRValues
		}
		if len(c.Claims) > 0 {
			in.Claims = nil
			for _, rc := range c.Claims {
				in.Claims = append(in.Claims, render.Claim{Name: rc.Name, Essential: rc.Essential})
			}
		}
	}
	applyConsumerSettings(&in, out)
	return in, nil
}

// consumerRedirect picks the redirect URI a consumer uses and checks eSignet would accept it.
func consumerRedirect(registered []string, chosen string) (string, error) {
	if chosen == "" {
		if len(registered) == 0 || strings.Contains(registered[0], "*") {
			return "", fmt.Errorf("redirectURI is required when the first of spec.redirectURIs is a wildcard pattern")
		}
		return registered[0], nil
	}
	for _, pattern := range registered {
		if antMatch(pattern, chosen) {
			return chosen, nil
		}
	}
	return "", fmt.Errorf("redirectURI %q matches none of spec.redirectURIs", chosen)
}

// antMatch is Spring's AntPathMatcher as eSignet applies it to redirect URIs: * matches within
// a path segment, ** any number of segments, ? one character.
func antMatch(pattern, s string) bool {
	if !strings.Contains(pattern, "*") && !strings.Contains(pattern, "?") {
		return pattern == s
	}
	return matchSegments(strings.Split(pattern, "/"), strings.Split(s, "/"))
}

func matchSegments(p, s []string) bool {
	for len(p) > 0 {
		if p[0] == "**" {
			for i := 0; i <= len(s); i++ {
				if matchSegments(p[1:], s[i:]) {
					return true
				}
			}
			return false
		}
		if len(s) == 0 || !matchSegment(p[0], s[0]) {
			return false
		}
		p, s = p[1:], s[1:]
	}
	return len(s) == 0
}

func matchSegment(p, s string) bool {
	switch {
	case p == "":
		return s == ""
	case p[0] == '*':
		for i := 0; i <= len(s); i++ {
			if matchSegment(p[1:], s[i:]) {
				return true
			}
		}
		return false
	case s == "":
		return false
	case p[0] == '?' || p[0] == s[0]:
		return matchSegment(p[1:], s[1:])
	}
	return false
}

// applyConsumerSettings passes the per-format settings of an output to its renderer.
func applyConsumerSettings(in *render.Input, out v1.Output) {
	if out.EnvPrefix != "" {
		in.Env = &render.EnvSettings{Prefix: out.EnvPrefix}
	}
}
