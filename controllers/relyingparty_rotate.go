package controllers

import (
	"context"
	"fmt"
	"maps"
	"time"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/esignet"
	"github.com/openg2p/esignet-operator/internal/keys"
	"github.com/openg2p/esignet-operator/internal/metrics"
	"github.com/openg2p/esignet-operator/internal/registration"
	"github.com/openg2p/esignet-operator/internal/schedule"
	"github.com/openg2p/esignet-operator/internal/step"
)

// ensureRetired ends the previous client's overlap when its time has come: the client is set
// INACTIVE at eSignet, then forgotten (ensureKeyLayout then removes its key from the Secret).
// Retiring needs no key, so a crash at any point only repeats the deactivation.
func (r *RelyingPartyReconciler) ensureRetired(ctx context.Context, sc *rpScope) *step.Stop {
	prev := sc.reg.Previous
	if prev == nil {
		return nil
	}
	if sc.now.Before(prev.RetireAt) {
		sc.wakeAt(prev.RetireAt)
		return nil
	}
	if st := r.deactivateClient(ctx, sc, prev.ClientID, "retiring the previous client"); st != nil {
		return st
	}
	r.record(ctx, sc, "rotate", corev1.EventTypeNormal, v1.EventClientRetired, "RetireClient",
		fmt.Sprintf("Set previous client %s INACTIVE at eSignet; its overlap ended; removing key %s from Secret %s", prev.ClientID, prev.KeyID, sc.want.secretName))
	sc.reg.Previous = nil
	return nil
}

// ensureRotated starts, continues and completes a rotation: a new key into the Secret's next
// slot (before anything is registered), the intent recorded, a new client created for it, then
// promoted to current, with the replaced client kept ACTIVE as the previous one for the overlap
// (or, when its key was lost, deactivated at once). Each boundary is safe to crash at: the
// record and the Secret's slots say where the rotation stands, and a lost create answer is
// recognised as the operator's own client.
func (r *RelyingPartyReconciler) ensureRotated(ctx context.Context, sc *rpScope) *step.Stop {
	d := schedule.Decide(sc.reg, sc.policy, sc.lost != nil, sc.now)
	sc.wakeAt(d.Wake)
	sc.note = d.Waiting
	if d.Trigger == "" {
		if sc.reg.State == v1.RegistrationRegistered && sc.reg.Since.IsZero() {
			sc.reg.Since = sc.now // not known (status lost, or registered before rotation existed): count from now
		}
		if _, ok := sc.conds[v1.ConditionRegistered]; ok { // retired or waiting since ensureRegistered said so
			sc.ok(v1.ConditionRegistered, v1.ReasonRegistered, registeredMessage(sc, string(sc.want.detail.Status)))
		}
		return nil
	}
	next := sc.reg.Next
	if next == nil {
		kp, st := r.nextKey(ctx, sc)
		if st != nil {
			return st
		}
		n := sc.reg.Rotation + 1
		id, st := rotatedClientID(sc, kp, n)
		if st != nil {
			return st
		}
		next = &registration.Record{ClientID: id, KeyID: kp.KeyID, Rotation: n, Trigger: d.Trigger}
		r.record(ctx, sc, "rotate", corev1.EventTypeNormal, v1.EventRotationStarted, "RotateKey", fmt.Sprintf(
			"Rotating (%s): new %s key %s for new client %s replaces client %s", d.Trigger, kp.Algorithm, kp.KeyID, next.ClientID, sc.reg.ClientID))
	}
	kp := sc.ring.Find(next.KeyID)
	if kp == nil {
		return &step.Stop{Condition: v1.ConditionKeyReady, Reason: v1.ReasonRegisteredKeyMissing, Terminal: true, Message: fmt.Sprintf(
			"the new key %s of rotation %d (client %s) is missing from Secret %s; restore it from a backup", next.KeyID, next.Rotation, next.ClientID, sc.want.secretName)}
	}
	reg, st := r.registerNext(ctx, sc, next, kp)
	sc.reg.Next = reg
	if st != nil {
		st.Message = fmt.Sprintf("rotating to client %s: %s", next.ClientID, st.Message)
		if sc.lost != nil {
			st.Message = sc.lost.Message + "; recovering: " + st.Message
		}
		return st
	}
	if d.Trigger == v1.TriggerKeyLost {
		if st := r.deactivateClient(ctx, sc, sc.reg.ClientID, "deactivating the client whose key was lost"); st != nil {
			return st
		}
	}
	r.promote(ctx, sc, kp)
	return nil
}

