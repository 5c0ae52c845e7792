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

// ensureKey loads the relying party's key pair from its Secret, generating it there (or taking
// it from the Secret spec.key.adopt names) when there is none. The Secret is written before
// anything is registered, never overwritten, and never regenerated once a key may have reached
// eSignet: a lost registered key stops here, or, when spec.key.onKeyLoss is Rotate, is replaced
// by a rotation (ensureRotated) that registers a new client.
func (r *RelyingPartyReconciler) ensureKey(ctx context.Context, sc *rpScope) *step.Stop {
	name := sc.want.secretName
	secret, err := r.cachedObject(ctx, sc.rp.Namespace, name, &corev1.Secret{})
	if err != nil {
		return kubeFailure(v1.ConditionKeyReady, "reading Secret "+name, err)
	}
	// A cache miss is confirmed by a read before it is acted on, except on the way to a first
	// key: there the create itself is the check (it never overwrites), which saves a read for
	// every new resource and costs a key generation only when a Secret the cache does not hold
	// (a foreign one, or one the cache has not seen yet) is in the way.
	if secret == nil && (sc.reg.Exists() || sc.rp.Spec.Key.Adopt != nil) {
		if secret, err = r.liveObject(ctx, sc.rp.Namespace, name, &corev1.Secret{}); err != nil {
			return kubeFailure(v1.ConditionKeyReady, "reading Secret "+name, err)
		}
	}
	if secret == nil {
		switch {
		case sc.reg.Exists():
			return r.keyLost(sc, &step.Stop{Condition: v1.ConditionKeyReady, Reason: v1.ReasonRegisteredKeyMissing, Terminal: true, Message: fmt.Sprintf(
				"Secret %s holding key %s, which eSignet may hold for client %s, is missing", name, sc.reg.KeyID, sc.reg.ClientID)})
		case sc.rp.Spec.Key.Adopt != nil:
			return r.adoptKey(ctx, sc)
		}
		exists, st := r.generateKey(ctx, sc)
		if !exists {
			return st
		}
		if secret, err = r.liveObject(ctx, sc.rp.Namespace, name, &corev1.Secret{}); err != nil || secret == nil {
			return &step.Stop{Condition: v1.ConditionKeyReady, Reason: v1.ReasonKubernetesError, Requeue: requeueSoon, Err: err,
				Message: fmt.Sprintf("Secret %s was in the way of the new key, then could not be read; reading it again", name)}
		}
	}
	s := secret.(*corev1.Secret)
	adopt, st := keySecretOwnership(sc.rp, s, sc.want.detail.ClientID, r.Sealer)
	if st != nil {
		return st
	}
	sc.secret, sc.ring = s, keys.ReadRing(s.Data)
	kp, st := heldKey(s, sc.ring, sc.want, sc.reg)
	if st != nil {
		return r.keyLost(sc, st)
	}
	if _, st := keyClientID(sc, kp); st != nil {
		return st
	}
	if !sc.reg.Exists() {
		switch {
		case sc.rp.Spec.Key.Adopt != nil:
			// The key was copied from the adopted Secret by an earlier pass that did not finish.
			sc.reg = registration.Record{State: v1.RegistrationRegistered, ClientID: sc.want.detail.ClientID, KeyID: kp.KeyID, Adopted: true, Refused: sc.reg.Refused}
		case adopt:
			// A Secret retained from an earlier resource of this name: its client may exist at
			// eSignet with this key, so a duplicate_client_id is ours and converges.
			sc.reg = registration.Record{State: v1.RegistrationPending, ClientID: sc.want.detail.ClientID, KeyID: kp.KeyID}
		}
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

// keyLost stops on a lost registered key, unless the spec asks for a rotation to replace it:
// then the pass goes on without a key, and ensureRotated registers a new one as a new client.
func (r *RelyingPartyReconciler) keyLost(sc *rpScope, st *step.Stop) *step.Stop {
	if !sc.reg.Exists() || !sc.policy.RotateOnLoss {
		if sc.reg.Exists() {
			st.Message += "; restore it from a backup, or set spec.key.onKeyLoss: Rotate to register a new key as a new client and deactivate this one"
		}
		return st
	}
	sc.lost = st
	return nil
}

// generateKey makes a key pair and creates the key Secret with it; exists is true when a Secret
// of that name was already there (nothing was written, and the caller reads that one).
func (r *RelyingPartyReconciler) generateKey(ctx context.Context, sc *rpScope) (exists bool, st *step.Stop) {
	want := sc.want
	kp, err := keys.Generate(want.algorithm, want.rsaBits)
	if err != nil {
		return false, &step.Stop{Condition: v1.ConditionKeyReady, Reason: v1.ReasonKeyInvalid, Message: "generating key: " + err.Error(), Err: err}
	}
	id, st := keyClientID(sc, kp)
	if st != nil {
		return false, st
	}
	data, err := kp.SecretData(id)
	if err != nil {
		return false, &step.Stop{Condition: v1.ConditionKeyReady, Reason: v1.ReasonKeyInvalid, Message: "encoding key: " + err.Error(), Err: err}
	}
	if exists, st := r.createKeySecret(ctx, sc, data); exists || st != nil {
		return exists, st
	}
	r.record(ctx, sc, "key", corev1.EventTypeNormal, v1.EventKeyGenerated, "GenerateKey",
		fmt.Sprintf("Generated %s key %s into Secret %s", kp.Algorithm, kp.KeyID, want.secretName))
	sc.key = kp
	sc.ok(v1.ConditionKeyReady, v1.ReasonKeyLoaded, fmt.Sprintf("%s key %s in Secret %s", kp.Algorithm, kp.KeyID, want.secretName))
	return false, nil
}

// writeKeySecret creates the key Secret with data, or, when it exists, replaces its data under
// the resourceVersion it was read at: a Secret changed since is read again, never overwritten.
func (r *RelyingPartyReconciler) writeKeySecret(ctx context.Context, sc *rpScope, data map[string][]byte) *step.Stop {
	name := sc.want.secretName
	if sc.secret != nil {
		s := sc.secret.DeepCopy()
		s.Data = data
		// A merge patch carrying the resourceVersion read (the RBAC grants patch, not update).
		patch := client.MergeFromWithOptions(sc.secret, client.MergeFromWithOptimisticLock{})
		if err := r.Patch(ctx, s, patch, client.FieldOwner(fieldManager)); err != nil {
			if apierrors.IsConflict(err) {
				return &step.Stop{Condition: v1.ConditionKeyReady, Reason: v1.ReasonKubernetesError, Requeue: requeueSoon,
					Message: fmt.Sprintf("Secret %s changed while its keys were written; reading it again", name)}
			}
			return kubeFailure(v1.ConditionKeyReady, "updating Secret "+name, err)
		}
		r.own.wroteObject("Secret", s)
		sc.secret, sc.ring = s, keys.ReadRing(s.Data)
		return nil
	}
	if exists, st := r.createKeySecret(ctx, sc, data); exists {
		// The next pass reads the key that is there.
		return &step.Stop{Condition: v1.ConditionKeyReady, Reason: v1.ReasonKubernetesError, Requeue: requeueSoon,
			Message: fmt.Sprintf("Secret %s appeared while the key was written; reading it again", name)}
	} else if st != nil {
		return st
	}
	return nil
}

// createKeySecret creates the key Secret with data. A create never overwrites: exists is true
// when a Secret of that name is already there, and nothing was written.
func (r *RelyingPartyReconciler) createKeySecret(ctx context.Context, sc *rpScope, data map[string][]byte) (exists bool, st *step.Stop) {
	name := sc.want.secretName
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: sc.rp.Namespace,
			Labels: objectLabels(sc.rp, roleKey), Annotations: templateAnnotations(sc.rp),
			OwnerReferences: []metav1.OwnerReference{controllerRef(sc.rp)}},
		Type: corev1.SecretTypeOpaque,
		Data: data,
	}
	if err := r.Create(ctx, secret, client.FieldOwner(fieldManager)); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return true, nil
		}
		return false, kubeFailure(v1.ConditionKeyReady, "creating Secret "+name, err)
	}
	r.own.wroteObject("Secret", secret)
	sc.secret, sc.ring = secret, keys.ReadRing(secret.Data)
	return false, nil
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

