package harness

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/fakeesignet"
	"github.com/openg2p/esignet-operator/internal/keys"
)

// sharedProvider is a ClusterESignetProvider the cluster admin created, its credentials in the
// operator's namespace, pointing at a fake eSignet.
type sharedProvider struct {
	e                        *Env
	name, secretName, secret string
	fake                     *fakeesignet.Server
}

// newSharedProvider creates the provider; its credentials Secret is created by createSecret, so
// a test can see what tenants are told while it is missing.
func (e *Env) newSharedProvider(t *testing.T) *sharedProvider {
	t.Helper()
	ctx := context.Background()
	suffix := randomHex(4)
	s := &sharedProvider{e: e, name: "shared-" + suffix, secretName: "shared-esignet-mgmt-" + suffix, secret: randomHex(16)}
	s.fake = fakeesignet.StartTest(t, fakeesignet.Options{ManagementClients: []fakeesignet.ManagementClient{
		{ID: "mosip-pms-client", Secret: s.secret, Scopes: []string{"add_oidc_client", "update_oidc_client"}}}})
	cp := &v1.ClusterESignetProvider{ObjectMeta: metav1.ObjectMeta{Name: s.name}, Spec: v1.ClusterESignetProviderSpec{
		ESignetProviderSpec: v1.ESignetProviderSpec{
			URL: s.fake.ServiceURL(), APIVersion: "v1.8", AllowInsecureHTTP: true,
			Auth: v1.ProviderAuth{ClientCredentials: &v1.ClientCredentialsAuth{
				TokenURL: s.fake.ManagementTokenURL(), ClientID: "mosip-pms-client",
				ClientSecretRef: v1.SecretKeySelector{Name: s.secretName, Key: "client-secret"}}},
			RelyingPartyDefaults: &v1.RelyingPartyDefaults{LogoURI: "https://openg2p.org/logo.png",
				UserClaims: []string{"name", "email"}, AuthContextRefs: []string{"mosip:idp:acr:generated-code"}},
		}}}
	if err := e.Admin.Create(ctx, cp); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Runs after the tests' own cleanups of their relying parties, before the fake stops.
		if err := e.Admin.Delete(ctx, cp); err != nil {
			t.Errorf("deleting %s: %v", s.name, err)
			return
		}
		if !t.Failed() { // a failed test may have left relying parties that keep it
			e.waitGone(t, e.Admin, cp)
		}
		_ = e.Admin.Delete(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: e.Names.Namespace, Name: s.secretName}})
	})
	return s
}

func (s *sharedProvider) createSecret(t *testing.T) {
	t.Helper()
	if err := s.e.Admin.Create(context.Background(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: s.e.Names.Namespace, Name: s.secretName},
		Data: map[string][]byte{"client-secret": []byte(s.secret)}}); err != nil {
		t.Fatal(err)
	}
}

// rp is a relying party on the shared provider.
func (s *sharedProvider) rp(ns, name string, mutate ...func(*v1.ESignetRelyingParty)) *v1.ESignetRelyingParty {
	rp := &v1.ESignetRelyingParty{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1.ESignetRelyingPartySpec{
			ProviderRef: v1.ProviderReference{Kind: v1.KindClusterESignetProvider, Name: s.name},
			ClientName:  "App of " + ns, RedirectURIs: []string{"https://" + ns + ".example.org/callback"},
		}}
	for _, m := range mutate {
		m(rp)
	}
	return rp
}

func create(t *testing.T, c client.Client, obj client.Object) {
	t.Helper()
	if err := c.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %T %s/%s: %v", obj, obj.GetNamespace(), obj.GetName(), err)
	}
}

