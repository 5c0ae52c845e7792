package controllers

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/source"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/esignet"
)

// providerObject is either provider kind.
type providerObject interface {
	client.Object
	ProviderSpec() *v1.ESignetProviderSpec
	ProviderStatus() *v1.ESignetProviderStatus
}

// ProviderReconciler checks that an eSignet is reachable (discovery) and that the operator can
// authenticate (a token), then publishes the connection for relying parties.
type ProviderReconciler struct {
	client.Client
	APIReader client.Reader
	// Secrets watches the Secrets providers reference, and only those (secretWatch).
	Secrets  *secretWatch
	Registry *registry
	Kind     string // v1.KindESignetProvider or v1.KindClusterESignetProvider
	// ClusterResourceNamespace holds the Secrets of cluster providers.
	ClusterResourceNamespace string
	// RetryAfter is how soon a provider that is not ready is checked again the first time; it
	// doubles with each further failure, up to 32 times (a fix is noticed at once anyway).
	RetryAfter time.Duration

	failures sync.Map // provider UID -> consecutive failed checks, for the backoff
}

// +kubebuilder:rbac:groups=esignet.openg2p.org,resources=esignetproviders;clusteresignetproviders,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=esignet.openg2p.org,resources=esignetproviders/status;clusteresignetproviders/status,verbs=get;patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch

// backoff is RetryAfter doubled with each consecutive failure (at most 32 times it): a dead
// eSignet is asked less and less often, while a fix to the provider or its Secrets is still
// noticed at once through the watches.
func (r *ProviderReconciler) backoff(obj client.Object) time.Duration {
	n := 0
	if v, ok := r.failures.Load(obj.GetUID()); ok {
		n = v.(int)
	}
	r.failures.Store(obj.GetUID(), n+1)
	return r.RetryAfter << min(n, 5)
}

func (r *ProviderReconciler) newObject() providerObject {
	if r.Kind == v1.KindClusterESignetProvider {
		return &v1.ClusterESignetProvider{}
	}
	return &v1.ESignetProvider{}
}

func (r *ProviderReconciler) key(obj client.Object) providerKey {
	return providerKey{Kind: r.Kind, Namespace: obj.GetNamespace(), Name: obj.GetName()}
}

func (r *ProviderReconciler) secretNamespace(obj client.Object) string {
	if r.Kind == v1.KindClusterESignetProvider {
		return r.ClusterResourceNamespace
	}
	return obj.GetNamespace()
}

