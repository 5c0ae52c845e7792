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
	"github.com/openg2p/esignet-operator/internal/registration"
	"github.com/openg2p/esignet-operator/internal/step"
)

// finalize applies the deletion policy, then lets the relying party go. Deactivate retries
// through eSignet outages until it succeeds or a person sets the force-delete annotation;
// Retain releases the owned objects so the garbage collector keeps the key of the client left
// at eSignet.
func (r *RelyingPartyReconciler) finalize(ctx context.Context, sc *rpScope) (ctrl.Result, error) {
	rp := sc.rp
	if !controllerutil.ContainsFinalizer(rp, v1.Finalizer) {
		return ctrl.Result{}, nil
	}
	switch {
	case rp.Spec.DeletionPolicy == v1.DeletionPolicyRetain:
		if err := r.releaseObjects(ctx, rp); err != nil {
			return ctrl.Result{}, err
		}
		r.record(ctx, sc, "delete", corev1.EventTypeNormal, v1.EventRetained, "DeleteClient",
			fmt.Sprintf("Left client %s at eSignet and its Secrets in place (deletionPolicy Retain)", sc.reg.ClientID))
	case rp.Annotations[v1.AnnotationForceDelete] == "true":
		r.record(ctx, sc, "delete", corev1.EventTypeWarning, v1.EventDeactivationAbandoned, "DeleteClient",
			fmt.Sprintf("Client %s was not deactivated at eSignet (%s=true)", sc.reg.ClientID, v1.AnnotationForceDelete))
	case sc.reg.Exists():
		if st := r.deactivate(ctx, sc); st != nil {
			st.Message += fmt.Sprintf("; to delete without deactivating, annotate %s=true", v1.AnnotationForceDelete)
			return r.finish(ctx, sc, st)
		}
	}
	if err := r.saveMeta(ctx, sc, sc.reg, false); err != nil && !gone(err) {
		return ctrl.Result{}, fmt.Errorf("removing the finalizer: %w", err)
	}
	r.written.Delete(rp.UID)
	return ctrl.Result{}, nil
}

// deactivate sets the client INACTIVE at eSignet. Where eSignet has PATCH (v1.8) it needs only
// the client id and the provider's credentials; older releases take a full PUT, built from the
// spec. It is abandoned, with a warning event, when no call can or may be made: the provider is
// gone, or going without a connection, or its fence refuses.
func (r *RelyingPartyReconciler) deactivate(ctx context.Context, sc *rpScope) *step.Stop {
	if st := r.resolveProvider(ctx, sc); st != nil {
		last := r.Registry.lastWorking(providerKeyFor(sc.rp))
		switch {
		case st.Reason == v1.ReasonProviderNotReady && last != nil:
			// Not ready now (its Secret may already be gone in a namespace's deletion): the
			// last working connection still deactivates, or fails and is retried.
			sc.conn = last
		case st.Reason == v1.ReasonProviderNotAllowed, st.Reason == v1.ReasonProviderNotFound,
			st.Reason == v1.ReasonProviderNotReady && sc.providerGoing:
			// Nothing can reach eSignet for this client any more: the provider is gone, going
			// without a connection (a restart during a namespace's deletion), or forbidden.
			r.abandon(ctx, sc, st.Message)
			return nil
		default:
			return deactivating(st, r.ProviderRetry)
		}
	}
	ids := clientsOf(sc.reg)
	for _, id := range ids {
		if ref := sc.fence.AdmitClientID(sc.rp.Namespace, id, "the registration record's client id"); ref != nil {
			r.abandon(ctx, sc, ref.Message)
			return nil
		}
	}
	if !sc.conn.version.SupportsPatch() {
		if st := r.resolveDesired(ctx, sc); st != nil {
			st.Message = "eSignet " + string(sc.conn.version) + " deactivates with a full update, which needs a valid spec: " + st.Message
			return deactivating(st, r.ProviderRetry)
		}
	}
	release, st := r.providerSlot(sc)
	if st != nil {
		return deactivating(st, r.ProviderRetry)
	}
	defer release()
	for _, id := range ids {
		if st := r.setInactiveReported(ctx, sc, "delete", v1.ReasonDeactivating, id, "deactivating client"); st != nil {
			return st
		}
	}
	return nil
}

// clientsOf lists every client that may exist at eSignet for the record: the current one, a
// rotation's next one and the previous one in its overlap.
func clientsOf(reg registration.Record) []string {
	ids := []string{reg.ClientID}
	for _, p := range []*registration.Record{reg.Next, reg.Previous} {
		if p != nil && p.ClientID != "" {
			ids = append(ids, p.ClientID)
		}
	}
	return ids
}

func deactivating(st *step.Stop, retry time.Duration) *step.Stop {
	st.Condition, st.Reason, st.Terminal = v1.ConditionRegistered, v1.ReasonDeactivating, false
	if st.Err == nil && st.Requeue == 0 {
		st.Requeue = retry
	}
	return st
}

// abandon lets deletion finish without a call the fence forbids.
func (r *RelyingPartyReconciler) abandon(ctx context.Context, sc *rpScope, why string) {
	r.record(ctx, sc, "delete", corev1.EventTypeWarning, v1.EventDeactivationAbandoned, "DeactivateClient",
		fmt.Sprintf("Client %s was not deactivated: %s", sc.reg.ClientID, why))
}

// releaseObjects removes this resource's owner reference from the objects it controls, so they
// outlive it.
func (r *RelyingPartyReconciler) releaseObjects(ctx context.Context, rp *v1.ESignetRelyingParty) error {
	sel := client.MatchingLabels{LabelManagedBy: LabelManagedByValue, LabelRelyingParty: relyingPartyLabel(rp.Name)}
	for _, list := range []client.ObjectList{&corev1.SecretList{}, &corev1.ConfigMapList{}} {
		if err := r.List(ctx, list, client.InNamespace(rp.Namespace), sel); err != nil {
			return fmt.Errorf("listing objects to retain: %w", err)
		}
		for _, obj := range objectsOf(list) {
			if !metav1.IsControlledBy(obj, rp) {
				continue
			}
			base := obj.DeepCopyObject().(client.Object)
			var refs []metav1.OwnerReference
			for _, ref := range obj.GetOwnerReferences() {
				if ref.UID != rp.UID {
					refs = append(refs, ref)
				}
			}
			obj.SetOwnerReferences(refs)
			if sec, ok := obj.(*corev1.Secret); ok && sec.Labels[LabelRole] == roleKey {
				sec.Annotations = withAll(sec.Annotations, map[string]string{annotationRetained: r.Sealer.Seal(retainedSealParts(rp, sec)...)})
			}
			if err := r.Patch(ctx, obj, client.MergeFrom(base), client.FieldOwner(fieldManager)); err != nil {
				return fmt.Errorf("releasing %s: %w", obj.GetName(), err)
			}
		}
	}
	return nil
}
