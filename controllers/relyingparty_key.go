package controllers

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/keys"
	"github.com/openg2p/esignet-operator/internal/registration"
	"github.com/openg2p/esignet-operator/internal/step"
	"github.com/openg2p/esignet-operator/internal/tenancy"
)

// ensureKey loads the relying party's key pair from its Secret, generating it there when there
// is none. The Secret is written before anything is registered, never overwritten, and never
// regenerated once a key may have reached eSignet.
func (r *RelyingPartyReconciler) ensureKey(ctx context.Context, sc *rpScope) *step.Stop {
	name := sc.want.secretName
	secret, err := r.readObject(ctx, sc.rp.Namespace, name, &corev1.Secret{})
	if err != nil {
		return kubeFailure(v1.ConditionKeyReady, "reading Secret "+name, err)
	}
	if secret == nil {
		return r.generateKey(ctx, sc)
	}
	s := secret.(*corev1.Secret)
	adopt, st := keySecretOwnership(sc.rp, s, sc.want.detail.ClientID, r.Sealer)
	if st != nil {
		return st
	}
	kp, st := checkKey(s, sc.want, sc.reg)
	if st != nil {
		return st
	}
	if adopt && !sc.reg.Exists() {
		// A Secret retained from an earlier resource of this name: its client may exist at
		// eSignet with this key, so a duplicate_client_id is ours and converges.
		sc.reg = registration.Record{State: v1.RegistrationPending, ClientID: sc.want.detail.ClientID, KeyID: kp.KeyID}
	}
	if err := r.applyObjectMeta(ctx, sc, s, roleKey); err != nil {
		return kubeFailure(v1.ConditionKeyReady, "updating Secret "+name, err)
	}
	if adopt {
		r.record(ctx, sc, "key", corev1.EventTypeNormal, v1.EventSecretAdopted, "AdoptSecret",
			fmt.Sprintf("Adopted retained Secret %s holding key %s for client %s", name, kp.KeyID, sc.want.detail.ClientID))
	}
	sc.key = kp
	sc.ok(v1.ConditionKeyReady, v1.ReasonKeyLoaded, fmt.Sprintf("%s key %s in Secret %s", kp.Algorithm, kp.KeyID, name))
	return nil
}

func (r *RelyingPartyReconciler) generateKey(ctx context.Context, sc *rpScope) *step.Stop {
	want := sc.want
	if sc.reg.Exists() {
		// A key that eSignet may hold is gone: a new one could never be registered under this
		// client id (eSignet cannot change a public key), so do not pretend otherwise.
		return &step.Stop{Condition: v1.ConditionKeyReady, Reason: v1.ReasonRegisteredKeyMissing, Terminal: true, Message: fmt.Sprintf(
			"Secret %s holding key %s, which eSignet may hold for client %s, is missing; restore it from a backup, or delete this resource and create a new one with a new clientID",
			want.secretName, sc.reg.KeyID, sc.reg.ClientID)}
	}
	kp, err := keys.Generate(want.algorithm, want.rsaBits)
	if err != nil {
		return &step.Stop{Condition: v1.ConditionKeyReady, Reason: v1.ReasonKeyInvalid, Message: "generating key: " + err.Error(), Err: err}
	}
	data, err := kp.SecretData(want.detail.ClientID)
	if err != nil {
		return &step.Stop{Condition: v1.ConditionKeyReady, Reason: v1.ReasonKeyInvalid, Message: "encoding key: " + err.Error(), Err: err}
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: want.secretName, Namespace: sc.rp.Namespace,
			Labels: objectLabels(sc.rp, roleKey), Annotations: templateAnnotations(sc.rp),
			OwnerReferences: []metav1.OwnerReference{controllerRef(sc.rp)}},
		Type: corev1.SecretTypeOpaque,
		Data: data,
	}
	// Create never overwrites: if the Secret appeared since the read, this fails and the next
	// pass reads the key that is there.
	if err := r.Create(ctx, secret, client.FieldOwner(fieldManager)); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return &step.Stop{Condition: v1.ConditionKeyReady, Reason: v1.ReasonKubernetesError, Requeue: requeueSoon,
				Message: fmt.Sprintf("Secret %s appeared while the key was generated; reading it again", want.secretName)}
		}
		return kubeFailure(v1.ConditionKeyReady, "creating Secret "+want.secretName, err)
	}
	r.record(ctx, sc, "key", corev1.EventTypeNormal, v1.EventKeyGenerated, "GenerateKey",
		fmt.Sprintf("Generated %s key %s into Secret %s", kp.Algorithm, kp.KeyID, want.secretName))
	sc.key = kp
	sc.ok(v1.ConditionKeyReady, v1.ReasonKeyLoaded, fmt.Sprintf("%s key %s in Secret %s", kp.Algorithm, kp.KeyID, want.secretName))
	return nil
}

