package controllers

import (
	"context"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/keys"
)

// ensureKey returns the relying party's key pair, generating it into the Secret when there is
// none. The Secret is written before anything is registered, never overwritten, and never
// regenerated once a key may have reached eSignet.
func (r *RelyingPartyReconciler) ensureKey(ctx context.Context, rp *v1.ESignetRelyingParty, want *desiredClient) (*keys.KeyPair, *stepError) {
	conds := conditionWriter{generation: rp.Generation, conds: &rp.Status.Conditions}
	secret := &corev1.Secret{}
	err := r.Get(ctx, client.ObjectKey{Namespace: rp.Namespace, Name: want.secretName}, secret)
	switch {
	case apierrors.IsNotFound(err):
		kp, serr := r.generateKey(ctx, rp, want)
		if serr != nil {
			return nil, serr
		}
		rp.Status.KeyID = kp.KeyID
		conds.ok(v1.ConditionKeyReady, v1.ReasonKeyGenerated, fmt.Sprintf("generated %s key %s into Secret %s", kp.Algorithm, kp.KeyID, want.secretName))
		return kp, nil
	case err != nil:
		return nil, keyFailure(v1.ReasonKeyInvalid, "reading Secret "+want.secretName, err)
	}
	reportedKID := rp.Status.KeyID
	kp, serr := r.loadKey(ctx, rp, want, secret)
	if serr != nil {
		return nil, serr
	}
	reason, msg := v1.ReasonKeyLoaded, fmt.Sprintf("%s key %s from Secret %s", kp.Algorithm, kp.KeyID, want.secretName)
	if c := meta.FindStatusCondition(rp.Status.Conditions, v1.ConditionKeyReady); c != nil && c.Status == metav1.ConditionTrue && reportedKID == kp.KeyID {
		// Same key as reported (often just generated): keep the report, so the next reconcile
		// costs no status write.
		reason, msg = c.Reason, c.Message
	}
	conds.ok(v1.ConditionKeyReady, reason, msg)
	return kp, nil
}

func (r *RelyingPartyReconciler) generateKey(ctx context.Context, rp *v1.ESignetRelyingParty, want *desiredClient) (*keys.KeyPair, *stepError) {
	if kid := registeredKeyID(rp); kid != "" {
		// A key that may be registered is gone: a new one could never be registered under this
		// client id (eSignet cannot change a public key), so do not pretend otherwise.
		return nil, &stepError{condition: v1.ConditionKeyReady, reason: v1.ReasonKeyMismatch, message: fmt.Sprintf(
			"Secret %s holding key %s, which eSignet may hold for client %s, is missing; restore it from a backup, or delete this resource and create a new one with a new clientID",
			want.secretName, kid, want.detail.ClientID)}
	}
	kp, err := keys.Generate(want.algorithm, want.rsaBits)
	if err != nil {
		return nil, keyFailure(v1.ReasonKeyInvalid, "generating key", err)
	}
	data, err := kp.SecretData(want.detail.ClientID)
	if err != nil {
		return nil, keyFailure(v1.ReasonKeyInvalid, "encoding key", err)
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: want.secretName, Namespace: rp.Namespace},
		Type:       corev1.SecretTypeOpaque,
		Data:       data,
	}
	applySecretMetadata(secret, rp)
	if err := controllerutil.SetControllerReference(rp, secret, r.Scheme()); err != nil {
		return nil, keyFailure(v1.ReasonKeyInvalid, "owning Secret", err)
	}
	// Create never overwrites: if the Secret appeared since the cached read, this fails and the
	// next reconcile reads the key that is there.
	if err := r.Create(ctx, secret); err != nil {
		return nil, keyFailure(v1.ReasonKeyInvalid, "creating Secret "+want.secretName, err)
	}
	r.event(rp, corev1.EventTypeNormal, v1.ReasonKeyGenerated, "GenerateKey", "Generated %s key %s into Secret %s", kp.Algorithm, kp.KeyID, want.secretName)
	return kp, nil
}

// loadKey validates an existing Secret and keeps its non-key metadata current.
func (r *RelyingPartyReconciler) loadKey(ctx context.Context, rp *v1.ESignetRelyingParty, want *desiredClient, secret *corev1.Secret) (*keys.KeyPair, *stepError) {
	if err := r.checkOwnership(ctx, rp, want, secret); err != nil {
		return nil, err
	}
	kp, err := keys.FromSecretData(secret.Data)
	if err != nil {
		return nil, &stepError{condition: v1.ConditionKeyReady, reason: v1.ReasonKeyInvalid,
			message: fmt.Sprintf("Secret %s: %v; the operator does not overwrite keys: restore the Secret or delete it (only safe if the client was never registered)", want.secretName, err)}
	}
	if kid := registeredKeyID(rp); kid != "" && kid != kp.KeyID {
		return nil, &stepError{condition: v1.ConditionKeyReady, reason: v1.ReasonKeyMismatch, message: fmt.Sprintf(
			"Secret %s holds key %s but client %s was registered with key %s; restore the registered key from a backup", want.secretName, kp.KeyID, want.detail.ClientID, kid)}
	}
	if kp.Algorithm != want.algorithm {
		return nil, &stepError{condition: v1.ConditionKeyReady, reason: v1.ReasonKeyInvalid, message: fmt.Sprintf(
			"Secret %s holds a %s key but spec.key.algorithm is %s", want.secretName, kp.Algorithm, want.algorithm)}
	}
	rp.Status.KeyID = kp.KeyID
	updated := secret.DeepCopy()
	updated.Data[keys.SecretKeyClientID] = []byte(want.detail.ClientID)
	applySecretMetadata(updated, rp)
	if !maps.EqualFunc(updated.Data, secret.Data, func(a, b []byte) bool { return string(a) == string(b) }) ||
		!maps.Equal(updated.Labels, secret.Labels) || !maps.Equal(updated.Annotations, secret.Annotations) {
		if err := r.Update(ctx, updated); err != nil {
			return nil, keyFailure(v1.ReasonKeyInvalid, "updating Secret "+want.secretName, err)
		}
	}
	return kp, nil
}

