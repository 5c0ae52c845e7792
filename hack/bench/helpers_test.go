package main

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
)

// rpWith is a relying party at generation gen, Ready or not for it.
func rpWith(name string, gen int64, ready bool) *v1.ESignetRelyingParty {
	rp := &v1.ESignetRelyingParty{ObjectMeta: metav1.ObjectMeta{Name: name, Generation: gen}}
	rp.Status.ObservedGeneration = gen
	status, reason := metav1.ConditionFalse, "Reconciling"
	if ready {
		status, reason = metav1.ConditionTrue, v1.ReasonReady
	}
	rp.Status.Conditions = []metav1.Condition{{Type: v1.ConditionReady, Status: status, Reason: reason, ObservedGeneration: gen}}
	return rp
}
