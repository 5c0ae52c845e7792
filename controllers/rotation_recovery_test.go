package controllers

import (
	"context"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/esignet"
	"github.com/openg2p/esignet-operator/internal/fakeesignet"
	"github.com/openg2p/esignet-operator/internal/keys"
)

// heldAtESignet is the key id of the public key eSignet holds for a client.
func (f *fixture) heldAtESignet(id string) string {
	f.t.Helper()
	c, ok := f.fake.Client(id)
	if !ok {
		f.t.Fatalf("eSignet has no client %s", id)
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(c.PublicKey); err != nil {
		f.t.Fatal(err)
	}
	kid, err := keys.Thumbprint(jwk.Key)
	if err != nil {
		f.t.Fatal(err)
	}
	return kid
}

// assertRotatedSafely checks what a rotation must never break, crash or not: want clients at
// eSignet in all, and the current client holding the key the Secret's current slot holds.
func (f *fixture) assertRotatedSafely(rp *v1.ESignetRelyingParty, want int) {
	f.t.Helper()
	if n := len(f.fake.Clients()); n != want {
		f.t.Fatalf("%d clients at eSignet, want %d", n, want)
	}
	cur := f.ring(rp)[keys.SlotCurrent]
	if cur.Key == nil || cur.ClientID != rp.Status.ClientID || f.heldAtESignet(rp.Status.ClientID) != cur.Key.KeyID || rp.Status.KeyID != cur.Key.KeyID {
		f.t.Fatalf("client %s: eSignet holds %s, the Secret %s for %s, status %s", rp.Status.ClientID, f.heldAtESignet(rp.Status.ClientID),
			cur.Key.KeyID, cur.ClientID, rp.Status.KeyID)
	}
}

// Every boundary of a rotation, crashed at or answered never: no third client, no lost key.
func TestRotationCrashAtEachStep(t *testing.T) {
	t.Run("the new client's create answer is lost", func(t *testing.T) {
		f := newFixture(t, fakeesignet.Options{})
		f.newRP("a")
		f.waitReady("a")
		f.fake.InjectFault(fakeesignet.Fault{Method: "POST", PathPrefix: mgmtPrefix, LoseAnswer: true, Times: 1})
		f.update("a", rotating("now", time.Hour))
		f.assertRotatedSafely(f.waitRotated("a", 1), 2)
	})
	t.Run("the new key was written, the intent never saved", func(t *testing.T) {
		f := newFixture(t, fakeesignet.Options{})
		f.newRP("b")
		rp := f.waitReady("b")
		// The operator stopped (its provider's credentials gone) between writing the new key
		// and recording the intent: the request is there, the key in the next slot.
		creds := f.secret("esignet-mgmt")
		if err := k8sClient.Delete(f.ctx, creds); err != nil {
			t.Fatal(err)
		}
		f.waitCondition("b", v1.ConditionReady, metav1.ConditionFalse, v1.ReasonProviderNotReady)
		f.update("b", rotating("now", time.Hour))
		kp, err := keys.Generate(keys.RS256, 2048)
		if err != nil {
			t.Fatal(err)
		}
		s := f.secret(SecretNameFor(rp))
		next, _ := kp.SlotData(keys.SlotNext, "")
		for k, v := range next {
			s.Data[k] = v
		}
		if err := k8sClient.Update(f.ctx, s); err != nil {
			t.Fatal(err)
		}
		f.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "esignet-mgmt"}, Data: creds.Data})
		rp = f.waitRotated("b", 1)
		f.assertRotatedSafely(rp, 2)
		if rp.Status.KeyID != kp.KeyID {
			t.Fatalf("a second new key %s was generated beside %s", rp.Status.KeyID, kp.KeyID)
		}
	})
	t.Run("eSignet down mid-rotation, then the status lost", func(t *testing.T) {
		f := newFixture(t, fakeesignet.Options{})
		f.newRP("c")
		f.waitReady("c")
		f.fake.InjectFault(fakeesignet.Fault{Method: "POST", PathPrefix: mgmtPrefix, Status: 503, Body: "unavailable"})
		f.update("c", rotating("now", time.Hour))
		f.eventually("the rotation pending", func() (bool, string) {
			rp := f.get("c")
			reg := rp.Status.Registration
			return reg != nil && reg.Next != nil && strings.Contains(rp.Annotations[v1.AnnotationRegistration], `"next"`), rp.Annotations[v1.AnnotationRegistration]
		})
		rp := f.get("c")
		rp.Status = v1.ESignetRelyingPartyStatus{} // a restore from a backup without status
		if err := k8sClient.Status().Update(f.ctx, rp); err != nil {
			t.Fatal(err)
		}
		f.fake.ClearFaults()
		f.assertRotatedSafely(f.waitRotated("c", 1), 2)
	})
	t.Run("the retirement's answer is lost", func(t *testing.T) {
		f := newFixture(t, fakeesignet.Options{})
		f.newRP("d")
		old := f.waitReady("d").Status.ClientID
		f.update("d", rotating("now", time.Minute))
		f.waitRotated("d", 1)
		f.fake.InjectFault(fakeesignet.Fault{Method: "PATCH", PathPrefix: mgmtPrefix, LoseAnswer: true, Times: 1})
		testClock.advance(2 * time.Minute)
		f.nudge("d")
		f.eventually("the previous client retired", func() (bool, string) {
			rp := f.get("d")
			return rp.Status.Registration.Previous == nil && f.ring(rp)[keys.SlotPrevious].Key == nil, f.clientStatus(old)
		})
		if f.clientStatus(old) != "INACTIVE" {
			t.Fatalf("previous client %s", f.clientStatus(old))
		}
		f.assertRotatedSafely(f.get("d"), 2)
	})
	t.Run("promoted, the Secret not laid out yet", func(t *testing.T) {
		f := newFixture(t, fakeesignet.Options{})
		f.newRP("e")
		f.waitReady("e")
		f.update("e", rotating("now", time.Hour))
		rp := f.waitRotated("e", 1)
		// The Secret as a crash between saving the record and laying out the Secret leaves it:
		// the new key still in the next slot, the old one current.
		s := f.secret(SecretNameFor(rp))
		ring := keys.ReadRing(s.Data)
		data, err := keys.Layout(s.Data, map[keys.Slot]keys.Placed{
			keys.SlotCurrent: {Key: ring[keys.SlotPrevious].Key, ClientID: ring[keys.SlotPrevious].ClientID},
			keys.SlotNext:    {Key: ring[keys.SlotCurrent].Key, ClientID: ""}})
		if err != nil {
			t.Fatal(err)
		}
		s.Data = data
		if err := k8sClient.Update(f.ctx, s); err != nil {
			t.Fatal(err)
		}
		calls := f.fake.ClientMgmtCalls()
		f.nudge("e")
		f.eventually("the Secret laid out again", func() (bool, string) {
			cur := f.ring(rp)[keys.SlotCurrent]
			return cur.Key != nil && cur.Key.KeyID == rp.Status.KeyID, cur.ClientID
		})
		f.assertRotatedSafely(f.get("e"), 2)
		if f.fake.ClientMgmtCalls() != calls {
			t.Fatal("laying out the Secret called eSignet")
		}
	})
}

