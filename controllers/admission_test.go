package controllers

import (
	"context"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
)

func validRP(ns, name string) *v1.ESignetRelyingParty {
	return &v1.ESignetRelyingParty{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1.ESignetRelyingPartySpec{
			ProviderRef:  v1.ProviderReference{Name: "esignet"},
			ClientName:   "Social Registry",
			RedirectURIs: []string{"https://sr.example.org/auth_oauth/signin"},
		},
	}
}

// The API server applies the schema defaults, so a minimal manifest reads back complete.
func TestAdmissionDefaults(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	rp := validRP(ns, "defaults")
	if err := k8sClient.Create(ctx, rp); err != nil {
		t.Fatalf("create: %v", err)
	}
	got := &v1.ESignetRelyingParty{}
	if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(rp), got); err != nil {
		t.Fatal(err)
	}
	s := got.Spec
	if s.ProviderRef.Kind != "ESignetProvider" || s.Key.Algorithm != "RS256" || s.DeletionPolicy != v1.DeletionPolicyDeactivate ||
		s.Active == nil || !*s.Active || strings.Join(s.GrantTypes, ",") != "authorization_code" ||
		strings.Join(s.ClientAuthMethods, ",") != "private_key_jwt" {
		t.Fatalf("defaults not applied: %+v", s)
	}

	p := &v1.ESignetProvider{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "esignet"},
		Spec: v1.ESignetProviderSpec{URL: "https://esignet.example.org/v1/esignet"}}
	if err := k8sClient.Create(ctx, p); err != nil {
		t.Fatalf("create provider: %v", err)
	}
	if p.Spec.APIVersion != "v1.8" || p.Spec.AllowInsecureHTTP {
		t.Fatalf("provider defaults not applied: %+v", p.Spec)
	}
}