// checkOwnership refuses a Secret the operator did not create for this resource, except one it
// created for an earlier resource of the same name that was deleted with deletionPolicy Retain
// and that records the same client id: that one is adopted, so delete-and-reapply keeps the key.
func (r *RelyingPartyReconciler) checkOwnership(ctx context.Context, rp *v1.ESignetRelyingParty, want *desiredClient, secret *corev1.Secret) *stepError {
	if ownedBy(secret, rp) {
		return nil
	}
	retained := retainedFor(secret, rp) && secret.Annotations[annotationClientID] == want.detail.ClientID
	if !retained {
		return &stepError{condition: v1.ConditionKeyReady, reason: v1.ReasonSecretConflict, message: fmt.Sprintf(
			"Secret %s exists and was not created by the operator for this resource; it is left untouched: choose another spec.secretName or remove the Secret", want.secretName)}
	}
	adopted := secret.DeepCopy()
	if err := controllerutil.SetControllerReference(rp, adopted, r.Scheme()); err != nil {
		return keyFailure(v1.ReasonKeyInvalid, "owning Secret", err)
	}
	if err := r.Update(ctx, adopted); err != nil {
		return keyFailure(v1.ReasonKeyInvalid, "adopting Secret "+want.secretName, err)
	}
	// The client may already exist at eSignet with this key: mark the create intent so a
	// duplicate_client_id is converged rather than reported as a conflict.
	if rp.Annotations[v1.AnnotationCreatePending] == "" && rp.Annotations[v1.AnnotationCreateSucceeded] == "" {
		if err := r.annotate(ctx, rp, map[string]string{v1.AnnotationCreatePending: "adopted", annotationClientID: want.detail.ClientID,
			annotationRegisteredKeyID: string(secret.Data[keys.SecretKeyKeyID])}); err != nil {
			return keyFailure(v1.ReasonKeyInvalid, "recording adoption", err)
		}
	}
	*secret = *adopted
	r.event(rp, corev1.EventTypeNormal, "SecretAdopted", "AdoptSecret", "Adopted retained Secret %s for client %s", want.secretName, want.detail.ClientID)
	return nil
}

// applySecretMetadata sets the labels the filtered cache and the adoption rule rely on, the
// template's labels and annotations, and the client id the key belongs to.
func applySecretMetadata(s *corev1.Secret, rp *v1.ESignetRelyingParty) {
	labels := map[string]string{}
	annotations := map[string]string{}
	if t := rp.Spec.SecretTemplate; t != nil {
		maps.Copy(labels, t.Labels)
		maps.Copy(annotations, t.Annotations)
	}
	maps.Copy(labels, s.Labels)
	maps.Copy(annotations, s.Annotations)
	if t := rp.Spec.SecretTemplate; t != nil { // the template wins over stale values
		maps.Copy(labels, t.Labels)
		maps.Copy(annotations, t.Annotations)
	}
	labels[LabelManagedBy] = LabelManagedByValue
	labels[LabelRelyingParty] = rp.Name
	if s.Data != nil {
		annotations[annotationClientID] = string(s.Data[keys.SecretKeyClientID])
	}
	s.Labels, s.Annotations = labels, annotations
}

// registeredKeyID is the key a create was attempted with, if any.
func registeredKeyID(rp *v1.ESignetRelyingParty) string {
	if kid := rp.Annotations[annotationRegisteredKeyID]; kid != "" {
		return kid
	}
	return rp.Status.RegisteredKeyID
}

func keyFailure(reason, what string, err error) *stepError {
	return &stepError{condition: v1.ConditionKeyReady, reason: reason, message: fmt.Sprintf("%s: %v", what, err), err: err}
}

// ownedBy: created by the operator for this very resource.
func ownedBy(obj metav1.Object, rp *v1.ESignetRelyingParty) bool {
	return metav1.IsControlledBy(obj, rp) && obj.GetLabels()[LabelManagedBy] == LabelManagedByValue
}

// retainedFor: created by the operator for an earlier resource of this name, then released by
// deletionPolicy Retain.
func retainedFor(obj metav1.Object, rp *v1.ESignetRelyingParty) bool {
	return obj.GetLabels()[LabelManagedBy] == LabelManagedByValue && obj.GetLabels()[LabelRelyingParty] == rp.Name &&
		metav1.GetControllerOf(obj) == nil
}