// nextKey is the new key of a rotation: one a crashed pass already wrote into the next slot, a
// valid key a person put in place of a lost one (it is registered rather than overwritten), or a
// new one; it is in the Secret before this returns.
func (r *RelyingPartyReconciler) nextKey(ctx context.Context, sc *rpScope) (*keys.KeyPair, *step.Stop) {
	if h := sc.ring[keys.SlotNext]; h.Key != nil && h.Key.Algorithm == sc.want.algorithm {
		return h.Key, nil
	}
	if h := sc.ring[keys.SlotCurrent]; sc.lost != nil && h.Key != nil && h.Key.Algorithm == sc.want.algorithm {
		return h.Key, nil
	}
	kp, err := keys.Generate(sc.want.algorithm, sc.want.rsaBits)
	if err != nil {
		return nil, &step.Stop{Condition: v1.ConditionKeyReady, Reason: v1.ReasonKeyInvalid, Message: "generating key: " + err.Error(), Err: err}
	}
	next, err := kp.SlotData(keys.SlotNext, "")
	if err != nil {
		return nil, &step.Stop{Condition: v1.ConditionKeyReady, Reason: v1.ReasonKeyInvalid, Message: "encoding key: " + err.Error(), Err: err}
	}
	data := map[string][]byte{}
	if sc.secret != nil {
		maps.Copy(data, sc.secret.Data)
	}
	maps.Copy(data, next)
	if st := r.writeKeySecret(ctx, sc, data); st != nil {
		return nil, st
	}
	r.record(ctx, sc, "rotate", corev1.EventTypeNormal, v1.EventKeyGenerated, "GenerateKey",
		fmt.Sprintf("Generated %s key %s into Secret %s for the next client", kp.Algorithm, kp.KeyID, sc.want.secretName))
	return kp, nil
}

// registerNext creates the next client with the desired state and the new key; its intent is
// saved (in the annotation, beside the current client) before the create.
func (r *RelyingPartyReconciler) registerNext(ctx context.Context, sc *rpScope, next *registration.Record, kp *keys.KeyPair) (*registration.Record, *step.Stop) {
	pub, err := kp.PublicJWK()
	if err != nil {
		return next, &step.Stop{Condition: v1.ConditionRegistered, Reason: v1.ReasonKeyInvalid, Message: "encoding public key: " + err.Error(), Terminal: true}
	}
	det := sc.want.detail
	det.ClientID, det.PublicKey = next.ClientID, pub
	t := targetFor(det, kp.KeyID)
	t.Now = sc.now
	save := func(ctx context.Context, nr registration.Record) error {
		whole := sc.reg
		whole.Next = &nr
		return r.saveMeta(ctx, sc, whole, true)
	}
	reg, st := r.registrar(ctx, sc, save).Converge(loggerFor(ctx, sc, "rotate"), *next, t, det)
	reg.Rotation, reg.Trigger = next.Rotation, next.Trigger
	if st == nil && reg.State != v1.RegistrationRegistered {
		st = &step.Stop{Condition: v1.ConditionRegistered, Reason: v1.ReasonRotating, Requeue: requeueSoon, Message: "the new client is not registered yet"}
	}
	return &reg, st
}

// promote makes the registered next client the current one. The replaced client stays ACTIVE
// for the overlap as the previous one, unless its key was lost (it was deactivated already).
func (r *RelyingPartyReconciler) promote(ctx context.Context, sc *rpScope, kp *keys.KeyPair) {
	old, next := sc.reg, *sc.reg.Next
	cur := next
	cur.Trigger, cur.Next, cur.Previous, cur.Since, cur.Adopted = "", nil, old.Previous, sc.now, false
	cur.Request = old.Request
	if next.Trigger == v1.TriggerRequested {
		cur.Request = sc.policy.Request
	}
	what := fmt.Sprintf("client %s was deactivated (its key was lost)", old.ClientID)
	if next.Trigger != v1.TriggerKeyLost {
		retire := sc.now.Add(sc.policy.Overlap)
		cur.Previous = &registration.Record{State: v1.RegistrationRegistered, ClientID: old.ClientID, KeyID: old.KeyID, Rotation: old.Rotation, RetireAt: retire}
		what = fmt.Sprintf("previous client %s stays ACTIVE until %s", old.ClientID, retire.UTC().Format(time.RFC3339))
		sc.wakeAt(retire)
	}
	sc.reg, sc.key, sc.lost = cur, kp, nil
	sc.want.detail.ClientID = cur.ClientID // the outputs and the status name the new client
	metrics.Rotations.WithLabelValues(next.Trigger).Inc()
	r.record(ctx, sc, "rotate", corev1.EventTypeNormal, v1.EventRotated, "RotateKey",
		fmt.Sprintf("Rotated (%s) to client %s with key %s; %s", next.Trigger, cur.ClientID, cur.KeyID, what))
	sc.ok(v1.ConditionKeyReady, v1.ReasonKeyLoaded, fmt.Sprintf("%s key %s in Secret %s", kp.Algorithm, kp.KeyID, sc.want.secretName))
	sc.ok(v1.ConditionRegistered, v1.ReasonRegistered, registeredMessage(sc, string(sc.want.detail.Status)))
}

