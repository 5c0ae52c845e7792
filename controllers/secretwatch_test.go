package controllers

import (
	"testing"

	"k8s.io/apimachinery/pkg/types"
	metadatafake "k8s.io/client-go/metadata/fake"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
)

// The watches are bounded: providers are the tenants' to create, and each referenced Secret is
// a watch on the API server. A Secret shared by providers is watched once; one no provider
// references is no longer watched; beyond the bound a provider is told to re-check instead.
func TestSecretWatchIsBounded(t *testing.T) {
	w := newSecretWatch(metadatafake.NewSimpleMetadataClient(metadatafake.NewTestScheme()))
	w.max = 2
	p1 := providerKey{Kind: v1.KindESignetProvider, Namespace: "a", Name: "p1"}
	p2 := providerKey{Kind: v1.KindESignetProvider, Namespace: "a", Name: "p2"}
	p3 := providerKey{Kind: v1.KindESignetProvider, Namespace: "b", Name: "p3"}
	s := func(ns, name string) types.NamespacedName { return types.NamespacedName{Namespace: ns, Name: name} }
	if !w.track(p1, []types.NamespacedName{s("a", "creds"), s("a", "ca")}) {
		t.Fatal("within the bound, not all watched")
	}
	if !w.track(p2, []types.NamespacedName{s("a", "creds")}) || len(w.secrets) != 2 {
		t.Fatalf("a shared Secret is watched once: %d watches", len(w.secrets))
	}
	if w.track(p3, []types.NamespacedName{s("b", "creds")}) || len(w.secrets) != 2 {
		t.Fatalf("beyond the bound: %d watches", len(w.secrets))
	}
	w.forget(p1)
	if len(w.secrets) != 1 || w.secrets[s("a", "creds")] == nil {
		t.Fatalf("after forgetting p1: %v", w.secrets)
	}
	if !w.track(p3, []types.NamespacedName{s("b", "creds")}) || len(w.secrets) != 2 {
		t.Fatal("room freed by a forgotten provider is not used")
	}
	w.forget(p2)
	w.forget(p3)
	if len(w.secrets) != 0 || len(w.byOwner) != 0 {
		t.Fatalf("left behind: %v %v", w.secrets, w.byOwner)
	}
}
