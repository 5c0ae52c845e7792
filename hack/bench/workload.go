package main

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
)

// Namespaces of the bench: relying parties and their provider, and the floor's own objects.
const (
	benchNamespace = "bench"
	floorNamespace = "bench-floor"
	providerName   = "esignet"
	credsSecret    = "esignet-mgmt-credentials"
)

// rpName names the i-th relying party.
func rpName(i int) string { return fmt.Sprintf("rp-%05d", i) }

// outputsFor are the five OpenG2P output formats of one relying party: four go to Secrets (they
// hold the private key) and env to a ConfigMap.
func outputsFor(name string) []v1.Output {
	return []v1.Output{
		{Format: "oidc", Name: name + "-oidc"},
		{Format: "odoo", Name: name + "-odoo", Odoo: &v1.OdooOutput{IDType: "NATIONAL ID", Enabled: ptr.To(false)}},
		{Format: "fastapi-auth", Name: name + "-fastapi", EnvPrefix: "SPAR_SELFSERVICE_"},
		{Format: "iam", Name: name + "-iam", ProviderName: "National ID", IAM: &v1.IAMOutput{Audiences: []string{"aud-1", "aud-2"}}},
		{Format: "env", Name: name + "-env", EnvPrefix: "PORTAL_"},
	}
}

// relyingParty is the i-th relying party as a user would apply it.
func relyingParty(ns string, i int) *v1.ESignetRelyingParty {
	name := rpName(i)
	return &v1.ESignetRelyingParty{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1.ESignetRelyingPartySpec{
			ProviderRef:  v1.ProviderReference{Name: providerName},
			ClientName:   fmt.Sprintf("Bench relying party %d", i),
			RedirectURIs: []string{fmt.Sprintf("https://%s.bench.example.org/auth/callback", name)},
			Outputs:      outputsFor(name),
		},
	}
}

// createProvider creates the management credentials and the provider pointing at the fake.
func createProvider(ctx context.Context, c client.Client, fakeURL, secret string) error {
	creds := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: benchNamespace, Name: credsSecret},
		StringData: map[string]string{"client-secret": secret}}
	if err := c.Create(ctx, creds); err != nil {
		return err
	}
	p := &v1.ESignetProvider{
		ObjectMeta: metav1.ObjectMeta{Namespace: benchNamespace, Name: providerName},
		Spec: v1.ESignetProviderSpec{
			URL: fakeURL + "/v1/esignet", APIVersion: "v1.8",
			// The fake listens on 127.0.0.1 over plain HTTP; TLS would only add handshakes that
			// kept-alive connections amortise anyway.
			AllowInsecureHTTP: true,
			Auth: v1.ProviderAuth{ClientCredentials: &v1.ClientCredentialsAuth{
				TokenURL: fakeURL + "/realms/mosip/protocol/openid-connect/token", ClientID: mgmtClientID,
				ClientSecretRef: v1.SecretKeySelector{Name: credsSecret, Key: "client-secret"}}},
			RelyingPartyDefaults: &v1.RelyingPartyDefaults{
				LogoURI: "https://bench.example.org/logo.png", UserClaims: []string{"name", "email", "phone_number"},
				AuthContextRefs: []string{"mosip:idp:acr:generated-code"}},
		},
	}
	return c.Create(ctx, p)
}

// providerReady reports whether the provider's Ready condition is True for its generation.
func providerReady(ctx context.Context, c client.Client) (bool, string, error) {
	p := &v1.ESignetProvider{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: benchNamespace, Name: providerName}, p); err != nil {
		return false, "", err
	}
	cond := meta.FindStatusCondition(p.Status.Conditions, v1.ConditionReady)
	if cond == nil {
		return false, "no Ready condition yet", nil
	}
	return cond.Status == metav1.ConditionTrue && cond.ObservedGeneration == p.Generation, cond.Reason + ": " + cond.Message, nil
}

// isReady is the bench's (and a GitOps tool's) test: Ready=True with reason Ready, for the
// current generation.
func isReady(rp *v1.ESignetRelyingParty) bool {
	c := meta.FindStatusCondition(rp.Status.Conditions, v1.ConditionReady)
	return c != nil && c.Status == metav1.ConditionTrue && c.Reason == v1.ReasonReady &&
		c.ObservedGeneration == rp.Generation && rp.Status.ObservedGeneration == rp.Generation
}
