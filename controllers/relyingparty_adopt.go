package controllers

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/keys"
	"github.com/openg2p/esignet-operator/internal/registration"
	"github.com/openg2p/esignet-operator/internal/step"
)

// defaultAdoptKey is the data key spec.key.adopt reads when it names none.
const defaultAdoptKey = keys.SecretKeyPrivatePEM

// adoptKey takes over a client registered by hand: it proves possession of the client's private
// key (it parses, for the spec's algorithm, and its public half is what the operator will hold),
// copies it into the operator's own key Secret, and records the client as registered and
// adopted, so the registrar converges it with an update and never creates it.
//
// The Secret is read directly (it is not the operator's, so not cached), and only when it is
// annotated for this resource: the operator reads every Secret, and must not become the way a
// namespace user who may not read a Secret (a TLS key, another app's credentials) gets its
// content copied somewhere readable.
func (r *RelyingPartyReconciler) adoptKey(ctx context.Context, sc *rpScope) *step.Stop {
	ad := sc.rp.Spec.Key.Adopt
	failed := func(msg string, args ...any) *step.Stop {
		// Checked again periodically: the Secret is not watched, and a person may fix it.
		return &step.Stop{Condition: v1.ConditionKeyReady, Reason: v1.ReasonAdoptionFailed, Terminal: true, Requeue: requeueSlow,
			Message: "spec.key.adopt: " + fmt.Sprintf(msg, args...)}
	}
	src := &corev1.Secret{}
	if err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: sc.rp.Namespace, Name: ad.SecretName}, src); err != nil {
		if apierrors.IsNotFound(err) {
			return failed("Secret %s not found", ad.SecretName)
		}
		return kubeFailure(v1.ConditionKeyReady, "reading Secret "+ad.SecretName, err)
	}
	if src.Annotations[v1.AnnotationAdoptableBy] != sc.rp.Name {
		return failed("Secret %s is not annotated %s: %s; annotate it to let this resource take its key", ad.SecretName, v1.AnnotationAdoptableBy, sc.rp.Name)
	}
	dataKey := ad.Key
	if dataKey == "" {
		dataKey = defaultAdoptKey
	}
	raw, ok := src.Data[dataKey]
	if !ok {
		return failed("Secret %s has no %q entry", ad.SecretName, dataKey)
	}
	kp, err := keys.ParsePrivate(raw, sc.want.algorithm)
	if err != nil {
		return failed("Secret %s, entry %q: %v (a PEM or a private JWK for %s)", ad.SecretName, dataKey, err, sc.want.algorithm)
	}
	id := sc.want.detail.ClientID
	data, err := kp.SecretData(id)
	if err != nil {
		return &step.Stop{Condition: v1.ConditionKeyReady, Reason: v1.ReasonKeyInvalid, Message: "encoding key: " + err.Error(), Err: err}
	}
	if st := r.writeKeySecret(ctx, sc, data); st != nil {
		return st
	}
	sc.reg = registration.Record{State: v1.RegistrationRegistered, ClientID: id, KeyID: kp.KeyID, Adopted: true, Refused: sc.reg.Refused}
	r.record(ctx, sc, "key", corev1.EventTypeNormal, v1.EventClientAdopted, "AdoptClient", fmt.Sprintf(
		"Adopted client %s with %s key %s from Secret %s into Secret %s; converging it with an update", id, kp.Algorithm, kp.KeyID, ad.SecretName, sc.want.secretName))
	sc.key = kp
	sc.ok(v1.ConditionKeyReady, v1.ReasonKeyLoaded, fmt.Sprintf("%s key %s in Secret %s (adopted from %s)", kp.Algorithm, kp.KeyID, sc.want.secretName, ad.SecretName))
	return nil
}
