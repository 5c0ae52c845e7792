package controllers

import (
	"fmt"
	"slices"
	"strings"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/keys"
	"github.com/openg2p/esignet-operator/internal/redirecturi"
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
	redirect, err := consumerRedirect(string(conn.version), rp.Spec.RedirectURIs, out.RedirectURI)
	if err != nil {
		return render.Input{}, err
	}
	in := render.Input{
		ClientID:     want.detail.ClientID,
		Endpoints:    endpointsForRender(conn),
		RedirectURI:  redirect,
		Algorithm:    string(kp.Algorithm),
		KeyID:        kp.KeyID,
		Name:         rp.Spec.ClientName,
		EnvPrefix:    out.EnvPrefix,
		Template:     out.Template,
		TemplateKey:  out.TemplateKey,
		Odoo:         render.OdooSettings{Enabled: true},
		Scope:        render.DefaultScope,
		ACRValues:    want.detail.AuthContextRefs,
		TokenMap:     render.DefaultTokenMap,
		EnablePKCE:   true,
		VerifyAtHash: true,
	}
	if in.PrivateKeyPEM, err = kp.PrivatePEM(); err != nil {
		return render.Input{}, err
	}
	if in.PrivateJWK, err = kp.PrivateJWK(); err != nil {
		return render.Input{}, err
	}
	if in.PublicJWK, err = kp.PublicJWK(); err != nil {
		return render.Input{}, err
	}
	for _, c := range want.detail.UserClaims {
		in.Claims = append(in.Claims, render.Claim{Name: c, Essential: slices.Contains(defaultEssentialClaims, c)})
	}
	applyConsumerSettings(&in, rp.Spec.Consumer)
	applyOutputSettings(&in, out)
	return in, nil
}

func endpointsForRender(conn *connection) render.Endpoints {
	d := conn.discovery
	return render.Endpoints{DiscoveryURL: d.SourceURL, Issuer: d.Issuer, AuthorizationEndpoint: d.AuthorizationEndpoint,
		TokenEndpoint: d.TokenEndpoint, UserinfoEndpoint: d.UserinfoEndpoint, JWKSURI: d.JWKSURI}
}

// applyConsumerSettings overrides OpenG2P's defaults with the spec's consumer settings.
func applyConsumerSettings(in *render.Input, c *v1.ConsumerSettings) {
	if c == nil {
		return
	}
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
	if c.TokenMap != "" {
		in.TokenMap = c.TokenMap
	}
	if c.EnablePKCE != nil {
		in.EnablePKCE = *c.EnablePKCE
	}
	if c.VerifyAtHash != nil {
		in.VerifyAtHash = *c.VerifyAtHash
	}
}

// applyOutputSettings passes the per-format settings of an output to its renderer.
func applyOutputSettings(in *render.Input, out v1.Output) {
	if out.ProviderName != "" {
		in.Name = out.ProviderName
	}
	if o := out.Odoo; o != nil {
		if o.Enabled != nil {
			in.Odoo.Enabled = *o.Enabled
		}
		in.Odoo.IDType = o.IDType
		in.Odoo.SelfServicePortal = o.SelfServicePortal
	}
	if o := out.IAM; o != nil {
		in.IAM = render.IAMSettings{Audiences: o.Audiences, DefaultRedirectURI: o.DefaultRedirectURI}
	}
}

// consumerRedirect picks the redirect URI a consumer uses and checks that the provider's
// eSignet would accept it at login, by eSignet's own rule (internal/redirecturi).
func consumerRedirect(version string, registered []string, chosen string) (string, error) {
	if chosen == "" {
		if len(registered) == 0 || strings.ContainsAny(registered[0], "*{") {
			return "", fmt.Errorf("redirectURI is required when the first of spec.redirectURIs is a wildcard pattern")
		}
		chosen = registered[0]
	}
	ok, err := redirecturi.Accepts(version, registered, chosen)
	switch {
	case err != nil:
		return "", err
	case !ok && chosen == registered[0]:
		return "", fmt.Errorf("redirect URI %q would be refused by eSignet %s at login", chosen, version)
	case !ok:
		return "", fmt.Errorf("redirectURI %q matches none of spec.redirectURIs the way eSignet %s matches them", chosen, version)
	}
	return chosen, nil
}