// A lost key stops by default, saying how to recover; with onKeyLoss: Rotate a new key is
// registered as a new client and the one whose key was lost is deactivated.
func TestKeyLossRecovery(t *testing.T) {
	t.Run("deleted Secret: stop, then rotate when asked", func(t *testing.T) {
		f := newFixture(t, fakeesignet.Options{})
		f.newRP("gone")
		rp := f.waitReady("gone")
		old := rp.Status.ClientID
		if err := k8sClient.Delete(f.ctx, f.secret(SecretNameFor(rp))); err != nil {
			t.Fatal(err)
		}
		rp = f.waitCondition("gone", v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonRegisteredKeyMissing)
		if c := f.condition(rp, v1.ConditionKeyReady); !strings.Contains(c.Message, "onKeyLoss: Rotate") {
			t.Fatalf("the condition does not say how to recover: %s", c.Message)
		}
		if n := len(f.fake.Clients()); n != 1 {
			t.Fatalf("%d clients after a lost key with onKeyLoss Stop", n)
		}
		f.update("gone", func(r *v1.ESignetRelyingParty) { r.Spec.Key.OnKeyLoss = v1.KeyLossRotate })
		rp = f.waitRotated("gone", 1)
		f.assertRotatedSafely(rp, 2)
		if f.clientStatus(old) != "INACTIVE" || rp.Status.Registration.Previous != nil {
			t.Fatalf("the client whose key was lost is %s; previous %+v", f.clientStatus(old), rp.Status.Registration.Previous)
		}
		f.mustLogin(rp, rp.Status.ClientID, f.ring(rp)[keys.SlotCurrent].Key)
		f.waitEvent("gone", "a KeyLost rotation event", func(e string) bool { return strings.Contains(e, "Rotated (KeyLost)") })
	})
	t.Run("corrupted key", func(t *testing.T) {
		f := newFixture(t, fakeesignet.Options{})
		f.newRP("bad", func(r *v1.ESignetRelyingParty) { r.Spec.Key.OnKeyLoss = v1.KeyLossRotate })
		rp := f.waitReady("bad")
		old := rp.Status.ClientID
		s := f.secret(SecretNameFor(rp))
		s.Data[keys.SecretKeyPrivatePEM] = []byte("not a key")
		if err := k8sClient.Update(f.ctx, s); err != nil {
			t.Fatal(err)
		}
		rp = f.waitRotated("bad", 1)
		f.assertRotatedSafely(rp, 2)
		if f.clientStatus(old) != "INACTIVE" {
			t.Fatalf("old client %s", f.clientStatus(old))
		}
	})
}

