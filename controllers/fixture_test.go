package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/fakeesignet"
)

// fixture is one test's world: a namespace, a fake eSignet and a provider pointing at it.
type fixture struct {
	t    testing.TB
	ctx  context.Context
	ns   string
	fake *fakeesignet.Server
}

const (
	mgmtClientID = "mosip-pms-client"
	providerName = "esignet"
	testLogo     = "https://openg2p.org/logo.png"
)

func newFixture(t testing.TB, opts fakeesignet.Options, mutate ...func(*v1.ESignetProviderSpec)) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background(), ns: newNamespace(t)}
	secret := "mgmt-secret-" + f.ns
	opts.ManagementClients = append(opts.ManagementClients, fakeesignet.ManagementClient{
		ID: mgmtClientID, Secret: secret, Scopes: []string{"add_oidc_client", "update_oidc_client"}})
	f.fake = fakeesignet.StartTest(t, opts)
	f.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "esignet-mgmt"},
		Data: map[string][]byte{"client-secret": []byte(secret)}})
	spec := f.providerSpec()
	for _, m := range mutate {
		m(&spec)
	}
	f.create(&v1.ESignetProvider{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: providerName}, Spec: spec})
	return f
}

func (f *fixture) providerSpec() v1.ESignetProviderSpec {
	gen := "v1.8"
	return v1.ESignetProviderSpec{
		URL: f.fake.ServiceURL(), APIVersion: gen, AllowInsecureHTTP: true,
		Auth: v1.ProviderAuth{ClientCredentials: &v1.ClientCredentialsAuth{
			TokenURL: f.fake.ManagementTokenURL(), ClientID: mgmtClientID,
			ClientSecretRef: v1.SecretKeySelector{Name: "esignet-mgmt", Key: "client-secret"}}},
		RelyingPartyDefaults: &v1.RelyingPartyDefaults{LogoURI: testLogo, UserClaims: []string{"name", "email"},
			AuthContextRefs: []string{"mosip:idp:acr:generated-code"}},
	}
}

