package controllers

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/esignet"
	"github.com/openg2p/esignet-operator/internal/fakeesignet"
	"github.com/openg2p/esignet-operator/internal/fakepms"
	"github.com/openg2p/esignet-operator/internal/keys"
	"github.com/openg2p/esignet-operator/internal/pms"
)

// pmsCallerSecret is the default caller's secret in fakepms.DefaultConfig.
const pmsCallerSecret = "fake-pms-operator-secret"

// pmsFixture is the envtest fixture with a fake PMS in front of its fake eSignet and a provider
// registering through it.
type pmsFixture struct {
	*fixture
	pms *fakepms.Server
}

func newPMSFixture(t *testing.T, gen pms.Generation) *pmsFixture {
	cfg := fakepms.DefaultConfig()
	f := newFixture(t, fakeesignet.Options{ManagementClients: cfg.ManagementClients()})
	fp := fakepms.StartTest(t, cfg.Options(f.fake.URL(), nil))
	f.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "pms-caller"},
		Data: map[string][]byte{"client-secret": []byte(pmsCallerSecret)}})
	spec := f.providerSpec()
	spec.Auth.ClientCredentials.ClientID = fakepms.DefaultCallerID
	spec.Auth.ClientCredentials.ClientSecretRef = v1.SecretKeySelector{Name: "pms-caller", Key: "client-secret"}
	spec.PartnerManagement = &v1.PartnerManagement{URL: fp.BaseURL(), Generation: string(gen),
		AuthPartnerID: fakepms.DefaultPartnerID, PolicyID: fakepms.DefaultPolicyID}
	f.create(&v1.ESignetProvider{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "via-pms"}, Spec: spec})
	return &pmsFixture{fixture: f, pms: fp}
}

func (f *pmsFixture) newPMSRP(name string, mutate ...func(*v1.ESignetRelyingParty)) {
	f.t.Helper()
	f.newRP(name, append([]func(*v1.ESignetRelyingParty){func(r *v1.ESignetRelyingParty) { r.Spec.ProviderRef.Name = "via-pms" }}, mutate...)...)
}

// Through each PMS generation: the client id is PMS's (derived from the key before the call),
// claims and ACRs are the policy's and read back into status, a change is updated, a lost create
// answer is recognised as the operator's own client, a client changed at PMS is corrected on the
// drift interval, a python3-jose login works, and deletion deactivates.
func TestRegistrationThroughPMS(t *testing.T) {
	for _, gen := range []pms.Generation{pms.GenerationOIDC, pms.GenerationOAuth, pms.GenerationOIDCClients} {
		t.Run(string(gen), func(t *testing.T) {
			f := newPMSFixture(t, gen)
			// The first create's answer is lost: PMS_ESI_001 on the retry is the operator's client.
			f.pms.InjectFault(fakepms.Fault{Method: "POST", PathPrefix: "/v1/partnermanager/", LoseAnswer: true, Times: 1})
			f.newPMSRP("app", func(r *v1.ESignetRelyingParty) {
				r.Spec.UserClaims = []string{"name", "email", "phone_number"}
				r.Spec.DriftPolicy = &v1.DriftPolicy{Mode: v1.DriftReassert, Interval: &metav1.Duration{Duration: 5 * time.Minute}}
			})
			rp := f.waitReady("app")
			kp := f.ring(rp)[keys.SlotCurrent].Key
			pub, _ := kp.PublicJWK()
			want, err := pms.ClientID(pub)
			if err != nil {
				t.Fatal(err)
			}
			if rp.Status.ClientID != want {
				t.Fatalf("client id %q, want PMS's %q", rp.Status.ClientID, want)
			}
			if n := len(f.pms.Clients()); n != 1 {
				t.Fatalf("%d clients at PMS, want 1", n)
			}
			if c, ok := f.fake.Client(want); !ok || c.Status != "ACTIVE" {
				t.Fatalf("the client is not at eSignet: %+v", c)
			}
			reg := rp.Status.Registration
			if len(reg.GrantedUserClaims) == 0 || len(reg.GrantedAuthContextRefs) == 0 {
				t.Fatalf("nothing read back from PMS: %+v", reg)
			}
			if msg := f.condition(rp, v1.ConditionRegistered).Message; !strings.Contains(msg, "the partner's policy grants claims") {
				t.Fatalf("Registered does not report the policy's claims: %s", msg)
			}
			f.mustLogin(rp, want, kp)

			// A change reaches PMS (and through it eSignet).
			f.update("app", func(r *v1.ESignetRelyingParty) {
				r.Spec.RedirectURIs = append(r.Spec.RedirectURIs, "https://sr.example.org/cb2")
			})
			f.eventually("the new redirect URI at PMS", func() (bool, string) {
				c, _ := f.pms.Client(want)
				return len(c.RedirectURIs) == 2, fmt.Sprint(c.RedirectURIs)
			})

			// Changed at PMS behind the operator's back: read back and corrected on the interval.
			drifted := pms.ClientDetail{ClientID: want, Name: "Tampered", LogoURI: testLogo, RedirectURIs: []string{"https://evil.example.org/cb"}}
			if _, err := f.pmsAdmin(gen).Update(f.ctx, drifted); err != nil {
				t.Fatal(err)
			}
			testClock.advance(6 * time.Minute)
			f.nudge("app")
			f.eventually("the drift corrected", func() (bool, string) {
				c, _ := f.pms.Client(want)
				return len(c.RedirectURIs) == 2 && !strings.Contains(c.Name, "Tampered"), fmt.Sprint(c.Name, c.RedirectURIs)
			})

			// Deletion deactivates at PMS.
			if err := k8sClient.Delete(f.ctx, f.get("app")); err != nil {
				t.Fatal(err)
			}
			f.waitGone("app")
			if c, _ := f.pms.Client(want); c.Status != "INACTIVE" {
				t.Fatalf("client at PMS is %s after deletion", c.Status)
			}
		})
	}
}

func (f *pmsFixture) pmsAdmin(gen pms.Generation) *pms.Client {
	f.t.Helper()
	tok, err := esignet.NewClientCredentials(esignet.ClientCredentialsConfig{TokenURL: f.fake.ManagementTokenURL(),
		ClientID: fakepms.DefaultCallerID, ClientSecret: pmsCallerSecret})
	if err != nil {
		f.t.Fatal(err)
	}
	c, err := pms.New(pms.Config{BaseURL: f.pms.BaseURL(), Generation: gen, Token: tok, AllowInsecureHTTP: true})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// PMS's refusals are reasons a person can act on; a client id in the spec is refused before
// any call (PMS chooses it).
func TestPMSRefusals(t *testing.T) {
	f := newPMSFixture(t, pms.GenerationOIDCClients)
	f.pms.RemovePolicy(fakepms.DefaultPolicyID)
	f.newPMSRP("nopolicy")
	rp := f.waitCondition("nopolicy", v1.ConditionRegistered, metav1.ConditionFalse, string(pms.ReasonPolicyNotFound))
	if msg := f.condition(rp, v1.ConditionRegistered).Message; !strings.Contains(msg, "polic") {
		t.Fatalf("the message does not say what to fix: %s", msg)
	}
	f.newPMSRP("named", func(r *v1.ESignetRelyingParty) { r.Spec.ClientID = "my-own-id" })
	f.waitCondition("named", v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonInvalidSpec)
}
