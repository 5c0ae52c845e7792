package controllers

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
)

// conditionWriter is the one place provider conditions are set: every condition gets the object's
// generation, and a condition whose status is unchanged keeps its transition time (meta does that).
type conditionWriter struct {
	generation int64
	conds      *[]metav1.Condition
}

func (w conditionWriter) set(condType string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(w.conds, metav1.Condition{
		Type: condType, Status: status, Reason: reason, Message: truncate(message, 1024),
		ObservedGeneration: w.generation,
	})
}

func (w conditionWriter) ok(condType, reason, message string) {
	w.set(condType, metav1.ConditionTrue, reason, message)
}

func (w conditionWriter) fail(condType, reason, message string) {
	w.set(condType, metav1.ConditionFalse, reason, message)
}

// progress sets the kstatus conditions after Ready: Stalled while only a person can help,
// Reconciling while work or retries remain, neither once ready (they exist only while True).
func (w conditionWriter) progress(ready bool, reason, message string, terminal bool) {
	meta.RemoveStatusCondition(w.conds, v1.ConditionReconciling)
	meta.RemoveStatusCondition(w.conds, v1.ConditionStalled)
	switch {
	case ready:
	case terminal:
		w.set(v1.ConditionStalled, metav1.ConditionTrue, reason, message)
	default:
		w.set(v1.ConditionReconciling, metav1.ConditionTrue, reason, message)
	}
}