func TestAdmissionRejectsInvalidRelyingParties(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	cases := []struct {
		name   string
		mutate func(*v1.ESignetRelyingParty)
		want   string // a fragment of the API server's message naming the field or rule
	}{
		{"no redirect uris", func(r *v1.ESignetRelyingParty) { r.Spec.RedirectURIs = nil }, "spec.redirectURIs"},
		// Regression: an output named like the key Secret overwrote the private key.
		{"output named like the default key Secret", func(r *v1.ESignetRelyingParty) {
			r.Spec.Outputs = []v1.Output{{Format: "oidc", Name: r.Name + "-esignet-client"}}
		}, "overwrite the private key"},
		{"output named like spec.secretName", func(r *v1.ESignetRelyingParty) {
			r.Spec.SecretName = "keys"
			r.Spec.Outputs = []v1.Output{{Format: "env", Name: "keys"}}
		}, "overwrite the private key"},
		{"six redirect uris", func(r *v1.ESignetRelyingParty) {
			r.Spec.RedirectURIs = []string{"https://a.org/1", "https://a.org/2", "https://a.org/3", "https://a.org/4", "https://a.org/5", "https://a.org/6"}
		}, "spec.redirectURIs"},
		{"wildcard host", func(r *v1.ESignetRelyingParty) { r.Spec.RedirectURIs = []string{"https://*.example.org/cb"} }, "spec.redirectURIs[0]"},
		{"space in redirect", func(r *v1.ESignetRelyingParty) { r.Spec.RedirectURIs = []string{"https://a.org/c b"} }, "spec.redirectURIs[0]"},
		{"blank client name", func(r *v1.ESignetRelyingParty) { r.Spec.ClientName = "   " }, "spec.clientName"},
		{"long client name", func(r *v1.ESignetRelyingParty) { r.Spec.ClientName = strings.Repeat("n", 257) }, "spec.clientName"},
		{"client id with space", func(r *v1.ESignetRelyingParty) { r.Spec.ClientID = "a b" }, "spec.clientID"},
		{"client id too long", func(r *v1.ESignetRelyingParty) { r.Spec.ClientID = strings.Repeat("c", 101) }, "spec.clientID"},
		{"lang key not iso 639-2", func(r *v1.ESignetRelyingParty) { r.Spec.ClientNameLangMap = map[string]v1.LocalizedName{"en": "x"} }, "ISO 639-2/T"},
		{"lang value too long", func(r *v1.ESignetRelyingParty) {
			r.Spec.ClientNameLangMap = map[string]v1.LocalizedName{"eng": v1.LocalizedName(strings.Repeat("x", 51))}
		}, "spec.clientNameLangMap.eng"},
		{"logo not a url", func(r *v1.ESignetRelyingParty) { r.Spec.LogoURI = "logo.png" }, "spec.logoURI"},
		{"unsupported grant", func(r *v1.ESignetRelyingParty) { r.Spec.GrantTypes = []string{"implicit"} }, "spec.grantTypes[0]"},
		{"unsupported auth method", func(r *v1.ESignetRelyingParty) { r.Spec.ClientAuthMethods = []string{"client_secret_basic"} }, "spec.clientAuthMethods[0]"},
		{"31 claims", func(r *v1.ESignetRelyingParty) { r.Spec.UserClaims = numbered("claim", 31) }, "spec.userClaims"},
		{"size on ES256", func(r *v1.ESignetRelyingParty) { r.Spec.Key = v1.KeySpec{Algorithm: "ES256", Size: 2048} }, "RSA keys only"},
		{"odd RSA size", func(r *v1.ESignetRelyingParty) { r.Spec.Key = v1.KeySpec{Algorithm: "RS256", Size: 1024} }, "spec.key.size"},
		{"consent under 10 min", func(r *v1.ESignetRelyingParty) {
			r.Spec.AdditionalConfig = &v1.AdditionalConfig{ConsentExpireInMins: ptr.To[int32](5)}
		}, "spec.additionalConfig.consentExpireInMins"},
		{"JWE userinfo", func(r *v1.ESignetRelyingParty) {
			r.Spec.AdditionalConfig = &v1.AdditionalConfig{UserinfoResponseType: "JWE"}
		}, "spec.additionalConfig.userinfoResponseType"},
		{"purpose title without @none", func(r *v1.ESignetRelyingParty) {
			r.Spec.AdditionalConfig = &v1.AdditionalConfig{Purpose: &v1.Purpose{Type: "login", Title: map[string]string{"eng": "x"}}}
		}, "@none"},
		{"bad deletion policy", func(r *v1.ESignetRelyingParty) { r.Spec.DeletionPolicy = "Delete" }, "spec.deletionPolicy"},
		{"bad provider kind", func(r *v1.ESignetRelyingParty) { r.Spec.ProviderRef.Kind = "Issuer" }, "spec.providerRef.kind"},
		{"bad secret name", func(r *v1.ESignetRelyingParty) { r.Spec.SecretName = "Not_A_Name" }, "spec.secretName"},
		{"unknown output format", func(r *v1.ESignetRelyingParty) { r.Spec.Outputs = []v1.Output{{Format: "saml", Name: "x"}} }, "spec.outputs[0].format"},
		{"template without text", func(r *v1.ESignetRelyingParty) { r.Spec.Outputs = []v1.Output{{Format: "template", Name: "x"}} }, "template outputs need template"},
		{"odoo settings on iam", func(r *v1.ESignetRelyingParty) {
			r.Spec.Outputs = []v1.Output{{Format: "iam", Name: "x", Odoo: &v1.OdooOutput{IDType: "NATIONAL ID"}}}
		}, "odoo settings are only for format odoo"},
		{"iam settings on odoo", func(r *v1.ESignetRelyingParty) {
			r.Spec.Outputs = []v1.Output{{Format: "odoo", Name: "x", IAM: &v1.IAMOutput{Audiences: []string{"a"}}}}
		}, "iam settings are only for format iam"},
		{"envPrefix on odoo", func(r *v1.ESignetRelyingParty) {
			r.Spec.Outputs = []v1.Output{{Format: "odoo", Name: "x", EnvPrefix: "A_"}}
		}, "envPrefix is only for"},
		{"templateKey on oidc", func(r *v1.ESignetRelyingParty) {
			r.Spec.Outputs = []v1.Output{{Format: "oidc", Name: "x", TemplateKey: "k"}}
		}, "only for format template"},
		{"bad env prefix", func(r *v1.ESignetRelyingParty) {
			r.Spec.Outputs = []v1.Output{{Format: "env", Name: "x", EnvPrefix: "SPAR-"}}
		}, "spec.outputs[0].envPrefix"},
		{"bad token map", func(r *v1.ESignetRelyingParty) { r.Spec.Consumer = &v1.ConsumerSettings{TokenMap: "sub user_id"} }, "spec.consumer.tokenMap"},
		{"duplicate output names", func(r *v1.ESignetRelyingParty) {
			r.Spec.Outputs = []v1.Output{{Format: "oidc", Name: "x"}, {Format: "odoo", Name: "x"}}
		}, "spec.outputs[1]"},
		{"scheduled rotation without every", func(r *v1.ESignetRelyingParty) {
			r.Spec.Key.Rotation = &v1.KeyRotation{Policy: v1.RotationScheduled}
		}, "needs every"},
		{"rotation every minute", func(r *v1.ESignetRelyingParty) {
			r.Spec.Key.Rotation = &v1.KeyRotation{Policy: v1.RotationScheduled, Every: &metav1.Duration{Duration: time.Minute}}
		}, "at least 1h"},
		{"overlap as long as the key lives", func(r *v1.ESignetRelyingParty) {
			r.Spec.Key.Rotation = &v1.KeyRotation{Policy: v1.RotationScheduled, Every: &metav1.Duration{Duration: time.Hour}, Overlap: &metav1.Duration{Duration: time.Hour}}
		}, "overlap must be shorter"},
		{"unknown key-loss policy", func(r *v1.ESignetRelyingParty) { r.Spec.Key.OnKeyLoss = "Regenerate" }, "spec.key.onKeyLoss"},
		{"adopt without a client id", func(r *v1.ESignetRelyingParty) {
			r.Spec.Key.Adopt = &v1.KeyAdoption{SecretName: "hand-made"}
		}, "adopt needs spec.clientID"},
		{"adopt from the key Secret itself", func(r *v1.ESignetRelyingParty) {
			r.Spec.ClientID, r.Spec.Key.Adopt = "by-hand", &v1.KeyAdoption{SecretName: r.Name + "-esignet-client"}
		}, "must differ from the key Secret"},
		{"drift interval of seconds", func(r *v1.ESignetRelyingParty) {
			r.Spec.DriftPolicy = &v1.DriftPolicy{Mode: v1.DriftReassert, Interval: &metav1.Duration{Duration: time.Second}}
		}, "at least 1m"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rp := validRP(ns, "bad-"+string(rune('a'+i)))
			tc.mutate(rp)
			err := k8sClient.Create(ctx, rp)
			assertInvalid(t, err, tc.want)
		})
	}
}

