package controllers

import (
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/fakeesignet"
	"github.com/openg2p/esignet-operator/internal/keys"
)

const mgmtPrefix = "/v1/esignet/client-mgmt/"

// assertOneClientWithSecretsKey checks the invariants a lost answer must never break: one client
// for the resource, holding the key the Secret holds.
func (f *fixture) assertOneClientWithSecretsKey(name string) {
	f.t.Helper()
	rp := f.waitReady(name)
	if n := len(f.fake.Clients()); n != 1 {
		f.t.Fatalf("%d clients at eSignet, want 1", n)
	}
	kp, err := keys.FromSecretData(f.secret(rp.Status.SecretName).Data)
	if err != nil {
		f.t.Fatal(err)
	}
	c, _ := f.fake.Client(rp.Status.ClientID)
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(c.PublicKey); err != nil {
		f.t.Fatal(err)
	}
	held, err := keys.Thumbprint(jwk.Key)
	if err != nil {
		f.t.Fatal(err)
	}
	if held != kp.KeyID || rp.Status.Registration == nil || rp.Status.Registration.KeyID != kp.KeyID {
		f.t.Fatalf("eSignet holds key %s, the Secret %s, status %+v", held, kp.KeyID, rp.Status.Registration)
	}
}

func (f *fixture) deleteAndExpectInactive(name string) {
	f.t.Helper()
	rp := f.get(name)
	if err := k8sClient.Delete(f.ctx, rp); err != nil {
		f.t.Fatal(err)
	}
	f.waitGone(name)
	if c, _ := f.fake.Client(rp.Status.ClientID); c.Status != "INACTIVE" {
		f.t.Fatalf("client %s after deletion, want INACTIVE", c.Status)
	}
}

// Every side-effect boundary loses its answer once: the effect happened, the operator never
// learnt it. Afterwards there is one client per resource, holding the Secret's key, and deletion
// deactivates it.
func TestAnswerLostAtEachBoundary(t *testing.T) {
	t.Run("create", func(t *testing.T) {
		f := newFixture(t, fakeesignet.Options{})
		f.fake.InjectFault(fakeesignet.Fault{Method: "POST", PathPrefix: mgmtPrefix, LoseAnswer: true, Times: 1})
		f.newRP("c")
		f.assertOneClientWithSecretsKey("c")
		f.deleteAndExpectInactive("c")
	})
	// Regression: a definite-looking error after a lost create (an ingress 404 while eSignet
	// restarts) cleared the intent, so the operator called its own client a conflict and
	// deletion skipped deactivation.
	t.Run("create lost, then a proxy's 404", func(t *testing.T) {
		f := newFixture(t, fakeesignet.Options{})
		f.fake.InjectFault(fakeesignet.Fault{Method: "POST", PathPrefix: mgmtPrefix, LoseAnswer: true, Times: 1})
		f.fake.InjectFault(fakeesignet.Fault{Method: "POST", PathPrefix: mgmtPrefix, Status: 404, Body: "<html>Not Found</html>", Times: 1})
		f.newRP("c")
		f.assertOneClientWithSecretsKey("c")
		f.deleteAndExpectInactive("c")
	})
	t.Run("update", func(t *testing.T) {
		f := newFixture(t, fakeesignet.Options{})
		f.newRP("u")
		f.waitReady("u")
		f.fake.InjectFault(fakeesignet.Fault{Method: "PUT", PathPrefix: mgmtPrefix, LoseAnswer: true, Times: 1})
		f.update("u", func(r *v1.ESignetRelyingParty) { r.Spec.ClientName = "Renamed" })
		f.eventually("renamed", func() (bool, string) {
			rp := f.get("u")
			c, _ := f.fake.Client(rp.Status.ClientID)
			return c.ClientName == "Renamed" && rp.Status.Registration != nil && rp.Status.ObservedGeneration == rp.Generation, c.ClientName
		})
		f.assertOneClientWithSecretsKey("u")
		f.deleteAndExpectInactive("u")
	})
	t.Run("deactivate", func(t *testing.T) {
		f := newFixture(t, fakeesignet.Options{})
		f.newRP("d")
		f.waitReady("d")
		f.fake.InjectFault(fakeesignet.Fault{Method: "PATCH", PathPrefix: mgmtPrefix, LoseAnswer: true, Times: 1})
		f.deleteAndExpectInactive("d")
	})
	// The key Secret was created but the operator never learnt it (it crashed): the next pass
	// finds it and registers that key; it never generates a second one.
	t.Run("key Secret", func(t *testing.T) {
		f := newFixture(t, fakeesignet.Options{})
		rp := f.newRP("k", func(r *v1.ESignetRelyingParty) { r.Spec.ProviderRef.Name = "later" })
		f.waitCondition("k", v1.ConditionReady, metav1.ConditionFalse, v1.ReasonProviderNotFound)
		kp, err := keys.Generate(keys.RS256, 2048)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := kp.SecretData(f.ns + ".k")
		f.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "k-esignet-client",
			Labels: objectLabels(rp, roleKey), OwnerReferences: []metav1.OwnerReference{controllerRef(rp)}}, Data: data})
		f.create(&v1.ESignetProvider{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "later"}, Spec: f.providerSpec()})
		f.assertOneClientWithSecretsKey("k")
		if got := f.get("k").Status.KeyID; got != kp.KeyID {
			t.Fatalf("registered key %s, want the one already in the Secret %s", got, kp.KeyID)
		}
	})
}
