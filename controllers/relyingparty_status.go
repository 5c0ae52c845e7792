package controllers

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/step"
)

// stepConditions are the conditions of the steps, in order.
var stepConditions = []string{v1.ConditionKeyReady, v1.ConditionRegistered, v1.ConditionConfigRendered, v1.ConditionApplied}

// computeStatus derives the whole status from what the pass found and where it stopped.
// Nothing is carried over from the previous status but the transition times of conditions
// whose status did not change, and the outputs of a pass that did not get to render.
func computeStatus(sc *rpScope, st *step.Stop, previous *v1.ESignetRelyingPartyStatus) v1.ESignetRelyingPartyStatus {
	rp := sc.rp
	out := v1.ESignetRelyingPartyStatus{
		ObservedGeneration: rp.Generation,
		ClientID:           sc.reg.ClientID,
		KeyID:              sc.reg.KeyID,
		SecretName:         SecretNameFor(rp),
		Registration:       sc.reg.Status(),
		Outputs:            sc.outputs,
		Endpoints:          sc.endpoints,
	}
	if sc.want != nil {
		out.ClientID = sc.want.detail.ClientID
	}
	if sc.key != nil {
		out.KeyID = sc.key.KeyID
	}
	if sc.policy.Scheduled && sc.reg.State == v1.RegistrationRegistered && !sc.reg.Since.IsZero() {
		out.NextRotationAt = metaTime(sc.reg.Since.Add(sc.policy.Every))
	}
	if sc.endpoints == nil {
		// The pass did not finish rendering, which alone writes and deletes outputs: the list
		// is the last complete pass's.
		out.Outputs, out.Endpoints = previous.Outputs, previous.Endpoints
	}
	conds := conditionsFor(sc.conds, st)
	for i := range conds {
		conds[i].ObservedGeneration = rp.Generation
		conds[i].Message = truncate(conds[i].Message, 1024)
	}
	out.Conditions = keepTransitionTimes(conds, previous.Conditions)
	return out
}

// conditionsFor is every condition of one pass: a finished step's own; False for the step that
// stopped; Unknown, with the blocker's reason, for the steps it kept from running; Ready as the
// summary; Reconciling or Stalled only while True.
func conditionsFor(done map[string]metav1.Condition, st *step.Stop) []metav1.Condition {
	var out []metav1.Condition
	for _, t := range stepConditions {
		c, ok := done[t]
		switch {
		case ok:
		case st != nil && st.Condition == t:
			c = metav1.Condition{Type: t, Status: metav1.ConditionFalse, Reason: st.Reason, Message: st.Message}
		case st != nil:
			c = metav1.Condition{Type: t, Status: metav1.ConditionUnknown, Reason: st.Reason, Message: "waiting: " + st.Message}
		default: // cannot happen: a pass without a stop finished every step
			c = metav1.Condition{Type: t, Status: metav1.ConditionUnknown, Reason: v1.ReasonReady, Message: "not checked"}
		}
		out = append(out, c)
	}
	if st == nil {
		msg := "client is registered at eSignet and its configuration is rendered"
		if c, ok := done[v1.ConditionRegistered]; ok {
			msg = fmt.Sprintf("%s; configuration rendered", c.Message)
		}
		return append(out, metav1.Condition{Type: v1.ConditionReady, Status: metav1.ConditionTrue, Reason: v1.ReasonReady, Message: msg})
	}
	out = append(out, metav1.Condition{Type: v1.ConditionReady, Status: metav1.ConditionFalse, Reason: st.Reason, Message: st.Message})
	progress := v1.ConditionReconciling
	if st.Terminal {
		progress = v1.ConditionStalled
	}
	return append(out, metav1.Condition{Type: progress, Status: metav1.ConditionTrue, Reason: st.Reason, Message: st.Message})
}

// keepTransitionTimes sets LastTransitionTime: kept from the previous condition of the type
// when its status is unchanged, now otherwise (meta.SetStatusCondition's rule).
func keepTransitionTimes(conds, previous []metav1.Condition) []metav1.Condition {
	now := metav1.Now()
	for i := range conds {
		if p := meta.FindStatusCondition(previous, conds[i].Type); p != nil && p.Status == conds[i].Status {
			conds[i].LastTransitionTime = p.LastTransitionTime
		} else {
			conds[i].LastTransitionTime = now
		}
	}
	return conds
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

// metaTime is t as status holds it (whole seconds), so an unchanged time never rewrites status.
func metaTime(t time.Time) *metav1.Time {
	m := metav1.NewTime(t.UTC().Truncate(time.Second))
	return &m
}
