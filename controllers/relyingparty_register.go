package controllers

import (
	"context"
	"fmt"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/registration"
	"github.com/openg2p/esignet-operator/internal/step"
)

// ensureRegistered makes eSignet hold the desired client: the registrar decides from the record
// (no call when nothing changed), saves the create intent before a create, and returns the
// record after eSignet's answers, which the status and the annotation then hold.
func (r *RelyingPartyReconciler) ensureRegistered(ctx context.Context, sc *rpScope) *step.Stop {
	pub, err := sc.key.PublicJWK()
	if err != nil {
		return &step.Stop{Condition: v1.ConditionRegistered, Reason: v1.ReasonKeyInvalid, Message: "encoding public key: " + err.Error(), Terminal: true}
	}
	det := sc.want.detail
	det.PublicKey = pub
	t := sc.want.target(sc.key.KeyID)
	g := registration.Registrar{
		Acquire:    func() (func(), *step.Stop) { return r.providerSlot(sc) },
		API:        sc.conn.client,
		SaveIntent: func(ctx context.Context, reg registration.Record) error { return r.saveMeta(ctx, sc.rp, reg, true) },
		Report: func(eventType, reason, action, message string) {
			r.record(ctx, sc, "register", eventType, reason, action, message)
		},
	}
	reg, st := g.Converge(loggerFor(ctx, sc, "register"), sc.reg, t, det)
	sc.reg = reg
	if st != nil {
		return st
	}
	sc.ok(v1.ConditionRegistered, v1.ReasonRegistered, fmt.Sprintf("client %s is %s at eSignet with key %s", reg.ClientID, det.Status, reg.KeyID))
	return nil
}

// providerSlot takes one of the provider's worker slots, or says to come back shortly: a
// worker never waits behind another provider's slow eSignet.
func (r *RelyingPartyReconciler) providerSlot(sc *rpScope) (func(), *step.Stop) {
	if sc.conn.slots == nil { // a connection built without slots (tests)
		return func() {}, nil
	}
	release, ok := sc.conn.tryAcquire()
	if !ok {
		return nil, &step.Stop{Condition: v1.ConditionRegistered, Reason: v1.ReasonESignetBusy, Requeue: requeueSoon,
			Message: fmt.Sprintf("%d calls to this provider's eSignet are already in progress; waiting for one to finish", cap(sc.conn.slots))}
	}
	return release, nil
}
