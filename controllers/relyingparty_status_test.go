package controllers

import (
	"errors"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/step"
)

// TestConditionsFor: every pass states every condition; the step that stopped is False, the
// ones after it Unknown with the blocker's reason, Ready summarises, and exactly one of
// Reconciling or Stalled is present while not ready.
func TestConditionsFor(t *testing.T) {
	key := metav1.Condition{Type: v1.ConditionKeyReady, Status: metav1.ConditionTrue, Reason: v1.ReasonKeyLoaded}
	reg := metav1.Condition{Type: v1.ConditionRegistered, Status: metav1.ConditionTrue, Reason: v1.ReasonRegistered, Message: "client x is ACTIVE"}
	out := metav1.Condition{Type: v1.ConditionConfigRendered, Status: metav1.ConditionTrue, Reason: v1.ReasonRendered}
	app := metav1.Condition{Type: v1.ConditionApplied, Status: metav1.ConditionTrue, Reason: v1.ReasonNothingToApply}
	type want map[string]string // type -> status/reason
	cases := []struct {
		name string
		done []metav1.Condition
		st   *step.Stop
		want want
	}{
		{"all done", []metav1.Condition{key, reg, out, app}, nil, want{
			"KeyReady": "True/KeyLoaded", "Registered": "True/Registered", "ConfigRendered": "True/Rendered", "Applied": "True/NothingToApply", "Ready": "True/Ready"}},
		{"database down", []metav1.Condition{key, reg, out},
			&step.Stop{Condition: v1.ConditionApplied, Reason: "DatabaseUnavailable", Message: "m", Err: errors.New("refused")}, want{
				"KeyReady": "True/KeyLoaded", "Registered": "True/Registered", "ConfigRendered": "True/Rendered", "Applied": "False/DatabaseUnavailable",
				"Ready": "False/DatabaseUnavailable", "Reconciling": "True/DatabaseUnavailable"}},
		{"provider not ready after a full pass before: nothing stale survives", nil,
			&step.Stop{Reason: v1.ReasonProviderNotReady, Message: "p"}, want{
				"KeyReady": "Unknown/ProviderNotReady", "Registered": "Unknown/ProviderNotReady", "ConfigRendered": "Unknown/ProviderNotReady",
				"Applied": "Unknown/ProviderNotReady", "Ready": "False/ProviderNotReady", "Reconciling": "True/ProviderNotReady"}},
		{"eSignet refused the spec", []metav1.Condition{key},
			&step.Stop{Condition: v1.ConditionRegistered, Reason: v1.ReasonESignetRejected, Message: "m", Terminal: true}, want{
				"KeyReady": "True/KeyLoaded", "Registered": "False/ESignetRejected", "ConfigRendered": "Unknown/ESignetRejected", "Applied": "Unknown/ESignetRejected",
				"Ready": "False/ESignetRejected", "Stalled": "True/ESignetRejected"}},
		{"eSignet down", []metav1.Condition{key},
			&step.Stop{Condition: v1.ConditionRegistered, Reason: v1.ReasonESignetUnavailable, Message: "m", Err: errors.New("503")}, want{
				"KeyReady": "True/KeyLoaded", "Registered": "False/ESignetUnavailable", "ConfigRendered": "Unknown/ESignetUnavailable", "Applied": "Unknown/ESignetUnavailable",
				"Ready": "False/ESignetUnavailable", "Reconciling": "True/ESignetUnavailable"}},
		{"template broken", []metav1.Condition{key, reg},
			&step.Stop{Condition: v1.ConditionConfigRendered, Reason: v1.ReasonRenderFailed, Message: "m", Terminal: true}, want{
				"KeyReady": "True/KeyLoaded", "Registered": "True/Registered", "ConfigRendered": "False/RenderFailed", "Applied": "Unknown/RenderFailed",
				"Ready": "False/RenderFailed", "Stalled": "True/RenderFailed"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			done := map[string]metav1.Condition{}
			for _, c := range tc.done {
				done[c.Type] = c
			}
			got := want{}
			for _, c := range conditionsFor(done, tc.st) {
				got[c.Type] = string(c.Status) + "/" + c.Reason
			}
			if len(got) != len(tc.want) {
				t.Fatalf("conditions %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Fatalf("%s = %s, want %s (all: %v)", k, got[k], v, got)
				}
			}
		})
	}
}

func TestTransitionTimesKeptWhileStatusUnchanged(t *testing.T) {
	old := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	prev := []metav1.Condition{
		{Type: "Ready", Status: metav1.ConditionTrue, LastTransitionTime: old},
		{Type: "KeyReady", Status: metav1.ConditionTrue, LastTransitionTime: old},
	}
	got := keepTransitionTimes([]metav1.Condition{
		{Type: "Ready", Status: metav1.ConditionFalse},
		{Type: "KeyReady", Status: metav1.ConditionTrue, Reason: "changed reason"},
	}, prev)
	if got[0].LastTransitionTime.Equal(&old) || !got[1].LastTransitionTime.Equal(&old) {
		t.Fatalf("transition times: %v", got)
	}
}
