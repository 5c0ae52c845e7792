package controllers

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/fakeesignet"
	"github.com/openg2p/esignet-operator/internal/keys"
)

func TestCreateRegistersClientWithKeyFromSecret(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	f.newRP("sr")
	rp := f.waitReady("sr")

	wantID := f.ns + ".sr"
	if rp.Status.ClientID != wantID {
		t.Fatalf("clientID = %q, want %q", rp.Status.ClientID, wantID)
	}
	sec := f.secret("sr-esignet-client")
	if !metav1.IsControlledBy(sec, rp) || sec.Labels[LabelManagedBy] != LabelManagedByValue {
		t.Fatalf("key Secret not owned and labelled: %v %v", sec.OwnerReferences, sec.Labels)
	}
	kp, err := keys.FromSecretData(sec.Data)
	if err != nil {
		t.Fatal(err)
	}
	if rp.Status.KeyID != kp.KeyID || rp.Status.Registration == nil || rp.Status.Registration.KeyID != kp.KeyID || string(sec.Data["client_id"]) != wantID {
		t.Fatalf("status keyID %q registered %+v, secret kid %q client_id %q", rp.Status.KeyID, rp.Status.Registration, kp.KeyID, sec.Data["client_id"])
	}
	rec, ok := f.fake.Client(wantID)
	if !ok {
		t.Fatalf("client %s not registered at the fake", wantID)
	}
	var registered map[string]any
	_ = json.Unmarshal(rec.PublicKey, &registered)
	var inSecret map[string]any
	_ = json.Unmarshal(sec.Data["public.jwk.json"], &inSecret)
	if registered["n"] != inSecret["n"] || registered["n"] == nil {
		t.Fatal("the key registered at eSignet is not the key in the Secret")
	}
	if rec.Status != "ACTIVE" || rec.ClientName != "Social Registry" || rec.LogoURI != testLogo ||
		strings.Join(rec.AuthContextRefs, ",") != "mosip:idp:acr:generated-code" || rec.RelyingPartyID != wantID {
		t.Fatalf("registered client differs from spec and defaults: %+v", rec)
	}
	if got := f.fake.Counters()["POST /v1/esignet/client-mgmt/client"]; got != 1 {
		t.Fatalf("POST /client count = %d, want 1", got)
	}
	out := f.secret("sr-oidc")
	if string(out.Data["client_id"]) != wantID || string(out.Data["issuer"]) != f.fake.URL() ||
		string(out.Data["token_endpoint"]) != f.fake.URL()+"/v1/esignet/oauth/v2/token" {
		t.Fatalf("rendered oidc config wrong: client_id=%s issuer=%s token=%s", out.Data["client_id"], out.Data["issuer"], out.Data["token_endpoint"])
	}
	if rp.Status.Endpoints == nil || rp.Status.Endpoints.Issuer != f.fake.URL() {
		t.Fatalf("status endpoints = %+v", rp.Status.Endpoints)
	}
	// One event for the first pass, named for the client's creation, telling each action.
	f.waitEvent("sr", "the first pass's event", func(e string) bool { return strings.HasPrefix(e, v1.EventClientCreated+":") })
	if evs := f.events("sr"); len(evs) != 1 || !strings.HasPrefix(evs[0], v1.EventClientCreated+": Generated RS256 key ") ||
		!strings.Contains(evs[0], "; Created client "+rp.Status.ClientID+" at eSignet") || !strings.HasSuffix(evs[0], "; Wrote oidc to Secret sr-oidc") {
		t.Errorf("events %q", evs)
	}
	f.assertNoKeyMaterial(rp, sec)
}