// TenantsCannotReachEachOther: two tenants behind one ClusterESignetProvider, as the impersonated users themselves: mallory
// names the victim's client, copies its registration record, plants a key Secret, tries to read
// and to write what she must not, and deletes everything; the victim's client is untouched and
// nothing of the operator's namespace or any key reaches her.
func (e *Env) TenantsCannotReachEachOther(t *testing.T) {
	ctx := context.Background()
	mark := e.logMark()
	victim, vc := e.newTenant(t, "victim")
	mallory, mc := e.newTenant(t, "mallory")
	shared := e.newSharedProvider(t)

	// While the provider's credentials are missing, a tenant learns that it is not ready and
	// the reason, not the Secret's name or namespace.
	create(t, mc, shared.rp(mallory, "early"))
	cp := &v1.ClusterESignetProvider{}
	e.eventually(t, "the shared provider reporting its missing Secret", func() (bool, string) {
		if err := e.Admin.Get(ctx, client.ObjectKey{Name: shared.name}, cp); err != nil {
			return false, err.Error()
		}
		c := meta.FindStatusCondition(cp.Status.Conditions, v1.ConditionReady)
		return c != nil && c.Status == metav1.ConditionFalse && strings.Contains(c.Message, shared.secretName), fmt.Sprintf("%+v", c)
	})
	providerReason := meta.FindStatusCondition(cp.Status.Conditions, v1.ConditionReady).Reason
	e.eventually(t, "early's Ready message with the provider's reason", func() (bool, string) {
		rp := getRP(t, mc, mallory, "early")
		c := meta.FindStatusCondition(rp.Status.Conditions, v1.ConditionReady)
		return c != nil && c.Reason == v1.ReasonProviderNotReady && strings.Contains(c.Message, providerReason), fmt.Sprintf("%+v", c)
	})
	if blob := tenantView(t, mc, mallory); strings.Contains(blob, shared.secretName) || strings.Contains(blob, e.Names.Namespace) {
		t.Errorf("a tenant was told about the operator's namespace while the provider was not ready:\n%s", blob)
	}
	shared.createSecret(t)
	e.eventually(t, "the shared provider Ready", func() (bool, string) {
		if err := e.Admin.Get(ctx, client.ObjectKey{Name: shared.name}, cp); err != nil {
			return false, err.Error()
		}
		return providerReady(cp, &cp.Status)
	})
	e.waitReady(t, mc, mallory, "early")

	// The victim's relying party.
	create(t, vc, shared.rp(victim, "app"))
	ready := e.waitReady(t, vc, victim, "app")
	victimID := ready.Status.ClientID
	if victimID != victim+".app" {
		t.Fatalf("victim's derived client id %q, want %q", victimID, victim+".app")
	}
	before, ok := shared.fake.Client(victimID)
	if !ok || before.Status != "ACTIVE" {
		t.Fatalf("victim's client at the fake: %+v (found %v)", before, ok)
	}
	t.Cleanup(func() {
		rp := &v1.ESignetRelyingParty{ObjectMeta: metav1.ObjectMeta{Namespace: victim, Name: "app"}}
		if err := vc.Delete(ctx, rp); err == nil {
			e.waitGone(t, vc, rp)
		}
	})
	victimKey := &corev1.Secret{}
	if err := e.Admin.Get(ctx, client.ObjectKey{Namespace: victim, Name: ready.Status.SecretName}, victimKey); err != nil {
		t.Fatal(err)
	}

	// (a) Naming the victim's client in spec.clientID.
	create(t, mc, shared.rp(mallory, "named", func(r *v1.ESignetRelyingParty) {
		r.Spec.ClientID = victimID
		r.Spec.RedirectURIs = []string{"https://mallory.example.org/cb"}
	}))
	e.waitCondition(t, mc, mallory, "named", v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonClientIDNotAllowed)
	e.waitCondition(t, mc, mallory, "named", v1.ConditionReady, metav1.ConditionFalse, v1.ReasonClientIDNotAllowed)

	// (b) The victim's registration annotation copied onto a relying party of the same name.
	stolen := ready.Annotations[v1.AnnotationRegistration]
	if stolen == "" {
		t.Fatalf("the victim's relying party has no %s annotation", v1.AnnotationRegistration)
	}
	create(t, mc, shared.rp(mallory, "app", func(r *v1.ESignetRelyingParty) {
		r.Annotations = map[string]string{v1.AnnotationRegistration: stolen}
		r.Spec.RedirectURIs = []string{"https://mallory.example.org/cb"}
	}))
	own := e.waitReady(t, mc, mallory, "app")
	if own.Status.ClientID != mallory+".app" {
		t.Fatalf("the copied record was used: mallory's client is %q, want %q", own.Status.ClientID, mallory+".app")
	}
	if c, ok := shared.fake.Client(mallory + ".app"); !ok || c.Status != "ACTIVE" || !slices.Equal(c.RedirectURIs, []string{"https://mallory.example.org/cb"}) {
		t.Fatalf("mallory's own client at the fake: %+v (found %v)", c, ok)
	}

	// (c) A key Secret planted with the operator's labels, holding a key of her own.
	kp, err := keys.Generate(keys.RS256, 2048)
	if err != nil {
		t.Fatal(err)
	}
	data, err := kp.SecretData(mallory + ".planted")
	if err != nil {
		t.Fatal(err)
	}
	planted := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: mallory, Name: "planted-esignet-client",
		Labels: map[string]string{"app.kubernetes.io/managed-by": "esignet-operator",
			"esignet.openg2p.org/relying-party": "planted", "esignet.openg2p.org/role": "key"}}, Data: data}
	create(t, mc, planted)
	create(t, mc, shared.rp(mallory, "planted"))
	e.waitCondition(t, mc, mallory, "planted", v1.ConditionKeyReady, metav1.ConditionFalse, v1.ReasonSecretNotOwned)
	if _, ok := shared.fake.Client(mallory + ".planted"); ok {
		t.Error("a client was registered with the planted key")
	}

	// (d) The victim's objects are not hers to read, nor the operator's namespace, nor the
	// cluster's providers.
	expectForbidden(t, "mallory reading the victim's key Secret", mc.Get(ctx, client.ObjectKeyFromObject(victimKey), &corev1.Secret{}))
	expectForbidden(t, "mallory listing the victim's Secrets", mc.List(ctx, &corev1.SecretList{}, client.InNamespace(victim)))
	expectForbidden(t, "mallory reading the victim's relying party", mc.Get(ctx, client.ObjectKey{Namespace: victim, Name: "app"}, &v1.ESignetRelyingParty{}))
	expectForbidden(t, "mallory listing the victim's relying parties", mc.List(ctx, &v1.ESignetRelyingPartyList{}, client.InNamespace(victim)))
	expectForbidden(t, "mallory listing relying parties cluster-wide", mc.List(ctx, &v1.ESignetRelyingPartyList{}))
	expectForbidden(t, "mallory listing the operator's Secrets", mc.List(ctx, &corev1.SecretList{}, client.InNamespace(e.Names.Namespace)))
	expectForbidden(t, "mallory reading the ClusterESignetProvider", mc.Get(ctx, client.ObjectKey{Name: shared.name}, &v1.ClusterESignetProvider{}))
	expectForbidden(t, "mallory updating the victim's relying party", mc.Update(ctx, ready.DeepCopy()))

	// Status is the operator's: the shipped role grants tenants no status write, and a status
	// sent with the main resource is dropped.
	forged := getRP(t, mc, mallory, "app")
	forged.Status.ClientID = victimID
	forged.Status.Registration = ready.Status.Registration.DeepCopy()
	expectForbidden(t, "mallory updating her relying party's status", mc.Status().Update(ctx, forged.DeepCopy()))
	expectForbidden(t, "mallory patching her relying party's status", mc.Status().Patch(ctx, forged.DeepCopy(),
		client.RawPatch(client.Merge.Type(), []byte(`{"status":{"registration":{"clientID":"`+victimID+`"}}}`))))
	updateRP(t, mc, mallory, "app", func(r *v1.ESignetRelyingParty) { r.Status = forged.Status })
	if got := getRP(t, mc, mallory, "app"); got.Status.ClientID != mallory+".app" || got.Status.Registration == nil || got.Status.Registration.ClientID != mallory+".app" {
		t.Errorf("a status sent with the main resource was stored: %+v", got.Status)
	}

	// (e) What she can read of her own holds nothing of the operator's namespace and no key.
	eventsOnceSent(t, mc, mallory, "app", v1.EventClientCreated)
	blob := tenantView(t, mc, mallory)
	needles := map[string]string{e.Names.Namespace: "the operator's namespace", shared.secret: "the management client secret"}
	sys := &corev1.SecretList{}
	if err := e.Admin.List(ctx, sys, client.InNamespace(e.Names.Namespace)); err != nil {
		t.Fatal(err)
	}
	for _, s := range sys.Items {
		needles[s.Name] = "the name of Secret " + e.Names.Namespace + "/" + s.Name
		if k := s.Data["key"]; len(k) > 0 {
			for _, enc := range []string{base64.StdEncoding.EncodeToString(k), base64.RawURLEncoding.EncodeToString(k), hex.EncodeToString(k)} {
				needles[enc] = "Secret " + s.Name + "'s key"
			}
		}
	}
	keySecrets := []*corev1.Secret{victimKey, planted}
	for _, name := range []string{"early", "app"} {
		s := &corev1.Secret{}
		if err := mc.Get(ctx, client.ObjectKey{Namespace: mallory, Name: getRP(t, mc, mallory, name).Status.SecretName}, s); err != nil {
			t.Fatal(err)
		}
		keySecrets = append(keySecrets, s)
	}
	needles["PRIVATE KEY"] = "a PEM private key"
	for _, s := range keySecrets {
		var jwk map[string]any
		if err := json.Unmarshal(s.Data[keys.SecretKeyPrivateJWK], &jwk); err != nil {
			t.Fatalf("Secret %s/%s: %v", s.Namespace, s.Name, err)
		}
		for _, part := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			if v, _ := jwk[part].(string); v != "" {
				needles[v] = fmt.Sprintf("private key part %s of Secret %s/%s", part, s.Namespace, s.Name)
			}
		}
	}
	for _, want := range []string{mallory + ".app", keyGeneratedNote, v1.EventClientCreated} {
		if !strings.Contains(blob, want) { // the view is what it should be: her objects and events
			t.Fatalf("mallory's view of her namespace lacks %q", want)
		}
	}
	for needle, what := range needles {
		if strings.Contains(blob, needle) {
			t.Errorf("mallory's relying parties or events hold %s", what)
		}
	}

	// (f) Deleting all of hers leaves the victim's client as it was.
	for _, name := range []string{"early", "named", "app", "planted"} {
		rp := getRP(t, mc, mallory, name)
		if err := mc.Delete(ctx, rp); err != nil {
			t.Fatalf("mallory deleting %s: %v", name, err)
		}
		e.waitGone(t, mc, rp)
	}
	for _, id := range []string{mallory + ".early", mallory + ".app"} {
		if c, _ := shared.fake.Client(id); c.Status != "INACTIVE" {
			t.Errorf("mallory's own client %s is %q after deletion, want INACTIVE", id, c.Status)
		}
	}
	after, _ := shared.fake.Client(victimID)
	if after.Status != "ACTIVE" || after.ClientName != before.ClientName || !slices.Equal(after.RedirectURIs, before.RedirectURIs) ||
		after.PublicKeyHash != before.PublicKeyHash || !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Fatalf("victim's client changed:\nbefore %+v\nafter  %+v", before, after)
	}
	got := &corev1.Secret{}
	if err := mc.Get(ctx, client.ObjectKeyFromObject(planted), got); err != nil || got.ResourceVersion != planted.ResourceVersion {
		t.Errorf("the planted Secret was touched or removed (resourceVersion %q, was %q)", got.ResourceVersion, planted.ResourceVersion)
	}
	if c := meta.FindStatusCondition(getRP(t, vc, victim, "app").Status.Conditions, v1.ConditionReady); c == nil || c.Status != metav1.ConditionTrue {
		t.Fatalf("the victim's relying party is no longer Ready: %+v", c)
	}
	e.assertManagerClean(t, mark)
}

// tenantView is everything a tenant reads about her relying parties through her own client:
// the objects whole (status, annotations, managed fields) and the events of her namespace.
func tenantView(t *testing.T, c client.Client, ns string) string {
	t.Helper()
	rps := &v1.ESignetRelyingPartyList{}
	if err := c.List(context.Background(), rps, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	evs := &corev1.EventList{}
	if err := c.List(context.Background(), evs, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(struct {
		RelyingParties any
		Events         any
	}{rps.Items, evs.Items})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
