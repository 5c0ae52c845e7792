package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/esignet"
)

// finalize applies the deletion policy. Deactivate retries through eSignet outages until it
// succeeds or a person sets the force-delete annotation; Retain releases the Secrets so the
// garbage collector keeps the key of the client left at eSignet.
func (r *RelyingPartyReconciler) finalize(ctx context.Context, rp *v1.ESignetRelyingParty, before *v1.ESignetRelyingPartyStatus) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(rp, v1.Finalizer) {
		return ctrl.Result{}, nil
	}
	mayExist := rp.Annotations[v1.AnnotationCreateSucceeded] != "" || rp.Annotations[v1.AnnotationCreatePending] != "" ||
		rp.Status.RegisteredKeyID != ""
	switch {
	case rp.Spec.DeletionPolicy == v1.DeletionPolicyRetain:
		if err := r.releaseSecrets(ctx, rp); err != nil {
			return ctrl.Result{}, err
		}
		r.event(rp, corev1.EventTypeNormal, "Retained", "DeleteClient", "Left client %s at eSignet and its Secrets in place (deletionPolicy Retain)", rp.Status.ClientID)
	case rp.Annotations[v1.AnnotationForceDelete] == "true":
		r.event(rp, corev1.EventTypeWarning, "ForceDeleted", "DeleteClient", "Client %s was not deactivated at eSignet (%s=true)", rp.Status.ClientID, v1.AnnotationForceDelete)
	case mayExist:
		if step := r.deactivate(ctx, rp); step != nil {
			step.message += fmt.Sprintf("; to delete without deactivating, annotate %s=true", v1.AnnotationForceDelete)
			return r.finish(ctx, rp, before, step)
		}
	}
	controllerutil.RemoveFinalizer(rp, v1.Finalizer)
	r.memo.forget(rp.UID)
	if err := r.Update(ctx, rp); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	return ctrl.Result{}, nil
}

func (r *RelyingPartyReconciler) deactivate(ctx context.Context, rp *v1.ESignetRelyingParty) *stepError {
	conn, serr := r.resolveConnection(ctx, rp)
	if serr != nil {
		serr.reason = v1.ReasonDeactivating
		return serr
	}
	want, err := resolveDesired(rp, conn, r.Options.ClientIDPrefix)
	if err != nil {
		return &stepError{condition: v1.ConditionRegistered, reason: v1.ReasonDeactivating, message: "cannot build the deactivation request: " + err.Error(), requeue: r.ProviderRetry}
	}
	det := want.detail
	_, err = conn.client.SetStatus(ctx, det, esignet.StatusInactive)
	switch {
	case err == nil:
		r.event(rp, corev1.EventTypeNormal, "Deactivated", "DeactivateClient", "Set client %s INACTIVE at eSignet", det.ClientID)
		return nil
	case esignet.HasCode(err, esignet.CodeInvalidClientID):
		return nil // eSignet does not know it: nothing to deactivate
	}
	r.event(rp, corev1.EventTypeWarning, v1.ReasonDeactivating, "DeactivateClient", "Deactivating client %s: %v", det.ClientID, err)
	step := &stepError{condition: v1.ConditionRegistered, reason: v1.ReasonDeactivating, message: fmt.Sprintf("deactivating client %s: %v", det.ClientID, err)}
	if esignet.KindOf(err) == esignet.KindTransient {
		step.err = err
	} else {
		step.requeue = time.Minute
	}
	return step
}

// releaseSecrets removes this resource's owner reference from the Secrets it controls.
func (r *RelyingPartyReconciler) releaseSecrets(ctx context.Context, rp *v1.ESignetRelyingParty) error {
	list := &corev1.SecretList{}
	if err := r.List(ctx, list, client.InNamespace(rp.Namespace), client.MatchingLabels{LabelManagedBy: LabelManagedByValue, LabelRelyingParty: rp.Name}); err != nil {
		return fmt.Errorf("listing Secrets to retain: %w", err)
	}
	for i := range list.Items {
		s := &list.Items[i]
		if !metav1.IsControlledBy(s, rp) {
			continue
		}
		var refs []metav1.OwnerReference
		for _, ref := range s.OwnerReferences {
			if ref.UID != rp.UID {
				refs = append(refs, ref)
			}
		}
		s.OwnerReferences = refs
		if err := r.Update(ctx, s); err != nil {
			return fmt.Errorf("releasing Secret %s: %w", s.Name, err)
		}
	}
	return nil
}