// heldKey finds the key the record says eSignet holds, in whichever slot of the Secret a
// rotation left it, or, before any registration, the Secret's current key; and holds it to the spec.
func heldKey(s *corev1.Secret, ring keys.Ring, want *desiredClient, reg registration.Record) (*keys.KeyPair, *step.Stop) {
	cur := ring[keys.SlotCurrent]
	var kp *keys.KeyPair
	switch {
	case reg.Exists():
		if kp = ring.Find(reg.KeyID); kp != nil {
			break
		}
		if cur.Key != nil {
			return nil, &step.Stop{Condition: v1.ConditionKeyReady, Reason: v1.ReasonRegisteredKeyChanged, Terminal: true, Message: fmt.Sprintf(
				"Secret %s holds key %s but client %s was registered with key %s", s.Name, cur.Key.KeyID, reg.ClientID, reg.KeyID)}
		}
		return nil, &step.Stop{Condition: v1.ConditionKeyReady, Reason: v1.ReasonKeyInvalid, Terminal: true, Message: fmt.Sprintf(
			"Secret %s no longer holds key %s registered for client %s: %v", s.Name, reg.KeyID, reg.ClientID, slotProblem(cur))}
	case cur.Err != nil || cur.Key == nil:
		return nil, &step.Stop{Condition: v1.ConditionKeyReady, Reason: v1.ReasonKeyInvalid, Terminal: true, Message: fmt.Sprintf(
			"Secret %s: %v; the operator does not overwrite keys: restore the Secret, or delete it if the client was never registered", s.Name, slotProblem(cur))}
	default:
		kp = cur.Key
	}
	if kp.Algorithm != want.algorithm {
		return nil, &step.Stop{Condition: v1.ConditionKeyReady, Reason: v1.ReasonKeyInvalid, Terminal: true, Message: fmt.Sprintf(
			"Secret %s holds a %s key but spec.key.algorithm is %s", s.Name, kp.Algorithm, want.algorithm)}
	}
	return kp, nil
}

func slotProblem(h keys.Held) error {
	if h.Err != nil {
		return h.Err
	}
	return fmt.Errorf("%w: the key entries are missing", keys.ErrInvalidKey)
}

// annotationRetained seals a key Secret released by deletionPolicy Retain, so only the operator's
// own retained Secrets are adopted by a later resource of the same name.
const annotationRetained = "esignet.openg2p.org/retained"

func retainedSealParts(rp *v1.ESignetRelyingParty, s *corev1.Secret) []string {
	return []string{"retained", rp.Namespace, rp.Name, s.Name, string(s.Data[keys.SecretKeyClientID]), string(s.Data[keys.SecretKeyKeyID])}
}