// Reconcile: resolve Secrets → connection → discovery → token → status.
func (r *ProviderReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	obj := r.newObject()
	if err := r.Get(ctx, req.NamespacedName, obj); err != nil {
		if apierrors.IsNotFound(err) {
			r.Registry.forget(providerKey{Kind: r.Kind, Namespace: req.Namespace, Name: req.Name})
			r.Secrets.forget(providerKey{Kind: r.Kind, Namespace: req.Namespace, Name: req.Name})
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !obj.GetDeletionTimestamp().IsZero() {
		return r.finalize(ctx, obj)
	}
	if err := r.ensureInUseFinalizer(ctx, obj); err != nil {
		return ctrl.Result{}, err
	}
	watched := r.Secrets.track(r.key(obj), secretRefs(obj.ProviderSpec(), r.secretNamespace(obj)))
	base := obj.DeepCopyObject().(client.Object)
	before := obj.ProviderStatus().DeepCopy()
	conds := conditionWriter{generation: obj.GetGeneration(), conds: &obj.ProviderStatus().Conditions}

	conn, err := r.connect(ctx, obj)
	if err != nil {
		r.Registry.remove(r.key(obj))
		reason, msg := providerFailure(err)
		conds.fail(v1.ConditionReady, reason, msg)
		conds.progress(false, reason, msg, reason == v1.ReasonInvalidProvider)
		logf.FromContext(ctx).V(1).Info("provider not ready", "reason", reason, "message", msg)
	} else {
		r.Registry.put(r.key(obj), conn)
		publishDiscovery(obj.ProviderStatus(), conn.discovery)
		conds.ok(v1.ConditionReady, v1.ReasonReady, fmt.Sprintf("discovery read from %s; client management %s", conn.discovery.SourceURL, authSummary(conn)))
		conds.progress(true, "", "", false)
	}
	obj.ProviderStatus().ObservedGeneration = obj.GetGeneration()
	if !equality.Semantic.DeepEqual(before, obj.ProviderStatus()) {
		// A merge patch of the status needs no resourceVersion: it cannot conflict.
		if uerr := r.Status().Patch(ctx, obj, client.MergeFrom(base), client.FieldOwner(fieldManager)); uerr != nil {
			return ctrl.Result{}, fmt.Errorf("updating provider status: %w", uerr)
		}
	}
	if err != nil {
		return ctrl.Result{RequeueAfter: r.backoff(obj)}, nil
	}
	r.failures.Delete(obj.GetUID())
	if !watched { // its Secrets are not watched (the bound on watches): look again later
		return ctrl.Result{RequeueAfter: unwatchedRecheck}, nil
	}
	return ctrl.Result{}, nil
}

// unwatchedRecheck is how often a provider whose Secrets are beyond the watch bound is checked.
const unwatchedRecheck = 5 * time.Minute

// connect reuses the published connection while its configuration is unchanged, so the token
// cache survives resyncs.
func (r *ProviderReconciler) connect(ctx context.Context, obj providerObject) (*connection, error) {
	spec := obj.ProviderSpec()
	resolved, err := resolveProvider(ctx, r.APIReader, spec, r.secretNamespace(obj))
	if err != nil {
		return nil, err
	}
	conn := r.Registry.get(r.key(obj))
	if conn == nil || conn.configHash != resolved.hash {
		if conn, err = newConnection(r.key(obj), spec, resolved); err != nil {
			return nil, err
		}
	}
	next := *conn
	next.defaults = spec.RelyingPartyDefaults
	if next.discovery, err = conn.client.Discover(ctx, spec.DiscoveryURL); err != nil {
		return nil, fmt.Errorf("%w: %w", errDiscovery, err)
	}
	if conn.token != nil {
		if _, err := conn.token.Token(ctx); err != nil {
			return nil, fmt.Errorf("%w: %w", errToken, err)
		}
	}
	return &next, nil
}

var (
	errDiscovery = errors.New("reading eSignet's discovery document")
	errToken     = errors.New("obtaining a client-management token")
)

func providerFailure(err error) (reason, msg string) {
	var ce *configError
	switch {
	case errors.As(err, &ce):
		return ce.reason, ce.msg
	// The failure class only, never the remote's words or addresses: a namespaced provider's URL
	// is a tenant's choice, and its status must not tell one internal host from another.
	case errors.Is(err, errDiscovery):
		return v1.ReasonDiscoveryFailed, errDiscovery.Error() + ": " + esignet.Describe(err)
	case errors.Is(err, errToken):
		return v1.ReasonTokenFailed, errToken.Error() + ": " + esignet.Describe(err)
	}
	return v1.ReasonProviderNotReady, err.Error()
}

func authSummary(c *connection) string {
	if c.token == nil {
		return "without authentication"
	}
	return "authenticated"
}

func publishDiscovery(st *v1.ESignetProviderStatus, d *esignet.Discovery) {
	st.Endpoints = endpointsFromDiscovery(d)
	st.ClaimsSupported = d.ClaimsSupported
	st.ACRValuesSupported = d.ACRValuesSupported
	st.SigningAlgValuesSupported = d.TokenEndpointAuthSigningAlgValues
}

func endpointsFromDiscovery(d *esignet.Discovery) *v1.DiscoveredEndpoints {
	return &v1.DiscoveredEndpoints{
		DiscoveryURL: d.SourceURL, Issuer: d.Issuer, AuthorizationEndpoint: d.AuthorizationEndpoint,
		TokenEndpoint: d.TokenEndpoint, UserinfoEndpoint: d.UserinfoEndpoint, JWKSURI: d.JWKSURI,
		PushedAuthorizationRequestEndpoint: d.PushedAuthorizationRequestEndpoint,
	}
}

// SetupWithManager watches the provider and the Secrets it references.
func (r *ProviderReconciler) SetupWithManager(mgr ctrl.Manager) error {
	name := "esignetprovider"
	if r.Kind == v1.KindClusterESignetProvider {
		name = "clusteresignetprovider"
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named(name).
		// Providers are checked in parallel: one slow or dead eSignet holds one worker.
		WithOptions(controller.Options{MaxConcurrentReconciles: 4}).
		For(r.newObject(), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WatchesRawSource(source.Channel(r.Secrets.events[r.Kind], &handler.EnqueueRequestForObject{})).
		// A deleted relying party may release a provider waiting to be deleted.
		Watches(&v1.ESignetRelyingParty{}, handler.EnqueueRequestsFromMapFunc(r.providerOf),
			builder.WithPredicates(predicate.Funcs{
				CreateFunc: func(event.CreateEvent) bool { return false }, UpdateFunc: func(event.UpdateEvent) bool { return false },
				GenericFunc: func(event.GenericEvent) bool { return false }})).
		Complete(r)
}