func TestAdmissionImmutableFields(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	cases := []struct {
		name   string
		mutate func(*v1.ESignetRelyingParty)
		want   string
	}{
		{"change client id", func(r *v1.ESignetRelyingParty) { r.Spec.ClientID = "other" }, "clientID is immutable"},
		{"drop client id", func(r *v1.ESignetRelyingParty) { r.Spec.ClientID = "" }, "clientID is immutable"},
		{"change relying party id", func(r *v1.ESignetRelyingParty) { r.Spec.RelyingPartyID = "other" }, "relyingPartyID is immutable"},
		{"change secret name", func(r *v1.ESignetRelyingParty) { r.Spec.SecretName = "other" }, "secretName is immutable"},
		{"change provider", func(r *v1.ESignetRelyingParty) { r.Spec.ProviderRef.Name = "other" }, "providerRef is immutable"},
		{"change key algorithm", func(r *v1.ESignetRelyingParty) { r.Spec.Key.Algorithm = "PS256" }, "key algorithm and size are immutable"},
		{"set key size", func(r *v1.ESignetRelyingParty) { r.Spec.Key.Size = 4096 }, "key algorithm and size are immutable"},
		{"adopt later", func(r *v1.ESignetRelyingParty) { r.Spec.Key.Adopt = &v1.KeyAdoption{SecretName: "hand-made"} }, "adopt is immutable"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rp := validRP(ns, "imm-"+string(rune('a'+i)))
			rp.Spec.ClientID, rp.Spec.RelyingPartyID, rp.Spec.SecretName = "fixed-id", "rp", "keys"
			if err := k8sClient.Create(ctx, rp); err != nil {
				t.Fatal(err)
			}
			assertInvalid(t, updateLatest(ctx, rp, tc.mutate), tc.want)
		})
	}
	// Mutable fields stay mutable.
	rp := validRP(ns, "mutable")
	if err := k8sClient.Create(ctx, rp); err != nil {
		t.Fatal(err)
	}
	if err := updateLatest(ctx, rp, func(r *v1.ESignetRelyingParty) {
		r.Spec.ClientName, r.Spec.Active = "Renamed", ptr.To(false)
		r.Spec.RedirectURIs = append(r.Spec.RedirectURIs, "http://localhost:5000/**")
		r.Spec.ClientID = "set-later" // setting it the first time is allowed
		r.Spec.Key.Rotation = &v1.KeyRotation{RequestedAt: "2026-12-02T10:00:00Z"}
		r.Spec.Key.OnKeyLoss = v1.KeyLossRotate
		r.Spec.DriftPolicy = &v1.DriftPolicy{Mode: v1.DriftReassert}
	}); err != nil {
		t.Fatalf("update of mutable fields refused: %v", err)
	}
}

