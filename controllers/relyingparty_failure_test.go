package controllers

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/esignet"
	"github.com/openg2p/esignet-operator/internal/fakeesignet"
	"github.com/openg2p/esignet-operator/internal/keys"
)

// registerForeignClient registers a client the operator did not create, as another admin would.
func (f *fixture) registerForeignClient(id string) {
	f.t.Helper()
	kp, err := keys.Generate(keys.RS256, 2048)
	if err != nil {
		f.t.Fatal(err)
	}
	pub, _ := kp.PublicJWK()
	c, err := esignet.New(esignet.Config{BaseURL: f.fake.ServiceURL(), APIVersion: esignet.V1_8, AllowInsecureHTTP: true,
		Token: esignet.NewStaticToken(f.fake.IssueManagementToken([]string{"add_oidc_client"}, time.Minute))})
	if err != nil {
		f.t.Fatal(err)
	}
	_, err = c.Create(context.Background(), esignet.ClientDetail{ClientID: id, ClientName: "Someone else's", PublicKey: pub,
		RelyingPartyID: "other", LogoURI: testLogo, RedirectURIs: []string{"https://other.org/cb"}, UserClaims: []string{"name"},
		AuthContextRefs: []string{"mosip:idp:acr:generated-code"}, GrantTypes: []string{"authorization_code"}, ClientAuthMethods: []string{"private_key_jwt"}})
	if err != nil {
		f.t.Fatalf("registering foreign client: %v", err)
	}
}

func TestDuplicateClientIDWithoutIntentIsAConflict(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	f.registerForeignClient(f.ns + ".dup")
	f.newRP("dup")
	rp := f.waitCondition("dup", v1.ConditionReady, metav1.ConditionFalse, v1.ReasonClientIDConflict)
	if c, _ := f.fake.Client(f.ns + ".dup"); c.ClientName != "Someone else's" {
		t.Fatalf("the foreign client was modified: %+v", c)
	}
	if rp.Annotations[v1.AnnotationRegistration] != "" || rp.Status.Registration == nil || rp.Status.Registration.State != "" {
		t.Fatalf("create intent left behind after a definite refusal: %v %+v", rp.Annotations, rp.Status.Registration)
	}
	if f.fake.Counters()["PUT /v1/esignet/client-mgmt/client/{id}"] != 0 {
		t.Fatal("the operator tried to take over a client it did not create")
	}
	// Not retried until the spec changes.
	posts := f.fake.Counters()["POST /v1/esignet/client-mgmt/client"]
	time.Sleep(time.Second)
	if f.fake.Counters()["POST /v1/esignet/client-mgmt/client"] != posts {
		t.Fatal("a conflict was retried without a spec change")
	}
}

// A crash after eSignet created the client but before the operator recorded it: the intent
// annotation makes duplicate_client_id converge instead of conflicting, and one client remains.
func TestDuplicateClientIDWithIntentConverges(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	f.newRP("crash")
	rp := f.waitReady("crash")
	if rp.Annotations[v1.AnnotationRegistration] == "" {
		t.Fatal("no registration annotation on a registered client")
	}
	// Roll the resource back to "create sent, answer never recorded" (a status write triggers
	// no reconcile), then change the spec.
	rp.Status = v1.ESignetRelyingPartyStatus{}
	if err := k8sClient.Status().Update(f.ctx, rp); err != nil {
		t.Fatal(err)
	}
	f.fake.ResetCounters()
	f.update("crash", func(r *v1.ESignetRelyingParty) { r.Spec.ClientName = "After the crash" })
	rp = f.waitReady("crash")
	c := f.fake.Counters()
	if c["POST /v1/esignet/client-mgmt/client"] != 1 || c["PUT /v1/esignet/client-mgmt/client/{id}"] != 1 {
		t.Fatalf("want one POST (duplicate) then one PUT, got %v", c)
	}
	if n := len(f.fake.Clients()); n != 1 {
		t.Fatalf("%d clients at eSignet, want 1", n)
	}
	if got, _ := f.fake.Client(f.ns + ".crash"); got.ClientName != "After the crash" {
		t.Fatalf("not converged: %+v", got)
	}
	if r := rp.Status.Registration; r == nil || r.State != v1.RegistrationRegistered {
		t.Fatalf("registration after convergence: %+v", r)
	}
}