// ensureKeyLayout makes the key Secret's slots match the record: the current key under the
// plain names, the previous one (during its overlap) and a rotation's next one beside it, and
// nothing else of the operator's. The record is saved first, so a key leaves the Secret only
// once the saved record no longer needs it.
func (r *RelyingPartyReconciler) ensureKeyLayout(ctx context.Context, sc *rpScope) *step.Stop {
	if sc.secret == nil || sc.key == nil || !sc.reg.Exists() {
		return nil
	}
	want := map[keys.Slot]keys.Placed{keys.SlotCurrent: {Key: sc.key, ClientID: sc.reg.ClientID}}
	for slot, peer := range map[keys.Slot]*registration.Record{keys.SlotPrevious: sc.reg.Previous, keys.SlotNext: sc.reg.Next} {
		if peer == nil {
			continue
		}
		if k := sc.ring.Find(peer.KeyID); k != nil {
			want[slot] = keys.Placed{Key: k, ClientID: peer.ClientID}
		}
	}
	data, err := keys.Layout(sc.secret.Data, want)
	if err != nil {
		return &step.Stop{Condition: v1.ConditionKeyReady, Reason: v1.ReasonKeyInvalid, Message: "encoding keys: " + err.Error(), Err: err}
	}
	if keys.SameData(data, sc.secret.Data) {
		return nil
	}
	if err := r.saveMeta(ctx, sc, sc.reg, true); err != nil {
		return kubeFailure(v1.ConditionRegistered, "recording the registration", err)
	}
	return r.writeKeySecret(ctx, sc, data)
}

// deactivateClient sets one of the resource's clients INACTIVE at eSignet: by PATCH where eSignet
// has it, else by a full update built from the desired client. eSignet not knowing the client
// (or knowing it INACTIVE already) counts as done.
func (r *RelyingPartyReconciler) deactivateClient(ctx context.Context, sc *rpScope, clientID, why string) *step.Stop {
	release, st := r.providerSlot(sc)
	if st != nil {
		return st
	}
	defer release()
	return r.setInactiveReported(ctx, sc, "rotate", v1.ReasonESignetUnavailable, clientID, why)
}

// setInactiveReported makes the call (the caller holds a provider slot) and reports it: an
// event either way; on failure a stop with reason, retried with backoff when transient.
func (r *RelyingPartyReconciler) setInactiveReported(ctx context.Context, sc *rpScope, stepName, reason, clientID, why string) *step.Stop {
	err := setInactive(loggerFor(ctx, sc, stepName), sc, clientID)
	if err == nil {
		r.record(ctx, sc, stepName, corev1.EventTypeNormal, v1.EventClientDeactivated, "DeactivateClient",
			fmt.Sprintf("Set client %s INACTIVE at eSignet (%s)", clientID, why))
		return nil
	}
	msg := fmt.Sprintf("%s %s: %s", why, clientID, esignet.Describe(err))
	r.record(ctx, sc, stepName, corev1.EventTypeWarning, v1.EventDeactivationFailed, "DeactivateClient", msg)
	failed := &step.Stop{Condition: v1.ConditionRegistered, Reason: reason, Message: msg}
	if esignet.KindOf(err) == esignet.KindTransient {
		failed.Err = err
	} else {
		failed.Requeue = requeueSlow
	}
	return failed
}

// setInactive makes the one call that sets a client INACTIVE; nil when eSignet does not know it.
func setInactive(ctx context.Context, sc *rpScope, clientID string) error {
	det := esignet.ClientDetail{ClientID: clientID}
	if !sc.conn.version.SupportsPatch() {
		det = sc.want.detail
		det.ClientID, det.PublicKey = clientID, nil
	}
	_, err := sc.conn.api.SetStatus(ctx, det, esignet.StatusInactive)
	if esignet.HasCode(err, esignet.CodeInvalidClientID) {
		return nil
	}
	return err
}
