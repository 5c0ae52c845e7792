package controllers

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/esignet"
	"github.com/openg2p/esignet-operator/internal/keys"
)

// ensureRegistered makes eSignet hold the desired client. An unchanged fingerprint costs no call;
// a desired state eSignet refused is not sent again until it changes.
func (r *RelyingPartyReconciler) ensureRegistered(ctx context.Context, rp *v1.ESignetRelyingParty, conn *connection, want *desiredClient, kp *keys.KeyPair) *stepError {
	fp := fingerprint(want.detail, kp.KeyID)
	created := rp.Annotations[v1.AnnotationCreateSucceeded] != ""
	registered, failed := r.memo.recall(rp)
	switch {
	case created && registered == fp:
		return nil
	case failed == fp:
		return previousFailure(rp)
	}
	pub, err := kp.PublicJWK()
	if err != nil {
		return registerFailure(v1.ReasonKeyInvalid, "encoding public key", err)
	}
	det := want.detail
	det.PublicKey = pub
	if created {
		if err := checkImmutable(rp, &det); err != nil {
			return err
		}
		return r.update(ctx, rp, conn, &det, fp)
	}
	return r.create(ctx, rp, conn, &det, kp.KeyID, fp)
}

// create marks the intent before the POST, so that after a crash between eSignet's answer and
// the status write, duplicate_client_id is recognised as our own earlier create.
func (r *RelyingPartyReconciler) create(ctx context.Context, rp *v1.ESignetRelyingParty, conn *connection, det *esignet.ClientDetail, kid, fp string) *stepError {
	pendingBefore := rp.Annotations[v1.AnnotationCreatePending] != ""
	if !pendingBefore {
		if err := r.annotate(ctx, rp, map[string]string{v1.AnnotationCreatePending: now(), annotationClientID: det.ClientID, annotationRegisteredKeyID: kid}); err != nil {
			return registerFailure(v1.ReasonESignetUnavailable, "recording create intent", err)
		}
	}
	_, err := conn.client.Create(ctx, *det)
	switch {
	case err == nil:
		r.event(rp, corev1.EventTypeNormal, v1.ReasonRegistered, "CreateClient", "Created client %s at eSignet with key %s", det.ClientID, kid)
	case esignet.HasCode(err, esignet.CodeDuplicateClientID) && pendingBefore:
		// Ours from an earlier attempt: converge with a full update.
		if _, err = conn.client.Update(ctx, *det); err != nil {
			return r.registrationError(rp, err, fp, "updating client "+det.ClientID+" after an interrupted create")
		}
		r.event(rp, corev1.EventTypeNormal, v1.ReasonRegistered, "UpdateClient", "Client %s existed from an interrupted create; converged it", det.ClientID)
	default:
		if definite(err) { // eSignet answered: nothing was created, so the intent is void
			if aerr := r.annotate(ctx, rp, map[string]string{v1.AnnotationCreatePending: "", annotationClientID: "", annotationRegisteredKeyID: ""}); aerr != nil {
				return registerFailure(v1.ReasonESignetUnavailable, "clearing create intent", aerr)
			}
		}
		return r.registrationError(rp, err, fp, "creating client "+det.ClientID)
	}
	if err := r.annotate(ctx, rp, map[string]string{v1.AnnotationCreatePending: "", v1.AnnotationCreateSucceeded: now(),
		annotationClientID: det.ClientID, annotationRegisteredKeyID: kid}); err != nil {
		return registerFailure(v1.ReasonESignetUnavailable, "recording create", err)
	}
	if det.Status == esignet.StatusInactive { // a create is always ACTIVE
		if _, err := conn.client.SetStatus(ctx, *det, esignet.StatusInactive); err != nil {
			return r.registrationError(rp, err, fp, "deactivating client "+det.ClientID)
		}
	}
	r.recordRegistered(rp, det, kid, fp)
	return nil
}

func (r *RelyingPartyReconciler) update(ctx context.Context, rp *v1.ESignetRelyingParty, conn *connection, det *esignet.ClientDetail, fp string) *stepError {
	_, err := conn.client.Update(ctx, *det)
	if esignet.HasCode(err, esignet.CodeInvalidClientID) {
		// eSignet no longer knows the client (database restored or reset): create it again.
		if aerr := r.annotate(ctx, rp, map[string]string{v1.AnnotationCreateSucceeded: ""}); aerr != nil {
			return registerFailure(v1.ReasonESignetUnavailable, "recording missing client", aerr)
		}
		r.event(rp, corev1.EventTypeWarning, "ClientMissing", "UpdateClient", "eSignet no longer knows client %s; creating it again", det.ClientID)
		return &stepError{condition: v1.ConditionRegistered, reason: "ClientMissing", message: "eSignet no longer knows client " + det.ClientID + "; creating it again", requeue: time.Second}
	}
	if err != nil {
		return r.registrationError(rp, err, fp, "updating client "+det.ClientID)
	}
	r.event(rp, corev1.EventTypeNormal, "Updated", "UpdateClient", "Updated client %s at eSignet", det.ClientID)
	r.recordRegistered(rp, det, registeredKeyID(rp), fp)
	return nil
}

