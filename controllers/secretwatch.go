package controllers

import (
	"context"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/metadata"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/event"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
)

// secretWatch wakes providers when a Secret they reference (credentials, CA bundle) is
// created, changed or deleted. It watches exactly those Secrets, one small informer per Secret
// selected by name on the server, by metadata only: the operator never lists the cluster's
// Secrets, so memory does not grow with Secrets it has nothing to do with.
type secretWatch struct {
	md     metadata.Interface
	events map[string]chan event.GenericEvent // by provider kind
	// max bounds the informers (each a watch on the API server): providers are the tenants' to
	// create, and their Secrets beyond it are re-checked periodically instead of watched.
	max int

	mu      sync.Mutex
	ctx     context.Context
	secrets map[types.NamespacedName]*watchedSecret
	byOwner map[providerKey][]types.NamespacedName
}

type watchedSecret struct {
	stop      context.CancelFunc
	providers map[providerKey]bool
}

func newSecretWatch(md metadata.Interface) *secretWatch {
	return &secretWatch{md: md, ctx: context.Background(), max: maxWatchedSecrets,
		events: map[string]chan event.GenericEvent{
			v1.KindESignetProvider:        make(chan event.GenericEvent, 64),
			v1.KindClusterESignetProvider: make(chan event.GenericEvent, 64),
		},
		secrets: map[types.NamespacedName]*watchedSecret{}, byOwner: map[providerKey][]types.NamespacedName{}}
}

// Start runs until the manager stops, then stops every informer.
func (w *secretWatch) Start(ctx context.Context) error {
	w.mu.Lock()
	w.ctx = ctx
	w.mu.Unlock()
	<-ctx.Done()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.secrets {
		s.stop()
	}
	w.secrets = map[types.NamespacedName]*watchedSecret{}
	return nil
}

// maxWatchedSecrets is how many Secrets are watched at most.
const maxWatchedSecrets = 512

// track sets the Secrets a provider references: new ones are watched, ones no provider
// references any more are no longer. It reports false when the bound left some unwatched: the
// caller then re-checks the provider periodically.
func (w *secretWatch) track(p providerKey, refs []types.NamespacedName) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.release(p)
	all := true
	var held []types.NamespacedName
	for _, ref := range refs {
		s, ok := w.secrets[ref]
		if !ok {
			if len(w.secrets) >= w.max {
				all = false
				continue
			}
			s = &watchedSecret{providers: map[providerKey]bool{}, stop: w.watch(ref)}
			w.secrets[ref] = s
		}
		s.providers[p] = true
		held = append(held, ref)
	}
	w.byOwner[p] = held
	return all
}

// forget stops watching for a provider that is gone.
func (w *secretWatch) forget(p providerKey) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.release(p)
}

func (w *secretWatch) release(p providerKey) {
	for _, ref := range w.byOwner[p] {
		if s, ok := w.secrets[ref]; ok {
			delete(s.providers, p)
			if len(s.providers) == 0 {
				s.stop()
				delete(w.secrets, ref)
			}
		}
	}
	delete(w.byOwner, p)
}

var secretsResource = corev1.SchemeGroupVersion.WithResource("secrets")

// watch starts an informer for one Secret; its initial list is not news.
func (w *secretWatch) watch(ref types.NamespacedName) context.CancelFunc {
	ctx, cancel := context.WithCancel(w.ctx)
	sel := fields.OneTermEqualSelector("metadata.name", ref.Name).String()
	res := w.md.Resource(secretsResource).Namespace(ref.Namespace)
	lw := &toolscache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = sel
			return res.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = sel
			return res.Watch(ctx, o)
		},
	}
	inf := toolscache.NewSharedIndexInformer(lw, &metav1.PartialObjectMetadata{}, 0, toolscache.Indexers{})
	wake := func(any) { w.wake(ref) }
	_, _ = inf.AddEventHandler(toolscache.ResourceEventHandlerDetailedFuncs{
		AddFunc: func(obj any, initial bool) {
			if !initial {
				wake(obj)
			}
		},
		UpdateFunc: func(_, obj any) { wake(obj) },
		DeleteFunc: wake,
	})
	go inf.RunWithContext(ctx)
	return cancel
}

// wake enqueues every provider referencing the Secret.
func (w *secretWatch) wake(ref types.NamespacedName) {
	w.mu.Lock()
	var keys []providerKey
	if s, ok := w.secrets[ref]; ok {
		for p := range s.providers {
			keys = append(keys, p)
		}
	}
	w.mu.Unlock()
	for _, p := range keys {
		obj := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: p.Name}}
		go func() { // never block the informer; give up only when the manager stops
			select {
			case w.events[p.Kind] <- event.GenericEvent{Object: obj}:
			case <-w.ctx.Done():
			}
		}()
	}
}

// secretRefs lists the Secrets a provider spec references, in the namespace they live in.
func secretRefs(s *v1.ESignetProviderSpec, ns string) []types.NamespacedName {
	var refs []types.NamespacedName
	add := func(name string) {
		if name != "" {
			refs = append(refs, types.NamespacedName{Namespace: ns, Name: name})
		}
	}
	if s.CABundleSecretRef != nil {
		add(s.CABundleSecretRef.Name)
	}
	if s.Auth.TokenSecretRef != nil {
		add(s.Auth.TokenSecretRef.Name)
	}
	if s.Auth.ClientCredentials != nil {
		add(s.Auth.ClientCredentials.ClientSecretRef.Name)
	}
	if pm := s.PartnerManagement; pm != nil && pm.AuthManager != nil {
		add(pm.AuthManager.SecretKeyRef.Name)
	}
	return refs
}