func (f *fixture) create(obj client.Object) {
	f.t.Helper()
	if err := k8sClient.Create(f.ctx, obj); err != nil {
		f.t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

func (f *fixture) newRP(name string, mutate ...func(*v1.ESignetRelyingParty)) *v1.ESignetRelyingParty {
	f.t.Helper()
	rp := validRP(f.ns, name)
	rp.Spec.ProviderRef.Name = providerName
	for _, m := range mutate {
		m(rp)
	}
	f.create(rp)
	return rp
}

// get reads a relying party fresh from the API server.
func (f *fixture) get(name string) *v1.ESignetRelyingParty {
	f.t.Helper()
	rp := &v1.ESignetRelyingParty{}
	if err := k8sClient.Get(f.ctx, client.ObjectKey{Namespace: f.ns, Name: name}, rp); err != nil {
		f.t.Fatalf("get %s: %v", name, err)
	}
	return rp
}

// eventually polls until cond holds, failing with the last description after 30 s.
func (f *fixture) eventually(what string, cond func() (bool, string)) {
	f.t.Helper()
	f.eventuallyWithin(30*time.Second, what, cond)
}

func (f *fixture) eventuallyWithin(timeout time.Duration, what string, cond func() (bool, string)) {
	f.t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		ok, desc := cond()
		if ok {
			return
		}
		last = desc
		time.Sleep(100 * time.Millisecond)
	}
	f.t.Fatalf("timed out waiting for %s; last: %s", what, last)
}

// waitCondition waits until the relying party's condition has the status and reason, for the
// current generation.
func (f *fixture) waitCondition(name, condType string, status metav1.ConditionStatus, reason string) *v1.ESignetRelyingParty {
	f.t.Helper()
	return f.waitConditionWithin(30*time.Second, name, condType, status, reason)
}

func (f *fixture) waitConditionWithin(timeout time.Duration, name, condType string, status metav1.ConditionStatus, reason string) *v1.ESignetRelyingParty {
	f.t.Helper()
	var rp *v1.ESignetRelyingParty
	f.eventuallyWithin(timeout, fmt.Sprintf("%s %s=%s/%s", name, condType, status, reason), func() (bool, string) {
		rp = f.get(name)
		c := meta.FindStatusCondition(rp.Status.Conditions, condType)
		if c == nil {
			return false, "no condition"
		}
		ok := c.Status == status && (reason == "" || c.Reason == reason) && c.ObservedGeneration == rp.Generation && rp.Status.ObservedGeneration == rp.Generation
		return ok, fmt.Sprintf("%s/%s gen %d/%d: %s", c.Status, c.Reason, c.ObservedGeneration, rp.Generation, c.Message)
	})
	return rp
}

func (f *fixture) waitReady(name string) *v1.ESignetRelyingParty {
	f.t.Helper()
	return f.waitCondition(name, v1.ConditionReady, metav1.ConditionTrue, v1.ReasonReady)
}

func (f *fixture) condition(rp *v1.ESignetRelyingParty, t string) metav1.Condition {
	c := meta.FindStatusCondition(rp.Status.Conditions, t)
	if c == nil {
		f.t.Fatalf("no %s condition", t)
	}
	return *c
}

func (f *fixture) secret(name string) *corev1.Secret {
	f.t.Helper()
	s := &corev1.Secret{}
	if err := k8sClient.Get(f.ctx, client.ObjectKey{Namespace: f.ns, Name: name}, s); err != nil {
		f.t.Fatalf("get Secret %s: %v", name, err)
	}
	return s
}

// update applies a change to the latest version, retrying on conflicts with the controller.
func (f *fixture) update(name string, mutate func(*v1.ESignetRelyingParty)) {
	f.t.Helper()
	for i := 0; ; i++ {
		rp := f.get(name)
		mutate(rp)
		err := k8sClient.Update(f.ctx, rp)
		if err == nil {
			return
		}
		if i > 20 {
			f.t.Fatalf("update %s: %v", name, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// reconciles counts relying-party reconciles from controller-runtime's metrics.
func reconciles(t testing.TB) float64 {
	t.Helper()
	return controllerMetric(t, "controller_runtime_reconcile_total")
}

// reconcileErrors counts relying-party reconciles that returned an error (a conflict with the
// operator's own writes among them).
func reconcileErrors(t testing.TB) float64 {
	t.Helper()
	return controllerMetric(t, "controller_runtime_reconcile_errors_total")
}

func controllerMetric(t testing.TB, name string) float64 {
	t.Helper()
	mfs, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["controller"] == "esignetrelyingparty" {
				total += m.GetCounter().GetValue()
			}
		}
	}
	return total
}

// waitEvent waits for an event of name that match accepts: a pass sends its events when it
// ends, and the recorder sends them in the background.
func (f *fixture) waitEvent(name, what string, match func(string) bool) {
	f.t.Helper()
	f.eventually(what, func() (bool, string) {
		evs := f.events(name)
		for _, e := range evs {
			if match(e) {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%q", evs)
	})
}

// events lists the reasons of events about one object.
func (f *fixture) events(name string) []string {
	f.t.Helper()
	list := &eventsv1.EventList{}
	if err := k8sClient.List(f.ctx, list, client.InNamespace(f.ns)); err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, e := range list.Items {
		if e.Regarding.Name == name {
			out = append(out, e.Reason+": "+e.Note)
		}
	}
	return out
}

// assertNoKeyMaterial fails if a private key appears in the object's status, annotations or events.
func (f *fixture) assertNoKeyMaterial(rp *v1.ESignetRelyingParty, keySecret *corev1.Secret) {
	f.t.Helper()
	blob, _ := json.Marshal(struct {
		Status      any
		Annotations any
		Events      []string
	}{rp.Status, rp.Annotations, f.events(rp.Name)})
	s := string(blob)
	var priv map[string]any
	_ = json.Unmarshal(keySecret.Data["private.jwk.json"], &priv)
	for _, needle := range []string{"PRIVATE KEY", fmt.Sprint(priv["d"]), fmt.Sprint(priv["p"])} {
		if needle != "" && needle != "<nil>" && strings.Contains(s, needle) {
			f.t.Fatalf("key material found in status, annotations or events")
		}
	}
}

func clientKey(name string) client.ObjectKey { return client.ObjectKey{Name: name} }
