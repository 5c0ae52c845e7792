package controllers

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/fakeesignet"
)

// Regression: deleting a namespace deletes its provider, the provider's Secret and its relying
// parties together; the relying parties stayed on their finalizer for ever. Now the provider
// waits for them, keeping its last connection, and every client is deactivated.
func TestNamespaceTeardownFinishes(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	for _, name := range []string{"sr", "portal"} {
		f.newRP(name)
		f.waitReady(name)
	}
	p := &v1.ESignetProvider{}
	f.mustGet(providerName, p)
	// What the namespace controller does: delete everything, in no particular order.
	for _, o := range []client.Object{p, f.secret("esignet-mgmt"), f.get("sr"), f.get("portal")} {
		if err := k8sClient.Delete(f.ctx, o); err != nil {
			t.Fatalf("deleting %T %s: %v", o, o.GetName(), err)
		}
	}
	f.waitGone("sr")
	f.waitGone("portal")
	f.assertTornDown(t, "sr", "portal")
}

// Regression (found as deployed): the Secret deleted first made the provider not ready, its
// connection was withdrawn and the relying parties' deletion abandoned deactivation. The last
// working connection now outlives the Secret.
func TestNamespaceTeardownSecretFirst(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	for _, name := range []string{"sr", "portal"} {
		f.newRP(name)
		f.waitReady(name)
	}
	if err := k8sClient.Delete(f.ctx, f.secret("esignet-mgmt")); err != nil {
		t.Fatal(err)
	}
	f.eventually("provider not ready", func() (bool, string) {
		p := &v1.ESignetProvider{}
		f.mustGet(providerName, p)
		c := meta.FindStatusCondition(p.Status.Conditions, v1.ConditionReady)
		return c != nil && c.Status == metav1.ConditionFalse, fmt.Sprint(p.Status.Conditions)
	})
	p := &v1.ESignetProvider{}
	f.mustGet(providerName, p)
	for _, o := range []client.Object{f.get("sr"), f.get("portal"), p} {
		if err := k8sClient.Delete(f.ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	f.waitGone("sr")
	f.waitGone("portal")
	f.assertTornDown(t, "sr", "portal")
}

func (f *fixture) assertTornDown(t *testing.T, names ...string) {
	t.Helper()
	f.eventually("provider gone", func() (bool, string) {
		err := k8sClient.Get(f.ctx, client.ObjectKey{Namespace: f.ns, Name: providerName}, &v1.ESignetProvider{})
		return apierrors.IsNotFound(err), "provider still present"
	})
	for _, name := range names {
		if c, _ := f.fake.Client(f.ns + "." + name); c.Status != "INACTIVE" {
			t.Errorf("client %s is %s after the namespace's deletion, want INACTIVE", name, c.Status)
		}
	}
}

// A provider in use cannot be deleted from under its relying parties.
func TestProviderInUseIsProtected(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	f.newRP("user")
	f.waitReady("user")
	p := &v1.ESignetProvider{}
	f.mustGet(providerName, p)
	if err := k8sClient.Delete(f.ctx, p); err != nil {
		t.Fatal(err)
	}
	f.mustGet(providerName, p)
	if p.DeletionTimestamp.IsZero() || len(p.Finalizers) == 0 {
		t.Fatalf("provider deleted while in use: finalizers %v", p.Finalizers)
	}
	// Its relying party keeps working while it waits.
	f.update("user", func(r *v1.ESignetRelyingParty) { r.Spec.ClientName = "Still served" })
	f.eventually("update reached eSignet", func() (bool, string) {
		c, _ := f.fake.Client(f.ns + ".user")
		return c.ClientName == "Still served", c.ClientName
	})
	if err := k8sClient.Delete(f.ctx, f.get("user")); err != nil {
		t.Fatal(err)
	}
	f.waitGone("user")
	f.eventually("provider released", func() (bool, string) {
		err := k8sClient.Get(f.ctx, client.ObjectKey{Namespace: f.ns, Name: providerName}, &v1.ESignetProvider{})
		return apierrors.IsNotFound(err), "provider still present"
	})
}

// When the provider is already gone (its finalizer removed by hand), deleting a relying party
// finishes with a warning that the client was left at eSignet.
func TestDeletionWithoutProviderIsAbandonedWithAWarning(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	f.newRP("orphan")
	f.waitReady("orphan")
	p := &v1.ESignetProvider{}
	f.mustGet(providerName, p)
	p.Finalizers = nil
	if err := k8sClient.Update(f.ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := k8sClient.Delete(f.ctx, p); err != nil {
		t.Fatal(err)
	}
	f.eventually("provider gone", func() (bool, string) {
		err := k8sClient.Get(f.ctx, client.ObjectKey{Namespace: f.ns, Name: providerName}, &v1.ESignetProvider{})
		return apierrors.IsNotFound(err), "present"
	})
	if err := k8sClient.Delete(f.ctx, f.get("orphan")); err != nil {
		t.Fatal(err)
	}
	f.waitGone("orphan")
	f.waitEvent("orphan", "a "+v1.EventDeactivationAbandoned+" event", func(e string) bool { return strings.HasPrefix(e, v1.EventDeactivationAbandoned+":") })
	if c, _ := f.fake.Client(f.ns + ".orphan"); c.Status != "ACTIVE" {
		t.Fatalf("client %s", c.Status)
	}
	_ = corev1.EventTypeWarning
}

// Regression: a few relying parties of a black-holed eSignet occupied every worker, delaying
// every other namespace. A provider now holds at most two workers; the rest wait their turn
// without a worker, so another provider's relying party is served at once.
func TestSlowESignetDelaysNobodyElse(t *testing.T) {
	slow := newFixture(t, fakeesignet.Options{})
	slow.fake.InjectFault(fakeesignet.Fault{PathPrefix: "/v1/esignet/client-mgmt/", Delay: 15 * time.Second})
	for i := range 6 {
		slow.newRP(fmt.Sprintf("stuck-%d", i))
	}
	time.Sleep(time.Second) // the slow provider's relying parties have taken what they can
	fast := newFixture(t, fakeesignet.Options{})
	start := time.Now()
	fast.newRP("served")
	fast.waitConditionWithin(8*time.Second, "served", v1.ConditionReady, metav1.ConditionTrue, v1.ReasonReady)
	t.Logf("served in %v while the other provider's eSignet answers after 15 s", time.Since(start).Round(time.Millisecond))
	// A wait that lasts (more than busyQuietFor) is told in status; a moment's wait is not.
	slow.eventuallyWithin(10*time.Second, "a relying party of the slow provider told to wait its turn", func() (bool, string) {
		for i := range 6 {
			if c := meta.FindStatusCondition(slow.get(fmt.Sprintf("stuck-%d", i)).Status.Conditions, v1.ConditionReady); c != nil && c.Reason == v1.ReasonESignetBusy {
				return true, ""
			}
		}
		return false, "none"
	})
	slow.fake.ClearFaults()
}
