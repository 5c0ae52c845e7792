package controllers

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/keys"
	"github.com/openg2p/esignet-operator/internal/registration"
	"github.com/openg2p/esignet-operator/internal/render"
	"github.com/openg2p/esignet-operator/internal/schedule"
	"github.com/openg2p/esignet-operator/internal/step"
	"github.com/openg2p/esignet-operator/internal/tenancy"
)

// rpScope is what one reconcile pass knows, carried through the steps. Steps fill it in; the
// status is computed from it whole at the end.
type rpScope struct {
	rp *v1.ESignetRelyingParty
	// unverified: rp came from the cache with no proof it is current (load); the pass's first
	// write to it is conditional on its resourceVersion.
	unverified bool
	log        logr.Logger

	conn  *connection   // the provider's published connection
	fence tenancy.Fence // what the provider lets this namespace touch
	// providerGoing: the provider is being deleted (its last connection is kept for deletions).
	providerGoing bool
	want          *desiredClient              // the client eSignet should hold (without the public key)
	key           *keys.KeyPair               // the key in the Secret
	reg           registration.Record         // the registration record, as loaded and as changed by this pass
	conds         map[string]metav1.Condition // conditions set by the steps that finished
	outputs       []v1.OutputStatus
	endpoints     *v1.DiscoveredEndpoints

	now    time.Time                  // the pass's time, from the reconciler's clock
	policy schedule.Policy            // the spec's rotation settings
	secret *corev1.Secret             // the key Secret as last read or written
	ring   keys.Ring                  // every key the Secret holds, by slot
	lost   *step.Stop                 // the registered key is lost and spec.key.onKeyLoss is Rotate: why
	wake   time.Time                  // when something the operator does on its own falls due
	note   string                     // a rotation waiting, for the Registered condition
	docs   map[string]render.Document // the rendered outputs, by name
	events []pendingEvent             // recorded by the steps, sent when the pass ends
}

// wakeAt asks for a pass at t (the earliest of all asked for); a time already come (a rotation
// with no overlap retires its previous client at once) asks for the next pass right away: the
// operator's own writes wake nothing.
func (sc *rpScope) wakeAt(t time.Time) {
	if t.IsZero() {
		return
	}
	if !t.After(sc.now) {
		t = sc.now.Add(time.Millisecond)
	}
	sc.wake = schedule.Earliest(sc.wake, t)
}

// stepFunc is one stage of a reconcile: it returns nil to go on, or why it stopped.
type stepFunc func(ctx context.Context, sc *rpScope) *step.Stop

// ok records a finished step's condition.
func (sc *rpScope) ok(condType, reason, message string) {
	if sc.conds == nil {
		sc.conds = map[string]metav1.Condition{}
	}
	sc.conds[condType] = metav1.Condition{Type: condType, Status: metav1.ConditionTrue, Reason: reason, Message: message}
}

// kubeFailure is a failed API-server read or write: retried with backoff.
func kubeFailure(condition, what string, err error) *step.Stop {
	return &step.Stop{Condition: condition, Reason: v1.ReasonKubernetesError, Message: what + ": " + err.Error(), Err: err}
}