func TestUpdateEachMutableField(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	f.newRP("upd")
	f.waitReady("upd")
	id := f.ns + ".upd"
	cases := []struct {
		name   string
		mutate func(*v1.ESignetRelyingParty)
		check  func(fakeesignet.ClientRecord) bool
	}{
		{"clientName", func(r *v1.ESignetRelyingParty) { r.Spec.ClientName = "Renamed" },
			func(c fakeesignet.ClientRecord) bool { return c.ClientName == "Renamed" }},
		{"clientNameLangMap", func(r *v1.ESignetRelyingParty) {
			r.Spec.ClientNameLangMap = map[string]v1.LocalizedName{"fra": "Registre"}
		}, func(c fakeesignet.ClientRecord) bool { return c.ClientNameLangMap["fra"] == "Registre" }},
		{"redirectURIs", func(r *v1.ESignetRelyingParty) {
			r.Spec.RedirectURIs = []string{"https://sr.example.org/auth_oauth/signin", "http://localhost:5000/**"}
		}, func(c fakeesignet.ClientRecord) bool { return len(c.RedirectURIs) == 2 }},
		{"userClaims", func(r *v1.ESignetRelyingParty) { r.Spec.UserClaims = []string{"name", "birthdate", "gender"} },
			func(c fakeesignet.ClientRecord) bool {
				return strings.Join(c.UserClaims, ",") == "name,birthdate,gender"
			}},
		{"authContextRefs", func(r *v1.ESignetRelyingParty) {
			r.Spec.AuthContextRefs = []string{"mosip:idp:acr:biometrics", "mosip:idp:acr:generated-code"}
		}, func(c fakeesignet.ClientRecord) bool { return len(c.AuthContextRefs) == 2 }},
		{"logoURI", func(r *v1.ESignetRelyingParty) { r.Spec.LogoURI = "https://openg2p.org/other.png" },
			func(c fakeesignet.ClientRecord) bool { return c.LogoURI == "https://openg2p.org/other.png" }},
		{"additionalConfig", func(r *v1.ESignetRelyingParty) {
			r.Spec.AdditionalConfig = &v1.AdditionalConfig{ConsentExpireInMins: ptr.To[int32](30), RequirePKCE: ptr.To(true)}
		}, func(c fakeesignet.ClientRecord) bool {
			return strings.Contains(string(c.AdditionalConfig), `"require_pkce":true`) && strings.Contains(string(c.AdditionalConfig), `"consent_expire_in_mins":30`)
		}},
		{"active=false", func(r *v1.ESignetRelyingParty) { r.Spec.Active = ptr.To(false) },
			func(c fakeesignet.ClientRecord) bool { return c.Status == "INACTIVE" }},
		{"active=true", func(r *v1.ESignetRelyingParty) { r.Spec.Active = ptr.To(true) },
			func(c fakeesignet.ClientRecord) bool { return c.Status == "ACTIVE" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			puts := f.fake.Counters()["PUT /v1/esignet/client-mgmt/client/{id}"]
			f.update("upd", tc.mutate)
			f.eventually(tc.name+" at eSignet", func() (bool, string) {
				c, _ := f.fake.Client(id)
				return tc.check(c), fmt.Sprintf("%+v", c)
			})
			rp := f.waitReady("upd")
			if got := f.fake.Counters()["PUT /v1/esignet/client-mgmt/client/{id}"] - puts; got != 1 {
				t.Fatalf("%d PUTs for one change, want 1", got)
			}
			if rp.Status.Registration == nil || rp.Status.Registration.Fingerprint == "" {
				t.Fatal("no registered fingerprint")
			}
		})
	}
}

// An unchanged resource costs no eSignet call and no Kubernetes write.
func TestResyncOfUnchangedResourceIsQuiet(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	f.newRP("quiet", func(r *v1.ESignetRelyingParty) { r.Spec.Outputs = allOutputs("quiet") })
	rp := f.waitReady("quiet")
	key, out, odoo := f.secret("quiet-esignet-client"), f.secret("quiet-oidc"), f.secret("quiet-odoo")
	fastapi, iam, tmpl := f.secret("quiet-fastapi"), f.secret("quiet-iam"), f.secret("quiet-tmpl")
	f.fake.ResetCounters()
	before := reconciles(t)
	// An annotation change triggers a reconcile without changing the desired state.
	for i := 0; i < 3; i++ {
		f.update("quiet", func(r *v1.ESignetRelyingParty) {
			if r.Annotations == nil {
				r.Annotations = map[string]string{}
			}
			r.Annotations["example.org/touch"] = fmt.Sprint(i)
		})
		f.eventually("a reconcile", func() (bool, string) { return reconciles(t) > before, "" })
		before = reconciles(t)
	}
	time.Sleep(300 * time.Millisecond)
	if n := f.fake.ClientMgmtCalls(); n != 0 {
		t.Fatalf("%d client-management calls for an unchanged resource, want 0 (%v)", n, f.fake.Counters())
	}
	after := f.get("quiet")
	if after.Status.Conditions[0].LastTransitionTime != rp.Status.Conditions[0].LastTransitionTime ||
		f.secret("quiet-esignet-client").ResourceVersion != key.ResourceVersion || f.secret("quiet-oidc").ResourceVersion != out.ResourceVersion ||
		f.secret("quiet-odoo").ResourceVersion != odoo.ResourceVersion || f.secret("quiet-fastapi").ResourceVersion != fastapi.ResourceVersion ||
		f.secret("quiet-iam").ResourceVersion != iam.ResourceVersion || f.secret("quiet-tmpl").ResourceVersion != tmpl.ResourceVersion {
		t.Fatal("a no-op reconcile wrote status or Secrets")
	}
	if !slices.Equal(statusJSON(t, after), statusJSON(t, rp)) {
		t.Fatalf("status changed:\n%s\n%s", statusJSON(t, rp), statusJSON(t, after))
	}
}