func TestTerminalValidationErrorThenFix(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	// Passes admission (a well-formed URL) but eSignet refuses private TLDs.
	f.newRP("bad", func(r *v1.ESignetRelyingParty) { r.Spec.RedirectURIs = []string{"https://sr.openg2p.internal/cb"} })
	rp := f.waitCondition("bad", v1.ConditionRegistered, metav1.ConditionFalse, v1.ReasonESignetRejected)
	if msg := f.condition(rp, v1.ConditionRegistered).Message; !strings.Contains(msg, "invalid_redirect_uri") {
		t.Fatalf("message lacks eSignet's error code: %s", msg)
	}
	if f.condition(rp, v1.ConditionReady).Status != metav1.ConditionFalse {
		t.Fatal("Ready is not False")
	}
	posts := f.fake.Counters()["POST /v1/esignet/client-mgmt/client"]
	time.Sleep(time.Second)
	if f.fake.Counters()["POST /v1/esignet/client-mgmt/client"] != posts {
		t.Fatal("a terminal error was retried without a spec change")
	}
	f.update("bad", func(r *v1.ESignetRelyingParty) { r.Spec.RedirectURIs = []string{"https://sr.openg2p.org/cb"} })
	f.waitReady("bad")
	if _, ok := f.fake.Client(f.ns + ".bad"); !ok {
		t.Fatal("not registered after the fix")
	}
}

func TestSpecProblemsReportedBeforeAnyCall(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{Generation: "v1.6"}, func(s *v1.ESignetProviderSpec) { s.APIVersion = "v1.6" })
	cases := []struct {
		name, want string
		mutate     func(*v1.ESignetRelyingParty)
	}{
		{"claim not supported", "claims_supported", func(r *v1.ESignetRelyingParty) { r.Spec.UserClaims = []string{"name", "shoe_size"} }},
		{"ES256 on v1.6", "needs eSignet v1.7", func(r *v1.ESignetRelyingParty) { r.Spec.Key = v1.KeySpec{Algorithm: "ES256"} }},
		{"PKCE flag on v1.6", "require_pkce", func(r *v1.ESignetRelyingParty) {
			tr := true
			r.Spec.AdditionalConfig = &v1.AdditionalConfig{RequirePKCE: &tr}
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := "spec-" + string(rune('a'+i))
			f.newRP(name, tc.mutate)
			rp := f.waitCondition(name, v1.ConditionReady, metav1.ConditionFalse, v1.ReasonInvalidSpec)
			if msg := f.condition(rp, v1.ConditionReady).Message; !strings.Contains(msg, tc.want) {
				t.Fatalf("message %q lacks %q", msg, tc.want)
			}
		})
	}
	if n := f.fake.ClientMgmtCalls(); n != 0 {
		t.Fatalf("%d eSignet calls for invalid specs", n)
	}
}

func TestDeleteDeactivatesClient(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	rp := f.newRP("del")
	f.waitReady("del")
	if err := k8sClient.Delete(f.ctx, rp); err != nil {
		t.Fatal(err)
	}
	f.waitGone("del")
	if c, _ := f.fake.Client(f.ns + ".del"); c.Status != "INACTIVE" {
		t.Fatalf("client status after delete = %q, want INACTIVE", c.Status)
	}
}

func TestDeleteRetriesThroughOutageAndCanBeForced(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	for _, name := range []string{"outage", "forced"} {
		f.newRP(name)
		f.waitReady(name)
	}
	f.fake.InjectFault(fakeesignet.Fault{PathPrefix: "/v1/esignet/client-mgmt/", Status: 503})
	for _, name := range []string{"outage", "forced"} {
		if err := k8sClient.Delete(f.ctx, f.get(name)); err != nil {
			t.Fatal(err)
		}
		rp := f.waitCondition(name, v1.ConditionReady, metav1.ConditionFalse, v1.ReasonDeactivating)
		if !strings.Contains(f.condition(rp, v1.ConditionReady).Message, v1.AnnotationForceDelete) {
			t.Fatal("the message does not say how to force deletion")
		}
	}
	f.update("forced", func(r *v1.ESignetRelyingParty) { r.Annotations[v1.AnnotationForceDelete] = "true" })
	f.waitGone("forced")
	if c, _ := f.fake.Client(f.ns + ".forced"); c.Status != "ACTIVE" {
		t.Fatal("forced deletion should not have reached eSignet")
	}
	f.fake.ClearFaults()
	f.waitGone("outage")
	if c, _ := f.fake.Client(f.ns + ".outage"); c.Status != "INACTIVE" {
		t.Fatal("client not deactivated after the outage")
	}
}

// Retain leaves the client and its key; re-applying the same resource adopts both.
func TestRetainOnDeleteThenReapplyAdopts(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	retain := func(r *v1.ESignetRelyingParty) { r.Spec.DeletionPolicy = v1.DeletionPolicyRetain }
	f.newRP("keep", retain)
	rp := f.waitReady("keep")
	kid := rp.Status.KeyID
	if err := k8sClient.Delete(f.ctx, rp); err != nil {
		t.Fatal(err)
	}
	f.waitGone("keep")
	if c, _ := f.fake.Client(f.ns + ".keep"); c.Status != "ACTIVE" {
		t.Fatal("Retain deactivated the client")
	}
	sec := f.secret("keep-esignet-client")
	if metav1.GetControllerOf(sec) != nil {
		t.Fatal("retained Secret still owned: the garbage collector would delete the key")
	}
	f.newRP("keep", retain)
	rp = f.waitReady("keep")
	if rp.Status.KeyID != kid || len(f.fake.Clients()) != 1 {
		t.Fatalf("re-apply did not adopt: kid %s→%s, %d clients", kid, rp.Status.KeyID, len(f.fake.Clients()))
	}
}

