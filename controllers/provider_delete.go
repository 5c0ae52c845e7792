package controllers

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
)

// ProviderFinalizer keeps a provider while relying parties use it: their deletion deactivates
// their clients with its connection.
const ProviderFinalizer = "esignet.openg2p.org/in-use"

// providerWait is how often a provider being deleted checks whether its relying parties are gone
// (their deletion also wakes it).
const providerWait = 5 * time.Second

// finalize lets a provider go once no relying party uses it. Until then its last connection
// stays published, even when its Secrets are already gone (a namespace being deleted takes them
// all at once), so the relying parties' finalizers can still deactivate their clients.
func (r *ProviderReconciler) finalize(ctx context.Context, obj providerObject) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(obj, ProviderFinalizer) {
		return ctrl.Result{}, nil
	}
	users, err := r.relyingParties(ctx, obj)
	if err != nil {
		return ctrl.Result{}, err
	}
	if users > 0 {
		if r.Registry.get(r.key(obj)) == nil {
			// After a restart there is no connection to keep: try once to build one.
			if conn, err := r.connect(ctx, obj); err == nil {
				r.Registry.put(r.key(obj), conn)
			}
		}
		logf.FromContext(ctx).V(1).Info("provider deletion waits for its relying parties", "relyingParties", users)
		return ctrl.Result{RequeueAfter: providerWait}, nil
	}
	if err := r.applyFinalizer(ctx, obj, false); err != nil && !gone(err) {
		return ctrl.Result{}, fmt.Errorf("removing the provider finalizer: %w", err)
	}
	r.Registry.forget(r.key(obj))
	r.failures.Delete(obj.GetUID())
	return ctrl.Result{}, nil
}

func (r *ProviderReconciler) ensureInUseFinalizer(ctx context.Context, obj providerObject) error {
	if controllerutil.ContainsFinalizer(obj, ProviderFinalizer) {
		return nil
	}
	if err := r.applyFinalizer(ctx, obj, true); err != nil {
		return fmt.Errorf("adding the provider finalizer: %w", err)
	}
	return nil
}

// applyFinalizer adds or removes the operator's finalizer by server-side apply: other
// finalizers are not touched and no resourceVersion is needed.
func (r *ProviderReconciler) applyFinalizer(ctx context.Context, obj providerObject, present bool) error {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(v1.GroupVersion.String())
	u.SetKind(r.Kind)
	u.SetNamespace(obj.GetNamespace())
	u.SetName(obj.GetName())
	u.SetUID(obj.GetUID())
	if present {
		u.SetFinalizers([]string{ProviderFinalizer})
	}
	if err := r.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(fieldManager), client.ForceOwnership); err != nil {
		return err
	}
	obj.SetFinalizers(u.GetFinalizers())
	obj.SetResourceVersion(u.GetResourceVersion())
	return nil
}

// relyingParties counts the relying parties that name this provider.
func (r *ProviderReconciler) relyingParties(ctx context.Context, obj providerObject) (int, error) {
	list := &v1.ESignetRelyingPartyList{}
	opts := []client.ListOption{client.MatchingFields{indexProviderRef: r.Kind + "/" + obj.GetName()}}
	if r.Kind == v1.KindESignetProvider {
		opts = append(opts, client.InNamespace(obj.GetNamespace()))
	}
	if err := r.List(ctx, list, opts...); err != nil {
		return 0, fmt.Errorf("listing the provider's relying parties: %w", err)
	}
	return len(list.Items), nil
}

// providerOf maps a deleted relying party to its provider, if that provider is being deleted.
func (r *ProviderReconciler) providerOf(ctx context.Context, o client.Object) []reconcile.Request {
	k := providerKeyFor(o.(*v1.ESignetRelyingParty))
	if k.Kind != r.Kind {
		return nil
	}
	p := r.newObject()
	if err := r.Get(ctx, client.ObjectKey{Namespace: k.Namespace, Name: k.Name}, p); err != nil || p.GetDeletionTimestamp().IsZero() {
		return nil
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKeyFromObject(p)}}
}

// gone reports that an apply aimed at an object (by its uid) found it deleted: not found, or a
// uid precondition failing because the name now holds nothing or another object.
func gone(err error) bool { return apierrors.IsNotFound(err) || apierrors.IsConflict(err) }
