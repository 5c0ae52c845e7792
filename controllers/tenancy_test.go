package controllers

import (
	"fmt"
	"net"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/fakeesignet"
	"github.com/openg2p/esignet-operator/internal/keys"
)

// sharedFixture is two namespaces behind one ClusterESignetProvider: a victim and an attacker.
type sharedFixture struct {
	*fixture
	provider, victim, mallory string
}

func newSharedFixture(t *testing.T, tenancy v1.Tenancy) *sharedFixture {
	f := newFixture(t, fakeesignet.Options{})
	secretName := "shared-mgmt-" + f.ns
	f.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: clusterResourceNamespace, Name: secretName},
		Data: f.secret("esignet-mgmt").Data})
	spec := f.providerSpec()
	spec.Auth.ClientCredentials.ClientSecretRef.Name = secretName
	s := &sharedFixture{fixture: f, provider: "shared-" + f.ns, victim: newNamespace(t), mallory: newNamespace(t)}
	f.create(&v1.ClusterESignetProvider{ObjectMeta: metav1.ObjectMeta{Name: s.provider},
		Spec: v1.ClusterESignetProviderSpec{ESignetProviderSpec: spec, Tenancy: tenancy}})
	return s
}

// rpIn creates a relying party in ns using the shared provider.
func (s *sharedFixture) rpIn(ns, name string, mutate ...func(*v1.ESignetRelyingParty)) {
	s.t.Helper()
	rp := validRP(ns, name)
	rp.Spec.ProviderRef = v1.ProviderReference{Kind: v1.KindClusterESignetProvider, Name: s.provider}
	for _, m := range mutate {
		m(rp)
	}
	s.create(rp)
}

func (s *sharedFixture) in(ns string) *fixture {
	return &fixture{t: s.t, ctx: s.ctx, ns: ns, fake: s.fake}
}

// Regression (critical): a relying party in namespace mallory named namespace victim's client in
// spec.clientID, copied victim's registration annotation, or planted a labelled "retained" key
// Secret; the operator PUT mallory's spec onto victim's client and, on deletion, deactivated it.
func TestTenantCannotTakeOverAnotherNamespacesClient(t *testing.T) {
	s := newSharedFixture(t, v1.Tenancy{})
	victim, mallory := s.in(s.victim), s.in(s.mallory)
	s.rpIn(s.victim, "app")
	ready := victim.waitReady("app")
	victimID := ready.Status.ClientID
	if victimID != s.victim+".app" {
		t.Fatalf("victim's derived id %q", victimID)
	}
	before, _ := s.fake.Client(victimID)

	// 1. Naming the victim's client.
	s.rpIn(s.mallory, "named", func(r *v1.ESignetRelyingParty) {
		r.Spec.ClientID = victimID
		r.Spec.RedirectURIs = []string{"https://mallory.example.org/cb"}
	})
	mallory.waitCondition("named", v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonClientIDNotAllowed)

	// 2. The victim's registration annotation copied onto a relying party of the same name.
	s.rpIn(s.mallory, "app", func(r *v1.ESignetRelyingParty) {
		r.Annotations = map[string]string{v1.AnnotationRegistration: ready.Annotations[v1.AnnotationRegistration]}
		r.Spec.RedirectURIs = []string{"https://mallory.example.org/cb"}
	})
	own := mallory.waitReady("app")
	if own.Status.ClientID != s.mallory+".app" {
		t.Fatalf("the copied record was used: mallory's client is %q", own.Status.ClientID)
	}

	// 3. A key Secret planted with the operator's labels, claiming mallory's own derived id (so
	// that a forged adoption would converge onto whatever holds it).
	kp, err := keys.Generate(keys.RS256, 2048)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := kp.SecretData(s.mallory + ".planted")
	s.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: s.mallory, Name: "planted-esignet-client",
		Labels: map[string]string{LabelManagedBy: LabelManagedByValue, LabelRelyingParty: "planted", LabelRole: roleKey}}, Data: data})
	s.rpIn(s.mallory, "planted")
	mallory.waitCondition("planted", v1.ConditionKeyReady, metav1.ConditionFalse, v1.ReasonSecretNotOwned)

	// Deleting every attacker leaves the victim's client as it was.
	for _, name := range []string{"named", "app", "planted"} {
		if err := k8sClient.Delete(s.ctx, mallory.get(name)); err != nil {
			t.Fatal(err)
		}
		mallory.waitGone(name)
	}
	after, _ := s.fake.Client(victimID)
	if after.Status != "ACTIVE" || fmt.Sprint(after.RedirectURIs) != fmt.Sprint(before.RedirectURIs) || after.ClientName != before.ClientName {
		t.Fatalf("victim's client changed: before %+v after %+v", before, after)
	}
	if c := victim.condition(victim.get("app"), v1.ConditionReady); c.Status != metav1.ConditionTrue {
		t.Fatalf("victim no longer Ready: %+v", c)
	}
}

// A shared provider serves only the namespaces its selector picks; the others get a condition
// and make no call.
func TestSharedProviderServesOnlySelectedNamespaces(t *testing.T) {
	s := newSharedFixture(t, v1.Tenancy{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"esignet": "allowed"}}})
	ns := &corev1.Namespace{}
	if err := k8sClient.Get(s.ctx, clientKey(s.victim), ns); err != nil {
		t.Fatal(err)
	}
	ns.Labels = map[string]string{"esignet": "allowed"}
	if err := k8sClient.Update(s.ctx, ns); err != nil {
		t.Fatal(err)
	}
	s.rpIn(s.victim, "app")
	s.rpIn(s.mallory, "app")
	s.in(s.victim).waitReady("app")
	s.in(s.mallory).waitCondition("app", v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonProviderNotAllowed)
	if _, ok := s.fake.Client(s.mallory + ".app"); ok {
		t.Fatal("a namespace the selector excludes registered a client")
	}
}

// Tenancy Any lets trusted namespaces choose any id (adopting hand-registered clients).
func TestSharedProviderWithAnyClientIDs(t *testing.T) {
	s := newSharedFixture(t, v1.Tenancy{ClientIDs: v1.ClientIDsAny})
	s.rpIn(s.mallory, "chosen", func(r *v1.ESignetRelyingParty) { r.Spec.ClientID = "hand-picked-" + s.mallory })
	s.in(s.mallory).waitReady("chosen")
}

// Regression: a namespaced provider's status quoted the dial error ("dial tcp 127.1.2.3:22:
// connect: connection refused"), a port-scan oracle for whoever sets its URL. It now names the
// failure class only.
func TestProviderStatusNamesTheFailureClassOnly(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	_ = ln.Close()
	f := newFixture(t, fakeesignet.Options{}, func(s *v1.ESignetProviderSpec) {
		s.URL = "http://" + closed + "/v1/esignet"
	})
	p := &v1.ESignetProvider{}
	f.eventually("provider not ready", func() (bool, string) {
		f.mustGet(providerName, p)
		c := meta.FindStatusCondition(p.Status.Conditions, v1.ConditionReady)
		return c != nil && c.Status == metav1.ConditionFalse, fmt.Sprint(p.Status.Conditions)
	})
	msg := meta.FindStatusCondition(p.Status.Conditions, v1.ConditionReady).Message
	_, port, _ := net.SplitHostPort(closed)
	for _, leak := range []string{"127.0.0.1", port, "refused", "dial"} {
		if strings.Contains(msg, leak) {
			t.Fatalf("provider status leaks %q: %s", leak, msg)
		}
	}
	if !strings.Contains(msg, "connection failed") {
		t.Fatalf("provider status does not name the failure class: %s", msg)
	}
}