func statusJSON(t *testing.T, rp *v1.ESignetRelyingParty) []byte {
	b, err := json.Marshal(rp.Status)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestProviderNotReadyThenReady(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	f.newRP("waits", func(r *v1.ESignetRelyingParty) { r.Spec.ProviderRef.Name = "late" })
	f.waitCondition("waits", v1.ConditionReady, metav1.ConditionFalse, v1.ReasonProviderNotFound)

	spec := f.providerSpec()
	spec.Auth.ClientCredentials.ClientSecretRef.Name = "late-secret"
	f.create(&v1.ESignetProvider{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "late"}, Spec: spec})
	f.waitCondition("waits", v1.ConditionReady, metav1.ConditionFalse, v1.ReasonProviderNotReady)
	// The provider's own reason reaches the relying party once the provider has reported it.
	f.eventually("message naming the missing Secret", func() (bool, string) {
		msg := f.condition(f.get("waits"), v1.ConditionReady).Message
		return strings.Contains(msg, "late-secret"), msg
	})
	if f.fake.ClientMgmtCalls() != 0 {
		t.Fatal("called eSignet without a ready provider")
	}
	// Fixing the Secret is noticed through the watch.
	mgmt := f.secret("esignet-mgmt")
	f.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "late-secret"}, Data: mgmt.Data})
	f.waitReady("waits")
}

func TestTokenRefreshedAfterRevocation(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	f.newRP("tok")
	f.waitReady("tok")
	tokens := f.fake.Counters()["POST /realms/mosip/protocol/openid-connect/token"]
	f.fake.RotateManagementKey() // every cached token is now rejected with 401
	f.update("tok", func(r *v1.ESignetRelyingParty) { r.Spec.ClientName = "After rotation" })
	f.eventually("update after token refresh", func() (bool, string) {
		c, _ := f.fake.Client(f.ns + ".tok")
		return c.ClientName == "After rotation", c.ClientName
	})
	f.waitReady("tok")
	if got := f.fake.Counters()["POST /realms/mosip/protocol/openid-connect/token"] - tokens; got != 1 {
		t.Fatalf("%d token requests after revocation, want 1", got)
	}
}

// A management token is used until shortly before it expires, then replaced before the call:
// an expired token never reaches eSignet (no 401 and retry, so exactly one PUT). eSignet's
// resource server tolerates 60 s of clock skew, so the fake's clock runs 61 s ahead once the
// first token is cached, making a token past its lifetime a rejected one.
func TestTokenReplacedBeforeExpiry(t *testing.T) {
	var ahead atomic.Int64
	f := newFixture(t, fakeesignet.Options{ManagementTokenTTL: 4 * time.Second,
		Now: func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }})
	f.newRP("exp")
	f.waitReady("exp")
	ahead.Store(int64(61 * time.Second))
	time.Sleep(4500 * time.Millisecond) // past the token's lifetime
	f.fake.ResetCounters()
	f.update("exp", func(r *v1.ESignetRelyingParty) { r.Spec.ClientName = "After expiry" })
	f.eventually("update with a fresh token", func() (bool, string) {
		c, _ := f.fake.Client(f.ns + ".exp")
		return c.ClientName == "After expiry", c.ClientName
	})
	f.waitReady("exp")
	counts := f.fake.Counters()
	if counts["POST /realms/mosip/protocol/openid-connect/token"] < 1 {
		t.Errorf("no new token was requested after expiry: %v", counts)
	}
	if puts := counts["PUT /v1/esignet/client-mgmt/client/{id}"]; puts != 1 {
		t.Errorf("%d PUTs, want 1: an expired token was sent first (%v)", puts, counts)
	}
}