// writeAdoptable creates the Secret a person hands a client's key over in.
func (f *fixture) writeAdoptable(name, forRP, dataKey string, value []byte) {
	f.t.Helper()
	f.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: name,
		Annotations: map[string]string{v1.AnnotationAdoptableBy: forRP}}, Data: map[string][]byte{dataKey: value}})
}

// registerByHand creates a client at eSignet as an admin does today, returning its key.
func (f *fixture) registerByHand(id string) *keys.KeyPair {
	f.t.Helper()
	kp, err := keys.Generate(keys.RS256, 2048)
	if err != nil {
		f.t.Fatal(err)
	}
	pub, _ := kp.PublicJWK()
	if _, err := f.mgmtClient().Create(context.Background(), esignet.ClientDetail{ClientID: id, ClientName: "Typed by hand", PublicKey: pub,
		RelyingPartyID: id, LogoURI: testLogo, RedirectURIs: []string{"https://old.example.org/cb"}, UserClaims: []string{"name"},
		AuthContextRefs: []string{"mosip:idp:acr:generated-code"}, GrantTypes: []string{"authorization_code"}, ClientAuthMethods: []string{"private_key_jwt"}}); err != nil {
		f.t.Fatalf("registering by hand: %v", err)
	}
	return kp
}

func (f *fixture) mgmtClient() *esignet.Client {
	f.t.Helper()
	c, err := esignet.New(esignet.Config{BaseURL: f.fake.ServiceURL(), APIVersion: esignet.V1_8, AllowInsecureHTTP: true,
		Token: esignet.NewStaticToken(f.fake.IssueManagementToken([]string{"add_oidc_client", "update_oidc_client"}, time.Minute))})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func TestAdoptClientRegisteredByHand(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	id := f.ns + ".portal"
	kp := f.registerByHand(id)
	jwk, _ := kp.PrivateJWK()
	f.writeAdoptable("portal-key", "portal", "client_private_key", jwk)
	posts := f.fake.Counters()["POST /v1/esignet/client-mgmt/client"]
	f.newRP("portal", func(r *v1.ESignetRelyingParty) {
		r.Spec.ClientID = id
		r.Spec.Key.Adopt = &v1.KeyAdoption{SecretName: "portal-key", Key: "client_private_key"}
		r.Spec.Key.Rotation = &v1.KeyRotation{RequestedAt: "in-the-manifest-from-the-start"} // rotates nothing
	})
	rp := f.waitReady("portal")
	if reg := rp.Status.Registration; !reg.Adopted || reg.ClientID != id || reg.KeyID != kp.KeyID || reg.Rotation != 0 {
		t.Fatalf("registration after adoption: %+v", reg)
	}
	if f.fake.Counters()["POST /v1/esignet/client-mgmt/client"] != posts {
		t.Fatal("the operator POSTed for an adopted client")
	}
	if c, _ := f.fake.Client(id); c.ClientName != rp.Spec.ClientName || c.RedirectURIs[0] != rp.Spec.RedirectURIs[0] {
		t.Fatalf("the adopted client was not converged: %+v", c)
	}
	if got := f.ring(rp)[keys.SlotCurrent]; got.Key == nil || !got.Key.Equal(kp) {
		t.Fatal("the key Secret does not hold the adopted key")
	}
	f.mustLogin(rp, id, kp)

	// From then on it is managed like the operator's own: rotation included.
	f.update("portal", rotating("now", time.Hour))
	rp = f.waitRotated("portal", 1)
	if rp.Status.ClientID != id+"-r1" || rp.Status.Registration.Adopted || rp.Status.Registration.Previous.ClientID != id {
		t.Fatalf("after rotating an adopted client: %+v", rp.Status.Registration)
	}
	f.assertRotatedSafely(rp, 2)
}

func TestAdoptionRefusals(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	kp := f.registerByHand(f.ns + ".known")
	pemBytes, _ := kp.PrivatePEM()
	calls := f.fake.ClientMgmtCalls()

	// The Secret is not annotated for this resource: its key is not read.
	f.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "tls-key"}, Data: map[string][]byte{"private.pem": pemBytes}})
	f.newRP("steal", func(r *v1.ESignetRelyingParty) {
		r.Spec.ClientID = f.ns + ".known"
		r.Spec.Key.Adopt = &v1.KeyAdoption{SecretName: "tls-key"}
	})
	rp := f.waitCondition("steal", v1.ConditionKeyReady, metav1.ConditionFalse, v1.ReasonAdoptionFailed)
	if c := f.condition(rp, v1.ConditionKeyReady); !strings.Contains(c.Message, v1.AnnotationAdoptableBy) {
		t.Fatalf("the refusal does not say how to allow it: %s", c.Message)
	}
	if err := k8sClient.Get(f.ctx, client.ObjectKey{Namespace: f.ns, Name: SecretNameFor(rp)}, &corev1.Secret{}); err == nil {
		t.Fatal("a key Secret was written from a Secret not annotated for adoption")
	}

	// Not a key.
	f.writeAdoptable("junk", "junk", "private.pem", []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
	f.newRP("junk", func(r *v1.ESignetRelyingParty) {
		r.Spec.ClientID = f.ns + ".known"
		r.Spec.Key.Adopt = &v1.KeyAdoption{SecretName: "junk"}
	})
	f.waitCondition("junk", v1.ConditionKeyReady, metav1.ConditionFalse, v1.ReasonAdoptionFailed)

	// A client eSignet does not know: never created.
	other, _ := keys.Generate(keys.RS256, 2048)
	otherPEM, _ := other.PrivatePEM()
	f.writeAdoptable("typo-key", "typo", "private.pem", otherPEM)
	f.newRP("typo", func(r *v1.ESignetRelyingParty) {
		r.Spec.ClientID = f.ns + ".knwon"
		r.Spec.Key.Adopt = &v1.KeyAdoption{SecretName: "typo-key"}
	})
	f.waitCondition("typo", v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonAdoptedUnknown)
	if _, ok := f.fake.Client(f.ns + ".knwon"); ok || f.fake.Counters()["POST /v1/esignet/client-mgmt/client"] != 1 {
		t.Fatalf("the operator created the client it was asked to adopt (%v)", f.fake.Counters())
	}
	if f.fake.ClientMgmtCalls() != calls+1 { // the one update that found nothing
		t.Fatalf("%d calls, want 1", f.fake.ClientMgmtCalls()-calls)
	}
}