// keySecretOwnership accepts a Secret the operator created for this resource, and one it
// released for an earlier resource of the same name deleted with deletionPolicy Retain, sealed
// then and holding the same client id (adopt is true: delete-and-reapply keeps the key). A
// Secret a namespace planted with the right labels has no valid seal. Any other Secret is left
// untouched.
func keySecretOwnership(rp *v1.ESignetRelyingParty, s *corev1.Secret, clientID string, sealer tenancy.Sealer) (adopt bool, st *step.Stop) {
	switch {
	case ownedBy(s, rp):
		return false, nil
	case retainedFor(s, rp) && string(s.Data[keys.SecretKeyClientID]) == clientID &&
		sealer.Verify(s.Annotations[annotationRetained], retainedSealParts(rp, s)...):
		return true, nil
	}
	return false, &step.Stop{Condition: v1.ConditionKeyReady, Reason: v1.ReasonSecretNotOwned, Terminal: true, Message: fmt.Sprintf(
		"Secret %s exists and was not created by the operator for this resource; it is left untouched: choose another spec.secretName or remove the Secret", s.Name)}
}

// checkKey parses the Secret's key and holds it to the registration record and the spec.
func checkKey(s *corev1.Secret, want *desiredClient, reg registration.Record) (*keys.KeyPair, *step.Stop) {
	kp, err := keys.FromSecretData(s.Data)
	if err != nil {
		return nil, &step.Stop{Condition: v1.ConditionKeyReady, Reason: v1.ReasonKeyInvalid, Terminal: true, Message: fmt.Sprintf(
			"Secret %s: %v; the operator does not overwrite keys: restore the Secret, or delete it if the client was never registered", s.Name, err)}
	}
	if reg.KeyID != "" && reg.KeyID != kp.KeyID {
		return nil, &step.Stop{Condition: v1.ConditionKeyReady, Reason: v1.ReasonRegisteredKeyChanged, Terminal: true, Message: fmt.Sprintf(
			"Secret %s holds key %s but client %s was registered with key %s; restore the registered key from a backup", s.Name, kp.KeyID, reg.ClientID, reg.KeyID)}
	}
	if kp.Algorithm != want.algorithm {
		return nil, &step.Stop{Condition: v1.ConditionKeyReady, Reason: v1.ReasonKeyInvalid, Terminal: true, Message: fmt.Sprintf(
			"Secret %s holds a %s key but spec.key.algorithm is %s", s.Name, kp.Algorithm, want.algorithm)}
	}
	return kp, nil
}

// annotationRetained seals a key Secret released by deletionPolicy Retain, so only the operator's
// own retained Secrets are adopted by a later resource of the same name.
const annotationRetained = "esignet.openg2p.org/retained"

func retainedSealParts(rp *v1.ESignetRelyingParty, s *corev1.Secret) []string {
	return []string{"retained", rp.Namespace, rp.Name, s.Name, string(s.Data[keys.SecretKeyClientID]), string(s.Data[keys.SecretKeyKeyID])}
}