func (r *RelyingPartyReconciler) recordRegistered(rp *v1.ESignetRelyingParty, det *esignet.ClientDetail, kid, fp string) {
	rp.Status.RegisteredFingerprint = fp
	rp.Status.FailedFingerprint = ""
	r.memo.remember(rp)
	rp.Status.RegisteredKeyID = kid
	rp.Status.RelyingPartyID = det.RelyingPartyID
	conditionWriter{generation: rp.Generation, conds: &rp.Status.Conditions}.ok(v1.ConditionRegistered, v1.ReasonRegistered,
		fmt.Sprintf("client %s is %s at eSignet", det.ClientID, det.Status))
}

// registrationError turns an eSignet error into a condition: a refusal of the spec is terminal
// until the desired state changes; outages and auth problems are retried.
func (r *RelyingPartyReconciler) registrationError(rp *v1.ESignetRelyingParty, err error, fp, what string) *stepError {
	codes := strings.Join(esignet.Codes(err), ", ")
	switch esignet.KindOf(err) {
	case esignet.KindTerminal, esignet.KindConflict, esignet.KindUnsupported:
		reason, hint := v1.ReasonESignetRejected, "fix the spec; it is not sent again until it changes"
		switch {
		case esignet.HasCode(err, esignet.CodeDuplicateClientID):
			reason, hint = v1.ReasonClientIDConflict, "another client already uses this id at eSignet; set a different spec.clientID on a new resource"
		case esignet.HasCode(err, esignet.CodeDuplicatePublicKey):
			reason, hint = v1.ReasonPublicKeyConflict, "another eSignet client already holds this key"
		}
		rp.Status.FailedFingerprint = fp
		r.memo.remember(rp)
		r.event(rp, corev1.EventTypeWarning, reason, "RegisterClient", "%s: eSignet refused (%s)", what, codes)
		return &stepError{condition: v1.ConditionRegistered, reason: reason, message: fmt.Sprintf("%s: %v; %s", what, err, hint)}
	case esignet.KindAuth:
		r.event(rp, corev1.EventTypeWarning, v1.ReasonAuthFailed, "RegisterClient", "%s: %v", what, err)
		return &stepError{condition: v1.ConditionRegistered, reason: v1.ReasonAuthFailed,
			message: fmt.Sprintf("%s: %v; check the provider's credentials and scopes", what, err), requeue: time.Minute}
	}
	return registerFailure(v1.ReasonESignetUnavailable, what, err)
}

func registerFailure(reason, what string, err error) *stepError {
	return &stepError{condition: v1.ConditionRegistered, reason: reason, message: fmt.Sprintf("%s: %v", what, err), err: err}
}

// previousFailure repeats the recorded refusal without calling eSignet again.
func previousFailure(rp *v1.ESignetRelyingParty) *stepError {
	for _, c := range rp.Status.Conditions {
		if c.Type == v1.ConditionRegistered && c.Status != "True" {
			return &stepError{condition: v1.ConditionRegistered, reason: c.Reason, message: c.Message}
		}
	}
	return &stepError{condition: v1.ConditionRegistered, reason: v1.ReasonESignetRejected, message: "eSignet refused this desired state; change the spec to retry"}
}

// checkImmutable reports changes eSignet cannot apply to an existing client.
func checkImmutable(rp *v1.ESignetRelyingParty, det *esignet.ClientDetail) *stepError {
	if was := rp.Status.RelyingPartyID; was != "" && was != det.RelyingPartyID {
		return &stepError{condition: v1.ConditionRegistered, reason: v1.ReasonImmutableChanged, message: fmt.Sprintf(
			"relyingPartyID would change from %q to %q, which eSignet cannot update; restore it or create a new resource", was, det.RelyingPartyID)}
	}
	return nil
}

// definite reports whether eSignet answered the request (so it was not applied), as opposed to
// a timeout or reset after which the outcome is unknown.
func definite(err error) bool {
	k := esignet.KindOf(err)
	return k == esignet.KindTerminal || k == esignet.KindConflict || k == esignet.KindAuth || k == esignet.KindUnsupported
}

// annotate sets (or, for empty values, removes) annotations and writes them at once.
func (r *RelyingPartyReconciler) annotate(ctx context.Context, rp *v1.ESignetRelyingParty, set map[string]string) error {
	ann := maps.Clone(rp.Annotations)
	if ann == nil {
		ann = map[string]string{}
	}
	for k, v := range set {
		if v == "" {
			delete(ann, k)
		} else {
			ann[k] = v
		}
	}
	status := rp.Status.DeepCopy()
	rp.Annotations = ann
	if err := r.Update(ctx, rp); err != nil {
		return fmt.Errorf("writing annotations: %w", err)
	}
	rp.Status = *status // Update returns the stored status; keep what this reconcile computed
	return nil
}

func now() string { return time.Now().UTC().Format(time.RFC3339) }
