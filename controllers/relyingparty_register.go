package controllers

import (
	"context"
	"fmt"
	"time"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/registration"
	"github.com/openg2p/esignet-operator/internal/schedule"
	"github.com/openg2p/esignet-operator/internal/step"
)

// ensureRegistered makes eSignet hold the desired client: the registrar decides from the record
// (no call when nothing changed), saves the create intent before a create, and returns the
// record after eSignet's answers, which the status and the annotation then hold.
func (r *RelyingPartyReconciler) ensureRegistered(ctx context.Context, sc *rpScope) *step.Stop {
	if sc.lost != nil {
		return nil // the client's key is gone: a rotation replaces the client (ensureRotated)
	}
	pub, err := sc.key.PublicJWK()
	if err != nil {
		return &step.Stop{Condition: v1.ConditionRegistered, Reason: v1.ReasonKeyInvalid, Message: "encoding public key: " + err.Error(), Terminal: true}
	}
	det := sc.want.detail
	det.PublicKey = pub
	t := sc.want.target(sc.key.KeyID)
	due := r.reassertDue(sc, t)
	viaPMS := sc.conn.pms != nil
	t.Now, t.Request, t.Reassert = sc.now, sc.policy.Request, due && !viaPMS // PMS can be read: checked, not resent
	reg, st := r.registrar(ctx, sc, func(ctx context.Context, reg registration.Record) error {
		return r.saveMeta(ctx, sc, reg, true)
	}).Converge(loggerFor(ctx, sc, "register"), sc.reg, t, det)
	sc.reg = reg
	if st != nil {
		return st
	}
	if viaPMS && (due || sc.reg.AssertedAt.Equal(sc.now)) {
		if st := r.readBack(ctx, sc, det); st != nil {
			return st
		}
	}
	sc.ok(v1.ConditionRegistered, v1.ReasonRegistered, registeredMessage(sc, string(det.Status)))
	return nil
}

// registrar is the registrar for one pass; saveIntent persists the record before a create.
func (r *RelyingPartyReconciler) registrar(ctx context.Context, sc *rpScope, saveIntent func(context.Context, registration.Record) error) registration.Registrar {
	return registration.Registrar{
		Acquire:    func() (func(), *step.Stop) { return r.providerSlot(sc) },
		API:        sc.conn.api,
		SaveIntent: saveIntent,
		Report: func(eventType, reason, action, message string) {
			r.record(ctx, sc, "register", eventType, reason, action, message)
		},
	}
}

// reassertDue says whether the drift policy sends the registered client again now. A
// re-assertion the provider's rate limit does not allow yet is put off, not failed.
func (r *RelyingPartyReconciler) reassertDue(sc *rpScope, t registration.Target) bool {
	dp := sc.rp.Spec.DriftPolicy
	if dp == nil || dp.Mode != v1.DriftReassert || sc.reg.State != v1.RegistrationRegistered || sc.reg.Fingerprint != t.Fingerprint {
		return false // nothing to re-assert, or an update goes out anyway
	}
	var interval time.Duration
	if dp.Interval != nil {
		interval = dp.Interval.Duration
	}
	due, at := schedule.Reassert(sc.reg.AssertedAt, interval, string(sc.rp.UID), sc.now)
	if !due {
		sc.wakeAt(at)
		return false
	}
	if l := sc.conn.reassert; l != nil && !l.Allow() {
		sc.wakeAt(sc.now.Add(reassertBackoff))
		return false
	}
	return true
}

// reassertBackoff is how soon a re-assertion put off by the provider's rate limit is tried again.
const reassertBackoff = 5 * time.Second

// registeredMessage describes the clients eSignet holds for the resource.
func registeredMessage(sc *rpScope, status string) string {
	msg := fmt.Sprintf("client %s is %s at eSignet with key %s", sc.reg.ClientID, status, sc.reg.KeyID)
	if sc.reg.Adopted {
		msg += " (adopted)"
	}
	if p := sc.reg.Previous; p != nil {
		msg += fmt.Sprintf("; previous client %s stays ACTIVE until %s", p.ClientID, p.RetireAt.UTC().Format(time.RFC3339))
	}
	if sc.note != "" {
		msg += "; " + sc.note
	}
	if sc.conn != nil && sc.conn.pms != nil && sc.want != nil {
		msg += grantNote(sc.want.detail.UserClaims, sc.reg.GrantedClaims)
	}
	return msg
}

// providerSlot takes one of the provider's worker slots, or says to come back shortly: a
// worker never waits behind another provider's slow eSignet.
func (r *RelyingPartyReconciler) providerSlot(sc *rpScope) (func(), *step.Stop) {
	if sc.conn.slots == nil { // a connection built without slots (tests)
		return func() {}, nil
	}
	release, ok := sc.conn.tryAcquire()
	if !ok {
		// A wait of a moment is not news: status tells only of a wait that lasts.
		first, _ := r.busySince.LoadOrStore(sc.rp.UID, r.Clock.Now())
		return nil, &step.Stop{Condition: v1.ConditionRegistered, Reason: v1.ReasonESignetBusy, Requeue: requeueSoon,
			Quiet:   r.Clock.Since(first.(time.Time)) < busyQuietFor,
			Message: fmt.Sprintf("%d calls to this provider's eSignet are already in progress; waiting for one to finish", cap(sc.conn.slots))}
	}
	r.busySince.Delete(sc.rp.UID)
	return release, nil
}

// busyQuietFor is how long a relying party waits for a worker slot before its status says so.
const busyQuietFor = 2 * time.Second