// A namespace cannot adopt a client outside its id space, even holding the key.
func TestAdoptionHeldToTheFence(t *testing.T) {
	s := newSharedFixture(t, v1.Tenancy{})
	victim, mallory := s.in(s.victim), s.in(s.mallory)
	s.rpIn(s.victim, "app")
	victimID := victim.waitReady("app").Status.ClientID
	kp, _ := keys.Generate(keys.RS256, 2048) // even a key that parses
	pemBytes, _ := kp.PrivatePEM()
	mallory.writeAdoptable("k", "grab", "private.pem", pemBytes)
	calls := s.fake.ClientMgmtCalls()
	s.rpIn(s.mallory, "grab", func(r *v1.ESignetRelyingParty) {
		r.Spec.ClientID = victimID
		r.Spec.Key.Adopt = &v1.KeyAdoption{SecretName: "k"}
	})
	mallory.waitCondition("grab", v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonClientIDNotAllowed)
	if s.fake.ClientMgmtCalls() != calls {
		t.Fatal("a call was made for another namespace's client")
	}
}

// Drift: Reassert sends the whole client again every interval, restoring a client changed
// behind the operator's back; Ignore (the default) costs no call.
func TestDriftReassert(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	f.newRP("watched", func(r *v1.ESignetRelyingParty) {
		r.Spec.DriftPolicy = &v1.DriftPolicy{Mode: v1.DriftReassert, Interval: &metav1.Duration{Duration: 10 * time.Minute}}
	})
	f.newRP("ignored")
	watched, ignored := f.waitReady("watched"), f.waitReady("ignored")
	asserted := watched.Status.Registration.AssertedAt
	tamper := func(rp *v1.ESignetRelyingParty) {
		c, _ := f.fake.Client(rp.Status.ClientID)
		if _, err := f.mgmtClient().Update(context.Background(), esignet.ClientDetail{ClientID: c.ClientID, ClientName: "Tampered",
			Status: esignet.StatusActive, LogoURI: c.LogoURI, RedirectURIs: []string{"https://evil.example.org/cb"}, UserClaims: c.UserClaims,
			AuthContextRefs: c.AuthContextRefs, GrantTypes: c.GrantTypes, ClientAuthMethods: c.ClientAuthMethods,
			ClientNameLangMap: map[string]string{"eng": "Tampered"}}); err != nil {
			t.Fatal(err)
		}
	}
	tamper(watched)
	tamper(ignored)
	calls := f.fake.ClientMgmtCalls()
	testClock.advance(12 * time.Minute)
	f.nudge("watched")
	f.nudge("ignored")
	f.eventually("the watched client re-asserted", func() (bool, string) {
		c, _ := f.fake.Client(watched.Status.ClientID)
		return c.ClientName == watched.Spec.ClientName && c.RedirectURIs[0] == watched.Spec.RedirectURIs[0], c.ClientName
	})
	f.eventually("status shows the assertion", func() (bool, string) {
		a := f.get("watched").Status.Registration.AssertedAt
		return a != nil && a.After(asserted.Time), a.String()
	})
	f.waitEvent("watched", "a "+v1.EventClientReasserted+" event", func(e string) bool { return strings.HasPrefix(e, v1.EventClientReasserted+":") })
	time.Sleep(time.Second)
	if c, _ := f.fake.Client(ignored.Status.ClientID); c.ClientName != "Tampered" || f.fake.ClientMgmtCalls() != calls+1 {
		t.Fatalf("driftPolicy Ignore called eSignet (%d calls, client %q)", f.fake.ClientMgmtCalls()-calls, c.ClientName)
	}
}
