package controllers

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// conditionWriter is the one place conditions are set: every condition gets the object's
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

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