// Documented behaviour: deleting the key Secret of a registered client does not generate a new
// key (eSignet could never accept it for this client id); the resource reports how to recover.
func TestKeySecretDeletedByUser(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	f.newRP("lost")
	f.waitReady("lost")
	if err := k8sClient.Delete(f.ctx, f.secret("lost-esignet-client")); err != nil {
		t.Fatal(err)
	}
	rp := f.waitCondition("lost", v1.ConditionKeyReady, metav1.ConditionFalse, v1.ReasonRegisteredKeyMissing)
	if msg := f.condition(rp, v1.ConditionReady).Message; !strings.Contains(msg, "restore it from a backup") {
		t.Fatalf("message gives no way out: %s", msg)
	}
	time.Sleep(500 * time.Millisecond)
	err := k8sClient.Get(f.ctx, client.ObjectKey{Namespace: f.ns, Name: "lost-esignet-client"}, &corev1.Secret{})
	if !apierrors.IsNotFound(err) {
		t.Fatalf("a new key Secret was generated for a registered client (err=%v)", err)
	}
	if c, _ := f.fake.Client(f.ns + ".lost"); c.Status != "ACTIVE" {
		t.Fatal("the registered client was changed")
	}
}

func TestForeignSecretIsNeverOverwritten(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	f.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "mine"}, Data: map[string][]byte{"x": []byte("y")}})
	f.newRP("taker", func(r *v1.ESignetRelyingParty) { r.Spec.SecretName = "mine" })
	f.waitCondition("taker", v1.ConditionKeyReady, metav1.ConditionFalse, v1.ReasonSecretNotOwned)
	s := f.secret("mine")
	if len(s.Data) != 1 || string(s.Data["x"]) != "y" || len(s.OwnerReferences) != 0 {
		t.Fatalf("foreign Secret was modified: %v", s)
	}
	if f.fake.ClientMgmtCalls() != 0 {
		t.Fatal("registered without a key of its own")
	}
}

func TestOlderGenerationUsesItsEndpoint(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{Generation: "v1.5"}, func(s *v1.ESignetProviderSpec) { s.APIVersion = "v1.5" })
	f.newRP("old")
	f.waitReady("old")
	if f.fake.Counters()["POST /v1/esignet/client-mgmt/oauth-client"] != 1 {
		t.Fatalf("v1.5 should use /oauth-client: %v", f.fake.Counters())
	}
	c, _ := f.fake.Client(f.ns + ".old")
	if c.ClientNameLangMap["eng"] != "Social Registry" {
		t.Fatalf("v1.5 requires clientNameLangMap; got %v", c.ClientNameLangMap)
	}
}

func (f *fixture) waitGone(name string) {
	f.t.Helper()
	f.eventually(name+" deleted", func() (bool, string) {
		err := k8sClient.Get(f.ctx, client.ObjectKey{Namespace: f.ns, Name: name}, &v1.ESignetRelyingParty{})
		return apierrors.IsNotFound(err), "still present"
	})
}

// A GitOps tool replacing the object (or a person) may drop the operator's annotations. The
// status still says the client is registered: nothing is sent to eSignet, the record is put
// back, and deletion still deactivates the client.
func TestLostAnnotationsAreRestoredFromStatus(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	f.newRP("wiped")
	rp := f.waitReady("wiped")
	want := maps.Clone(rp.Annotations)
	f.fake.ResetCounters()
	f.update("wiped", func(r *v1.ESignetRelyingParty) {
		r.Annotations = map[string]string{"argocd.argoproj.io/sync-options": "Replace=true"}
	})
	f.eventually("annotations restored", func() (bool, string) {
		a := f.get("wiped").Annotations
		return a[v1.AnnotationRegistration] != "" && a[v1.AnnotationRegistration] == want[v1.AnnotationRegistration], fmt.Sprint(a)
	})
	rp = f.waitReady("wiped")
	if n := f.fake.ClientMgmtCalls(); n != 0 {
		t.Fatalf("%d eSignet calls after the annotations were dropped (%v)", n, f.fake.Counters())
	}
	if c := f.condition(rp, v1.ConditionRegistered); c.Reason != v1.ReasonRegistered {
		t.Fatalf("Registered = %s/%s: %s", c.Status, c.Reason, c.Message)
	}

	// Dropped again, then deleted before any reconcile could restore them: still deactivated.
	f.update("wiped", func(r *v1.ESignetRelyingParty) { r.Annotations = nil })
	if err := k8sClient.Delete(f.ctx, rp); err != nil {
		t.Fatal(err)
	}
	f.eventually("client deactivated", func() (bool, string) {
		c, ok := f.fake.Client(rp.Status.ClientID)
		return ok && c.Status == "INACTIVE", c.Status
	})
}
