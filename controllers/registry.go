package controllers

import (
	"sync"

	"golang.org/x/time/rate"

	"sigs.k8s.io/controller-runtime/pkg/event"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/esignet"
	"github.com/openg2p/esignet-operator/internal/registration"
)

// providerKey identifies a provider of either kind (Namespace is empty for cluster providers).
type providerKey struct{ Kind, Namespace, Name string }

// String is Kind/name or Kind/namespace/name (the metrics' provider label).
func (k providerKey) String() string {
	if k.Namespace == "" {
		return k.Kind + "/" + k.Name
	}
	return k.Kind + "/" + k.Namespace + "/" + k.Name
}

// connection is a ready provider as relying parties use it: a client with its token cache, and
// what discovery said. The provider reconciler owns it; relying parties only read it, so they
// never touch the provider's Secrets or repeat discovery.
type connection struct {
	client *esignet.Client // eSignet's client management (discovery, JWKS and version)
	// api registers clients: eSignet's client management, or PMS for a provider with
	// partnerManagement.
	api        registration.ClientAPI
	pms        *pmsAPI             // set for a provider with partnerManagement
	token      esignet.TokenSource // nil when the provider sends no Authorization header
	version    esignet.APIVersion
	discovery  *esignet.Discovery
	defaults   *v1.RelyingPartyDefaults
	configHash string // of the resolved configuration, Secrets included
	// slots bounds the relying-party workers busy with this provider's eSignet at once, so a
	// slow or black-holed eSignet holds at most this many workers and delays no other provider.
	slots chan struct{}
	// reassert rate-limits drift re-assertions to this provider's eSignet, so that many
	// resources falling due together do not flood it (nil: unlimited, in tests).
	reassert *rate.Limiter
}

// Drift re-assertions per provider: one a second on average, five at once.
const (
	reassertRate  = rate.Limit(1)
	reassertBurst = 5
)

// maxWorkersPerProvider is the number of relying-party workers one provider may hold.
const maxWorkersPerProvider = 2

// tryAcquire takes a worker slot without waiting; release gives it back.
func (c *connection) tryAcquire() (release func(), ok bool) {
	select {
	case c.slots <- struct{}{}:
		return func() { <-c.slots }, true
	default:
		return nil, false
	}
}

// registry holds the connection of every ready provider.
type registry struct {
	mu sync.RWMutex
	m  map[providerKey]*connection
	// last keeps each provider's last working connection while the provider exists, even when
	// it is not ready: a namespace deleted whole may take a provider's Secret before the
	// provider, and its relying parties still deactivate their clients with it.
	last map[providerKey]*connection
	// ready announces a provider whose connection is new or changed, so its relying parties are
	// reconciled at once: after a restart the provider's status does not change, so no watch
	// event would wake relying parties that were turned away before the connection existed.
	ready chan event.TypedGenericEvent[providerKey]
}

func newRegistry() *registry {
	return &registry{m: map[providerKey]*connection{}, last: map[providerKey]*connection{},
		ready: make(chan event.TypedGenericEvent[providerKey], 1024)}
}

func (r *registry) get(k providerKey) *connection {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.m[k]
}

func (r *registry) put(k providerKey, c *connection) {
	r.mu.Lock()
	old := r.m[k]
	r.m[k], r.last[k] = c, c
	r.mu.Unlock()
	if old == nil || old.configHash != c.configHash {
		select {
		case r.ready <- event.TypedGenericEvent[providerKey]{Object: k}:
		default: // full: the relying parties' periodic retry still finds the connection
		}
	}
}

// remove withdraws a provider that is not ready; its last working connection is kept.
func (r *registry) remove(k providerKey) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.m, k)
}

// forget drops everything of a provider that is gone.
func (r *registry) forget(k providerKey) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.m, k)
	delete(r.last, k)
}

// lastWorking is the provider's last working connection, for deactivations only.
func (r *registry) lastWorking(k providerKey) *connection {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.last[k]
}
