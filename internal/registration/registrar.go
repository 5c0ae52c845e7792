package registration

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/esignet"
	"github.com/openg2p/esignet-operator/internal/step"
)

// ClientAPI is the seam between the reconciler and eSignet's client management
// (crossplane-runtime's ExternalClient): *esignet.Client in production, a scripted fake in the
// decision-table tests.
type ClientAPI interface {
	Create(ctx context.Context, d esignet.ClientDetail) (*esignet.ClientResult, error)
	Update(ctx context.Context, d esignet.ClientDetail) (*esignet.ClientResult, error)
	SetStatus(ctx context.Context, d esignet.ClientDetail, s esignet.Status) (*esignet.ClientResult, error)
}

// Registrar carries out the plan against eSignet, one call at a time.
type Registrar struct {
	API ClientAPI
	// SaveIntent persists the record before a create can reach eSignet.
	SaveIntent func(context.Context, Record) error
	// Report tells the world about one call: a log line and an event.
	Report func(eventType, reason, action, message string)
	// Acquire, if set, is called once before the first call of a pass (never when no call is
	// needed); it returns what to call when the pass is done, or why the pass must wait.
	Acquire func() (release func(), wait *step.Stop)
}

// maxCallsPerPass bounds a pass: create → duplicate (ours) → update, or update → unknown →
// create → update; eSignet answers that contradict each other stop there.
const maxCallsPerPass = 3

// Converge makes eSignet hold det (with its public key), returning the record after it.
func (g Registrar) Converge(ctx context.Context, reg Record, t Target, det esignet.ClientDetail) (Record, *step.Stop) {
	act, st := Plan(reg, t)
	if st != nil || act == None {
		return reg, st
	}
	if g.Acquire != nil {
		release, wait := g.Acquire()
		if wait != nil {
			return reg, wait
		}
		defer release()
	}
	wasPending := reg.State == v1.RegistrationPending
	for calls := 0; act != None; calls++ {
		if calls == maxCallsPerPass {
			return reg, &step.Stop{Condition: v1.ConditionRegistered, Reason: v1.ReasonESignetUnavailable, Requeue: time.Minute,
				Message: fmt.Sprintf("eSignet's answers for client %s contradict each other (exists, then unknown); retrying later", t.ClientID)}
		}
		if act == Create && !reg.Exists() {
			intent := reg
			intent.State, intent.ClientID, intent.KeyID = v1.RegistrationPending, t.ClientID, t.KeyID
			if err := g.SaveIntent(ctx, intent); err != nil {
				return reg, &step.Stop{Condition: v1.ConditionRegistered,
					Reason: v1.ReasonKubernetesError, Message: "recording the create intent: " + err.Error(), Err: err}
			}
			reg = intent
		}
		err := g.call(ctx, act, det)
		o := AfterCall(act, reg, t, wasPending, err)
		g.tell(act, t, err, o)
		reg, act = o.Record, o.Next
		if o.Stop != nil {
			return reg, o.Stop
		}
	}
	return reg, nil
}

func (g Registrar) call(ctx context.Context, act Action, det esignet.ClientDetail) error {
	var err error
	switch act {
	case Create:
		_, err = g.API.Create(ctx, det)
	case Update:
		_, err = g.API.Update(ctx, det)
	case Deactivate:
		_, err = g.API.SetStatus(ctx, det, esignet.StatusInactive)
	}
	return err
}

// tell reports one call and its outcome.
func (g Registrar) tell(act Action, t Target, err error, o Outcome) {
	id := t.ClientID
	switch {
	case err == nil && act == Create:
		g.Report(corev1.EventTypeNormal, v1.EventClientCreated, "CreateClient", fmt.Sprintf("Created client %s at eSignet with key %s", id, t.KeyID))
	case err == nil && act == Update && t.Reassert:
		g.Report(corev1.EventTypeNormal, v1.EventClientReasserted, "UpdateClient", fmt.Sprintf("Re-asserted client %s at eSignet (driftPolicy Reassert)", id))
	case err == nil && act == Deactivate:
		g.Report(corev1.EventTypeNormal, v1.EventClientDeactivated, "DeactivateClient", fmt.Sprintf("Set client %s INACTIVE at eSignet (spec.active is false)", id))
	case err == nil:
		g.Report(corev1.EventTypeNormal, v1.EventClientUpdated, "UpdateClient", fmt.Sprintf("Updated client %s at eSignet", id))
	case o.Next == Update:
		g.Report(corev1.EventTypeNormal, v1.EventClientConverged, "CreateClient", fmt.Sprintf("Client %s exists from an earlier create of this resource; converging it with an update", id))
	case o.Next == Create:
		g.Report(corev1.EventTypeWarning, v1.EventClientMissing, "UpdateClient", fmt.Sprintf("eSignet no longer knows client %s; creating it again", id))
	case o.Stop != nil && o.Stop.Terminal:
		g.Report(corev1.EventTypeWarning, v1.EventClientRefused, actionName(act), fmt.Sprintf("%s client %s: eSignet refused (%s)", verb(act), id, codes(err)))
	case o.Stop != nil && o.Stop.Reason == v1.ReasonAuthFailed:
		g.Report(corev1.EventTypeWarning, v1.EventAuthFailed, actionName(act), fmt.Sprintf("%s client %s: eSignet refused the operator's credentials", verb(act), id))
	default:
		g.Report(corev1.EventTypeWarning, v1.EventESignetUnavailable, actionName(act), fmt.Sprintf("%s client %s: %s", verb(act), id, esignet.Describe(err)))
	}
}

func actionName(a Action) string {
	return map[Action]string{Create: "CreateClient", Update: "UpdateClient", Deactivate: "DeactivateClient"}[a]
}
