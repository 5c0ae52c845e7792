package controllers

import (
	"context"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
)

const indexProviderRef = "spec.providerRef"

// SetupWithManager watches relying parties, every kind the reconciler writes (Secrets and
// ConfigMaps, so a hand edit or deletion is put right at once), and the providers.
func (r *RelyingPartyReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &v1.ESignetRelyingParty{}, indexProviderRef,
		func(o client.Object) []string {
			k := providerKeyFor(o.(*v1.ESignetRelyingParty))
			return []string{k.Kind + "/" + k.Name}
		}); err != nil {
		return fmt.Errorf("indexing providerRef: %w", err)
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("esignetrelyingparty").
		WithOptions(controller.Options{MaxConcurrentReconciles: r.Options.MaxConcurrentReconciles}).
		For(&v1.ESignetRelyingParty{}, builder.WithPredicates(relyingPartyChanged)).
		Owns(&corev1.Secret{}, builder.WithPredicates(r.own.notMine("Secret"))).
		Owns(&corev1.ConfigMap{}, builder.WithPredicates(r.own.notMine("ConfigMap"))).
		Watches(&v1.ESignetProvider{}, handler.EnqueueRequestsFromMapFunc(r.forProvider(v1.KindESignetProvider))).
		Watches(&v1.ClusterESignetProvider{}, handler.EnqueueRequestsFromMapFunc(r.forProvider(v1.KindClusterESignetProvider))).
		WatchesRawSource(source.Channel(r.Registry.ready, handler.TypedEnqueueRequestsFromMapFunc(r.forReadyProvider))).
		Complete(r)
}

// relyingPartyChanged passes what a person or tool changed: the spec (generation), deletion,
// and annotations other than the operator's own registration record, whose writes would
// otherwise wake the reconciler for nothing.
var relyingPartyChanged = predicate.Or(predicate.GenerationChangedPredicate{}, predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		if e.ObjectOld.GetDeletionTimestamp().IsZero() && !e.ObjectNew.GetDeletionTimestamp().IsZero() {
			return true
		}
		return !maps.Equal(foreignAnnotations(e.ObjectOld), foreignAnnotations(e.ObjectNew))
	},
	CreateFunc:  func(event.CreateEvent) bool { return true },
	DeleteFunc:  func(event.DeleteEvent) bool { return true },
	GenericFunc: func(event.GenericEvent) bool { return true },
})

func foreignAnnotations(o client.Object) map[string]string {
	a := maps.Clone(o.GetAnnotations())
	delete(a, v1.AnnotationRegistration)
	return a
}

// forReadyProvider maps a provider whose connection appeared to its relying parties.
func (r *RelyingPartyReconciler) forReadyProvider(ctx context.Context, k providerKey) []reconcile.Request {
	var p client.Object = &v1.ESignetProvider{}
	if k.Kind == v1.KindClusterESignetProvider {
		p = &v1.ClusterESignetProvider{}
	}
	p.SetNamespace(k.Namespace)
	p.SetName(k.Name)
	return r.forProvider(k.Kind)(ctx, p)
}

// forProvider maps a provider change (its status turning Ready, typically) to its relying parties.
func (r *RelyingPartyReconciler) forProvider(kind string) handler.MapFunc {
	return func(ctx context.Context, p client.Object) []reconcile.Request {
		list := &v1.ESignetRelyingPartyList{}
		opts := []client.ListOption{client.MatchingFields{indexProviderRef: kind + "/" + p.GetName()}}
		if kind == v1.KindESignetProvider {
			opts = append(opts, client.InNamespace(p.GetNamespace()))
		}
		if err := r.List(ctx, list, opts...); err != nil {
			return nil
		}
		reqs := make([]reconcile.Request, 0, len(list.Items))
		for _, rp := range list.Items {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&rp)})
		}
		return reqs
	}
}
