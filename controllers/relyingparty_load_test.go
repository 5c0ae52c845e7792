package controllers

import (
	"context"
	"sync/atomic"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/fakeesignet"
	"github.com/openg2p/esignet-operator/internal/registration"
	"github.com/openg2p/esignet-operator/internal/tenancy"
)

func TestUntouched(t *testing.T) {
	now := metav1.Now()
	for _, tc := range []struct {
		name   string
		mutate func(*v1.ESignetRelyingParty)
		want   bool
	}{
		{"as applied", func(*v1.ESignetRelyingParty) {}, true},
		{"someone else's finalizer and annotation", func(rp *v1.ESignetRelyingParty) {
			rp.Finalizers, rp.Annotations = []string{"example.org/x"}, map[string]string{"a": "b"}
		}, true},
		{"the operator's finalizer", func(rp *v1.ESignetRelyingParty) { rp.Finalizers = []string{v1.Finalizer} }, false},
		{"a registration record", func(rp *v1.ESignetRelyingParty) {
			rp.Annotations = map[string]string{v1.AnnotationRegistration: "{}"}
		}, false},
		{"any status", func(rp *v1.ESignetRelyingParty) { rp.Status.ObservedGeneration = 1 }, false},
		{"a condition only", func(rp *v1.ESignetRelyingParty) {
			rp.Status.Conditions = []metav1.Condition{{Type: v1.ConditionReady}}
		}, false},
		{"adoption (calls eSignet before any write)", func(rp *v1.ESignetRelyingParty) {
			rp.Spec.Key.Adopt = &v1.KeyAdoption{SecretName: "by-hand"}
		}, false},
		{"being deleted", func(rp *v1.ESignetRelyingParty) { rp.DeletionTimestamp = &now }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rp := validRP("ns", "rp")
			tc.mutate(rp)
			if got := untouched(rp); got != tc.want {
				t.Errorf("untouched = %v, want %v", got, tc.want)
			}
		})
	}
}

// staleCache is a manager cache that still holds a relying party as it was first applied (the
// cache of a replica that has not yet seen another replica's first pass); everything else is
// read from the API server.
type staleCache struct {
	client.Client
	rp *v1.ESignetRelyingParty
}

func (c staleCache) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if rp, ok := obj.(*v1.ESignetRelyingParty); ok && key == client.ObjectKeyFromObject(c.rp) {
		c.rp.DeepCopyInto(rp)
		return nil
	}
	return c.Client.Get(ctx, key, obj, opts...)
}

// countingReader counts reads past the cache.
type countingReader struct {
	client.Reader
	gets atomic.Int32
}

func (c *countingReader) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	c.gets.Add(1)
	return c.Reader.Get(ctx, key, obj, opts...)
}

// A relying party no replica has touched is taken from the cache without a read; if the cache
// is behind (another replica registered it meanwhile), the pass's first write to it fails on
// its resourceVersion, nothing is changed, and the next pass reads it live.
func TestUnverifiedPassWritesOnlyOnTheVersionItRead(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	asApplied := f.newRP("late").DeepCopy()
	live := f.waitReady("late") // the running manager is the other replica
	sealer, err := tenancy.NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	reader := &countingReader{Reader: k8sClient}
	r := &RelyingPartyReconciler{Client: staleCache{Client: k8sClient, rp: asApplied}, APIReader: reader, Sealer: sealer, Clock: testClock}
	key := types.NamespacedName{Namespace: f.ns, Name: "late"}

	rp, unverified, err := r.load(f.ctx, key)
	if err != nil || !unverified || rp.ResourceVersion != asApplied.ResourceVersion || reader.gets.Load() != 0 {
		t.Fatalf("load of an untouched cached copy = (rv %s, unverified %v, %v) after %d reads; want the cached copy, unverified, unread",
			rp.ResourceVersion, unverified, err, reader.gets.Load())
	}
	sc := &rpScope{rp: rp, unverified: true}
	if err := r.writeStatus(f.ctx, sc, v1.ESignetRelyingPartyStatus{ObservedGeneration: rp.Generation}); !apierrors.IsConflict(err) {
		t.Fatalf("status write on a stale version: %v, want a conflict", err)
	}
	reg := registration.Record{State: v1.RegistrationPending, ClientID: f.ns + ".other", KeyID: "k"}
	if err := r.saveMeta(f.ctx, sc, reg, true); !apierrors.IsConflict(err) {
		t.Fatalf("registration record on a stale version: %v, want a conflict", err)
	}
	after := f.get("late")
	if after.ResourceVersion != live.ResourceVersion || after.Annotations[v1.AnnotationRegistration] != live.Annotations[v1.AnnotationRegistration] ||
		!meta.IsStatusConditionTrue(after.Status.Conditions, v1.ConditionReady) {
		t.Fatalf("the refused writes changed the relying party: rv %s -> %s, Ready %v", live.ResourceVersion, after.ResourceVersion, meta.IsStatusConditionTrue(after.Status.Conditions, v1.ConditionReady))
	}

	rp, unverified, err = r.load(f.ctx, key)
	if err != nil || unverified || rp.ResourceVersion != live.ResourceVersion || reader.gets.Load() != 1 {
		t.Fatalf("load after the conflict = (rv %s, unverified %v, %v) after %d reads; want the live copy, read once",
			rp.ResourceVersion, unverified, err, reader.gets.Load())
	}
	if !controllerutil.ContainsFinalizer(rp, v1.Finalizer) {
		t.Fatal("the live copy has no finalizer")
	}
}