// updateLatest applies mutate to the stored object and updates it, retrying while the running
// controller's own writes (finalizer, annotations) make the update conflict, so the answer is
// the API server's verdict on the change itself.
func updateLatest(ctx context.Context, rp *v1.ESignetRelyingParty, mutate func(*v1.ESignetRelyingParty)) error {
	for {
		latest := &v1.ESignetRelyingParty{}
		if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(rp), latest); err != nil {
			return err
		}
		mutate(latest)
		err := k8sClient.Update(ctx, latest)
		if !apierrors.IsConflict(err) {
			return err
		}
	}
}

func TestAdmissionRejectsInvalidProviders(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	cases := []struct {
		name string
		spec v1.ESignetProviderSpec
		want string
	}{
		{"http without opt-in", v1.ESignetProviderSpec{URL: "http://esignet.local/v1/esignet"}, "must use https"},
		{"unknown version", v1.ESignetProviderSpec{URL: "https://e.org/v1/esignet", APIVersion: "v2.0"}, "spec.apiVersion"},
		{"not a url", v1.ESignetProviderSpec{URL: "esignet"}, "spec.url"},
		{"two auth methods", v1.ESignetProviderSpec{URL: "https://e.org/v1/esignet", Auth: v1.ProviderAuth{
			ClientCredentials: &v1.ClientCredentialsAuth{TokenURL: "https://k.org/t", ClientID: "c", ClientSecretRef: v1.SecretKeySelector{Name: "s", Key: "k"}},
			TokenSecretRef:    &v1.SecretKeySelector{Name: "s", Key: "t"},
		}}, "not both"},
		{"two CA sources", v1.ESignetProviderSpec{URL: "https://e.org/v1/esignet", CABundle: []byte("x"),
			CABundleSecretRef: &v1.SecretKeySelector{Name: "s", Key: "ca.crt"}}, "not both"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := &v1.ESignetProvider{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "p-" + string(rune('a'+i))}, Spec: tc.spec}
			assertInvalid(t, k8sClient.Create(ctx, p), tc.want)
		})
	}
	ok := &v1.ClusterESignetProvider{ObjectMeta: metav1.ObjectMeta{Name: "lab"},
		Spec: v1.ClusterESignetProviderSpec{ESignetProviderSpec: v1.ESignetProviderSpec{URL: "http://127.0.0.1:8088/v1/esignet", AllowInsecureHTTP: true}}}
	if err := k8sClient.Create(ctx, ok); err != nil {
		t.Fatalf("http with allowInsecureHTTP refused: %v", err)
	}
	if ok.Spec.Tenancy.ClientIDs != v1.ClientIDsNamespaced {
		t.Fatalf("tenancy.clientIDs defaults to %q, want Namespaced", ok.Spec.Tenancy.ClientIDs)
	}
	// The provider-spec rules hold on the cluster kind too (its spec embeds them).
	bad := &v1.ClusterESignetProvider{ObjectMeta: metav1.ObjectMeta{Name: "lab-http"},
		Spec: v1.ClusterESignetProviderSpec{ESignetProviderSpec: v1.ESignetProviderSpec{URL: "http://e.org/v1/esignet"}}}
	assertInvalid(t, k8sClient.Create(ctx, bad), "https")
}

func assertInvalid(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want rejection mentioning %q", want)
	}
	if !apierrors.IsInvalid(err) {
		t.Fatalf("err = %v; want an Invalid error", err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v; want it to mention %q", err, want)
	}
}

func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	return out
}
