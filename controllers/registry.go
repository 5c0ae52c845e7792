package controllers

import (
	"sync"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/esignet"
)

// providerKey identifies a provider of either kind (Namespace is empty for cluster providers).
type providerKey struct{ Kind, Namespace, Name string }

// connection is a ready provider as relying parties use it: a client with its token cache, and
// what discovery said. The provider reconciler owns it; relying parties only read it, so they
// never touch the provider's Secrets or repeat discovery.
type connection struct {
	client     *esignet.Client
	token      esignet.TokenSource // nil when the provider sends no Authorization header
	version    esignet.APIVersion
	discovery  *esignet.Discovery
	defaults   *v1.RelyingPartyDefaults
	configHash string // of the resolved configuration, Secrets included
}

// registry holds the connection of every ready provider.
type registry struct {
	mu sync.RWMutex
	m  map[providerKey]*connection
}

func newRegistry() *registry { return &registry{m: map[providerKey]*connection{}} }

func (r *registry) get(k providerKey) *connection {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.m[k]
}

func (r *registry) put(k providerKey, c *connection) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m[k] = c
}

func (r *registry) remove(k providerKey) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.m, k)
}
